"""Set-based billing: recurring charges and invoice generation for a chunk of customers, in SQL.

Everything that bills many customers goes through the two functions here, and so does the single
"Generate proforma invoice" of one customer (a chunk of one). Each function runs inside the caller's
transaction and is safe to repeat:

* `recurring_charges_insert` writes at most one charge per service and period: the unique index
  `transaction_one_recurring_charge_per_period` makes a repeated insert do nothing (ON CONFLICT DO NOTHING),
  whether the repeat is a second run or a second process running at the same time.
* `invoices_generate` locks the customers of the chunk, adds up each customer's eligible lines into a
  temporary table that gives every invoice-to-be its id and its position (ROW_NUMBER()), links the
  lines to those ids (UPDATE ... FROM; new charges are inserted already linked), and only then locks
  the entity's number sequence and inserts the invoices numbered base + position, so the numbers are
  gapless and the lock is held for the short tail of the chunk. A repeat finds nothing unbilled and
  creates nothing.

The lock order everywhere in the ledger is: customer rows, then invoice rows, then the sequence row.
Every change to a customer's unbilled lines (add, void, invoice void, overpayment credit) locks the
customer row first, so the lines an invoice is made of cannot change between adding them up and
linking them.

The SQL is plain SQL-92 plus window functions and ON CONFLICT, which PostgreSQL 15 and SQLite 3.33+
both speak; the few spellings that differ are in `_Dialect`.
"""

from __future__ import annotations

import datetime
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


def customers_lock(chunk: Chunk) -> None:
    """Lock the customer rows of a chunk (PostgreSQL; SQLite's IMMEDIATE transactions lock the whole file)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {_table(Customer)} WHERE entity_id = %s AND id BETWEEN %s AND %s ORDER BY id FOR UPDATE",
            [chunk.entity.pk, chunk.first_customer_id, chunk.last_customer_id],
        )


# ---------------------------------------------------------------------------------------------------------------
# Recurring charges
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """How many rows a step created and what they add up to."""

    created: int
    total: Decimal


NOTHING = Totals(created=0, total=ZERO)


@dataclass(frozen=True)
class InvoiceBatch(Totals):
    """The invoices one `invoices_generate` call created: consecutive numbers of one entity and year."""

    entity_id: int | None = None
    year: int | None = None
    first_sequence: int = 0

    def invoices(self):
        """The batch's invoices (found through the unique (entity, year, sequence) index)."""
        return Invoice.objects.filter(
            entity_id=self.entity_id,
            year=self.year,
            sequence__gt=self.first_sequence - 1,
            sequence__lt=self.first_sequence + self.created,
        )


@dataclass(frozen=True)
class Chunk:
    """A range of customer ids of one entity: the unit of work of a run, one database transaction."""

    entity: Entity
    first_customer_id: int
    last_customer_id: int


_TX_COLUMNS = (
    "entity_id, customer_id, kind, credit_type, title, description, amount, date, service_id, category_id, "
    "period_start, period_end, source, paid_invoice_id, is_void, void_reason, voided_at, voided_by_id, "
    "billing_run_id, created_by_id, created_at"
)


