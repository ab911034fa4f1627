"""Sicoob (756): carteira, cooperativa, modalidade, cliente (7), nosso número (7) + DV, parcela."""

from __future__ import annotations

from quita.banking.banks._common import digits, pick
from quita.banking.digits import mod11_sum

CODE = "756"
NAME = "Sicoob"
LAYOUTS = (240, 400)
DEFAULT_CARTEIRA = "1"
NOSSO_NUMERO_WIDTH = 7
WEIGHTS = (3, 1, 9, 7)


def nosso_numero_dv(*, agencia: str, cliente: str, nosso: str) -> str:
    """Weights 3,1,9,7 over cooperativa (4) + cliente (10) + nosso número (7); remainders 0 and 1 give 0."""
    remainder = mod11_sum(agencia + cliente.zfill(10) + nosso, weights=WEIGHTS) % 11
    return "0" if remainder in (0, 1) else str(11 - remainder)


def free_field(fields: dict) -> tuple[str, str]:
    carteira = digits(pick(fields, "carteira", required=False) or DEFAULT_CARTEIRA, 1, "carteira")
    agencia = digits(pick(fields, "agencia"), 4, "agencia")
    modalidade = digits(pick(fields, "modalidade", "variacao", required=False) or "01", 2, "modalidade")
    cliente = pick(fields, "codigo_beneficiario", "convenio", label="codigo_beneficiario")
    cliente = digits(cliente + str(fields.get("codigo_beneficiario_dv") or ""), 7, "codigo_beneficiario")
    nosso = digits(pick(fields, "nosso_numero"), 7, "nosso_numero")
    dv = nosso_numero_dv(agencia=agencia, cliente=cliente, nosso=nosso)
    parcela = digits(pick(fields, "parcela", required=False) or "1", 3, "parcela")
    return f"{carteira}{agencia}{modalidade}{cliente}{nosso}{dv}{parcela}", f"{nosso}-{dv}"


def check_free_field(free: str) -> str | None:
    if nosso_numero_dv(agencia=free[1:5], cliente=free[7:14], nosso=free[14:21]) != free[21]:
        return "Sicoob nosso número check digit is wrong"
    return None
