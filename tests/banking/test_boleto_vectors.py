"""Every boleto vector is made and inspected exactly, through the library and through `quita boleto`."""

import datetime
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from quita.banking import boleto

DATA = Path(__file__).parent / "data"
VECTORS = json.loads((DATA / "boleto_vectors.json").read_text())


def _id(vector):
    return f"{vector['bank']}-{vector['barcode'][:12]}-{vector['fields'].get('nosso_numero', '')}"


@pytest.mark.parametrize("vector", VECTORS, ids=[_id(v) for v in VECTORS])
def test_make_reproduces_vector(vector):
    result = boleto.make({**vector["fields"], "bank": vector["bank"]})
    assert result["barcode"] == vector["barcode"]
    assert result["linha_digitavel"] == vector["linha_digitavel"]


@pytest.mark.parametrize("vector", VECTORS, ids=[_id(v) for v in VECTORS])
def test_inspect_reads_vector(vector):
    due = vector["fields"]["data_vencimento"]
    amount = f"{boleto.parse_amount(vector['fields']['valor']):.2f}"
    for code in (
        vector["barcode"],
        vector["linha_digitavel"],
        vector["linha_digitavel"].replace(".", "").replace(" ", ""),
    ):
        reading = boleto.read(code, today=datetime.date.fromisoformat(due))
        assert reading.valid, reading.error
        assert (reading.bank, reading.amount, reading.due_date) == (vector["bank"], amount, due)
        assert reading.barcode == vector["barcode"]
        assert reading.linha_digitavel == vector["linha_digitavel"]


def test_vectors_cover_seven_banks_and_the_factor_restart():
    assert {v["bank"] for v in VECTORS} == {"001", "033", "104", "237", "341", "748", "756"}
    assert any(v["fields"]["data_vencimento"] >= "2025-02-22" for v in VECTORS)


def _run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def test_cli_make_from_the_issue_example():
    fields = {
        "bank": "237",
        "agencia": "1172",
        "conta": "0403005",
        "carteira": "06",
        "nosso_numero": "75896452",
        "valor": "2952.95",
        "data_vencimento": "2009-04-30",
    }
    result = _run("boleto", "make", "--json", json.dumps(fields))
    assert result["barcode"] == "23795422300002952951172060007589645204030050"
    assert result["linha_digitavel"] == "23791.17209 60007.589645 52040.300502 5 42230000295295"


@pytest.mark.parametrize("vector", VECTORS[::9], ids=[_id(v) for v in VECTORS[::9]])
def test_cli_make_and_inspect_vectors(vector):
    made = _run("boleto", "make", "--json", json.dumps({**vector["fields"], "bank": vector["bank"]}))
    assert (made["barcode"], made["linha_digitavel"]) == (vector["barcode"], vector["linha_digitavel"])
    read = _run("boleto", "inspect", vector["linha_digitavel"], "--today", vector["fields"]["data_vencimento"])
    assert read["valid"] is True
    assert read["due_date"] == vector["fields"]["data_vencimento"]
    assert set(read) >= {"valid", "error", "bank", "amount", "due_date", "barcode", "linha_digitavel", "free_field"}


def test_cli_inspect_reports_a_wrong_digit():
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("boleto", "inspect", "23795422300002952951172060007589645204030051", stdout=out)
    result = json.loads(out.getvalue())
    assert result["valid"] is False
    assert "check digit" in result["error"]


def test_cli_make_refuses_unknown_bank():
    with pytest.raises(CommandError, match="not supported"):
        call_command("boleto", "make", "--json", '{"bank": "999", "valor": 1}', stdout=StringIO())


def test_factor_restart():
    assert boleto.due_factor(datetime.date(2025, 2, 21)) == 9999
    assert boleto.due_factor(datetime.date(2025, 2, 22)) == 1000
    today = datetime.date(2026, 11, 25)
    assert boleto.factor_date(1000, today=today) == datetime.date(2025, 2, 22)
    assert boleto.factor_date(9999, today=today) == datetime.date(2025, 2, 21)
    # an old factor read near its own time is in the first cycle
    assert boleto.factor_date(1000, today=datetime.date(2000, 7, 3)) == datetime.date(2000, 7, 3)
