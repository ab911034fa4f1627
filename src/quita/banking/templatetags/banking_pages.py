"""Template tags other apps' pages use to show banking without knowing it: `{% invoice_banking invoice %}` on the staff
invoice page, `{% portal_pay_boleto_pix invoice %}` in the subscriber portal's pay area."""

from __future__ import annotations

from django import template
from django.utils import timezone

from quita.banking import selectors, services
from quita.banking.models import BoletoStatus, WalletKind
from quita.banking.printing import qr_svg

register = template.Library()


def _shown(boletos, now):
    for boleto in boletos:
        boleto.shown_status = services.boleto_display_status(boleto, now=now)
        boleto.shown_status_label = BoletoStatus(boleto.shown_status).label
        boleto.payable_at = services.boleto_payable_at(boleto)
    return boletos


@register.inclusion_tag("banking/web/_invoice_banking.html", takes_context=True)
def invoice_banking(context, invoice) -> dict:
    """The staff invoice page's "Boleto and PIX" card: its boletos (status, linha digitável, print, PDF), its PIX."""
    charge = selectors.invoice_pix_charge(invoice)
    can = context.get("can") or {}
    return {
        "invoice": invoice,
        "boletos": _shown(selectors.invoice_boletos(invoice), timezone.now()),
        "charge": charge,
        "pix_qr": qr_svg(charge.payload, scale=3) if charge is not None else "",
        "may_issue": bool(can.get("generate_invoices")),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("banking/portal/_pay.html", takes_context=True)
def portal_pay_boleto_pix(context, invoice) -> dict:
    """The portal pay area's boleto (with the bank choice) and PIX for an invoice of the logged-in subscriber."""
    wallet = services.invoice_wallet(invoice)
    banks = services.bank_choices(invoice, wallet=wallet)
    charge = selectors.invoice_pix_charge(invoice)
    return {
        "invoice": invoice,
        "chooser": wallet is not None and wallet.kind == WalletKind.INVOICE,
        "boletos": _shown(selectors.invoice_open_boletos(invoice), timezone.now()),
        "banks": banks,
        "charge": charge,
        "pix_qr": qr_svg(charge.payload, scale=4) if charge is not None else "",
        "pix_possible": charge is None and any(wallet.pix_key for wallet in banks),
        "csrf_token": context.get("csrf_token"),
    }
