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
    "brcobranca/remessa-itau-cnab444.rem": ("341", 444, "remittance", 1, "199.90", "0.00"),
    "brcobranca/remessa-santander-cnab240.rem": ("033", 240, "remittance", 1, "199.90", "0.00"),
    "brcobranca/remessa-santander-cnab400-pix.rem": ("033", 400, "remittance", 1, "199.90", "0.00"),
    "brcobranca/remessa-santander-cnab400.rem": ("033", 400, "remittance", 1, "199.90", "0.00"),
    "brcobranca/remessa-sicoob-cnab400.rem": ("756", 400, "remittance", 1, "199.90", "0.00"),
    "brcobranca/remessa-sicoob-correspondente-bb-cnab240.rem": ("756", 240, "remittance", 1, "50.00", "0.00"),
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
# Samples of other banks: refused with a reason, never misread.
REFUSED = {
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
    # Sicoob's "correspondente BB" file is one lot: it ends with the lot trailer (there is no file trailer).
    last = "lot_trailer" if name.endswith("correspondente-bb-cnab240.rem") else "trailer"
    assert parsed.records[0].kind == "header" and parsed.records[-1].kind == last


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


def test_itau_cnab_444_reads_the_invoice_key_after_position_400():
    parsed = reader.read((SAMPLES / "brcobranca/remessa-itau-cnab444.rem").read_bytes())
    detail = next(r.fields for r in parsed.records if r.kind == "detail")
    assert detail["invoice_key"] == "12345678901234567890123456789012345678901234"
    assert detail["sequence"] == "000002" and parsed.titles[0].our_number == 123
    assert parsed.titles[0].due_date.isoformat() == "2015-07-14"
    # A CNAB 400 file of the same bank is still read as CNAB 400.
    assert reader.read((SAMPLES / "brcobranca/remessa-itau-cnab400.rem").read_bytes()).width == 400


def test_sicoob_correspondent_lot_trailer_agrees_and_the_nosso_numero_follows_the_agreement():
    parsed = reader.read((SAMPLES / "brcobranca/remessa-sicoob-correspondente-bb-cnab240.rem").read_bytes())
    assert parsed.variant == "correspondente_bb"
    trailer = parsed.records[-1].fields
    assert (int(trailer["title_count"]), trailer["title_total"]) == (len(parsed.titles), parsed.total)
    assert parsed.header["agency"] == "4327" and parsed.header["account"] == "1234567890"
    title = parsed.titles[0]
    # 10-digit agreement 1234567890, then the 7-digit sequence 1234567.
    assert (title.our_number_text, title.our_number) == ("12345678901234567", 1234567)
    payer = next(r.fields for r in parsed.records if r.kind == "Q")
    assert payer["payer_doc"] == "00082136760505" and payer["payer_state"] == "SP"


@pytest.mark.parametrize("key", ["itau-444", "sicoob-correspondente-bb"])
def test_the_writer_and_the_reader_share_the_new_layouts(key):
    """Each layout is one spec: what the writer puts in a remittance, the reader reads back."""
    import datetime

    from quita.banking.cnab import writer
    from quita.banking.cnab.layouts import LAYOUTS, VARIANTS

    layout = LAYOUTS[("341", 444)] if key == "itau-444" else VARIANTS[("756", "correspondente_bb")]
    header = writer.FileHeader(
        bank=layout.bank,
        company_doc="11222333000181",
        company_name="Provedor Exemplo",
        agency="4327",
        account="12345",
        file_number=7,
        created=datetime.datetime(2030, 1, 20, 6, 0),  # noqa: DTZ001 - a file's local timestamp
    )
    titles = [
        {
            "our_number": "00000042" if key == "itau-444" else "12345678900000042",
            "document_number": "0000000042",
            "due_date": datetime.date(2030, 2, 10),
            "issue_date": datetime.date(2030, 1, 20),
            "amount": Decimal("123.45"),
            "payer_name": "Maria da Silva",
            "invoice_key": "35300111222333000181550010000000421000000421",
        },
        {
            "our_number": "00000043" if key == "itau-444" else "12345678900000043",
            "document_number": "0000000043",
            "due_date": datetime.date(2030, 2, 10),
            "issue_date": datetime.date(2030, 1, 20),
            "amount": Decimal("10.05"),
            "payer_name": "João",
        },
    ]
    text = writer.write_remittance(layout, header, titles)
    widths = {len(line) for line in text.split("\r\n") if line}
    assert widths == ({400, 444} if key == "itau-444" else {240})
    parsed = reader.read(text.encode("latin-1"))
    assert (parsed.bank, parsed.width, parsed.direction, parsed.errors) == (layout.bank, layout.width, "remittance", [])
    assert [t.our_number for t in parsed.titles] == [42, 43]
    assert parsed.total == Decimal("133.50")
    assert [t.due_date for t in parsed.titles] == [datetime.date(2030, 2, 10)] * 2


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
