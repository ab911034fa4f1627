"""Itaú (341): carteira, nosso número with its DAC, agência/conta with theirs (or the special carteiras' seu número)."""

from __future__ import annotations

from quita.banking.banks._common import digits, pick
from quita.banking.digits import mod10

CODE = "341"
NAME = "Itaú"
LAYOUTS = (400,)
DEFAULT_CARTEIRA = "175"
NOSSO_NUMERO_WIDTH = 8
# Carteiras whose free field carries seu número + client code instead of agência/conta.
SPECIAL_CARTEIRAS = {"106", "107", "122", "142", "143", "195", "196", "198"}
# Carteiras whose nosso número DAC leaves agência/conta out ("escriturais" and "direta").
SHORT_DAC_CARTEIRAS = {"126", "131", "146", "150", "168"}


def nosso_numero_dac(*, agencia: str, conta: str, carteira: str, nosso: str) -> str:
    """The nosso número's DAC (modulo 10). Carteira 112 follows the general rule (implementations disagree)."""
    if carteira in SHORT_DAC_CARTEIRAS:
        return str(mod10(carteira + nosso))
    return str(mod10(agencia + conta + carteira + nosso))


def free_field(fields: dict) -> tuple[str, str]:
    carteira = digits(pick(fields, "carteira", required=False) or DEFAULT_CARTEIRA, 3, "carteira")
    nosso = digits(pick(fields, "nosso_numero"), 8, "nosso_numero")
    if carteira in SPECIAL_CARTEIRAS:
        seu_numero = digits(pick(fields, "seu_numero"), 7, "seu_numero")
        cliente = digits(
            pick(fields, "codigo_cliente", "convenio", "codigo_beneficiario", label="codigo_cliente"),
            5,
            "codigo_cliente",
        )
        body = f"{carteira}{nosso}{seu_numero}{cliente}"
        return f"{body}{mod10(body)}0", f"{carteira}/{nosso}"
    agencia = digits(pick(fields, "agencia"), 4, "agencia")
    conta = digits(pick(fields, "conta", "codigo_beneficiario", label="conta"), 5, "conta")
    dac = nosso_numero_dac(agencia=agencia, conta=conta, carteira=carteira, nosso=nosso)
    return f"{carteira}{nosso}{dac}{agencia}{conta}{mod10(agencia + conta)}000", f"{carteira}/{nosso}-{dac}"


def check_free_field(free: str) -> str | None:
    carteira = free[0:3]
    if carteira in SPECIAL_CARTEIRAS:
        if mod10(free[:23]) != int(free[23]):
            return "Itaú free field check digit (DAC) is wrong"
        return None
    agencia, conta = free[12:16], free[16:21]
    if mod10(agencia + conta) != int(free[21]):
        return "Itaú agência/conta check digit (DAC) is wrong"
    if nosso_numero_dac(agencia=agencia, conta=conta, carteira=carteira, nosso=free[3:11]) != free[11]:
        return "Itaú nosso número check digit (DAC) is wrong"
    return None
