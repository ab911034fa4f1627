"""Helpers the bank modules share."""

from __future__ import annotations

from quita.banking.boleto import BoletoError
from quita.banking.digits import only_digits


def pick(fields: dict, *names: str, required: bool = True, label: str | None = None) -> str:
    """The first non-empty value among `names`; BoletoError when required and none is given."""
    for name in names:
        value = str(fields.get(name) or "").strip()
        if value:
            return value
    if required:
        raise BoletoError(f"{label or names[0]} is required for this bank", "boleto_field_required")
    return ""


def digits(value: str, width: int, name: str) -> str:
    """`value`'s digits left-padded to `width`; BoletoError when there are more."""
    text = only_digits(value)
    if str(value).strip() and not text:
        raise BoletoError(f"{name} {value!r} must be digits", "boleto_field_invalid")
    if len(text) > width:
        raise BoletoError(f"{name} {value!r} has more than {width} digits", "boleto_field_invalid")
    return text.zfill(width)
