"""BR Code: every vector decoded with its CRC, static payloads made byte for byte, `quita pix make|inspect`."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from quita.banking.pix import brcode

VECTORS = json.loads((Path(__file__).parent / "data" / "pix_vectors.json").read_text())["vectors"]


def test_crc_check_value():
    assert brcode.crc16("123456789") == "29B1"


@pytest.mark.parametrize("vector", VECTORS, ids=[v["crc"] for v in VECTORS])
def test_inspect_decodes_vector(vector):
    decoded = brcode.parse(vector["payload"])
    assert decoded["crc_ok"] is True
    assert decoded["crc"] == vector["crc"]
    for key, value in vector["decoded"].items():
        assert decoded[key] == value, key


@pytest.mark.parametrize("vector", VECTORS, ids=[v["crc"] for v in VECTORS])
def test_cli_inspect(vector):
    out = StringIO()
    call_command("pix", "inspect", vector["payload"], stdout=out)
    decoded = json.loads(out.getvalue())
    assert decoded["crc_ok"] is True
    assert decoded["tags"] == vector["decoded"]["tags"]


def test_make_reproduces_the_central_bank_example():
    payload = brcode.make_static(key="123e4567-e12b-12d1-a456-426655440000", name="Fulano de Tal", city="BRASILIA")
    assert payload == VECTORS[0]["payload"]


def test_make_with_amount_truncates_name_and_txid():
    payload = brcode.make_static(
        key="arya@stark.com",
        name="Arya Stark with a very long name",
        city="Pindamonhangaba",
        amount="125.00",
        txid="verylongreconciliationidtxyz",
    )
    assert payload == VECTORS[4]["payload"]


def test_make_dynamic_reproduces_vectors():
    assert (
        brcode.make_dynamic(
            location="pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99",
            name="EMPRESA",
            city="SAO PAULO",
            gui="BR.GOV.BCB.PIX",
        )
        == VECTORS[1]["payload"]
    )
    assert (
        brcode.make_dynamic(
            location="https://invoice.starkbank.com/f5333103-3279-4db2-8389-5efe335ba93d",
            name="Arya Stark with a very long name",
            city="Pindamonhangaba",
            txid="5656565656565656",
        )
        == VECTORS[5]["payload"]
    )


def test_cli_make_matches_vector():
    out = StringIO()
    call_command(
        "pix",
        "make",
        "--key",
        "arya@stark.com",
        "--name",
        "Arya Stark with a very long name",
        "--city",
        "Pindamonhangaba",
        "--amount",
        "125.00",
        "--txid",
        "verylongreconciliationidtxyz",
        stdout=out,
    )
    assert out.getvalue().strip() == VECTORS[4]["payload"]


def test_accents_are_dropped_and_lengths_counted_in_characters():
    payload = brcode.make_static(key="+5511999990000", name="João Conceição", city="São Paulo", amount="10.5")
    decoded = brcode.parse(payload)
    assert (decoded["name"], decoded["city"], decoded["amount"], decoded["crc_ok"]) == (
        "Joao Conceicao",
        "Sao Paulo",
        "10.50",
        True,
    )


def test_a_changed_character_fails_the_crc():
    payload = VECTORS[0]["payload"].replace("Fulano", "Fulana")
    assert brcode.parse(payload)["crc_ok"] is False
    with pytest.raises(CommandError):
        call_command("pix", "inspect", payload, stdout=StringIO())


@pytest.mark.parametrize("bad", ["", "0002", "000201263", "00020126580014br.gov.bcb.pix"])
def test_malformed_payloads_are_refused(bad):
    with pytest.raises(brcode.BRCodeError):
        brcode.parse(bad)


def test_amount_must_be_positive_with_two_decimals():
    for amount in ("0", "-1", "1.234", "abc"):
        with pytest.raises(brcode.BRCodeError):
            brcode.make_static(key="k@x.com", name="N", city="C", amount=amount)
