"""Money and dates the way people read them: `R$ 1.234,56` and `15/02/2025` in pt-BR.

Written with Decimal and string operations only (never float); the language is the active one.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import formats, translation

from quita.core.money import round_money


def _grouped(digits: str, separator: str) -> str:
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return separator.join(groups)


def money_format(value, *, symbol: bool = True) -> str:
    """`R$ 1.234,56` (pt-BR) or `R$1,234.56` (English); negative as `-R$ 10,00`. Empty for None."""
    if value is None or value == "":
        return ""
    amount = round_money(value if isinstance(value, Decimal) else Decimal(str(value)))
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    portuguese = (translation.get_language() or "pt-br").lower().startswith("pt")
    if portuguese:
        text = f"{_grouped(units, '.')},{cents}"
        return f"{sign}R$ {text}" if symbol else f"{sign}{text}"
    text = f"{_grouped(units, ',')}.{cents}"
    return f"{sign}R${text}" if symbol else f"{sign}{text}"


def date_format(value: datetime.date | None) -> str:
    """`15/02/2025` in pt-BR (the locale's SHORT_DATE_FORMAT)."""
    if value is None:
        return ""
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def document_format(digits: str) -> str:
    """A CPF as 123.456.789-09 and a CNPJ as 12.345.678/0001-95; anything else unchanged."""
    if len(digits) == 11 and digits.isdigit():
        return f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"
    if len(digits) == 14 and digits.isdigit():
        return f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}/{digits[8:12]}-{digits[12:]}"
    return digits


def postal_code_format(digits: str) -> str:
    return f"{digits[:5]}-{digits[5:]}" if len(digits) == 8 and digits.isdigit() else digits
