"""Caixa (104), SIGCB: beneficiário + DV, the 17-digit nosso número split around its two constants, a DV."""

from __future__ import annotations

from quita.banking.banks._common import digits, pick
from quita.banking.digits import mod11

CODE = "104"
NAME = "Caixa Econômica Federal"
LAYOUTS = (240,)
DEFAULT_CARTEIRA = "14"
NOSSO_NUMERO_WIDTH = 15


def _dv(number: str) -> str:
    return str(mod11(number, low=(0, 1), low_digit=0))


def nosso_numero_full(fields: dict) -> str:
    """The 17 digits: modality (1 registered / 2 not), 4 (issued by the beneficiary), then 15 digits."""
    carteira = (pick(fields, "carteira", required=False) or DEFAULT_CARTEIRA).upper().replace("SIG", "").strip()
    prefix = "24" if carteira.startswith("2") else "14"
    nosso = digits(pick(fields, "nosso_numero", "nosso_numero_formatado", label="nosso_numero"), 17, "nosso_numero")
    if nosso[:2] in ("14", "24") and nosso.lstrip("0") == nosso:
        return nosso
    return prefix + nosso[-15:]


def free_field(fields: dict) -> tuple[str, str]:
    beneficiario = digits(
        pick(fields, "codigo_beneficiario", "convenio", label="codigo_beneficiario"), 6, "codigo_beneficiario"
    )
    beneficiario_dv = pick(fields, "codigo_beneficiario_dv", required=False) or _dv(beneficiario)
    nosso = nosso_numero_full(fields)
    body = f"{beneficiario}{beneficiario_dv}{nosso[2:5]}{nosso[0]}{nosso[5:8]}{nosso[1]}{nosso[8:17]}"
    return body + _dv(body), f"{nosso}-{_dv(nosso)}"


def check_free_field(free: str) -> str | None:
    if _dv(free[:24]) != free[24]:
        return "Caixa free field check digit is wrong"
    return None
