"""Set-based billing: recurring charges and invoice generation for a chunk of customers, in SQL.

Everything that bills many customers goes through the two functions here, and so does the single
"Generate proforma invoice" of one customer (a chunk of one). Each function runs inside the caller's
transaction and is safe to repeat:

* `recurring_charges_insert` writes at most one charge per service and period: the unique index
  `transaction_one_recurring_charge_per_period` makes a repeated insert do nothing (ON CONFLICT DO NOTHING),
  whether the repeat is a second run or a second process running at the same time.
* `invoices_generate` locks the customers of the chunk, then the entity's number sequence, then
  turns every eligible transaction into invoice lines with three statements (INSERT ... SELECT with
  ROW_NUMBER() for the gapless numbers, UPDATE ... FROM to link the lines, INSERT ... SELECT for the
  activity log). A repeat finds nothing unbilled and creates nothing.

The lock order everywhere in the ledger is: customer rows, then invoice rows, then the sequence row.
Every change to a customer's unbilled lines (add, void, invoice void, overpayment credit) locks the
customer row first, so the lines an invoice is made of cannot change between adding them up and
linking them.

The SQL is plain SQL-92 plus window functions and ON CONFLICT, which PostgreSQL 15 and SQLite 3.33+
both speak; the few spellings that differ are in `_Dialect`.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from quita.billing.models import Invoice, InvoiceStatus, Transaction, TransactionKind, TransactionSource
from quita.core.models import ActivityAction, ActivityLog, Entity
from quita.core.money import ZERO, prorate
from quita.core.numbering import sequence_reserve
from quita.customers.models import Contract, ContractStatus, Customer, Service

# ---------------------------------------------------------------------------------------------------------------
# Dates of a billing period
# ---------------------------------------------------------------------------------------------------------------


def _last_day(year: int, month: int) -> int:
    next_first = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return (next_first - datetime.timedelta(days=1)).day


def _add_months(day: datetime.date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def billing_date(year: int, month: int, billing_day: int) -> datetime.date:
    """The date a billing day falls on in a month: 29-31 fall on the last day of shorter months."""
    return datetime.date(year, month, min(billing_day, _last_day(year, month)))


def billing_days_on(day: datetime.date) -> list[int]:
    """The contract billing days that bill on `day` (on a month's last day, every larger day too)."""
    if day.day == _last_day(day.year, day.month):
        return list(range(day.day, 32))
    return [day.day]


def billing_period(run_date: datetime.date, billing_day: int) -> tuple[datetime.date, datetime.date]:
    """The period billed on `run_date` for a billing day: from the run date to the day before the next one."""
    year, month = _add_months(run_date, 1)
    return run_date, billing_date(year, month, billing_day) - datetime.timedelta(days=1)


def previous_billing_date(run_date: datetime.date, billing_day: int) -> datetime.date:
    year, month = _add_months(run_date, -1)
    return billing_date(year, month, billing_day)


def due_date_for(issue_date: datetime.date, due_day: int) -> datetime.date:
    """The first date on or after `issue_date` that falls on `due_day` (clamped to the month's end)."""
    candidate = billing_date(issue_date.year, issue_date.month, due_day)
    if candidate < issue_date:
        year, month = _add_months(issue_date, 1)
        candidate = billing_date(year, month, due_day)
    return candidate


# ---------------------------------------------------------------------------------------------------------------
# SQL helpers
# ---------------------------------------------------------------------------------------------------------------


class _Dialect:
    """The few SQL spellings that differ between PostgreSQL and SQLite."""

    def __init__(self) -> None:
        self.vendor = connection.vendor

    def zero_pad(self, expression: str, width: int = 6) -> str:
        if self.vendor == "postgresql":
            return f"lpad(({expression})::text, greatest({width}, length(({expression})::text)), '0')"
        return f"printf('%%0{width}d', {expression})"

    def concat(self, *parts: str) -> str:
        return " || ".join(parts)

    def json_object(self, pairs: dict[str, str]) -> str:
        body = ", ".join(f"'{key}', {value}" for key, value in pairs.items())
        return f"jsonb_build_object({body})" if self.vendor == "postgresql" else f"json_object({body})"

    def money_text(self, expression: str) -> str:
        if self.vendor == "postgresql":
            return f"({expression})::text"
        return f"printf('%%.2f', {expression})"

    def money_sum(self, expression: str) -> str:
        # SQLite keeps decimals as floating point: round the sum back to centavos before storing it.
        return f"SUM({expression})" if self.vendor == "postgresql" else f"ROUND(SUM({expression}), 2)"

    @property
    def true(self) -> str:
        return "true" if self.vendor == "postgresql" else "1"

    @property
    def false(self) -> str:
        return "false" if self.vendor == "postgresql" else "0"


def _db(model, field: str, value):
    """A Python value prepared for the database the way the model field would prepare it."""
    return model._meta.get_field(field).get_db_prep_value(value, connection)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def customers_lock(*, entity_id: int, first_id: int, last_id: int) -> None:
    """Lock the customer rows of a chunk (PostgreSQL; SQLite's IMMEDIATE transactions lock the whole file)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {_table(Customer)} WHERE entity_id = %s AND id BETWEEN %s AND %s ORDER BY id FOR UPDATE",
            [entity_id, first_id, last_id],
        )


# ---------------------------------------------------------------------------------------------------------------
# Recurring charges
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargesResult:
    created: int
    total: Decimal


def recurring_charges_insert(
    *,
    entity: Entity,
    run_date: datetime.date,
    first_customer_id: int,
    last_customer_id: int,
    billing_run_id: int | None,
    actor_id: int | None,
) -> ChargesResult:
    """Create this period's recurring charge for every active service of the chunk billed on `run_date`.

    Whole periods (the common case) are one INSERT ... SELECT per billing day. Partial periods (a
    service that starts after the period began or ends before it ends, or that started during the
    previous period after that period was billed) are prorated by days in Python with `prorate`,
    the one rounding rule, and inserted in bulk under the same unique key.
    """
    dialect = _Dialect()
    now = timezone.now()
    tx = _table(Transaction)
    before = _count_run_charges(billing_run_id, first_customer_id, last_customer_id)
    for billing_day in billing_days_on(run_date):
        period_start, period_end = billing_period(run_date, billing_day)
        description = f"{period_start:%d/%m/%Y} – {period_end:%d/%m/%Y}"
        params = {
            "entity": entity.pk,
            "billing_day": billing_day,
            "first": first_customer_id,
            "last": last_customer_id,
            "start": _db(Transaction, "date", period_start),
            "end": _db(Transaction, "date", period_end),
            "description": description,
            "run": billing_run_id,
            "actor": actor_id,
            "now": _db(Transaction, "created_at", now),
            "active": ContractStatus.ACTIVE,
        }
        sql = f"""
            INSERT INTO {tx} (entity_id, customer_id, kind, credit_type, title, description, amount, date,
                              service_id, category_id, period_start, period_end, source, invoice_id,
                              paid_invoice_id, is_void, void_reason, voided_at, voided_by_id, billing_run_id,
                              created_by_id, created_at)
            SELECT c.entity_id, c.customer_id, '{TransactionKind.CHARGE}', '',
                   COALESCE(NULLIF(s.description, ''), p.name), %(description)s, s.price, %(start)s,
                   s.id, s.category_id, %(start)s, %(end)s, '{TransactionSource.RECURRING}', NULL,
                   NULL, {dialect.false}, '', NULL, NULL, %(run)s, %(actor)s, %(now)s
            FROM {_table(Service)} s
            JOIN {_table(Contract)} c ON c.id = s.contract_id
            JOIN customers_product p ON p.id = s.product_id
            WHERE c.entity_id = %(entity)s AND c.status = %(active)s AND c.billing_day = %(billing_day)s
              AND c.customer_id BETWEEN %(first)s AND %(last)s
              AND s.price > 0 AND s.start_date <= %(start)s
              AND (s.end_date IS NULL OR s.end_date >= %(end)s)
              AND (c.end_date IS NULL OR c.end_date >= %(end)s)
            ON CONFLICT DO NOTHING
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        _insert_partial_periods(
            entity=entity,
            run_date=run_date,
            billing_day=billing_day,
            first_customer_id=first_customer_id,
            last_customer_id=last_customer_id,
            billing_run_id=billing_run_id,
            actor_id=actor_id,
            now=now,
        )
    created, total = _run_charges_since(billing_run_id, first_customer_id, last_customer_id, before)
    if created:
        _log_charges(
            entity_id=entity.pk,
            billing_run_id=billing_run_id,
            first_customer_id=first_customer_id,
            last_customer_id=last_customer_id,
            actor_id=actor_id,
            now=now,
        )
    return ChargesResult(created=created, total=total)


def _count_run_charges(billing_run_id, first_id, last_id) -> int:
    if billing_run_id is None:
        return 0
    return Transaction.objects.filter(
        billing_run_id=billing_run_id, customer_id__gte=first_id, customer_id__lte=last_id
    ).count()


def _run_charges_since(billing_run_id, first_id, last_id, before: int) -> tuple[int, Decimal]:
    from django.db.models import Count, Sum

    if billing_run_id is None:
        return 0, ZERO
    lines = Transaction.objects.filter(
        billing_run_id=billing_run_id, customer_id__gte=first_id, customer_id__lte=last_id
    )
    row = lines.aggregate(n=Count("id"), total=Sum("amount"))
    return row["n"] - before, row["total"] or ZERO


def _insert_partial_periods(
    *, entity, run_date, billing_day, first_customer_id, last_customer_id, billing_run_id, actor_id, now
) -> None:
    from django.db.models import Q

    period_start, period_end = billing_period(run_date, billing_day)
    previous_start = previous_billing_date(run_date, billing_day)
    previous_end = run_date - datetime.timedelta(days=1)
    starts_late = Q(start_date__gt=period_start, start_date__lte=period_end)
    ends_early = Q(end_date__gte=period_start, end_date__lt=period_end) | Q(
        contract__end_date__gte=period_start, contract__end_date__lt=period_end
    )
    started_last_period = Q(start_date__gte=previous_start, start_date__lte=previous_end)
    services = (
        Service.objects.filter(
            contract__entity=entity,
            contract__status=ContractStatus.ACTIVE,
            contract__billing_day=billing_day,
            contract__customer_id__gte=first_customer_id,
            contract__customer_id__lte=last_customer_id,
            price__gt=0,
        )
        .filter(starts_late | ends_early | started_last_period)
        .select_related("contract", "product")
    )
    rows = []
    for service in services:
        ends = [d for d in (service.end_date, service.contract.end_date) if d is not None]
        periods = [(period_start, period_end)]
        if previous_start <= service.start_date <= previous_end:
            periods.insert(0, (previous_start, previous_end))
        for start, end in periods:
            used_from = max(service.start_date, start)
            used_to = min([end, *ends])
            if used_to < used_from:
                continue
            days = (used_to - used_from).days + 1
            amount = prorate(service.price, days, (end - start).days + 1)
            if amount <= 0:
                continue
            rows.append(
                Transaction(
                    entity_id=entity.pk,
                    customer_id=service.contract.customer_id,
                    kind=TransactionKind.CHARGE,
                    title=service.description or service.product.name,
                    description=f"{used_from:%d/%m/%Y} – {used_to:%d/%m/%Y} ({days}/{(end - start).days + 1})",
                    amount=amount,
                    date=run_date,
                    service_id=service.pk,
                    category_id=service.category_id,
                    period_start=start,
                    period_end=end,
                    source=TransactionSource.RECURRING,
                    billing_run_id=billing_run_id,
                    created_by_id=actor_id,
                    created_at=now,
                )
            )
    if rows:
        Transaction.objects.bulk_create(rows, ignore_conflicts=True)


def _log_charges(*, entity_id, billing_run_id, first_customer_id, last_customer_id, actor_id, now) -> None:
    dialect = _Dialect()
    content_type = ContentType.objects.get_for_model(Transaction)
    after = dialect.json_object(
        {
            "kind": "t.kind",
            "amount": dialect.money_text("t.amount"),
            "title": "t.title",
            "period_start": "t.period_start",
            "period_end": "t.period_end",
        }
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_table(ActivityLog)} (entity_id, actor_id, created_at, action, content_type_id, object_id,
                                               customer_id, summary, before, after)
            SELECT t.entity_id, %s, %s, %s, %s, t.id, t.customer_id, t.title, NULL, {after}
            FROM {_table(Transaction)} t
            WHERE t.billing_run_id = %s AND t.customer_id BETWEEN %s AND %s
            """,
            [
                actor_id,
                _db(ActivityLog, "created_at", now),
                ActivityAction.BILL,
                content_type.pk,
                billing_run_id,
                first_customer_id,
                last_customer_id,
            ],
        )


# ---------------------------------------------------------------------------------------------------------------
# Invoice generation
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceSelection:
    """Which unbilled lines of which customers an invoice run gathers."""

    entity: Entity
    first_customer_id: int
    last_customer_id: int
    date_from: datetime.date | None
    date_to: datetime.date
    category_id: int | None = None
    # Only customers with an active contract billed on one of these days (the recurring run).
    billing_days: tuple[int, ...] | None = None

    def where(self, alias: str) -> tuple[str, list]:
        """The WHERE clause (and its parameters) that picks the eligible lines, for table alias `alias`."""
        clauses = [
            f"{alias}.entity_id = %s",
            f"{alias}.customer_id BETWEEN %s AND %s",
            f"{alias}.invoice_id IS NULL",
            f"{alias}.paid_invoice_id IS NULL",
            f"{alias}.is_void = {_Dialect().false}",
            f"{alias}.date <= %s",
        ]
        params: list = [
            self.entity.pk,
            self.first_customer_id,
            self.last_customer_id,
            _db(Transaction, "date", self.date_to),
        ]
        if self.date_from is not None:
            clauses.append(f"{alias}.date >= %s")
            params.append(_db(Transaction, "date", self.date_from))
        if self.category_id is not None:
            clauses.append(f"{alias}.category_id = %s")
            params.append(self.category_id)
        if self.billing_days is not None:
            marks = ", ".join(["%s"] * len(self.billing_days))
            clauses.append(f"""{alias}.customer_id IN (
                SELECT c.customer_id FROM {_table(Contract)} c
                WHERE c.entity_id = %s AND c.status = %s AND c.billing_day IN ({marks}))""")
            params += [self.entity.pk, ContractStatus.ACTIVE, *self.billing_days]
        return " AND ".join(clauses), params

    def queryset(self):
        """The same lines as `where`, through the ORM (for previews and checks)."""
        lines = Transaction.objects.filter(
            entity=self.entity,
            customer_id__gte=self.first_customer_id,
            customer_id__lte=self.last_customer_id,
            invoice__isnull=True,
            paid_invoice__isnull=True,
            is_void=False,
            date__lte=self.date_to,
        )
        if self.date_from is not None:
            lines = lines.filter(date__gte=self.date_from)
        if self.category_id is not None:
            lines = lines.filter(category_id=self.category_id)
        if self.billing_days is not None:
            lines = lines.filter(
                customer__contracts__status=ContractStatus.ACTIVE,
                customer__contracts__billing_day__in=self.billing_days,
            ).distinct()
        return lines


@dataclass(frozen=True)
class InvoicesResult:
    batch: uuid.UUID
    created: int
    total: Decimal


def invoices_generate(
    *,
    selection: InvoiceSelection,
    issue_date: datetime.date,
    period_start: datetime.date,
    period_end: datetime.date,
    due_date: datetime.date | None = None,
    due_days: dict[int, datetime.date] | None = None,
    billing_run_id: int | None = None,
    actor_id: int | None = None,
) -> InvoicesResult:
    """Gather each selected customer's eligible lines onto one new invoice. Must run inside a transaction.

    Give either one `due_date` for every invoice, or `due_days` (contract due day → date) to take each
    customer's due date from their billed contract (the earliest when they have several). Customers
    whose lines add up to less than zero get no invoice: their credit stays on the ledger. A total of
    zero is an invoice that is paid at once.
    """
    entity = selection.entity
    dialect = _Dialect()
    now = timezone.now()
    batch = uuid.uuid4()
    customers_lock(entity_id=entity.pk, first_id=selection.first_customer_id, last_id=selection.last_customer_id)
    series = f"invoice:{issue_date.year}"
    base = sequence_reserve(entity=entity, series=series, count=0)  # locks the sequence row

    where, where_params = selection.where("t")
    if due_days:
        due_sql = (
            "CASE (SELECT MIN(c.due_day) FROM {contract} c WHERE c.customer_id = agg.customer_id AND "
            "c.entity_id = %s AND c.status = %s{days}) {branches} END".format(
                contract=_table(Contract),
                days=(" AND c.billing_day IN (" + ", ".join(["%s"] * len(selection.billing_days)) + ")")
                if selection.billing_days
                else "",
                branches=" ".join("WHEN %s THEN %s" for _ in due_days),
            )
        )
        due_params = [entity.pk, ContractStatus.ACTIVE, *(selection.billing_days or ())]
        for day, date in sorted(due_days.items()):
            due_params += [day, _db(Invoice, "due_date", date)]
    else:
        if due_date is None:
            raise ValueError("give due_date or due_days")
        due_sql, due_params = "%s", [_db(Invoice, "due_date", due_date)]

    number_sql = dialect.concat("%s", dialect.zero_pad("agg.seq"))
    prefix = f"{entity.invoice_prefix}-{issue_date.year}-"
    paid_at = _db(Invoice, "paid_at", now)
    sql = f"""
        INSERT INTO {_table(Invoice)} (entity_id, customer_id, number, year, sequence, issue_date, due_date,
                                       period_start, period_end, category_id, total, amount_paid, status, paid_at,
                                       payment_method, payment_reference, void_reason, voided_at, voided_by_id,
                                       billing_run_id, batch, created_by_id, created_at)
        SELECT %s, agg.customer_id, {number_sql}, %s, agg.seq, %s, {due_sql},
               %s, %s, %s, agg.total, 0,
               CASE WHEN agg.total = 0 THEN '{InvoiceStatus.PAID}' ELSE '{InvoiceStatus.UNPAID}' END,
               CASE WHEN agg.total = 0 THEN %s ELSE NULL END,
               '', '', '', NULL, NULL, %s, %s, %s, %s
        FROM (
            SELECT t.customer_id, {dialect.money_sum("t.amount")} AS total,
                   %s + ROW_NUMBER() OVER (ORDER BY t.customer_id) AS seq
            FROM {_table(Transaction)} t
            WHERE {where}
            GROUP BY t.customer_id
            HAVING SUM(t.amount) >= 0
        ) agg
    """
    params = [
        entity.pk,
        prefix,
        issue_date.year,
        _db(Invoice, "issue_date", issue_date),
        *due_params,
        _db(Invoice, "period_start", period_start),
        _db(Invoice, "period_end", period_end),
        selection.category_id,
        paid_at,
        billing_run_id,
        _db(Invoice, "batch", batch),
        actor_id,
        _db(Invoice, "created_at", now),
        base,
        *where_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        created = cursor.rowcount
    if created <= 0:
        return InvoicesResult(batch=batch, created=0, total=ZERO)
    sequence_reserve(entity=entity, series=series, count=created)

    batch_value = _db(Invoice, "batch", batch)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {_table(Transaction)} AS t SET invoice_id = inv.id
            FROM {_table(Invoice)} inv
            WHERE inv.batch = %s AND inv.customer_id = t.customer_id AND {where}
            """,
            [batch_value, *where_params],
        )
    _log_invoices(entity_id=entity.pk, batch_value=batch_value, actor_id=actor_id, now=now)
    from django.db.models import Sum

    total = Invoice.objects.filter(batch=batch).aggregate(total=Sum("total"))["total"] or ZERO
    return InvoicesResult(batch=batch, created=created, total=total)


def _log_invoices(*, entity_id, batch_value, actor_id, now) -> None:
    dialect = _Dialect()
    content_type = ContentType.objects.get_for_model(Invoice)
    after = dialect.json_object(
        {
            "number": "i.number",
            "total": dialect.money_text("i.total"),
            "status": "i.status",
            "issue_date": "i.issue_date",
            "due_date": "i.due_date",
        }
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_table(ActivityLog)} (entity_id, actor_id, created_at, action, content_type_id, object_id,
                                               customer_id, summary, before, after)
            SELECT i.entity_id, %s, %s, %s, %s, i.id, i.customer_id, i.number, NULL, {after}
            FROM {_table(Invoice)} i WHERE i.batch = %s
            """,
            [actor_id, _db(ActivityLog, "created_at", now), ActivityAction.GENERATE, content_type.pk, batch_value],
        )
