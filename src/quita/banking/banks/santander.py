"""Santander (033): 9, código do beneficiário (7), nosso número (12) + DV, IOF, carteira (3)."""

from __future__ import annotations

from quita.banking.banks._common import digits, pick
from quita.banking.digits import mod11

CODE = "033"
NAME = "Santander"
LAYOUTS = (240, 400)
DEFAULT_CARTEIRA = "101"
NOSSO_NUMERO_WIDTH = 12


def nosso_numero_dv(nosso: str) -> str:
    """Modulo 11, weights 2-9; remainders 0 and 1 give 0, 10 gives 1 (as 11 - 1)."""
    return str(mod11(nosso, low=(0, 1), low_digit=0))


def free_field(fields: dict) -> tuple[str, str]:
    beneficiario = digits(
        pick(fields, "codigo_beneficiario", "convenio", label="codigo_beneficiario"), 7, "codigo_beneficiario"
    )
    nosso = digits(pick(fields, "nosso_numero"), 12, "nosso_numero")
    dv = nosso_numero_dv(nosso)
    iof = digits(pick(fields, "iof", required=False) or "0", 1, "iof")
    carteira = digits(pick(fields, "carteira", required=False) or DEFAULT_CARTEIRA, 3, "carteira")
    return f"9{beneficiario}{nosso}{dv}{iof}{carteira}", f"{nosso}-{dv}"


def check_free_field(free: str) -> str | None:
    if free[0] != "9":
        return "Santander free field must start with 9"
    if nosso_numero_dv(free[8:20]) != free[20]:
        return "Santander nosso número check digit is wrong"
    return None
