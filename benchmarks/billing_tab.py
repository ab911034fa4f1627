"""Benchmark: a customer's billing tab through the API, on a large ledger in PostgreSQL.

    .venv/bin/python benchmarks/billing_tab.py --customers 1000000 --transactions 10000000

Loads the customers and their ledger with COPY (each customer gets transactions/customers lines,
80% of them on two invoices, the rest unbilled), then times, in process through Django's test
client with token-less forced authentication, for randomly picked customers:
  GET /api/customers/{id}/billing-summary/   (the four transaction and four invoice statistics)
  GET /api/transactions/?customer={id}       (first page)
  GET /api/invoices/?customer={id}           (first page)
and prints the median and 95th percentile of each. Target: under 50 ms at the median.
Starts a private PostgreSQL (scripts/with-postgres) unless DATABASE_URL points at one.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402


def load(customers: int, transactions: int):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from quita.core.models import Entity, Membership, Role
    from quita.customers.models import Category

    entity = Entity.objects.create(name="Big ISP", legal_name="Big ISP Ltda", cnpj="11222333000181")
    user = get_user_model().objects.create_user(username="bench", password="bench")
    Membership.objects.create(user=user, entity=entity, role=Role.BILLING_CLERK)
    internet = Category.objects.get(code="internet").pk
    now = timezone.now()
    per_customer = max(transactions // customers, 1)
    billed_per_invoice = max(per_customer * 4 // 10, 1)
    today = datetime.date.today()
    months = [today.replace(day=1) - datetime.timedelta(days=30 * k) for k in range(per_customer)]

    _harness.copy_customers(entity.pk, range(1, customers + 1), now)

    def invoices():
        for i in range(1, customers + 1):
            for k in (0, 1):
                total = Decimal("99.90") * billed_per_invoice
                issue = months[min(k * billed_per_invoice, len(months) - 1)]
                status = "paid" if k == 1 else "unpaid"
                yield (
                    2 * i - 1 + k,
                    entity.pk,
                    i,
                    f"INV-{issue.year}-{2 * i - 1 + k:07d}",
                    issue.year,
                    2 * i - 1 + k,
                    issue,
                    issue + datetime.timedelta(days=10),
                    issue,
                    issue,
                    None,
                    total,
                    total if status == "paid" else Decimal("0"),
                    status,
                    now if status == "paid" else None,
                    "",
                    "",
                    "",
                    None,
                    None,
                    None,
                    None,
                    now,
                )

    _harness.copy_rows(
        "billing_invoice",
        _harness.INVOICE_COLUMNS,
        invoices(),
    )

    def lines():
        tx_id = 0
        for i in range(1, customers + 1):
            for k in range(per_customer):
                tx_id += 1
                invoice = (2 * i - 1 + k // billed_per_invoice) if k < 2 * billed_per_invoice else None
                yield (
                    tx_id,
                    entity.pk,
                    i,
                    "charge",
                    "",
                    "Fibra 500 Mega",
                    "",
                    Decimal("99.90"),
                    months[k],
                    None,
                    internet,
                    months[k],
                    months[k],
                    "recurring",
                    invoice,
                    None,
                    False,
                    "",
                    None,
                    None,
                    None,
                    None,
                    now,
                )

    _harness.copy_rows(
        "billing_transaction",
        [
            "id",
            "entity_id",
            "customer_id",
            "kind",
            "credit_type",
            "title",
            "description",
            "amount",
            "date",
            "service_id",
            "category_id",
            "period_start",
            "period_end",
            "source",
            "invoice_id",
            "paid_invoice_id",
            "is_void",
            "void_reason",
            "voided_at",
            "voided_by_id",
            "billing_run_id",
            "created_by_id",
            "created_at",
        ],
        lines(),
    )
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("customers_customer", "billing_invoice", "billing_transaction"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    # COPY ran with the triggers off: build the entity's statistics summaries as the triggers would have (0008).
    from quita.billing import summaries

    summaries.rebuild(connection, entity_id=entity.pk)
    _harness.analyze("customers_customer", "billing_invoice", "billing_transaction")
    return user


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=10_000_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("QUITA_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    _harness.ensure_postgres()
    _harness.django_setup()
    from rest_framework.test import APIClient

    timings: dict[str, float] = {}
    with _harness.timed("load", timings):
        user = load(args.customers, args.transactions)
    client = APIClient()
    client.force_authenticate(user)
    pages = {
        "billing-summary": "/api/customers/{id}/billing-summary/",
        "transactions page": "/api/transactions/?customer={id}",
        "invoices page": "/api/invoices/?customer={id}",
    }
    rng = random.Random(7)
    ids = [rng.randint(1, args.customers) for _ in range(args.samples)]
    for url in pages.values():  # warm up connections and caches once
        assert client.get(url.format(id=ids[0])).status_code == 200
    print(f"customers: {args.customers:,}   transactions: {args.transactions:,}   load: {timings['load']:.0f} s")
    worst_median = 0.0
    for name, url in pages.items():
        samples = []
        for customer_id in ids:
            start = time.perf_counter()
            response = client.get(url.format(id=customer_id))
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.content[:200]
        samples.sort()
        median, p95 = statistics.median(samples), samples[int(len(samples) * 0.95) - 1]
        worst_median = max(worst_median, median)
        print(f"{name:18s} median {median:6.1f} ms   p95 {p95:6.1f} ms   ({len(samples)} requests)")
    print(f"target under 50 ms at the median: {'met' if worst_median < 50 else 'NOT met'}")
    print(f"peak memory of the Python process: {_harness.peak_memory_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
