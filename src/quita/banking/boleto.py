"""FEBRABAN boleto arithmetic: due-date factor, 44-digit barcode, 47-digit linha digitável, and their reading.

The bank-specific part (the 25-digit free field and the nosso número check digit) lives in `banks/`.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from quita.banking.digits import mod10, mod11_sum, only_digits

FACTOR_BASE = datetime.date(1997, 10, 7)
# The factor reached 9999 on 2025-02-21 and restarted at 1000 on 2025-02-22 (FEBRABAN); it cycles every 9000 days.
FACTOR_CYCLE = 9000
# Decoding a factor: the date inside [today - 3000 days, today + 6000 days) — one whole cycle, so every factor
# maps to exactly one date; old boletos (more than ~8 years overdue) need an explicit `today`.
WINDOW_BEFORE = 3000
MAX_AMOUNT = Decimal("99999999.99")
CENT = Decimal("0.01")


class BoletoError(ValueError):
    """A boleto cannot be built or read; `code` is stable, the message says why."""

    def __init__(self, message: str, code: str = "boleto_invalid"):
        super().__init__(message)
        self.code = code


def due_factor(due: datetime.date) -> int:
    """The 4-digit due-date factor, restarting at 1000 after 9999 (2025-02-22 is 1000 again)."""
    days = (due - FACTOR_BASE).days
    if days < 1000:
        raise BoletoError(f"due date {due} is before the first factor (1000, 2000-07-03)", "boleto_due_date")
    return (days - 1000) % FACTOR_CYCLE + 1000


def factor_date(factor: int, *, today: datetime.date) -> datetime.date | None:
    """The due date a factor stands for: the one inside the window around `today`; None for factor 0 (no due)."""
    if factor == 0:
        return None
    if not 1000 <= factor <= 9999:
        raise BoletoError(f"due factor {factor} is out of range", "boleto_due_factor")
    start = today - datetime.timedelta(days=WINDOW_BEFORE)
    start_days = (start - FACTOR_BASE).days
    # smallest days >= start_days with (days - 1000) % 9000 == factor - 1000
    offset = (factor - 1000 - (start_days - 1000)) % FACTOR_CYCLE
    return FACTOR_BASE + datetime.timedelta(days=start_days + offset)


def amount_field(amount: Decimal) -> str:
    """The amount in cents, 10 digits."""
    if amount < 0 or amount > MAX_AMOUNT:
        raise BoletoError(f"amount {amount} is out of range (0 to {MAX_AMOUNT})", "boleto_amount")
    cents = int((amount.quantize(CENT, rounding=ROUND_HALF_UP)) * 100)
    return f"{cents:010d}"


def parse_amount(value) -> Decimal:
    """`valor` as a Decimal with two places; a JSON number is read through its text, never as a float."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise BoletoError(f"valor {value!r} is not a number", "boleto_amount") from error
    if amount != amount.quantize(CENT):
        raise BoletoError(f"valor {value!r} has more than two decimal places", "boleto_amount")
    return amount.quantize(CENT)


def barcode_check_digit(barcode43: str) -> int:
    """The general check digit (position 5): modulo 11, weights 2-9; 0, 10 and 11 become 1."""
    digit = 11 - mod11_sum(barcode43) % 11
    return 1 if digit in (0, 10, 11) else digit


def build_barcode(*, bank: str, amount: Decimal, due: datetime.date | None, free_field: str) -> str:
    """The 44-digit barcode: bank, currency 9, check digit, factor, amount, free field."""
    if len(free_field) != 25 or not free_field.isdigit():
        raise BoletoError(f"free field {free_field!r} must have 25 digits", "boleto_free_field")
    factor = "0000" if due is None else f"{due_factor(due):04d}"
    body = f"{bank}9{factor}{amount_field(amount)}{free_field}"
    return body[:4] + str(barcode_check_digit(body)) + body[4:]


def linha_from_barcode(barcode: str) -> str:
    """The 47-digit linha digitável of a barcode, without punctuation."""
    field1 = barcode[0:4] + barcode[19:24]
    field2 = barcode[24:34]
    field3 = barcode[34:44]
    return (
        field1
        + str(mod10(field1))
        + field2
        + str(mod10(field2))
        + field3
        + str(mod10(field3))
        + barcode[4]
        + barcode[5:19]
    )


