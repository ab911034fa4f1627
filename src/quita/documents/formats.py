"""Money and dates the way people read them: `R$ 1.234,56` and `15/02/2025` in pt-BR.

Money is `quita.core.money.format_money` (the one BRL format, shared with the staff UI); the language is the
active one.
"""

from __future__ import annotations

import datetime

from django.utils import formats

from quita.core.money import format_money


def money_format(value, *, symbol: bool = True) -> str:
    """`R$\u00a01.234,56` (pt-BR) or `R$1,234.56` (English) in the active language: `core.money.format_money`."""
    return format_money(value, symbol=symbol)


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
