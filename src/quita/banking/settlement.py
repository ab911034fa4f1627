"""Settling many boleto liquidations at once: the rows `payments.services.payment_apply` writes, in bulk.

A return file of 100,000 liquidations cannot afford eight queries and a dozen model instances per record
(issue 4 asks for < 20 s). A `Settler` locks the customers and invoices of the file (in id order, as every other
writer does) and decides in memory, in list order, what each payment applies and how each invoice changes. The
Payments, their ledger lines and the activity rows go in with COPY (ids reserved first), the invoices with one
UPDATE per chunk, all through a `bulk.Pipeline`, so the database writes one chunk while the next is decided
(docs/decisions/0033). Elsewhere than PostgreSQL the same rows go in with `bulk_create`. Every row is the one
`payment_apply` would write — `tests/banking/test_settlement.py` compares them field by field, on both
databases — see docs/decisions/0021.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils.translation import gettext

from quita.banking.bulk import Pipeline, any_of, insert_rows, insert_tuples, reserve_ids, update_rows
from quita.billing.models import CreditType, Invoice, InvoiceStatus, Transaction, TransactionKind, TransactionSource
from quita.core.activity import _plain
from quita.core.models import ActivityAction, ActivityLog
from quita.customers.models import Customer
from quita.payments.models import Payment, PaymentMethodKind, PaymentStatus
from quita.payments.services import PAY_LOGGED

ZERO = Decimal("0.00")


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


# The invoice fields a payment changes; the "pay" row logs those of them `payment_apply` logs (PAY_LOGGED).
MUTABLE = ["amount_paid", "payment_method", "payment_reference", "status", "paid_at"]


@dataclass
class _Step:
    """One applied payment: the item, its invoice, the money split, and the invoice's changing fields around it."""

    item: Settlement
    invoice: dict
    applied: Decimal
    excess: Decimal
    before: dict
    after: dict


class Settler:
    """Settles liquidations in one transaction, one list after another (a return file, chunk by chunk).

    Each list locks the customers and invoices it names that are not locked yet (in id order, as every other
    writer does) and decides in memory, in list order, what each payment applies and how each invoice changes.
    The invoices stay here as changed, so a later list sees what an earlier one did even while the earlier writes
    are still queued in `via` (a `bulk.Pipeline`): reads made here never depend on them.
    """

    def __init__(self, *, actor, now: datetime.datetime, via: Pipeline | None = None):
        self.now, self.via = now, via
        self.invoices: dict[int, dict] = {}
        self.payment_ids: list[int] = []
        self.changed: set[int] = set()  # the invoices a payment went to
        self.context = {
            "user_id": actor.pk if actor is not None and actor.is_authenticated else None,
            "now": now,
            "invoice_type": ContentType.objects.get_for_model(Invoice).pk,
            "payment_title": gettext("Payment of invoice #%(number)s"),
            "overpayment_title": gettext("Overpayment of invoice #%(number)s"),
            "labels": {kind.value: str(kind.label) for kind in PaymentMethodKind},
        }

    def lock(self, invoice_ids, *, customer_ids=None) -> None:
        """Lock the invoices (and their customers first) that are not locked yet, and keep their rows."""
        new = sorted(set(invoice_ids) - self.invoices.keys())
        if not new:
            return
        if customer_ids is None:
            customer_ids = Invoice.objects.filter(pk__in=any_of(new)).values_list("customer_id", flat=True)
        customer_ids = sorted(set(customer_ids))
        list(Customer.objects.select_for_update().filter(pk__in=any_of(customer_ids)).order_by("pk").values_list("pk"))
        columns = sorted({"id", "entity_id", "customer_id", "number", "total", *MUTABLE})
        for row in Invoice.objects.select_for_update().filter(pk__in=any_of(new)).order_by("pk").values(*columns):
            self.invoices[row["id"]] = row

    def partly_paid(self) -> list[int]:
        """The invoices this settler paid in part (still unpaid, with a balance), in id order."""
        unpaid = InvoiceStatus.UNPAID.value
        return sorted(
            pk
            for pk in self.changed
            if self.invoices[pk]["status"] == unpaid and self.invoices[pk]["amount_paid"] < self.invoices[pk]["total"]
        )

    def reserve(self, count: int) -> None:
        """Reserve `count` payment ids now (PostgreSQL), so that settling reads nothing more from the database."""
        self.payment_ids.extend(reversed(reserve_ids(Payment, count)))

    def settle(self, settlements: list[Settlement]) -> None:
        """Write each payment as `payment_apply` would (in list order); a refused one gets `refused` set."""
        if not settlements:
            return
        self.lock([s.invoice_id for s in settlements])
        invoices, now = self.invoices, self.now
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
            after = {name: invoice[name] for name in MUTABLE}
            steps.append(_Step(item, invoice, applied, item.amount - applied, before, after))
            changed[invoice["id"]] = after | {"id": invoice["id"]}
        if not steps:
            return
        self.changed.update(changed)
        if connection.vendor == "postgresql":
            if len(self.payment_ids) < len(steps):
                self.reserve(len(steps) - len(self.payment_ids))
            for step in steps:
                step.item.payment_id = self.payment_ids.pop()
        _write(steps, self.context, self.via)
        update_rows(Invoice, list(changed.values()), fields=MUTABLE, via=self.via)