def format_linha(linha: str) -> str:
    """`00190.00009 01238.798977 77700.168188 3 37690000013500`."""
    parts = (linha[0:5], linha[5:10], linha[10:15], linha[15:21], linha[21:26], linha[26:32], linha[32], linha[33:])
    return "{}.{} {}.{} {}.{} {} {}".format(*parts)


def barcode_from_linha(linha: str) -> str:
    """The barcode a 47-digit linha digitável stands for (check digits of the fields not verified here)."""
    return linha[0:4] + linha[32] + linha[33:47] + linha[4:9] + linha[10:20] + linha[21:31]


@dataclass
class BoletoReading:
    """What `inspect` found in a barcode or linha digitável."""

    valid: bool
    error: str | None
    bank: str | None = None
    amount: str | None = None
    due_date: str | None = None
    barcode: str | None = None
    linha_digitavel: str | None = None
    free_field: str | None = None
    due_factor: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def read(code: str, *, today: datetime.date) -> BoletoReading:
    """Read a barcode (44 digits) or a linha digitável (47 digits, punctuation allowed) and check every digit."""
    digits = only_digits(code)
    if len(digits) == 47:
        linha = digits
        for start, end in ((0, 9), (10, 20), (21, 31)):
            if mod10(linha[start:end]) != int(linha[end]):
                number = {0: 1, 10: 2, 21: 3}[start]
                return BoletoReading(False, f"check digit of field {number} of the linha digitável is wrong")
        barcode = barcode_from_linha(linha)
    elif len(digits) == 44:
        barcode = digits
    else:
        return BoletoReading(False, f"expected 44 digits (barcode) or 47 (linha digitável), got {len(digits)}")
    if barcode[3] != "9":
        return BoletoReading(False, "currency code must be 9 (real)")
    if barcode_check_digit(barcode[:4] + barcode[5:]) != int(barcode[4]):
        return BoletoReading(False, "general check digit (mod 11) is wrong")
    factor = int(barcode[5:9])
    try:
        due = factor_date(factor, today=today)
    except BoletoError as error:
        return BoletoReading(False, str(error))
    free_field = barcode[19:44]
    from quita.banking.banks import BANKS

    module = BANKS.get(barcode[0:3])
    if module is not None:
        problem = module.check_free_field(free_field)
        if problem:
            return BoletoReading(False, problem, bank=barcode[0:3], barcode=barcode)
    return BoletoReading(
        valid=True,
        error=None,
        bank=barcode[0:3],
        amount=f"{Decimal(int(barcode[9:19])) / 100:.2f}",
        due_date=due.isoformat() if due else None,
        barcode=barcode,
        linha_digitavel=format_linha(linha_from_barcode(barcode)),
        free_field=free_field,
        due_factor=factor,
    )


def make(fields: dict) -> dict:
    """Build a boleto from the vocabulary of `quita boleto make` (bank, agencia, conta, nosso_numero, valor, …)."""
    from quita.banking.banks import BANKS

    bank = str(fields.get("bank", "")).zfill(3)
    module = BANKS.get(bank)
    if module is None:
        raise BoletoError(f"bank {bank!r} is not supported (one of {', '.join(sorted(BANKS))})", "boleto_bank")
    amount = parse_amount(fields.get("valor", "0"))
    due_text = fields.get("data_vencimento")
    try:
        due = datetime.date.fromisoformat(str(due_text)) if due_text else None
    except ValueError as error:
        raise BoletoError(f"data_vencimento {due_text!r} is not a date (YYYY-MM-DD)", "boleto_due_date") from error
    data = {key: ("" if value is None else str(value)) for key, value in fields.items()}
    free, nosso_display = module.free_field(data)
    barcode = build_barcode(bank=bank, amount=amount, due=due, free_field=free)
    linha = linha_from_barcode(barcode)
    return {
        "bank": bank,
        "bank_name": module.NAME,
        "amount": f"{amount:.2f}",
        "due_date": due.isoformat() if due else None,
        "nosso_numero": nosso_display,
        "free_field": free,
        "barcode": barcode,
        "linha_digitavel": format_linha(linha),
        "linha_digitavel_digits": linha,
    }
