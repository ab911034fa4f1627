"""Bradesco (237): agência, carteira, nosso número (11), conta (7), zero."""

from __future__ import annotations

from quita.banking.banks._common import digits, pick
from quita.banking.digits import mod11_sum

CODE = "237"
NAME = "Bradesco"
LAYOUTS = (400,)
DEFAULT_CARTEIRA = "06"
NOSSO_NUMERO_WIDTH = 11


def nosso_numero_dv(carteira: str, nosso: str) -> str:
    """Modulo 11 base 7 over carteira (2) + nosso número (11); remainder 1 gives 'P', 0 gives '0'."""
    remainder = mod11_sum(carteira + nosso, base=7) % 11
    if remainder == 0:
        return "0"
    if remainder == 1:
        return "P"
    return str(11 - remainder)


def free_field(fields: dict) -> tuple[str, str]:
    agencia = digits(pick(fields, "agencia"), 4, "agencia")
    carteira = digits(pick(fields, "carteira", required=False) or DEFAULT_CARTEIRA, 2, "carteira")
    nosso = digits(pick(fields, "nosso_numero"), 11, "nosso_numero")
    conta = digits(pick(fields, "conta", "codigo_beneficiario", label="conta"), 7, "conta")
    return f"{agencia}{carteira}{nosso}{conta}0", f"{carteira}/{nosso}-{nosso_numero_dv(carteira, nosso)}"


def check_free_field(free: str) -> str | None:
    if free[24] != "0":
        return "Bradesco free field must end in 0"
    return None
