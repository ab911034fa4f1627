"""Read queries of the ledger: statistics and filtered lists."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum

from quita.billing.models import Invoice, InvoiceStatus, InvoiceSummary, Transaction, TransactionSummary
from quita.core.models import Entity
from quita.core.money import ZERO
from quita.core.selectors import entity_today, month_bounds

UNBILLED = Q(invoice__isnull=True, paid_invoice__isnull=True)


def _figure(row: dict, key: str) -> dict:
    return {"amount": f"{(row[f'{key}_amount'] or ZERO):.2f}", "count": row[f"{key}_count"]}


def _month_filters(today: datetime.date, field: str) -> tuple[Q, Q]:
    this_first, this_last = month_bounds(today)
    last_first, last_last = month_bounds(today, months_back=1)
    return Q(**{f"{field}__range": (this_first, this_last)}), Q(**{f"{field}__range": (last_first, last_last)})


def _add(a: dict, b: dict) -> dict:
    return {
        key: {
            "amount": f"{Decimal(a[key]['amount']) + Decimal(b[key]['amount']):.2f}",
            "count": a[key]["count"] + b[key]["count"],
        }
        for key in a
    }


def _from_summary(model, entity: Entity, part: str) -> dict:
    """The four figures of a whole entity from its trigger-kept summary rows (one per month and writer; 0008)."""
    this_first, _this_last = month_bounds(entity_today(entity))
    last_first, _last_last = month_bounds(entity_today(entity), months_back=1)
    rows = (
        model.objects.filter(entity=entity)
        .values("month")
        .annotate(n=Sum("count"), c=Sum("cents"), part_n=Sum(f"{part}_count"), part_c=Sum(f"{part}_cents"))
    )
    figures = {key: [0, 0] for key in ("total", part, "this_month", "last_month")}
    for row in rows:
        for key, count, cents in (("total", row["n"], row["c"]), (part, row["part_n"], row["part_c"])):
            figures[key][0] += count
            figures[key][1] += cents
        if row["month"] in (this_first, last_first):
            key = "this_month" if row["month"] == this_first else "last_month"
            figures[key] = [figures[key][0] + row["n"], figures[key][1] + row["c"]]
    return {key: {"amount": f"{Decimal(cents) / 100:.2f}", "count": count} for key, (count, cents) in figures.items()}


def transaction_statistics(*, entity: Entity, customer_id: int | None = None) -> dict:
    """Total, Unbilled, This month, Last month (amount, count) of non-void lines; months in the entity's zone.

    For a whole entity the figures come from the summary the database keeps (0008) instead of every line."""
    if customer_id is None:
        return _from_summary(TransactionSummary, entity, "unbilled")
    this_month, last_month = _month_filters(entity_today(entity), "date")
    lines = Transaction.objects.filter(entity=entity, is_void=False)
    if customer_id is not None:
        lines = lines.filter(customer_id=customer_id)
    row = lines.aggregate(
        total_amount=Sum("amount"),
        total_count=Count("id"),
        unbilled_amount=Sum("amount", filter=UNBILLED),
        unbilled_count=Count("id", filter=UNBILLED),
        this_month_amount=Sum("amount", filter=this_month),
        this_month_count=Count("id", filter=this_month),
        last_month_amount=Sum("amount", filter=last_month),
        last_month_count=Count("id", filter=last_month),
    )
    return {key: _figure(row, key) for key in ("total", "unbilled", "this_month", "last_month")}


def invoice_statistics(*, entity: Entity, customer_id: int | None = None) -> dict:
    """Total, Unpaid (open balance), This month, Last month (by issue date) of non-void invoices (a whole entity's
    from the summary, 0008)."""
    if customer_id is None:
        return _from_summary(InvoiceSummary, entity, "unpaid")
    this_month, last_month = _month_filters(entity_today(entity), "issue_date")
    invoices = Invoice.objects.filter(entity=entity).exclude(status=InvoiceStatus.VOID)
    if customer_id is not None:
        invoices = invoices.filter(customer_id=customer_id)
    unpaid = Q(status=InvoiceStatus.UNPAID)
    row = invoices.aggregate(
        total_amount=Sum("total"),
        total_count=Count("id"),
        unpaid_amount=Sum(F("total") - F("amount_paid"), filter=unpaid),
        unpaid_count=Count("id", filter=unpaid),
        this_month_amount=Sum("total", filter=this_month),
        this_month_count=Count("id", filter=this_month),
        last_month_amount=Sum("total", filter=last_month),
        last_month_count=Count("id", filter=last_month),
    )
    return {key: _figure(row, key) for key in ("total", "unpaid", "this_month", "last_month")}


def statistics_for_entities(entities, kind: str) -> dict:
    """System-wide statistics over several entities, each month counted in its own entity's time zone."""
    function = transaction_statistics if kind == "transactions" else invoice_statistics
    result = None
    for entity in entities:
        figures = function(entity=entity)
        result = figures if result is None else _add(result, figures)
    if result is None:
        keys = (
            ("total", "unbilled", "this_month", "last_month")
            if kind == "transactions"
            else ("total", "unpaid", "this_month", "last_month")
        )
        result = {key: {"amount": "0.00", "count": 0} for key in keys}
    return result


def customer_billing_summary(*, customer) -> dict:
    """The billing tab's figures for one customer: the four transaction and the four invoice statistics."""
    transactions = transaction_statistics(entity=customer.entity, customer_id=customer.pk)
    return {
        "transactions": transactions,
        "invoices": invoice_statistics(entity=customer.entity, customer_id=customer.pk),
        "balance": transactions["total"]["amount"],
    }


def invoices_overdue(*, entity: Entity, as_of: datetime.date | None = None) -> QuerySet[Invoice]:
    """Unpaid invoices whose due date has passed (in the entity's time zone)."""
    as_of = as_of or entity_today(entity)
    return Invoice.objects.filter(entity=entity, status=InvoiceStatus.UNPAID, due_date__lt=as_of)