def settle(settlements: list[Settlement], *, actor, now: datetime.datetime) -> None:
    """Lock the customers and invoices, then write each payment as `payment_apply` would (in list order)."""
    Settler(actor=actor, now=now).settle(settlements)


def _texts(step: _Step, context: dict) -> tuple[str, str, str]:
    """(payment line title, overpayment title, line description) as `payment_apply` words them."""
    item, number = step.item, step.invoice["number"]
    return (
        context["payment_title"] % {"number": number},
        context["overpayment_title"] % {"number": number},
        f"{context['labels'][item.method]} {item.reference}".strip(),
    )


# What a payment and its ledger lines write, in `payment_apply`'s words (the rest of each row: field defaults).
PAYMENT_NAMES = [
    "entity_id",
    "customer_id",
    "invoice_id",
    "amount",
    "applied_amount",
    "method",
    "reference",
    "status",
    "gateway",
    "external_id",
    "received_on",
    "created_by_id",
    "created_at",
]
LINE_NAMES = [
    "entity_id",
    "customer_id",
    "date",
    "source",
    "created_by_id",
    "created_at",
    "description",
    "kind",
    "credit_type",
    "title",
    "amount",
    "paid_invoice_id",
]


def _write(steps: list[_Step], context: dict, via: Pipeline | None) -> None:
    """The Payments, then their ledger lines (the payment line, then any overpayment credit, step by step: the
    ids in `payment_apply`'s order), then the activity rows. Payment ids reserved before are written as given
    (PostgreSQL); elsewhere the database numbers them here."""
    user_id, now = context["user_id"], context["now"]
    succeeded, payment_source = PaymentStatus.SUCCEEDED.value, TransactionSource.PAYMENT.value
    payments = [
        (
            step.invoice["entity_id"],
            step.invoice["customer_id"],
            step.invoice["id"],
            step.item.amount,
            step.applied,
            step.item.method,
            step.item.reference,
            succeeded,
            step.item.gateway,
            step.item.external_id,
            step.item.received_on,
            user_id,
            now,
        )
        for step in steps
    ]
    if steps[0].item.payment_id is not None:
        insert_tuples(
            Payment,
            ["id", *PAYMENT_NAMES],
            [(s.item.payment_id, *row) for s, row in zip(steps, payments, strict=True)],
            via=via,
        )
    else:
        for step, payment_id in zip(steps, insert_tuples(Payment, PAYMENT_NAMES, payments), strict=True):
            step.item.payment_id = payment_id
    lines = []
    payment_kind, credit_kind = TransactionKind.PAYMENT.value, TransactionKind.CREDIT.value
    overpayment = CreditType.OVERPAYMENT.value
    for step in steps:
        invoice, item = step.invoice, step.item
        title, overpayment_title, description = _texts(step, context)
        common = (
            invoice["entity_id"],
            invoice["customer_id"],
            item.received_on,
            payment_source,
            user_id,
            now,
            description,
        )
        if step.applied > 0:
            lines.append((*common, payment_kind, "", title, -step.applied, invoice["id"]))
        if step.excess > 0:
            lines.append((*common, credit_kind, overpayment, overpayment_title, -step.excess, None))
    insert_tuples(Transaction, LINE_NAMES, lines, via=via, returning_ids=False)
    insert_rows(ActivityLog, _activity_rows(steps, context), returning_ids=False, via=via)


def _activity_rows(steps: list[_Step], context: dict) -> list[dict]:
    """The "pay" activity row of each step, as `payment_apply` logs it: PAY_LOGGED before and after it, with the
    payment, the amount applied and the excess."""
    user_id, now = context["user_id"], context["now"]
    action, invoice_type = ActivityAction.PAY.value, context["invoice_type"]
    rows = []
    for step in steps:
        item, invoice = step.item, step.invoice
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
                "before": {name: _plain(step.before[name]) for name in PAY_LOGGED},
                "after": {
                    **{name: _plain(step.after[name]) for name in PAY_LOGGED},
                    "payment": item.payment_id,
                    "applied": f"{step.applied:.2f}",
                    "excess": f"{step.excess:.2f}",
                },
            }
        )
    return rows
