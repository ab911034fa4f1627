"""Sicredi (748): carteira, nosso número yy+byte+sequence with DV, agência, posto, beneficiário, DV."""

from __future__ import annotations

from quita.banking.banks._common import digits, pick
from quita.banking.digits import mod11

CODE = "748"
NAME = "Sicredi"
LAYOUTS = (240, 400)
DEFAULT_CARTEIRA = "1"
NOSSO_NUMERO_WIDTH = 5


def _dv(number: str) -> str:
    return str(mod11(number, low=(0, 1), low_digit=0))


def nosso_numero_full(fields: dict) -> str:
    """yy (year of issue) + byte of generation + 5-digit sequence: 8 digits (without the DV)."""
    nosso = digits(pick(fields, "nosso_numero"), 8, "nosso_numero")
    raw = str(fields.get("nosso_numero") or "").strip()
    if len(raw) == 8:
        return nosso
    formatted = str(fields.get("nosso_numero_formatado") or "")
    year = formatted[:2] if formatted[:2].isdigit() else ""
    if not year:
        year = (str(fields.get("ano") or "") or str(fields.get("data_vencimento") or "")[2:4]).zfill(2)[-2:]
    byte = pick(fields, "byte_idt", required=False) or "2"
    return f"{year}{byte}{nosso[-5:]}"


def free_field(fields: dict) -> tuple[str, str]:
    agencia = digits(pick(fields, "agencia"), 4, "agencia")
    posto = digits(pick(fields, "posto"), 2, "posto")
    beneficiario = digits(
        pick(fields, "codigo_beneficiario", "convenio", "conta", label="codigo_beneficiario"), 5, "codigo_beneficiario"
    )
    carteira = digits(pick(fields, "carteira", required=False) or DEFAULT_CARTEIRA, 1, "carteira")
    nosso = nosso_numero_full(fields)
    dv = _dv(f"{agencia}{posto}{beneficiario}{nosso}")
    has_amount = "1" if str(fields.get("valor") or "0").strip("0.") else "0"
    body = f"{carteira}1{nosso}{dv}{agencia}{posto}{beneficiario}{has_amount}0"
    return body + _dv(body), f"{nosso[:2]}/{nosso[2:]}-{dv}"


def check_free_field(free: str) -> str | None:
    if _dv(free[:24]) != free[24]:
        return "Sicredi free field check digit is wrong"
    if _dv(free[11:15] + free[15:17] + free[17:22] + free[2:10]) != free[10]:
        return "Sicredi nosso número check digit is wrong"
    return None
