"""One module per bank: its code, name, layouts and the few functions that make its boleto differ.

Each module has `CODE`, `NAME`, `LAYOUTS` (CNAB layouts it accepts), `free_field(fields) -> (free_field,
nosso_numero_display)` over the `quita boleto make` vocabulary (strings), and `check_free_field(free) -> error | None`.
"""

from quita.banking.banks import banco_do_brasil, bradesco, caixa, itau, santander, sicoob, sicredi

BANKS = {module.CODE: module for module in (banco_do_brasil, santander, caixa, bradesco, itau, sicredi, sicoob)}

BANK_CHOICES = [(code, f"{code} {module.NAME}") for code, module in BANKS.items()]
