"""Every CNAB sample of the seven banks is read without error, with its record count and total asserted.

Counts and totals were read off the files (and, where the file carries them, agree with its lot trailer:
Sicredi 240 retorno 2 / 19.90, Sicoob 240 remessas 1 / 50.00 and 2 / 1550.65).
"""

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from quita.banking.cnab import reader
from quita.banking.cnab.fields import CnabError

SAMPLES = Path(__file__).parent / "data" / "cnab_samples"

# file: (bank, layout, direction, titles, face-value total, paid total)
EXPECTED = {
    "brcobranca/CBR64310.RET": ("001", 400, "return", 26, "10051.83", "10051.83"),
    "brcobranca/CNAB240.RET": ("001", 240, "return", 35, "21880.94", "21880.94"),
    "brcobranca/CNAB240SANTANDER.RET": ("033", 240, "return", 2, "20.00", "20.00"),
    "brcobranca/CNAB240SICOOB.RET": ("756", 240, "return", 3, "6.00", "6.00"),
    "brcobranca/CNAB240SICREDI.CRT": ("748", 240, "return", 2, "19.90", "0.00"),
    "brcobranca/CNAB400.RET": ("341", 400, "return", 52, "2688.96", "2548.32"),
    "brcobranca/CNAB400BRADESCO.RET": ("237", 400, "return", 6, "2930.00", "1450.00"),
    "brcobranca/CNAB400ITAU.RET": ("341", 400, "return", 52, "2688.96", "2548.32"),
    "brcobranca/CNAB400SANTANDER.RET": ("033", 400, "return", 52, "2688.96", "2548.32"),
    "brcobranca/CNAB400UNICRED.RET": ("001", 400, "return", 1, "444.00", "444.00"),
    "brcobranca/remessa-banco-brasil-cnab400.rem": ("001", 400, "remittance", 1, "199.90", "0.00"),
    "brcobranca/remessa-banco_brasil-cnab240.rem": ("001", 240, "remittance", 1, "199.90", "0.00"),
    "brcobranca/remessa-bancoob-cnab240.rem": ("756", 240, "remittance", 1, "50.00", "0.00"),
    "brcobranca/remessa-bradesco-cnab400.rem": ("237", 400, "remittance", 1, "199.90", "0.00"),
    "brcobranca/remessa-caixa-cnab240.rem": ("104", 240, "remittance", 1, "199.90", "0.00"),
    "brcobranca/remessa-itau-cnab400.rem": ("341", 400, "remittance", 1, "199.90", "0.00"),
    "brcobranca/remessa-santander-cnab240.rem": ("033", 240, "remittance", 1, "199.90", "0.00"),
    "brcobranca/remessa-santander-cnab400-pix.rem": ("033", 400, "remittance", 1, "199.90", "0.00"),
    "brcobranca/remessa-santander-cnab400.rem": ("033", 400, "remittance", 1, "199.90", "0.00"),
    "brcobranca/remessa-sicoob-cnab400.rem": ("756", 400, "remittance", 1, "199.90", "0.00"),
    "brcobranca/remessa-sicredi-cnab240.rem": ("748", 240, "remittance", 1, "50.00", "0.00"),
    "brcobranca/remessa-unicred-cnab240.rem": ("748", 240, "remittance", 1, "50.00", "0.00"),
    "laravel-boleto/cnab240_banco_brasil.ret": ("001", 240, "return", 5, "128.80", "128.80"),
    "laravel-boleto/cnab240_caixa.ret": ("104", 240, "return", 9, "1120.00", "1010.00"),
    "laravel-boleto/cnab240_santander.ret": ("033", 240, "return", 1, "10.00", "11.00"),
    "laravel-boleto/cnab400_banco_brasil.ret": ("001", 400, "return", 1, "25.00", "25.00"),
    "laravel-boleto/cnab400_bb.ret": ("001", 400, "return", 1, "100.00", "100.00"),
    "laravel-boleto/cnab400_bradesco.ret": ("237", 400, "return", 7, "10.10", "5.10"),
    "laravel-boleto/cnab400_cef.ret": ("104", 400, "return", 1, "100.00", "100.00"),
    "laravel-boleto/cnab400_itau.ret": ("341", 400, "return", 4, "1895.76", "1307.25"),
    "laravel-boleto/cnab400_remessa.txt": ("237", 400, "remittance", 1, "100.00", "0.00"),
    "laravel-boleto/cnab400_santander.ret": ("033", 400, "return", 1, "100.00", "100.00"),
    "laravel-boleto/cnab400_santander_pix.ret": ("033", 400, "return", 1, "100.00", "100.00"),
    "laravel-boleto/cnab400_sicredi.ret": ("748", 400, "return", 1, "100.00", "100.00"),
    "pycobranca/remessa_banco_brasil_pix_cnab240.rem": ("001", 240, "remittance", 2, "1550.65", "0.00"),
    "pycobranca/remessa_bradesco_pix_cnab400.rem": ("237", 400, "remittance", 2, "1550.65", "0.00"),
    "pycobranca/remessa_caixa_pix_cnab240.rem": ("104", 240, "remittance", 2, "1550.65", "0.00"),
    "pycobranca/remessa_itau_pix_cnab400.rem": ("341", 400, "remittance", 2, "1550.65", "0.00"),
    "pycobranca/remessa_santander_pix_cnab400.rem": ("033", 400, "remittance", 2, "1550.65", "0.00"),
    "pycobranca/remessa_sicoob_pix_cnab240.rem": ("756", 240, "remittance", 2, "1550.65", "0.00"),
}
# Samples of other banks, or of layouts Quita does not write (Itaú CNAB 444, Sicoob "correspondente BB",
# BRB's non-standard header): refused with a reason, never misread.
REFUSED = {
    "brcobranca/remessa-itau-cnab444.rem": "444 characters",
    "brcobranca/remessa-sicoob-correspondente-bb-cnab240.rem": "not a CNAB 240 or 400 header",
    "brcobranca/CNAB240AILOS.RET": "bank 085",
    "laravel-boleto/cnab400_hsbc.ret": "bank 399",
    "laravel-boleto/cnab240_btg.ret": "bank 208",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_is_read(name):
    bank, width, direction, count, total, paid = EXPECTED[name]
    parsed = reader.read((SAMPLES / name).read_bytes())
    assert parsed.errors == []
    assert (parsed.bank, parsed.width, parsed.direction) == (bank, width, direction)
    assert len(parsed.titles) == count
    assert parsed.total == Decimal(total)
    assert parsed.paid_total == Decimal(paid)
    assert parsed.records[0].kind == "header" and parsed.records[-1].kind == "trailer"


def test_every_sample_of_the_seven_banks_is_covered():
    seven = {"001", "033", "104", "237", "341", "748", "756"}
    readme = (SAMPLES / "README.md").read_text()
    listed = [
        line.split("|")[1].strip()
        for line in readme.splitlines()
        if line.startswith("| brcobranca") or line.startswith("| laravel") or line.startswith("| pycobranca")
    ]
    ours = {
        name
        for name in listed
        if any(f"| {bank} " in line for line in readme.splitlines() if line.startswith(f"| {name} ") for bank in seven)
    }
    assert ours <= set(EXPECTED) | set(REFUSED)
    assert {EXPECTED[name][0] for name in EXPECTED} == seven


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_other_layouts_are_refused_with_a_reason(name):
    with pytest.raises(CnabError, match=REFUSED[name]):
        reader.read((SAMPLES / name).read_bytes())


def test_trailer_totals_agree_where_the_file_has_them():
    parsed = reader.read((SAMPLES / "brcobranca/CNAB240SICREDI.CRT").read_bytes())
    trailer = next(r.fields for r in parsed.records if r.kind == "lot_trailer")
    assert (int(trailer["title_count"]), trailer["title_total"]) == (len(parsed.titles), parsed.total)
    parsed = reader.read((SAMPLES / "pycobranca/remessa_sicoob_pix_cnab240.rem").read_bytes())
    trailer = next(r.fields for r in parsed.records if r.kind == "lot_trailer")
    assert (int(trailer["title_count"]), trailer["title_total"]) == (len(parsed.titles), parsed.total)


def test_return_money_is_kept_apart():
    parsed = reader.read((SAMPLES / "laravel-boleto/cnab240_caixa.ret").read_bytes())
    first = parsed.titles[0]
    assert first.occurrence == "liquidated"
    assert (first.amount, first.paid_amount, first.fee) == (Decimal("80.00"), Decimal("80.00"), Decimal("1.25"))
    assert first.credit_date.isoformat() == "2014-01-07"
    assert first.our_number == 11136997  # 42-56; position 57 is its check digit


def test_cnab_inspect_prints_json_lines():
    out = StringIO()
    call_command("cnab", "inspect", str(SAMPLES / "brcobranca/CNAB240SICREDI.CRT"), stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["kind"] for line in lines] == ["header", "lot_header", "T", "U", "T", "U", "lot_trailer", "trailer"]
    assert lines[2]["amount"] == "9.95"
