"""Hypothesis: make → inspect gives back amount and due date for every bank; one changed digit is always caught."""

import datetime
from decimal import Decimal

from hypothesis import event, given, settings
from hypothesis import strategies as st

from quita.banking import boleto

BANK_FIELDS = {
    "001": {"agencia": "1234", "conta": "56789", "convenio": "1234567", "carteira": "17"},
    "033": {"codigo_beneficiario": "3300123", "carteira": "101"},
    "104": {"codigo_beneficiario": "123456", "carteira": "14"},
    "237": {"agencia": "1234", "conta": "56789", "carteira": "09"},
    "341": {"agencia": "0057", "conta": "12345", "carteira": "109"},
    "748": {"agencia": "0165", "posto": "05", "codigo_beneficiario": "00623", "carteira": "1", "byte_idt": "2"},
    "756": {"agencia": "3007", "convenio": "229385", "carteira": "1", "modalidade": "01"},
}

amounts = st.integers(min_value=1, max_value=9_999_999_999).map(lambda cents: Decimal(cents) / 100)
dates = st.dates(min_value=datetime.date(2000, 7, 3), max_value=datetime.date(2049, 12, 31))


@settings(deadline=None, max_examples=300)
@given(
    bank=st.sampled_from(sorted(BANK_FIELDS)),
    amount=amounts,
    due=dates,
    nosso=st.integers(min_value=1, max_value=99999),
)
def test_make_then_inspect_round_trips(bank, amount, due, nosso):
    made = boleto.make(
        {
            **BANK_FIELDS[bank],
            "bank": bank,
            "valor": str(amount),
            "data_vencimento": due.isoformat(),
            "nosso_numero": str(nosso),
        }
    )
    for code in (made["barcode"], made["linha_digitavel"]):
        reading = boleto.read(code, today=due)
        assert reading.valid, reading.error
        assert Decimal(reading.amount) == amount
        assert reading.due_date == due.isoformat()
        assert reading.bank == bank


@settings(deadline=None, max_examples=300)
@given(
    bank=st.sampled_from(sorted(BANK_FIELDS)),
    amount=amounts,
    due=dates,
    position=st.integers(min_value=0, max_value=46),
    delta=st.integers(min_value=1, max_value=9),
)
def test_one_changed_digit_of_the_linha_is_detected(bank, amount, due, position, delta):
    made = boleto.make(
        {
            **BANK_FIELDS[bank],
            "bank": bank,
            "valor": str(amount),
            "data_vencimento": due.isoformat(),
            "nosso_numero": "42",
        }
    )
    linha = made["linha_digitavel_digits"]
    changed = linha[:position] + str((int(linha[position]) + delta) % 10) + linha[position + 1 :]
    reading = boleto.read(changed, today=due)
    _assert_detected_or_collapsed(reading, made["barcode"], boleto.barcode_from_linha(changed))


@settings(deadline=None, max_examples=300)
@given(
    bank=st.sampled_from(sorted(BANK_FIELDS)),
    amount=amounts,
    due=dates,
    position=st.integers(min_value=0, max_value=43),
    delta=st.integers(min_value=1, max_value=9),
)
def test_one_changed_digit_of_the_barcode_is_detected(bank, amount, due, position, delta):
    made = boleto.make(
        {
            **BANK_FIELDS[bank],
            "bank": bank,
            "valor": str(amount),
            "data_vencimento": due.isoformat(),
            "nosso_numero": "42",
        }
    )
    barcode = made["barcode"]
    changed = barcode[:position] + str((int(barcode[position]) + delta) % 10) + barcode[position + 1 :]
    reading = boleto.read(changed, today=due)
    _assert_detected_or_collapsed(reading, barcode, changed)


def _assert_detected_or_collapsed(reading, barcode, changed):
    """Detected, or the one blind spot of FEBRABAN's rule: DV 1 stands for remainders 0, 1 and 10 alike.

    The weighted sum mod 11 always moves when one digit changes (weights 2-9 and a change of 1-9 are never a
    multiple of 11); the general DV hides it only when both sums fall in {0, 1, 10}. Fields 1-3 of a linha
    digitável have their own modulo-10 digits, which catch every single change.
    """
    if not reading.valid:
        event("detected")
        return
    event("collapsed into DV 1")
    assert barcode[4] == "1"
    original = boleto.mod11_sum(barcode[:4] + barcode[5:]) % 11
    now = boleto.mod11_sum(changed[:4] + changed[5:]) % 11
    assert original != now
    assert {original, now} <= {0, 1, 10}


@given(st.text())
def test_only_digits_keeps_the_ascii_digits_in_order(text):
    """What the check-digit arithmetic and `int` can read: "²" or "٣" are digits to `str.isdigit`, not to them."""
    from quita.banking.digits import only_digits

    assert only_digits(text) == "".join(ch for ch in text if ch in "0123456789")
