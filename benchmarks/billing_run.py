"""Benchmark: the monthly billing run on PostgreSQL (recurring charges, then one invoice per customer).

    .venv/bin/python benchmarks/billing_run.py --contracts 100000

Builds N active contracts (one customer, one service each; 1% of the services started during the
previous period, so they take the prorated catch-up path), times `billing_run_recurring`, splitting
the time into its two phases, then a second run over the same date (which must create nothing),
and, in the same database, PostgreSQL's raw COPY of N transaction rows as the floor.
Starts a private PostgreSQL (scripts/with-postgres) unless DATABASE_URL points at one.
Target on a 2-core machine: 1,000,000 contracts in under 90 s and under 1 GiB of memory.
"""

from __future__ import annotations

import argparse
import datetime
import io
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402


def build(contracts: int) -> tuple[object, datetime.date]:
    from django.db import connection
    from django.utils import timezone

    from quita.core.models import Entity
    from quita.customers.models import Category, Product

    entity = Entity.objects.create(name="Bench ISP", legal_name="Bench ISP Ltda", cnpj="11222333000181")
    internet = Category.objects.get(code="internet")
    product = Product.objects.create(entity=entity, name="Fibra 500 Mega", category=internet, price=Decimal("99.90"))
    now = timezone.now()
    run_date = datetime.date(2025, 3, 1)
    long_ago, last_period = datetime.date(2024, 1, 1), datetime.date(2025, 2, 10)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM customers_customer")
        first_id = cursor.fetchone()[0] + 1
    ids = range(first_id, first_id + contracts)
    _harness.copy_customers(entity.pk, ids, now)
    _harness.copy_rows(
        "customers_contract",
        [
            "id",
            "entity_id",
            "customer_id",
            "description",
            "billing_day",
            "due_day",
            "status",
            "start_date",
            "end_date",
            "created_at",
        ],
        ((i, entity.pk, i, "", 1, 10, "active", long_ago, None, now) for i in ids),
    )
    _harness.copy_rows(
        "customers_service",
        [
            "id",
            "contract_id",
            "customer_id",
            "product_id",
            "description",
            "price",
            "category_id",
            "start_date",
            "end_date",
            "created_at",
        ],
        (
            (
                i,
                i,
                i,
                product.pk,
                "",
                Decimal("99.90"),
                internet.pk,
                last_period if i % 100 == 0 else long_ago,
                None,
                now,
            )
            for i in ids
        ),
    )
    with connection.cursor() as cursor:
        for table in ("customers_customer", "customers_contract", "customers_service"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    _harness.analyze("customers_customer", "customers_contract", "customers_service")
    return entity, run_date


def copy_floor(rows: int) -> float:
    """Seconds PostgreSQL takes to COPY `rows` transaction-shaped rows into an unindexed table."""
    from django.db import connection

    buffer = io.StringIO()
    for i in range(rows):
        buffer.write(
            f"1\t{i}\tcharge\t\tFibra 500 Mega\t01/03/2025 – 31/03/2025\t99.90\t2025-03-01\t{i}\t1\t"
            f"2025-03-01\t2025-03-31\trecurring\tf\t\t2025-03-01 00:00:00+00\n"
        )
    data = buffer.getvalue().encode()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_floor")
        cursor.execute(
            "CREATE TABLE bench_copy_floor (entity_id bigint, customer_id bigint, kind varchar(16), "
            "credit_type varchar(24), title varchar(200), description text, amount numeric(14,2), date date, "
            "service_id bigint, category_id bigint, period_start date, period_end date, source varchar(16), "
            "is_void boolean, void_reason varchar(255), created_at timestamptz)"
        )
        start = time.perf_counter()
        with cursor.cursor.copy("COPY bench_copy_floor FROM STDIN") as copy:
            copy.write(data)
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_copy_floor")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--workers", type=int, default=None, help="chunks side by side (default: the engine's)")
    args = parser.parse_args()
    _harness.ensure_postgres()
    _harness.django_setup()

    from django.db import connection
    from django.db.backends.signals import connection_created
    from django.db.models import Count, Sum

    from quita.billing import services
    from quita.billing.models import Invoice, Transaction

    timings: dict[str, float] = {}
    with _harness.timed("build", timings):
        entity, run_date = build(args.contracts)

    phase = {"charges": 0.0, "invoices": 0.0}

    def classify(execute, sql, params, many, context):
        """Add each statement's time to the phase it belongs to (charges or invoices)."""
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            head = " ".join(sql.split())[:60]
            if (
                'INSERT INTO "billing_transaction"' in head
                or "customers_service" in head
                or "quita_chunk_charges" in head
                or "SELECT 1 WHERE EXISTS" in head
            ):
                phase["charges"] += time.perf_counter() - start
            elif "billing_invoice" in head or ('UPDATE "billing_transaction"' in head):
                phase["invoices"] += time.perf_counter() - start
            elif 'INSERT INTO "core_activitylog"' in head:
                key = "charges" if "t.kind" in sql else "invoices"
                phase[key] += time.perf_counter() - start

    def classify_new_connection(sender, connection, **kwargs):
        """The run's workers open connections of their own: time their statements too."""
        if measuring:
            connection.execute_wrappers.append(classify)

    chunk = {"chunk_size": args.chunk_size} if args.chunk_size else {}
    chunk["workers"] = args.workers
    workers = services.run_workers(args.workers)
    measuring = True
    connection_created.connect(classify_new_connection)
    with connection.execute_wrapper(classify), _harness.timed("first run", timings):
        first = services.billing_run_recurring(entity=entity, run_date=run_date, **chunk)
    measuring = False
    connection_created.disconnect(classify_new_connection)
    first_phases = dict(phase)
    with _harness.timed("second run", timings):
        second = services.billing_run_recurring(entity=entity, run_date=run_date, **chunk)
    with connection.cursor() as cursor:  # what autovacuum would have done between the runs, on a quiet system
        cursor.execute("VACUUM ANALYZE billing_transaction, billing_invoice, core_activitylog")
    with _harness.timed("third run", timings):
        third = services.billing_run_recurring(entity=entity, run_date=run_date, **chunk)
    with _harness.timed("copy floor", timings):
        floor = copy_floor(args.contracts)

    lines = Transaction.objects.filter(entity=entity).aggregate(n=Count("id"), total=Sum("amount"))
    invoices = Invoice.objects.filter(entity=entity).aggregate(n=Count("id"), total=Sum("total"))
    n = args.contracts
    total = timings["first run"]
    print(
        f"contracts: {n:,}   chunks: {first.chunks_total}   workers: {workers}   "
        f"errors: {len(first.errors) + len(second.errors)}"
    )
    print(f"build (COPY of customers, contracts, services): {timings['build']:.1f} s")
    print(f"first run: {total:.2f} s = {n / total:,.0f} contracts/s")
    print(
        f"  recurring charges: {first_phases['charges']:.2f} s = {n / first_phases['charges']:,.0f} contracts/s "
        f"({first.charges_created:,} charges, R$ {first.charges_total})"
    )
    print(
        f"  invoices:          {first_phases['invoices']:.2f} s = {n / first_phases['invoices']:,.0f} contracts/s "
        f"({first.invoices_created:,} invoices, R$ {first.invoices_total})"
    )
    if workers == 1:
        other = total - first_phases["charges"] - first_phases["invoices"]
        print(f"  row locks, number sequence, commits (deferred foreign-key checks), run record: {other:.2f} s")
    else:
        print(f"  (phase times are statement time summed over the {workers} workers, which overlap)")
    print(
        f"second run (same date): {timings['second run']:.2f} s = {timings['second run'] / total:.1%} of the first; "
        f"created {second.charges_created} charges, {second.invoices_created} invoices"
    )
    print(
        f"third run (same date, after VACUUM ANALYZE): {timings['third run']:.2f} s = "
        f"{timings['third run'] / total:.1%} of the first; created {third.charges_created} charges, "
        f"{third.invoices_created} invoices"
    )
    print(f"raw COPY of {n:,} rows (floor): {floor:.2f} s; first run / floor = {total / floor:.1f}x")
    print(f"ledger: {lines['n']:,} transactions R$ {lines['total']}; {invoices['n']:,} invoices R$ {invoices['total']}")
    print(f"peak memory of the Python process: {_harness.peak_memory_mib():,.0f} MiB")
    ok = (
        lines["total"] == invoices["total"]
        and second.charges_created == 0
        and second.invoices_created == 0
        and third.charges_created == third.invoices_created == 0
        and not first.errors
    )
    print("consistent: " + ("yes" if ok else "NO"))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
