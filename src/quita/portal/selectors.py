"""What a subscriber may see: only the invoices, lines and payments of the customers linked to their account."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, QuerySet, Sum

from quita.billing.models import Invoice, InvoiceStatus, Transaction
from quita.core.money import ZERO
from quita.portal.models import SubscriberAccount


def portal_customer_ids(account: SubscriberAccount) -> list[int]:
    return list(account.customers.values_list("pk", flat=True))


def portal_invoices(customer_ids: list[int], *, status: str = "open") -> QuerySet[Invoice]:
    """`open` (unpaid, oldest due first), `paid` (newest first) or `all` (not void, newest first)."""
    invoices = Invoice.objects.filter(customer_id__in=customer_ids).select_related("entity")
    if status == "open":
        return invoices.filter(status=InvoiceStatus.UNPAID).order_by("due_date", "id")
    if status == "paid":
        return invoices.filter(status=InvoiceStatus.PAID).order_by("-issue_date", "-id")
    return invoices.exclude(status=InvoiceStatus.VOID).order_by("-issue_date", "-id")


def portal_invoice(customer_ids: list[int], invoice_id: int) -> Invoice | None:
    """One invoice of the subscriber's customers (void ones too: a link may point at one), else None."""
    return (
        Invoice.objects.filter(pk=invoice_id, customer_id__in=customer_ids)
        .select_related("entity", "customer", "category")
        .first()
    )


def portal_open_balance(customer_ids: list[int]) -> Decimal:
    row = Invoice.objects.filter(customer_id__in=customer_ids, status=InvoiceStatus.UNPAID).aggregate(
        open=Sum(F("total") - F("amount_paid"))
    )
    return row["open"] or ZERO


def portal_transactions(customer_ids: list[int]) -> QuerySet[Transaction]:
    """The ledger as the subscriber sees it: every non-void line, newest first, with its invoice."""
    return (
        Transaction.objects.filter(customer_id__in=customer_ids, is_void=False)
        .select_related("invoice", "paid_invoice")
        .order_by("-date", "-id")
    )
