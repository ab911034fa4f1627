"""Settling many boleto liquidations at once: the rows `payments.services.payment_apply` writes, in bulk.

A return file of 100,000 liquidations cannot afford eight queries per record (issue 4 asks for < 20 s), so a
chunk of liquidations locks its customers and invoices with two queries (in id order, as every other writer
does), decides in memory, and inserts the Payments, ledger lines and activity rows with one statement each.
Every row is the one `payment_apply` would write — `tests/banking/test_settlement.py` checks it field by
field against `payment_apply` itself — see docs/decisions/0021-bulk-settlement-of-return-files.md.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils.translation import gettext

from quita.billing.models import CreditType, Invoice, InvoiceStatus, Transaction, TransactionKind, TransactionSource
from quita.billing.services import INVOICE_FIELDS
from quita.core.activity import snapshot
from quita.core.models import ActivityAction, ActivityLog
from quita.customers.models import Customer
from quita.payments.models import Payment, PaymentStatus


@dataclass
class Settlement:
    """One liquidation to apply: the invoice, the money, and where it came from."""

    invoice_id: int
    amount: Decimal
    method: str
    reference: str
    received_on: datetime.date
    gateway: str
    external_id: str
    payment: Payment | None = None
    refused: str | None = None  # "void" or "paid": the invoice could not take it


def settle(settlements: list[Settlement], *, actor, now: datetime.datetime) -> None:
    """Lock the customers and invoices, then write each payment as `payment_apply` would (in list order)."""
    if not settlements:
        return
    invoice_ids = sorted({s.invoice_id for s in settlements})
    customer_ids = sorted(set(Invoice.objects.filter(pk__in=invoice_ids).values_list("customer_id", flat=True)))
    list(Customer.objects.select_for_update().filter(pk__in=customer_ids).order_by("pk").values_list("pk"))
    invoices = {inv.pk: inv for inv in Invoice.objects.select_for_update().filter(pk__in=invoice_ids).order_by("pk")}
    user = actor if actor is not None and actor.is_authenticated else None
    payments, lines, logs, changed = [], [], [], {}
    invoice_type = ContentType.objects.get_for_model(Invoice)
    for item in settlements:
        invoice = invoices[item.invoice_id]
        if invoice.status == InvoiceStatus.VOID:
            item.refused = "void"
            continue
        if invoice.status == InvoiceStatus.PAID:
            item.refused = "paid"
            continue
        applied = min(item.amount, invoice.balance)
        payment = Payment(
            entity_id=invoice.entity_id,
            customer_id=invoice.customer_id,
            invoice=invoice,
            amount=item.amount,
            method=item.method,
            reference=item.reference,
            status=PaymentStatus.SUCCEEDED,
            gateway=item.gateway,
            external_id=item.external_id,
            received_on=item.received_on,
            created_by=user,
            created_at=now,
        )
        payments.append(payment)
        item.payment = payment
        common = {
            "entity_id": invoice.entity_id,
            "customer_id": invoice.customer_id,
            "date": item.received_on,
            "source": TransactionSource.PAYMENT,
            "created_by": user,
            "created_at": now,
        }
        description = f"{payment.get_method_display()} {item.reference}".strip()
        if applied > 0:
            lines.append(
                Transaction(
                    kind=TransactionKind.PAYMENT,
                    title=gettext("Payment of invoice #%(number)s") % {"number": invoice.number},
                    description=description,
                    amount=-applied,
                    paid_invoice=invoice,
                    **common,
                )
            )
        excess = item.amount - applied
        if excess > 0:
            lines.append(
                Transaction(
                    kind=TransactionKind.CREDIT,
                    credit_type=CreditType.OVERPAYMENT,
                    title=gettext("Overpayment of invoice #%(number)s") % {"number": invoice.number},
                    description=description,
                    amount=-excess,
                    **common,
                )
            )
        before = snapshot(invoice, INVOICE_FIELDS)
        invoice.amount_paid += applied
        invoice.payment_method = item.method
        invoice.payment_reference = item.reference
        if invoice.amount_paid >= invoice.total:
            invoice.status = InvoiceStatus.PAID
            invoice.paid_at = now
        changed[invoice.pk] = invoice
        logs.append(
            (
                payment,
                ActivityLog(
                    entity_id=invoice.entity_id,
                    actor=user,
                    created_at=now,
                    action=ActivityAction.PAY,
                    content_type=invoice_type,
                    object_id=invoice.pk,
                    customer_id=invoice.customer_id,
                    summary=f"{invoice.number}: {item.amount:.2f} {item.method} {item.reference}"[:255],
                    before=before,
                    after=None,
                ),
                snapshot(invoice, INVOICE_FIELDS),
                applied,
                excess,
            )
        )
    Payment.objects.bulk_create(payments)
    Transaction.objects.bulk_create(lines)
    _update_invoices(list(changed.values()))
    for payment, log, after, applied, excess in logs:
        log.after = {**after, "payment": payment.pk, "applied": f"{applied:.2f}", "excess": f"{excess:.2f}"}
    ActivityLog.objects.bulk_create([entry[1] for entry in logs])


def _update_invoices(invoices: list[Invoice]) -> None:
    """Write the settled invoices: one UPDATE … FROM (VALUES …) on PostgreSQL (bulk_update's CASE grows with n²)."""
    fields = ["amount_paid", "payment_method", "payment_reference", "status", "paid_at"]
    if connection.vendor != "postgresql":
        Invoice.objects.bulk_update(invoices, fields, batch_size=500)
        return
    table = Invoice._meta.db_table
    for start in range(0, len(invoices), 1000):
        batch = invoices[start : start + 1000]
        values = ", ".join(["(%s, %s::numeric, %s, %s, %s, %s::timestamptz)"] * len(batch))
        params = []
        for invoice in batch:
            params += [
                invoice.pk,
                invoice.amount_paid,
                invoice.payment_method,
                invoice.payment_reference,
                invoice.status,
                invoice.paid_at,
            ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS i SET amount_paid = v.amount_paid, payment_method = v.payment_method, "
                f"payment_reference = v.payment_reference, status = v.status, paid_at = v.paid_at "
                f"FROM (VALUES {values}) AS v(id, amount_paid, payment_method, payment_reference, status, paid_at) "
                f"WHERE i.id = v.id",
                params,
            )
