"""Settling many boleto liquidations at once: the rows `payments.services.payment_apply` writes, in bulk.

A return file of 100,000 liquidations cannot afford eight queries and a dozen model instances per record
(issue 4 asks for < 20 s). A chunk of liquidations locks its customers and invoices with two queries (in id
order, as every other writer does) and decides in memory, in list order, what each payment applies and how each
invoice changes. On PostgreSQL one narrow row per payment then goes into a staging table with COPY, and the
Payments and ledger lines are written by one INSERT … SELECT each; the activity rows (JSON snapshots encoded
here) go in with COPY, the invoices with one UPDATE … FROM (docs/decisions/0022). Elsewhere the same rows go in
with `bulk_create`. Every row is the one `payment_apply` would write — `tests/banking/test_settlement.py`
compares them field by field, on both databases — see docs/decisions/0021.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils.translation import gettext

from quita.banking.bulk import any_of, insert_rows, insert_select, reserve_ids, update_rows
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


# The invoice fields a payment changes; the log's before/after snapshots take these from each step.
MUTABLE = ["amount_paid", "payment_method", "payment_reference", "status", "paid_at"]
# Of INVOICE_FIELDS (the activity snapshot), those a payment changes.
CHANGING_SNAPSHOT = [name for name, attname in INVOICE_ATTNAMES.items() if attname in MUTABLE]


@dataclass
class _Step:
    """One applied payment: the item, its invoice, the money split, and the invoice's changing fields around it."""

    item: Settlement
    invoice: dict
    applied: Decimal
    excess: Decimal
    before: dict
    after: dict


def settle(settlements: list[Settlement], *, actor, now: datetime.datetime) -> None:
    """Lock the customers and invoices, then write each payment as `payment_apply` would (in list order)."""
    if not settlements:
        return
    invoice_ids = sorted({s.invoice_id for s in settlements})
    customer_ids = sorted(set(Invoice.objects.filter(pk__in=any_of(invoice_ids)).values_list("customer_id", flat=True)))
    list(Customer.objects.select_for_update().filter(pk__in=any_of(customer_ids)).order_by("pk").values_list("pk"))
    columns = sorted({"id", "entity_id", "customer_id", *MUTABLE, *INVOICE_ATTNAMES.values()})
    invoices = {
        row["id"]: row
        for row in Invoice.objects.select_for_update()
        .filter(pk__in=any_of(invoice_ids))
        .order_by("pk")
        .values(*columns)
    }
    paid, void = InvoiceStatus.PAID.value, InvoiceStatus.VOID.value
    steps: list[_Step] = []
    changed: dict[int, dict] = {}
    for item in settlements:
        invoice = invoices[item.invoice_id]
        if invoice["status"] == void:
            item.refused = "void"
            continue
        if invoice["status"] == paid:
            item.refused = "paid"
            continue
        before = {name: invoice[name] for name in MUTABLE}
        applied = max(min(item.amount, max(invoice["total"] - invoice["amount_paid"], ZERO)), ZERO)
        invoice["amount_paid"] += applied
        invoice["payment_method"] = item.method
        invoice["payment_reference"] = item.reference
        if invoice["amount_paid"] >= invoice["total"]:
            invoice["status"] = paid
            invoice["paid_at"] = now
        steps.append(_Step(item, invoice, applied, item.amount - applied, before, {n: invoice[n] for n in MUTABLE}))
        changed[invoice["id"]] = invoice
    if not steps:
        return
    context = {
        "user_id": actor.pk if actor is not None and actor.is_authenticated else None,
        "now": now,
        "invoice_type": ContentType.objects.get_for_model(Invoice).pk,
        "payment_title": gettext("Payment of invoice #%(number)s"),
        "overpayment_title": gettext("Overpayment of invoice #%(number)s"),
        "labels": {kind.value: str(kind.label) for kind in PaymentMethodKind},
    }
    if connection.vendor == "postgresql":
        for step, payment_id in zip(steps, reserve_ids(Payment, len(steps)), strict=True):
            step.item.payment_id = payment_id
        _write_set_based(steps, context)
    else:
        _write_rows(steps, context)
    update_rows(Invoice, list(changed.values()), fields=MUTABLE)