def _whole_period_charges(
    *, chunk: Chunk, run_date: datetime.date, billing_run_id: int | None, actor_id: int | None, now
) -> tuple[str, dict]:
    """A SELECT of the whole-period recurring charges billed on `run_date` in the chunk and not yet created.

    Its columns are `_TX_COLUMNS`. One branch per billing day that falls on `run_date` (several on a
    month's last day), joined with UNION ALL.
    """
    dialect = _Dialect()
    branches = []
    params = {
        "ch_entity": chunk.entity.pk,
        "ch_first": chunk.first_customer_id,
        "ch_last": chunk.last_customer_id,
        "ch_run": billing_run_id,
        "ch_actor": actor_id,
        "ch_now": _db(Transaction, "created_at", now),
        "ch_active": ContractStatus.ACTIVE,
        "ch_date": _db(Transaction, "date", run_date),
    }
    for billing_day in billing_days_on(run_date):
        period_start, period_end = billing_period(run_date, billing_day)
        key = f"d{billing_day}"
        params[f"ch_{key}_day"] = billing_day
        params[f"ch_{key}_end"] = _db(Transaction, "date", period_end)
        params[f"ch_{key}_description"] = f"{period_start:%d/%m/%Y} – {period_end:%d/%m/%Y}"
        branches.append(f"""
            SELECT c.entity_id AS entity_id, c.customer_id AS customer_id, '{TransactionKind.CHARGE}' AS kind,
                   '' AS credit_type, COALESCE(NULLIF(s.description, ''), p.name) AS title,
                   %(ch_{key}_description)s AS description, s.price AS amount, %(ch_date)s AS date,
                   s.id AS service_id, s.category_id AS category_id, %(ch_date)s AS period_start,
                   %(ch_{key}_end)s AS period_end, '{TransactionSource.RECURRING}' AS source,
                   CAST(NULL AS BIGINT) AS paid_invoice_id, {dialect.false} AS is_void, '' AS void_reason,
                   CAST(NULL AS TIMESTAMP) AS voided_at, CAST(NULL AS BIGINT) AS voided_by_id,
                   CAST(%(ch_run)s AS BIGINT) AS billing_run_id, CAST(%(ch_actor)s AS BIGINT) AS created_by_id,
                   %(ch_now)s AS created_at
            FROM {_table(Service)} s
            JOIN {_table(Contract)} c ON c.id = s.contract_id
            JOIN customers_product p ON p.id = s.product_id
            WHERE c.entity_id = %(ch_entity)s AND c.status = %(ch_active)s AND c.billing_day = %(ch_{key}_day)s
              AND s.customer_id BETWEEN %(ch_first)s AND %(ch_last)s
              AND c.customer_id BETWEEN %(ch_first)s AND %(ch_last)s
              AND s.price > 0 AND s.start_date <= %(ch_date)s
              AND (s.end_date IS NULL OR s.end_date >= %(ch_{key}_end)s)
              AND (c.end_date IS NULL OR c.end_date >= %(ch_{key}_end)s)
              AND NOT EXISTS (
                  SELECT 1 FROM {_table(Transaction)} x
                  WHERE x.service_id = s.id AND x.period_start = %(ch_date)s
                    AND x.source = '{TransactionSource.RECURRING}'
                    -- a service's charges are its customer's: bounding by the chunk keeps this probe the
                    -- size of the chunk, not of everything the run has written so far
                    AND x.customer_id BETWEEN %(ch_first)s AND %(ch_last)s)""")
    return " UNION ALL ".join(branches), params


