"""Settling many boleto liquidations at once: the rows `payments.services.payment_apply` writes, in bulk.

A return file of 100,000 liquidations cannot afford eight queries and a dozen model instances per record
(issue 4 asks for < 20 s), so a chunk of liquidations locks its customers and invoices with two queries (in
id order, as every other writer does), decides in memory, and inserts the Payments, ledger lines and activity
rows with one COPY each (`bulk.insert_rows`). Every row is the one `payment_apply` would write —
`tests/banking/test_settlement.py` compares them field by field — see docs/decisions/0021.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext

from quita.banking.bulk import any_of, insert_rows, update_rows
from quita.billing.models import CreditType, Invoice, InvoiceStatus, Transaction, TransactionKind, TransactionSource
from quita.billing.services import INVOICE_FIELDS
from quita.core.activity import _plain
from quita.core.models import ActivityAction, ActivityLog
from quita.customers.models import Customer
from quita.payments.models import Payment, PaymentMethodKind, PaymentStatus

ZERO = Decimal("0.00")
# INVOICE_FIELDS by database attribute (category → category_id), as `core.activity.snapshot` reads them.
INVOICE_ATTNAMES = {name: Invoice._meta.get_field(name).attname for name in INVOICE_FIELDS}


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
    payment_id: int | None = None
    refused: str | None = None  # "void" or "paid": the invoice could not take it


def _snapshot(invoice: dict) -> dict:
    return {name: _plain(invoice[attname]) for name, attname in INVOICE_ATTNAMES.items()}


def settle(settlements: list[Settlement], *, actor, now: datetime.datetime) -> None:
    """Lock the customers and invoices, then write each payment as `payment_apply` would (in list order)."""
    if not settlements:
        return
    invoice_ids = sorted({s.invoice_id for s in settlements})
    customer_ids = sorted(set(Invoice.objects.filter(pk__in=any_of(invoice_ids)).values_list("customer_id", flat=True)))
    list(Customer.objects.select_for_update().filter(pk__in=any_of(customer_ids)).order_by("pk").values_list("pk"))
    columns = sorted(
        {"id", "entity_id", "customer_id", "paid_at", "payment_method", "payment_reference", *INVOICE_ATTNAMES.values()}
    )
    invoices = {
        row["id"]: row
        for row in Invoice.objects.select_for_update()
        .filter(pk__in=any_of(invoice_ids))
        .order_by("pk")
        .values(*columns)
    }
    user_id = actor.pk if actor is not None and actor.is_authenticated else None
    invoice_type = ContentType.objects.get_for_model(Invoice).pk
    payment_title = gettext("Payment of invoice #%(number)s")
    overpayment_title = gettext("Overpayment of invoice #%(number)s")
    labels = {kind.value: str(kind.label) for kind in PaymentMethodKind}
    succeeded = PaymentStatus.SUCCEEDED.value
    paid, void = InvoiceStatus.PAID.value, InvoiceStatus.VOID.value
    snapshots: dict[int, dict] = {}  # each invoice's INVOICE_FIELDS as JSON values, kept current as payments apply
    payments, lines, logs, changed, applied_items = [], [], [], {}, []
    for item in settlements:
        invoice = invoices[item.invoice_id]
        if invoice["status"] == void:
            item.refused = "void"
            continue
        if invoice["status"] == paid:
            item.refused = "paid"
            continue
        balance = max(invoice["total"] - invoice["amount_paid"], ZERO)
        applied = max(min(item.amount, balance), ZERO)
        payments.append(
            {
                "entity_id": invoice["entity_id"],
                "customer_id": invoice["customer_id"],
                "invoice_id": invoice["id"],
                "amount": item.amount,
                "applied_amount": applied,
                "method": item.method,
                "reference": item.reference,
                "status": succeeded,
                "gateway": item.gateway,
                "external_id": item.external_id,
                "received_on": item.received_on,
                "created_by_id": user_id,
                "created_at": now,
            }
        )
        applied_items.append(item)
        description = f"{labels[item.method]} {item.reference}".strip()
        if applied > 0:
            lines.append(
                _line(
                    invoice,
                    item,
                    user_id,
                    now,
                    kind=TransactionKind.PAYMENT.value,
                    credit_type="",
                    title=payment_title % {"number": invoice["number"]},
                    description=description,
                    amount=-applied,
                    paid_invoice_id=invoice["id"],
                )
            )
        excess = item.amount - applied
        if excess > 0:
            lines.append(
                _line(
                    invoice,
                    item,
                    user_id,
                    now,
                    kind=TransactionKind.CREDIT.value,
                    credit_type=CreditType.OVERPAYMENT.value,
                    title=overpayment_title % {"number": invoice["number"]},
                    description=description,
                    amount=-excess,
                    paid_invoice_id=None,
                )
            )
        before = snapshots.get(invoice["id"]) or _snapshot(invoice)
        invoice["amount_paid"] += applied
        invoice["payment_method"] = item.method
        invoice["payment_reference"] = item.reference
        if invoice["amount_paid"] >= invoice["total"]:
            invoice["status"] = paid
            invoice["paid_at"] = now
        # Of INVOICE_FIELDS a payment changes only these two; the rest of the snapshot is carried over.
        after = {**before, "status": invoice["status"], "amount_paid": _plain(invoice["amount_paid"])}
        snapshots[invoice["id"]] = after
        changed[invoice["id"]] = invoice
        logs.append(
            (
                {
                    "entity_id": invoice["entity_id"],
                    "actor_id": user_id,
                    "created_at": now,
                    "action": ActivityAction.PAY.value,
                    "content_type_id": invoice_type,
                    "object_id": invoice["id"],
                    "customer_id": invoice["customer_id"],
                    "summary": f"{invoice['number']}: {item.amount:.2f} {item.method} {item.reference}"[:255],
                    "before": before,
                    "after": None,
                },
                after,
                applied,
                excess,
            )
        )
    payment_ids = insert_rows(Payment, payments)
    for item, payment_id in zip(applied_items, payment_ids, strict=True):
        item.payment_id = payment_id
    insert_rows(Transaction, lines, returning_ids=False)
    update_rows(
        Invoice,
        list(changed.values()),
        fields=["amount_paid", "payment_method", "payment_reference", "status", "paid_at"],
    )
    rows = []
    for (row, after, applied, excess), payment_id in zip(logs, payment_ids, strict=True):
        row["after"] = {**after, "payment": payment_id, "applied": f"{applied:.2f}", "excess": f"{excess:.2f}"}
        rows.append(row)
    insert_rows(ActivityLog, rows, returning_ids=False)


def _line(invoice: dict, item: Settlement, user_id, now, **values) -> dict:
    """A ledger line of the payment (every line has the same keys, as `insert_rows` wants)."""
    return {
        "entity_id": invoice["entity_id"],
        "customer_id": invoice["customer_id"],
        "date": item.received_on,
        "source": TransactionSource.PAYMENT.value,
        "created_by_id": user_id,
        "created_at": now,
        **values,
    }
