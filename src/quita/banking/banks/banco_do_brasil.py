"""Banco do Brasil (001): free field by convênio length (4, 6, 7 or 8 digits)."""

from __future__ import annotations

from quita.banking.banks._common import digits, pick
from quita.banking.boleto import BoletoError

CODE = "001"
NAME = "Banco do Brasil"
LAYOUTS = (240, 400)
DEFAULT_CARTEIRA = "18"
NOSSO_NUMERO_WIDTH = 10  # the sequence part for convênios of 7 digits (the common case today)


def nosso_numero_full(fields: dict) -> tuple[str, str]:
    """(convênio, full nosso número) — 17 digits for 7-digit convênios, 9+8 for 8, 5 or 7 for 6/4."""
    convenio = pick(fields, "convenio", "codigo_beneficiario", label="convenio")
    convenio = digits(convenio, 8, "convenio").lstrip("0") or "0"
    nosso = pick(fields, "nosso_numero", "nosso_numero_formatado", label="nosso_numero")
    return convenio, digits(nosso, 17, "nosso_numero")


def free_field(fields: dict) -> tuple[str, str]:
    convenio, nosso = nosso_numero_full(fields)
    carteira = digits(pick(fields, "carteira", required=False) or DEFAULT_CARTEIRA, 2, "carteira")
    size = len(convenio)
    if size == 8:
        number = nosso[-9:]
        if nosso[:-9].strip("0"):
            raise BoletoError("nosso_numero has more than 9 digits for an 8-digit convênio", "boleto_field_invalid")
        return f"000000{convenio}{number}{carteira}", convenio + number
    if size == 7:
        given = pick(fields, "nosso_numero", "nosso_numero_formatado")
        if len(given) == 17:  # already convênio + sequence, as the bank prints it
            return f"000000{nosso}{carteira}", nosso
        if nosso[:-10].strip("0"):
            raise BoletoError("nosso_numero has more than 10 digits for a 7-digit convênio", "boleto_field_invalid")
        number = nosso[-10:]
        return f"000000{convenio}{number}{carteira}", convenio + number
    if size in (5, 6):
        conv6 = convenio.zfill(6)
        agencia = digits(pick(fields, "agencia"), 4, "agencia")
        conta = digits(pick(fields, "conta", "codigo_beneficiario"), 8, "conta")
        number = nosso[-5:]
        if nosso[:-5].strip("0"):
            raise BoletoError("nosso_numero has more than 5 digits for a 6-digit convênio", "boleto_field_invalid")
        return f"{conv6}{number}{agencia}{conta}{carteira}", conv6 + number
    conv4 = convenio.zfill(4)
    agencia = digits(pick(fields, "agencia"), 4, "agencia")
    conta = digits(pick(fields, "conta"), 8, "conta")
    number = nosso[-7:]
    if nosso[:-7].strip("0"):
        raise BoletoError("nosso_numero has more than 7 digits for a 4-digit convênio", "boleto_field_invalid")
    return f"{conv4}{number}{agencia}{conta}{carteira}", conv4 + number


def check_free_field(free: str) -> str | None:
    return None
