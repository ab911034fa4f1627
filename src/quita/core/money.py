"""Money: one field, one rounding rule, one allocation function.

Every amount in Quita is a `Decimal` with two places. Rounding is ROUND_HALF_UP (the rule Brazilian
banks and the Receita use for centavos), applied only here. Every split goes through `allocate`, so
the parts always add up to the whole. Every amount shown to a person goes through `format_money`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_DIGITS = 14
# The first amount a MoneyField cannot hold (12 digits before the decimal point).
MAX_AMOUNT = Decimal(10) ** (MAX_DIGITS - 2)


class MoneyField(models.DecimalField):
    """A monetary amount: DecimalField(max_digits=14, decimal_places=2)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MAX_DIGITS)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        path = "quita.core.money.MoneyField"
        return name, path, args, kwargs


def round_money(value: Decimal) -> Decimal:
    """Round a Decimal to centavos, half up. The only rounding rule in Quita."""
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be Decimal, not {type(value).__name__}")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# Decimal's formatting groups with "," and marks the centavos with "."; pt-BR swaps the two.
_PORTUGUESE_SEPARATORS = str.maketrans({",": ".", ".": ","})


def format_money(value, *, language: str | None = None, symbol: bool = True) -> str:
    """An amount in reais as CLDR (ICU, Babel) writes BRL, rounded by `round_money`; "" for None or "".

    pt-BR: `R$\u00a01.234,56` (a no-break space after the symbol) and `-R$\u00a01.234,56`; English:
    `R$1,234.56` and `-R$1,234.56`. `language` defaults to the active one; any other than Portuguese is
    written as English. `symbol=False` leaves out the symbol (and its space), keeping the sign.
    """
    if value is None or value == "":
        return ""
    amount = round_money(value if isinstance(value, Decimal) else Decimal(str(value)))
    text = f"{abs(amount):,.2f}"  # exact: Decimal's own formatting, never a float
    language = (language or translation.get_language() or "pt-br").lower()
    portuguese = language.startswith("pt")
    if portuguese:
        text = text.translate(_PORTUGUESE_SEPARATORS)
    if symbol:
        text = f"R$\u00a0{text}" if portuguese else f"R${text}"
    return f"-{text}" if amount < 0 else text


def parse_money(value: object) -> Decimal:
    """Read an amount given as a string, int or Decimal with at most two decimals; floats are refused.

    Raises ValueError with a short reason (`float`, `invalid`, `too_large`, `too_many_decimals`).
    """
    if isinstance(value, bool | float):
        raise ValueError("float")
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise ValueError("invalid") from None
    if not amount.is_finite():
        raise ValueError("invalid")
    if abs(amount) >= MAX_AMOUNT:
        raise ValueError("too_large")
    if amount != amount.quantize(CENT, rounding=ROUND_DOWN):
        raise ValueError("too_many_decimals")
    return amount.quantize(CENT)


# parse_money's reasons as the stable error codes of the API and the services.
INPUT_ERROR_CODES = {
    "float": "amount_is_float",
    "invalid": "amount_invalid",
    "too_large": "amount_too_large",
    "too_many_decimals": "amount_too_many_decimals",
}
_INPUT_ERROR_MESSAGES = {
    "amount_is_float": _('Send the amount as a string ("95.00"), not as a floating-point number.'),
    "amount_invalid": _("The amount is not a number."),
    "amount_too_large": _("The amount is too large."),
    "amount_too_many_decimals": _("The amount has more than two decimals."),
    "amount_not_positive": _("The amount must be greater than zero."),
    "negative_price": _("The price cannot be negative."),
}


def money_input(value: object, *, field: str = "amount", sign: str | None = None) -> Decimal:
    """An amount typed by a person or sent by a client, checked by the rules every entry point shares.

    `sign` is None (any), "positive" (> 0, code `amount_not_positive`) or "not_negative" (>= 0, code
    `negative_price`). Raises ValidationFailed with the field named, so the API, the web UI and the CLI
    give the same code and message.
    """
    from quita.core.errors import ValidationFailed

    try:
        amount = parse_money(value)
    except ValueError as error:
        code = INPUT_ERROR_CODES.get(str(error), "amount_invalid")
        message = _INPUT_ERROR_MESSAGES[code]
        raise ValidationFailed(message, code=code, fields={field: [message]}) from None
    if (sign == "positive" and amount <= 0) or (sign == "not_negative" and amount < 0):
        code = "amount_not_positive" if sign == "positive" else "negative_price"
        raise ValidationFailed(_INPUT_ERROR_MESSAGES[code], code=code, fields={field: [_INPUT_ERROR_MESSAGES[code]]})
    return amount


def allocate(total: Decimal, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """Split `total` in proportion to `weights` so that the parts add up to `total` exactly.

    Largest-remainder method on centavos: each part gets its floor, and the centavos left over go,
    one each, to the parts with the largest remainders (ties to the earliest part). Negative totals
    are split as the mirror of the positive split.
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    weights = [Decimal(w) for w in weights]
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    if total < 0:
        return [-part for part in allocate(-total, weights)]
    cents = int((round_money(total) / CENT).to_integral_value())
    raw = [Decimal(cents) * w / weight_sum for w in weights]
    floors = [int(r.to_integral_value(rounding=ROUND_DOWN)) for r in raw]
    left = cents - sum(floors)
    by_remainder = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return [Decimal(c) * CENT for c in floors]


def prorate(amount: Decimal, days_used: int, days_in_period: int) -> Decimal:
    """The share of `amount` for `days_used` out of `days_in_period`, rounded half up to centavos."""
    if days_in_period <= 0 or not 0 <= days_used <= days_in_period:
        raise ValueError("days_used must be within the period")
    if days_used == days_in_period:
        return round_money(amount)
    return round_money(amount * days_used / days_in_period)