def partial_period_charges(
    *, chunk: Chunk, run_date: datetime.date, billing_run_id: int | None, actor_id: int | None, now
) -> list[Transaction]:
    """The prorated recurring charges of the chunk that bill on `run_date` and do not exist yet (unsaved).

    A partial period is a service that starts after its period began, ends before the period ends,
    or started during the previous period (and so missed that period's run): its charge is the price
    times the days used over the days in the period (`prorate`, the one rounding rule). These are
    few, so they are computed here in Python rather than in SQL.
    """
    from django.db.models import Q

    rows = []
    for billing_day in billing_days_on(run_date):
        period_start, period_end = billing_period(run_date, billing_day)
        previous_start = previous_billing_date(run_date, billing_day)
        previous_end = run_date - datetime.timedelta(days=1)
        starts_late_or_started_last_period = Q(start_date__gte=previous_start, start_date__lte=period_end) & ~Q(
            start_date=period_start
        )
        ends_early = Q(end_date__gte=period_start, end_date__lt=period_end)
        contract_ends_early = Q(contract__end_date__gte=period_start, contract__end_date__lt=period_end)
        in_chunk = Service.objects.filter(
            customer_id__gte=chunk.first_customer_id,
            customer_id__lte=chunk.last_customer_id,
            contract__entity=chunk.entity,
            contract__status=ContractStatus.ACTIVE,
            contract__billing_day=billing_day,
            price__gt=0,
        ).select_related("contract", "product")
        # One query per condition: an OR across the service and its contract defeats the indexes.
        found = {}
        for condition in (starts_late_or_started_last_period, ends_early, contract_ends_early):
            found.update((service.pk, service) for service in in_chunk.filter(condition))
        services = list(found.values())
        billed = set(
            Transaction.objects.filter(
                period_start__in=[previous_start, run_date],
                customer_id__gte=chunk.first_customer_id,
                customer_id__lte=chunk.last_customer_id,
                service__in=services,
                source=TransactionSource.RECURRING,
            ).values_list("service_id", "period_start")
        )
        for service in services:
            ends = [d for d in (service.end_date, service.contract.end_date) if d is not None]
            periods = [(period_start, period_end)]
            if previous_start <= service.start_date <= previous_end:
                periods.insert(0, (previous_start, previous_end))
            for start, end in periods:
                used_from, used_to = max(service.start_date, start), min([end, *ends])
                if used_to < used_from or (service.pk, start) in billed:
                    continue
                days, period_days = (used_to - used_from).days + 1, (end - start).days + 1
                amount = prorate(service.price, days, period_days)
                if amount <= 0:
                    continue
                rows.append(
                    Transaction(
                        entity_id=chunk.entity.pk,
                        customer_id=service.contract.customer_id,
                        kind=TransactionKind.CHARGE,
                        title=service.description or service.product.name,
                        description=f"{used_from:%d/%m/%Y} – {used_to:%d/%m/%Y} ({days}/{period_days})",
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
    return rows


def recurring_pending_customers(*, entity: Entity, run_date: datetime.date, billing_days: tuple[int, ...]) -> set[int]:
    """The customers a repeated recurring run still has work for: a missing charge or an unbilled line.

    One pass over the whole entity (two set-based queries and the few prorated candidates), so a run
    repeated over a date that is done costs about a second per million contracts, not one round of
    checks per chunk; the chunks are then made of these customers only.
    """
    chunk = Chunk(entity=entity, first_customer_id=0, last_customer_id=2**62)
    selection = InvoiceSelection(chunk=chunk, date_from=None, date_to=run_date, billing_days=billing_days)
    where, params = selection.where("t")
    now = timezone.now()
    charges_sql, charges_params = _whole_period_charges(
        chunk=chunk, run_date=run_date, billing_run_id=None, actor_id=None, now=now
    )
    params.update(charges_params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ch.customer_id FROM ({charges_sql}) ch "
            f"UNION SELECT t.customer_id FROM {_table(Transaction)} t WHERE {where}",
            params,
        )
        pending = {row[0] for row in cursor.fetchall()}
    partial = partial_period_charges(chunk=chunk, run_date=run_date, billing_run_id=None, actor_id=None, now=now)
    return pending | {charge.customer_id for charge in partial}


# ---------------------------------------------------------------------------------------------------------------
# Invoice generation
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceSelection:
    """Which unbilled lines of which customers an invoice run gathers."""

    chunk: Chunk
    date_from: datetime.date | None
    date_to: datetime.date
    category_id: int | None = None
    # Only customers with an active contract billed on one of these days (the recurring run).
    billing_days: tuple[int, ...] | None = None

    @property
    def entity(self) -> Entity:
        return self.chunk.entity

    def where(self, alias: str) -> tuple[str, dict]:
        """The WHERE clause (and its named parameters) that picks the eligible lines, for table alias `alias`."""
        clauses = [
            f"{alias}.entity_id = %(sel_entity)s",
            f"{alias}.customer_id BETWEEN %(sel_first)s AND %(sel_last)s",
            f"{alias}.invoice_id IS NULL",
            f"{alias}.paid_invoice_id IS NULL",
            f"{alias}.is_void = {_Dialect().false}",
            f"{alias}.date <= %(sel_to)s",
        ]
        params = {
            "sel_entity": self.entity.pk,
            "sel_first": self.chunk.first_customer_id,
            "sel_last": self.chunk.last_customer_id,
            "sel_to": _db(Transaction, "date", self.date_to),
        }
        if self.date_from is not None:
            clauses.append(f"{alias}.date >= %(sel_from)s")
            params["sel_from"] = _db(Transaction, "date", self.date_from)
        if self.category_id is not None:
            clauses.append(f"{alias}.category_id = %(sel_category)s")
            params["sel_category"] = self.category_id
        if self.billing_days is not None:
            clauses.append(f"{alias}.customer_id IN ({self._billed_customers_sql()})")
            params.update(self._billed_customers_params())
        return " AND ".join(clauses), params

    def _billed_customers_sql(self) -> str:
        days = ", ".join(f"%(sel_day{day})s" for day in self.billing_days)
        return (
            f"SELECT c.customer_id FROM {_table(Contract)} c WHERE c.entity_id = %(sel_entity)s "
            f"AND c.customer_id BETWEEN %(sel_first)s AND %(sel_last)s "
            f"AND c.status = %(sel_active)s AND c.billing_day IN ({days})"
        )

    def _billed_customers_params(self) -> dict:
        return {"sel_active": ContractStatus.ACTIVE, **{f"sel_day{day}": day for day in self.billing_days}}

    def queryset(self):
        """The same lines as `where`, through the ORM (for previews and checks)."""
        lines = Transaction.objects.filter(
            entity=self.entity,
            customer_id__gte=self.chunk.first_customer_id,
            customer_id__lte=self.chunk.last_customer_id,
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
class RecurringCharges:
    """The whole-period charges a recurring run creates together with its invoices."""

    run_date: datetime.date
    billing_run_id: int | None
    # Look for chunks with nothing left to do first (a repeated run) and skip them without locking.
    skip_if_done: bool = True


def invoices_generate(
    *,
    selection: InvoiceSelection,
    issue_date: datetime.date,
    period_start: datetime.date,
    period_end: datetime.date,
    due_date: datetime.date | None = None,
    due_days: dict[int, datetime.date] | None = None,
    recurring: RecurringCharges | None = None,
    billing_run_id: int | None = None,
    actor_id: int | None = None,
) -> tuple[Totals, InvoiceBatch]:
    """Gather each selected customer's eligible lines onto one new invoice. Must run inside a transaction.

    Give either one `due_date` for every invoice, or `due_days` (contract due day → date) to take each
    customer's due date from their billed contract (the earliest when they have several). Customers
    whose lines add up to less than zero get no invoice: their credit stays on the ledger. A total of
    zero is an invoice that is paid at once.

    With `recurring`, the chunk's whole-period recurring charges are created in the same pass: the
    invoices are added up from the eligible lines plus the charges about to be written, and the
    charges are then inserted already linked to their invoice, so the bulk of the lines is written
    once instead of inserted and then updated. Returns (charges, invoices).
    """
    chunk = selection.chunk
    entity = chunk.entity
    dialect = _Dialect()
    now = timezone.now()
    where, params = selection.where("t")
    if recurring is not None:
        if connection.vendor == "postgresql":
            # Within a run, the charges of earlier chunks are newer than the table's statistics, so the planner
            # believes the anti-join in the charges SELECT sees ~1 row and materialises it, which turns
            # quadratic as the run grows. Without materialisation it probes the unique index per service (or
            # hashes), whatever the statistics say. SET LOCAL ends with this chunk's transaction.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_material = off")
        charges_sql, charges_params = _whole_period_charges(
            chunk=chunk,
            run_date=recurring.run_date,
            billing_run_id=recurring.billing_run_id,
            actor_id=actor_id,
            now=now,
        )
        params.update(charges_params)
        if (
            recurring.skip_if_done
            and not _exists(charges_sql, params)
            and not _exists(f"SELECT 1 FROM {_table(Transaction)} t WHERE {where}", params)
            and not partial_period_charges(
                chunk=chunk,
                run_date=recurring.run_date,
                billing_run_id=recurring.billing_run_id,
                actor_id=actor_id,
                now=now,
            )
        ):
            # Nothing to charge or invoice (a repeated run): take no locks, write nothing.
            return NOTHING, InvoiceBatch(created=0, total=ZERO)

    customers_lock(chunk)
    tx_first_id = _max_id(Transaction)
    lines_sql = f"SELECT t.customer_id, t.amount FROM {_table(Transaction)} t WHERE {where}"
    if recurring is not None:
        # Recompute under the locks (another run may have billed some of the chunk meanwhile), then keep this
        # chunk's whole-period charges in a temporary table: the invoice totals and the insert both read it.
        partial = partial_period_charges(
            chunk=chunk,
            run_date=recurring.run_date,
            billing_run_id=recurring.billing_run_id,
            actor_id=actor_id,
            now=now,
        )
        if partial:
            Transaction.objects.bulk_create(partial)
        _charges_table_fill(charges_sql, params)
        lines_sql += f" UNION ALL SELECT ch.customer_id, ch.amount FROM {CHARGES_TABLE} ch"
    due_from = ""
    if due_days:
        contract_days = ""
        if selection.billing_days is not None:
            contract_days = (
                " AND c.billing_day IN (" + ", ".join(f"%(sel_day{day})s" for day in selection.billing_days) + ")"
            )
            params.update(selection._billed_customers_params())
        # Each customer's due day: the earliest of their billed contracts' (looked up for the chunk at once).
        due_from = (
            f"LEFT JOIN (SELECT c.customer_id, MIN(c.due_day) AS due_day FROM {_table(Contract)} c "
            f"WHERE c.entity_id = %(sel_entity)s AND c.customer_id BETWEEN %(sel_first)s AND %(sel_last)s "
            f"AND c.status = %(due_active)s{contract_days} GROUP BY c.customer_id) due "
            f"ON due.customer_id = agg.customer_id"
        )
        branches = " ".join(f"WHEN %(due_day{day})s THEN %(due_date{day})s" for day in sorted(due_days))
        due_sql = f"CASE due.due_day {branches} END"
        params["due_active"] = ContractStatus.ACTIVE
        for day, date in due_days.items():
            params[f"due_day{day}"] = day
            params[f"due_date{day}"] = _db(Invoice, "due_date", date)
    elif due_date is not None:
        due_sql = "%(due_date)s"
        params["due_date"] = _db(Invoice, "due_date", due_date)
    else:
        raise ValueError("give due_date or due_days")

    # The chunk's invoices, added up and given their ids, before any number is handed out: everything that
    # only needs the ids (linking the lines, writing the charges) happens outside the number sequence's lock,
    # so chunks running side by side wait for each other only while their invoices are numbered and committed.
    # The lines point at invoice rows that do not exist yet; the foreign keys are checked at commit.
    created = _invoices_table_fill(lines_sql, due_sql, due_from, params)
    with connection.cursor() as cursor:
        if recurring is not None:
            # No ON CONFLICT: under the customer locks the SELECT already left out what exists, so a
            # duplicate here would be a bug, and the unique index makes the whole chunk fail rather than bill twice.
            cursor.execute(
                f"""
                INSERT INTO {_table(Transaction)} ({_TX_COLUMNS}, invoice_id)
                SELECT ch.*, ci.id FROM {CHARGES_TABLE} ch
                LEFT JOIN {INVOICES_TABLE} ci ON ci.customer_id = ch.customer_id
                """
            )
            cursor.execute(f"DROP TABLE {CHARGES_TABLE}")
        if created:
            cursor.execute(
                f"""
                UPDATE {_table(Transaction)} AS t SET invoice_id = ci.id
                FROM {INVOICES_TABLE} ci
                WHERE ci.customer_id = t.customer_id AND {where}
                """,
                params,
            )
    charges = NOTHING
    if recurring is not None:
        charges = _log_charges(
            chunk=chunk, after_id=tx_first_id, billing_run_id=recurring.billing_run_id, actor_id=actor_id, now=now
        )
    # The lines' customer keys can be checked now, while other chunks may still be numbering; only what
    # needs the invoices (their own keys, the lines' invoice keys) is left for the commit.
    _check_foreign_keys_now(Transaction, "customer")
    series = f"invoice:{issue_date.year}"
    # Locks the sequence row until this transaction ends: the numbers are gapless even if the chunk fails.
    base = sequence_reserve(entity=entity, series=series, count=created)
    batch = InvoiceBatch(
        created=created, total=ZERO, entity_id=entity.pk, year=issue_date.year, first_sequence=base + 1
    )
    if not created:
        _drop(INVOICES_TABLE)
        return charges, batch
    params.update(
        {
            "inv_entity": entity.pk,
            "inv_prefix": f"{entity.invoice_prefix}-{issue_date.year}-",
            "inv_year": issue_date.year,
            "inv_issue": _db(Invoice, "issue_date", issue_date),
            "inv_period_start": _db(Invoice, "period_start", period_start),
            "inv_period_end": _db(Invoice, "period_end", period_end),
            "inv_category": selection.category_id,
            "inv_now": _db(Invoice, "created_at", now),
            "inv_run": billing_run_id,
            "inv_actor": actor_id,
            "inv_base": base,
        }
    )
    number_sql = dialect.concat("%(inv_prefix)s", dialect.zero_pad("%(inv_base)s + ci.position"))
    status_sql = f"CASE WHEN ci.total = 0 THEN '{InvoiceStatus.PAID}' ELSE '{InvoiceStatus.UNPAID}' END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_table(Invoice)} (id, entity_id, customer_id, number, year, sequence, issue_date, due_date,
                                           period_start, period_end, category_id, total, amount_paid, status,
                                           paid_at, payment_method, payment_reference, void_reason, voided_at,
                                           voided_by_id, billing_run_id, created_by_id, created_at)
            SELECT ci.id, %(inv_entity)s, ci.customer_id, {number_sql}, %(inv_year)s, %(inv_base)s + ci.position,
                   %(inv_issue)s, ci.due_date, %(inv_period_start)s, %(inv_period_end)s, %(inv_category)s, ci.total, 0,
                   {status_sql}, CASE WHEN ci.total = 0 THEN %(inv_now)s ELSE NULL END,
                   '', '', '', NULL, NULL, %(inv_run)s, %(inv_actor)s, %(inv_now)s
            FROM {INVOICES_TABLE} ci
            """,
            params,
        )
        # The activity rows and the batch's total, from the chunk's table rather than the new invoices.
        after = dialect.json_object(
            {
                "number": number_sql,
                "total": dialect.money_text("ci.total"),
                "status": status_sql,
                "issue_date": "%(inv_issue)s",
                "due_date": "ci.due_date",
            }
        )
        params.update(
            {
                "log_action": ActivityAction.GENERATE,
                "log_type": ContentType.objects.get_for_model(Invoice).pk,
                "log_now": _db(ActivityLog, "created_at", now),
            }
        )
        cursor.execute(
            f"""
            INSERT INTO {_table(ActivityLog)} (entity_id, actor_id, created_at, action, content_type_id, object_id,
                                               customer_id, summary, before, after)
            SELECT %(inv_entity)s, %(inv_actor)s, %(log_now)s, %(log_action)s, %(log_type)s, ci.id, ci.customer_id,
                   {number_sql}, NULL, {after}
            FROM {INVOICES_TABLE} ci
            """,
            params,
        )
        cursor.execute(f"SELECT {dialect.money_sum('ci.total')} FROM {INVOICES_TABLE} ci")
        total = _db_money(cursor.fetchone()[0])
        cursor.execute(f"DROP TABLE {INVOICES_TABLE}")
    return charges, InvoiceBatch(**{**batch.__dict__, "total": total})


CHARGES_TABLE = "quita_chunk_charges"
_CHARGES_TABLE_COLUMNS = (
    "entity_id BIGINT, customer_id BIGINT, kind VARCHAR(16), credit_type VARCHAR(24), title VARCHAR(200), "
    "description TEXT, amount NUMERIC(14, 2), date DATE, service_id BIGINT, category_id BIGINT, period_start DATE, "
    "period_end DATE, source VARCHAR(16), paid_invoice_id BIGINT, is_void BOOLEAN, void_reason VARCHAR(255), "
    "voided_at TIMESTAMP WITH TIME ZONE, voided_by_id BIGINT, billing_run_id BIGINT, created_by_id BIGINT, "
    "created_at TIMESTAMP WITH TIME ZONE"
)


def _charges_table_fill(charges_sql: str, params: dict) -> None:
    """Write the chunk's whole-period charges (columns `_TX_COLUMNS`) to a temporary table of this session."""
    _drop(CHARGES_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {CHARGES_TABLE} ({_CHARGES_TABLE_COLUMNS})")
        cursor.execute(f"INSERT INTO {CHARGES_TABLE} ({_TX_COLUMNS}) {charges_sql}", params)


INVOICES_TABLE = "quita_chunk_invoices"


def _invoices_table_fill(lines_sql: str, due_sql: str, due_from: str, params: dict) -> int:
    """Add up each customer's lines into a temporary table of the chunk's invoices-to-be; return how many.

    Each row gets the id its invoice will have (from the table's identity sequence on PostgreSQL; on
    SQLite, whose IMMEDIATE transactions hold the only write lock, the ids after the largest), its due
    date and its position in customer order, which becomes its number once the sequence is locked.
    Customers whose lines add up to less than zero get no row: their credit stays on the ledger.
    """
    dialect = _Dialect()
    if dialect.vendor == "postgresql":
        new_id = f"nextval('{_invoice_id_sequence()}'::regclass)"
    else:
        new_id = f"(SELECT COALESCE(MAX(id), 0) FROM {_table(Invoice)}) + agg.position"
    _drop(INVOICES_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {INVOICES_TABLE} "
            "(id BIGINT, customer_id BIGINT, total NUMERIC(14, 2), due_date DATE, position BIGINT)"
        )
        cursor.execute(
            f"""
            INSERT INTO {INVOICES_TABLE} (id, customer_id, total, due_date, position)
            SELECT {new_id}, agg.customer_id, agg.total, {due_sql}, agg.position
            FROM (
                SELECT lines.customer_id, {dialect.money_sum("lines.amount")} AS total,
                       ROW_NUMBER() OVER (ORDER BY lines.customer_id) AS position
                FROM ({lines_sql}) lines
                GROUP BY lines.customer_id
                HAVING {dialect.money_sum("lines.amount")} >= 0
            ) agg {due_from}
            """,
            params,
        )
        return max(cursor.rowcount, 0)


_sequences: dict[str, str] = {}


def _invoice_id_sequence() -> str:
    """The name of the sequence behind the invoice table's ids (looked up once per process)."""
    if connection.alias not in _sequences:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Invoice._meta.db_table])
            _sequences[connection.alias] = cursor.fetchone()[0]
    return _sequences[connection.alias]


_constraints: dict[tuple[str, str, str], str] = {}


def _check_foreign_keys_now(model, field: str) -> None:
    """Run the pending (deferred) checks of a foreign key now instead of at commit (PostgreSQL).

    Django creates foreign keys `DEFERRABLE INITIALLY DEFERRED`; `SET CONSTRAINTS … IMMEDIATE` fires
    the checks queued so far and checks later rows as they are written, for the rest of the transaction.
    """
    if connection.vendor != "postgresql":
        return
    column = model._meta.get_field(field).column
    key = (connection.alias, model._meta.db_table, column)
    with connection.cursor() as cursor:
        if key not in _constraints:
            cursor.execute(
                "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
                "AND a.attnum = c.conkey[1] WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND a.attname = %s",
                [model._meta.db_table, column],
            )
            row = cursor.fetchone()
            _constraints[key] = row[0] if row else ""
        if _constraints[key]:
            cursor.execute(f"SET CONSTRAINTS {connection.ops.quote_name(_constraints[key])} IMMEDIATE")


def _db_money(value) -> Decimal:
    """A sum read back from SQL as a Decimal of centavos (SQLite returns floats)."""
    return ZERO if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _drop(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _exists(sql: str, params: dict) -> bool:
    # COUNT rather than EXISTS/LIMIT: with EXISTS the planner picks a fast-start plan for the anti-join that
    # probes per row and is ~40x slower when, as in a repeated run, there is nothing to find.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) pending", params)
        return cursor.fetchone()[0] > 0


def _max_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {_table(model)}")
        return cursor.fetchone()[0]


def _log_charges(*, chunk: Chunk, after_id: int, billing_run_id, actor_id, now) -> Totals:
    """Log each recurring charge the chunk created (found by id range: ids only grow) and add them up."""
    from django.db.models import Count, Sum

    created = Transaction.objects.filter(
        pk__gt=after_id,
        billing_run_id=billing_run_id,
        customer_id__gte=chunk.first_customer_id,
        customer_id__lte=chunk.last_customer_id,
    )
    row = created.aggregate(n=Count("id"), total=Sum("amount"))
    if not row["n"]:
        return NOTHING
    dialect = _Dialect()
    after = dialect.json_object(
        {
            "kind": "t.kind",
            "amount": dialect.money_text("t.amount"),
            "title": "t.title",
            "period_start": "t.period_start",
            "period_end": "t.period_end",
            "invoice": "t.invoice_id",
        }
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_table(ActivityLog)} (entity_id, actor_id, created_at, action, content_type_id, object_id,
                                               customer_id, summary, before, after)
            SELECT t.entity_id, %s, %s, %s, %s, t.id, t.customer_id, t.title, NULL, {after}
            FROM {_table(Transaction)} t
            WHERE t.id > %s AND t.billing_run_id = %s AND t.customer_id BETWEEN %s AND %s
            """,
            [
                actor_id,
                _db(ActivityLog, "created_at", now),
                ActivityAction.BILL,
                ContentType.objects.get_for_model(Transaction).pk,
                after_id,
                billing_run_id,
                chunk.first_customer_id,
                chunk.last_customer_id,
            ],
        )
    return Totals(created=row["n"], total=row["total"])