def _texts(step: _Step, context: dict) -> tuple[str, str, str]:
    """(payment line title, overpayment title, line description) as `payment_apply` words them."""
    item, number = step.item, step.invoice["number"]
    return (
        context["payment_title"] % {"number": number},
        context["overpayment_title"] % {"number": number},
        f"{context['labels'][item.method]} {item.reference}".strip(),
    )


def _write_rows(steps: list[_Step], context: dict) -> None:
    """The rows of every step as dicts, inserted with `insert_rows` (SQLite and other databases)."""
    user_id, now = context["user_id"], context["now"]
    payments, lines = [], []
    for step in steps:
        item, invoice = step.item, step.invoice
        payments.append(
            {
                "entity_id": invoice["entity_id"],
                "customer_id": invoice["customer_id"],
                "invoice_id": invoice["id"],
                "amount": item.amount,
                "applied_amount": step.applied,
                "method": item.method,
                "reference": item.reference,
                "status": PaymentStatus.SUCCEEDED.value,
                "gateway": item.gateway,
                "external_id": item.external_id,
                "received_on": item.received_on,
                "created_by_id": user_id,
                "created_at": now,
            }
        )
    payment_ids = insert_rows(Payment, payments)
    for step, payment_id in zip(steps, payment_ids, strict=True):
        step.item.payment_id = payment_id
    for step in steps:
        item, invoice = step.item, step.invoice
        title, overpayment_title, description = _texts(step, context)
        common = {
            "entity_id": invoice["entity_id"],
            "customer_id": invoice["customer_id"],
            "date": item.received_on,
            "source": TransactionSource.PAYMENT.value,
            "created_by_id": user_id,
            "created_at": now,
            "description": description,
        }
        if step.applied > 0:
            lines.append(
                {
                    "kind": TransactionKind.PAYMENT.value,
                    "credit_type": "",
                    "title": title,
                    "amount": -step.applied,
                    "paid_invoice_id": invoice["id"],
                    **common,
                }
            )
        if step.excess > 0:
            lines.append(
                {
                    "kind": TransactionKind.CREDIT.value,
                    "credit_type": CreditType.OVERPAYMENT.value,
                    "title": overpayment_title,
                    "amount": -step.excess,
                    "paid_invoice_id": None,
                    **common,
                }
            )
    insert_rows(Transaction, lines, returning_ids=False)
    insert_rows(ActivityLog, _activity_rows(steps, context), returning_ids=False)


def _activity_rows(steps: list[_Step], context: dict) -> list[dict]:
    """The "pay" activity row of each step: the invoice's INVOICE_FIELDS before and after it, as `payment_apply`
    logs them. The fields a payment does not change are put in JSON form once per invoice."""
    user_id, now = context["user_id"], context["now"]
    action, invoice_type = ActivityAction.PAY.value, context["invoice_type"]
    static: dict[int, dict] = {}
    rows = []
    for step in steps:
        item, invoice = step.item, step.invoice
        fixed = static.get(invoice["id"])
        if fixed is None:
            fixed = static[invoice["id"]] = {
                name: _plain(invoice[attname]) for name, attname in INVOICE_ATTNAMES.items() if attname not in MUTABLE
            }
        rows.append(
            {
                "entity_id": invoice["entity_id"],
                "actor_id": user_id,
                "created_at": now,
                "action": action,
                "content_type_id": invoice_type,
                "object_id": invoice["id"],
                "customer_id": invoice["customer_id"],
                "summary": f"{invoice['number']}: {item.amount:.2f} {item.method} {item.reference}"[:255],
                "before": {**fixed, **{name: _plain(step.before[name]) for name in CHANGING_SNAPSHOT}},
                "after": {
                    **fixed,
                    **{name: _plain(step.after[name]) for name in CHANGING_SNAPSHOT},
                    "payment": item.payment_id,
                    "applied": f"{step.applied:.2f}",
                    "excess": f"{step.excess:.2f}",
                },
            }
        )
    return rows


