"""What the banking cards on other apps' pages show: the staff's "Boleto and PIX" card of an invoice (the invoice page
and the invoice modal, one partial: banking/web/_invoice_banking.html) and the boletos of the portal's pay area."""

from __future__ import annotations

from django.utils import timezone

from quita.banking import selectors, services
from quita.banking.models import Boleto, BoletoStatus
from quita.banking.printing import qr_svg
from quita.billing.models import InvoiceStatus


def shown_boletos(boletos: list[Boleto]) -> list[Boleto]:
    """The boletos with the status a person should see (`shown_status`, its label) and when each is payable."""
    now = timezone.now()
    for boleto in boletos:
        boleto.shown_status = services.boleto_display_status(boleto, now=now)
        boleto.shown_status_label = BoletoStatus(boleto.shown_status).label
        boleto.payable_at = services.boleto_payable_at(boleto)
    return boletos


def invoice_banking_context(invoice, *, may_issue: bool, message: str = "", error: str = "") -> dict:
    """The invoice's "Boleto and PIX" card, one for the staff invoice page and the invoice modal: its boletos
    (status, linha digitável, print, PDF), its PIX, and the bank wallets an open invoice's boleto may come from
    (the contract's bank wallet first chosen). `message`/`error`: what the last issue did, shown in the card."""
    charge = selectors.invoice_pix_charge(invoice)
    issue_wallets, chosen_wallet = [], None
    if may_issue and invoice.status == InvoiceStatus.UNPAID:
        issue_wallets = list(selectors.entity_bank_wallets(invoice.entity_id))
        contract_wallet = services.invoice_wallet(invoice)
        chosen_wallet = contract_wallet.pk if contract_wallet is not None and contract_wallet in issue_wallets else None
    return {
        "invoice": invoice,
        "boletos": shown_boletos(selectors.invoice_boletos(invoice)),
        "charge": charge,
        "pix_qr": qr_svg(charge.payload, scale=3) if charge is not None else "",
        "may_issue": may_issue and invoice.status == InvoiceStatus.UNPAID,
        "issue_wallets": issue_wallets,
        "chosen_wallet": chosen_wallet,
        "message": message,
        "error": error,
    }
