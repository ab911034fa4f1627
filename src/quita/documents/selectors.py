"""What an invoice document shows, gathered in a few queries: shared by the PDF, the e-mail and the portal."""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Callable

from django.conf import settings
from django.utils.safestring import SafeString

from quita.billing.models import Invoice, InvoiceStatus, Transaction
from quita.core.selectors import entity_today
from quita.documents.models import EntityBranding
from quita.payments.models import Payment, PaymentStatus

# Hooks that add a payment block (boleto, PIX...) to an invoice: each is called as
# `hook(invoice, purpose=...)` with purpose "pdf", "email" or "portal" and returns safe HTML or None.
# Apps register them in their AppConfig.ready() with `payment_block_register`. See docs/architecture.md.
_PAYMENT_BLOCK_HOOKS: list[Callable[..., SafeString | None]] = []


def payment_block_register(hook: Callable[..., SafeString | None]) -> None:
    """Add a payment block provider (idempotent: registering the same function twice keeps one)."""
    if hook not in _PAYMENT_BLOCK_HOOKS:
        _PAYMENT_BLOCK_HOOKS.append(hook)


def payment_block_unregister(hook: Callable[..., SafeString | None]) -> None:
    if hook in _PAYMENT_BLOCK_HOOKS:
        _PAYMENT_BLOCK_HOOKS.remove(hook)


def payment_blocks(invoice: Invoice, *, purpose: str) -> list[SafeString]:
    """The HTML blocks the registered hooks give for this invoice (only while it is unpaid)."""
    if invoice.status != InvoiceStatus.UNPAID:
        return []
    blocks = []
    for hook in _PAYMENT_BLOCK_HOOKS:
        block = hook(invoice, purpose=purpose)
        if block:
            blocks.append(block)
    return blocks


def branding_for(entity) -> EntityBranding:
    """The entity's branding row, or an unsaved one with the defaults."""
    try:
        return entity.branding
    except EntityBranding.DoesNotExist:
        return EntityBranding(entity=entity)


def logo_data_uri(branding: EntityBranding) -> str:
    """The logo as a data: URI (documents never fetch files or URLs while rendering), or ''."""
    if not branding.logo:
        return ""
    try:
        with branding.logo.open("rb") as handle:
            content = handle.read()
    except OSError:
        return ""
    kind = mimetypes.guess_type(branding.logo.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(content).decode('ascii')}"


def portal_invoice_url(invoice: Invoice) -> str:
    """The absolute address of the invoice in the subscriber portal (the e-mail's pay link)."""
    return f"{settings.QUITA_BASE_URL.rstrip('/')}/portal/invoices/{invoice.pk}/"


def invoice_for_document(invoice_id: int) -> Invoice:
    return Invoice.objects.select_related("entity", "customer", "category", "entity__branding").get(pk=invoice_id)


def invoice_document_context(invoice: Invoice, *, purpose: str = "pdf") -> dict:
    """Everything the invoice templates use: the invoice, its lines, payments, the entity's branding."""
    branding = branding_for(invoice.entity)
    lines = list(Transaction.objects.filter(invoice=invoice).select_related("category").order_by("date", "id"))
    # Money received only: a declined card attempt or one waiting for 3-D Secure is a Payment row too.
    payments = list(
        Payment.objects.filter(invoice=invoice, status=PaymentStatus.SUCCEEDED).order_by("received_on", "id")
    )
    today = entity_today(invoice.entity)
    return {
        "invoice": invoice,
        "entity": invoice.entity,
        "customer": invoice.customer,
        "branding": branding,
        "logo": logo_data_uri(branding) if purpose == "pdf" else "",
        "lines": lines,
        "payments": payments,
        "balance": invoice.balance,
        "is_overdue": invoice.status == InvoiceStatus.UNPAID and invoice.due_date < today,
        "payment_blocks": payment_blocks(invoice, purpose=purpose),
        "pay_url": portal_invoice_url(invoice),
        "purpose": purpose,
    }
