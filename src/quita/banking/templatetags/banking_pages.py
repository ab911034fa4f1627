"""Template tags other apps' pages use to show banking without knowing it: `{% invoice_banking invoice %}` on the staff
invoice page and in the invoice modal, `{% portal_pay_boleto_pix invoice %}` in the subscriber portal's pay area."""

from __future__ import annotations

from django import template

from quita.banking import selectors, services
from quita.banking.cards import invoice_banking_context, shown_boletos
from quita.banking.models import WalletKind
from quita.banking.printing import qr_svg

register = template.Library()


@register.inclusion_tag("banking/web/_invoice_banking.html", takes_context=True)
def invoice_banking(context, invoice) -> dict:
    """The staff's "Boleto and PIX" card of an invoice (cards.invoice_banking_context), on its page and in its modal."""
    can = context.get("can") or {}
    return {
        **invoice_banking_context(invoice, may_issue=bool(can.get("generate_invoices"))),
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
        "boletos": shown_boletos(selectors.invoice_open_boletos(invoice)),
        "banks": banks,
        "charge": charge,
        "pix_qr": qr_svg(charge.payload, scale=4) if charge is not None else "",
        "pix_possible": charge is None and any(wallet.pix_key for wallet in banks),
        "csrf_token": context.get("csrf_token"),
    }