# The staging table of `_write_set_based`: one row per step, in list order (`seq`).
STAGE = "quita_stage_settlement"
STAGE_COLUMNS = [
    ("seq", "integer"),
    ("payment_id", "bigint"),
    ("invoice_id", "bigint"),
    ("amount", "numeric(14,2)"),
    ("applied", "numeric(14,2)"),
    ("excess", "numeric(14,2)"),
    ("method", "text"),
    ("reference", "text"),
    ("gateway", "text"),
    ("external_id", "text"),
    ("received_on", "date"),
    ("title", "text"),
    ("overpayment_title", "text"),
    ("description", "text"),
]


def _write_set_based(steps: list[_Step], context: dict) -> None:
    """PostgreSQL: the steps into a staging table with COPY, then one INSERT … SELECT per table."""
    definition = ", ".join(f"{name} {kind}" for name, kind in STAGE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} ({definition}) ON COMMIT DROP")
        cursor.execute(f"TRUNCATE {STAGE}")
        names = ", ".join(name for name, _ in STAGE_COLUMNS)
        with cursor.cursor.copy(f"COPY {STAGE} ({names}) FROM STDIN") as copy:
            for seq, step in enumerate(steps):
                item = step.item
                copy.write_row(
                    (
                        seq,
                        item.payment_id,
                        item.invoice_id,
                        item.amount,
                        step.applied,
                        step.excess,
                        item.method,
                        item.reference,
                        item.gateway,
                        item.external_id,
                        item.received_on,
                        *_texts(step, context),
                    )
                )
    joined = f"FROM {STAGE} s JOIN {Invoice._meta.db_table} i ON i.id = s.invoice_id"
    user_id, now = context["user_id"], context["now"]
    insert_select(
        Payment,
        {
            "id": "s.payment_id",
            "entity_id": "i.entity_id",
            "customer_id": "i.customer_id",
            "invoice_id": "s.invoice_id",
            "amount": "s.amount",
            "applied_amount": "s.applied",
            "method": "s.method",
            "reference": "s.reference",
            "status": ("%s", PaymentStatus.SUCCEEDED.value),
            "gateway": "s.gateway",
            "external_id": "s.external_id",
            "received_on": "s.received_on",
            "created_by_id": ("%s::bigint", user_id),
            "created_at": ("%s::timestamptz", now),
        },
        f"{joined} ORDER BY s.seq",
    )

    # The payment line, then the overpayment credit, of each step in turn (the ids in `payment_apply`'s order):
    # each step is joined to the two parts and keeps those it has.
    def either(payment_value, credit_value):
        return ("CASE WHEN p.part = 0 THEN %s ELSE %s END", payment_value, credit_value)

    insert_select(
        Transaction,
        {
            "entity_id": "i.entity_id",
            "customer_id": "i.customer_id",
            "date": "s.received_on",
            "source": ("%s", TransactionSource.PAYMENT.value),
            "created_by_id": ("%s::bigint", user_id),
            "created_at": ("%s::timestamptz", now),
            "description": "s.description",
            "kind": either(TransactionKind.PAYMENT.value, TransactionKind.CREDIT.value),
            "credit_type": either("", CreditType.OVERPAYMENT.value),
            "title": "CASE WHEN p.part = 0 THEN s.title ELSE s.overpayment_title END",
            "amount": "CASE WHEN p.part = 0 THEN -s.applied ELSE -s.excess END",
            "paid_invoice_id": "CASE WHEN p.part = 0 THEN s.invoice_id END",
        },
        f"{joined} CROSS JOIN (VALUES (0), (1)) AS p(part) "
        "WHERE (p.part = 0 AND s.applied > 0) OR (p.part = 1 AND s.excess > 0) ORDER BY s.seq, p.part",
    )
    # The activity rows carry JSON snapshots: encoded here and loaded with COPY (building them with
    # jsonb_build_object in the INSERT cost the server several times more).
    insert_rows(ActivityLog, _activity_rows(steps, context), returning_ids=False)
