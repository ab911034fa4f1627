"""Benchmark: the server render time of every staff page, at the median, on PostgreSQL.

    .venv/bin/python benchmarks/pages.py                       # the demo ISP (300 customers)
    .venv/bin/python benchmarks/pages.py --customers 100000    # 100,000 customers loaded with COPY

With `--customers N` the customers and their ledger are loaded as in benchmarks/billing_tab.py
(`--transactions`, default 12 per customer, 80% of them on two invoices per customer, the rest unbilled).
Each page is requested `--samples` times in process through Django's test client, logged in as a
billing clerk (the demo's `clerk`), for randomly picked customers and invoices; the table prints the
median and the 95th percentile, and the median CPU time of this Python process (the render without the
database, and without the time spent waiting for a core when other work shares the machine).
Target: under 200 ms at the median for every page.
Starts a private PostgreSQL (scripts/with-postgres) unless DATABASE_URL points at one.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402

TARGET_MS = 200
HTMX = {"HTTP_HX_REQUEST": "true"}


def staff_pages(
    customer_ids: list[int], invoice_ids: list[int], contracts: list[tuple[int, int]], rng: random.Random
) -> dict:
    """Every staff page (and modal) as a function returning a URL for a random customer, invoice or contract
    (`contracts`: (customer id, contract id) pairs)."""

    def customer() -> int:
        return rng.choice(customer_ids)

    def invoice() -> int:
        return rng.choice(invoice_ids)

    return {
        "dashboard": lambda: "/",
        "customers": lambda: "/customers/",
        "customers, page 5": lambda: "/customers/?page=5",
        "customers, search": lambda: f"/customers/?q=Cliente {customer()}",
        "customer overview": lambda: f"/customers/{customer()}/",
        "billing tab": lambda: f"/customers/{customer()}/billing/",
        "billing tab, unbilled": lambda: f"/customers/{customer()}/billing/?tx_billed=false&inv_status=unpaid",
        "transactions": lambda: "/billing/transactions/",
        "transactions, unbilled": lambda: "/billing/transactions/?billed=false",
        "transactions, search": lambda: "/billing/transactions/?q=Visita",
        "transactions, page 20": lambda: "/billing/transactions/?page=20",
        "transactions, by amount": lambda: "/billing/transactions/?sort=-amount",
        "invoices": lambda: "/billing/invoices/",
        "invoices, overdue": lambda: "/billing/invoices/?status=overdue",
        "invoices, unpaid by due": lambda: "/billing/invoices/?status=unpaid&sort=due_date",
        "invoice page": lambda: f"/billing/invoices/{invoice()}/",
        "invoice modal": lambda: f"/billing/invoices/{invoice()}/modal/",
        "modal: add transaction": lambda: f"/customers/{customer()}/transactions/add/",
        "modal: generate proforma": lambda: f"/customers/{customer()}/invoices/generate/",
        "modal: pay": lambda: f"/billing/invoices/{invoice()}/pay/",
        "modal: e-mail invoice": lambda: f"/billing/invoices/{invoice()}/email/",
        "modal: refund": lambda: f"/billing/invoices/{invoice()}/refund/",
        "invoice run form": lambda: "/billing/invoices/run/",
        "contract: billing (wallet)": lambda: "/customers/{}/contracts/{}/".format(*rng.choice(contracts)),
        "boletos issued": lambda: "/billing/boletos/",
        "bank return upload": lambda: "/billing/bank-returns/upload/",
        "remittances": lambda: "/billing/remittances/",
        "bank return files": lambda: "/billing/bank-returns/",
        "needs attention": lambda: "/billing/needs-attention/",
    }


def prepare_demo(customers: int):
    from django.contrib.auth import get_user_model

    from quita.demo.builder import demo_build, demo_exists

    if not demo_exists():
        demo_build(customers=customers)
    return get_user_model().objects.get(username="clerk")


def prepare_large(customers: int, transactions: int):
    import billing_tab  # the same ledger as the billing tab's benchmark

    user = billing_tab.load(customers, transactions)
    prepare_banking(user)
    return user


def prepare_banking(user) -> None:
    """The banking pages' data at scale: a Bradesco wallet, every customer's contract billed on it, and a
    registered boleto for each unpaid invoice (loaded with COPY)."""
    import datetime

    from django.utils import timezone

    from quita.banking import services
    from quita.billing.models import Invoice
    from quita.core.models import Membership
    from quita.customers.models import Contract, Customer

    entity_id = Membership.objects.filter(user=user).values_list("entity_id", flat=True).first()
    wallet = services.wallet_create(
        entity=entity_id, actor=None, name="Bradesco", bank="237", agency="1234", account="56789", wallet_code="09"
    )
    start = datetime.date(2024, 1, 1)
    Contract.objects.bulk_create(
        (
            Contract(
                entity_id=entity_id,
                customer_id=pk,
                description="Fibra 500",
                billing_day=1,
                due_day=10,
                start_date=start,
                wallet=wallet,
            )
            for pk in Customer.objects.filter(entity_id=entity_id).values_list("pk", flat=True).iterator()
        ),
        batch_size=5000,
    )
    unpaid = Invoice.objects.filter(entity_id=entity_id, status="unpaid").order_by("pk")
    _harness.copy_boletos(wallet, list(unpaid.values_list("pk", "customer_id", "total", "due_date")), timezone.now())
    _harness.analyze("customers_contract", "banking_boleto")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=0, help="load N customers with COPY (default: the demo)")
    parser.add_argument("--transactions", type=int, default=0, help="ledger lines in all (default 12 per customer)")
    parser.add_argument("--demo-customers", type=int, default=300)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("QUITA_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    _harness.ensure_postgres()
    _harness.django_setup()
    from django.test import Client

    from quita.billing.models import Invoice
    from quita.core.models import Membership
    from quita.customers.models import Contract, Customer

    started = time.perf_counter()
    if args.customers:
        user = prepare_large(args.customers, args.transactions or 12 * args.customers)
        label = f"{args.customers:,} customers (COPY)"
    else:
        user = prepare_demo(args.demo_customers)
        label = f"the demo ISP ({args.demo_customers} customers)"
    prepared = time.perf_counter() - started
    entity_id = Membership.objects.filter(user=user).values_list("entity_id", flat=True).first()
    customer_ids = list(Customer.objects.filter(entity_id=entity_id).values_list("pk", flat=True).order_by("?")[:500])
    invoice_ids = list(Invoice.objects.filter(entity_id=entity_id).values_list("pk", flat=True).order_by("?")[:500])
    contracts = list(
        Contract.objects.filter(customer__entity_id=entity_id).values_list("customer_id", "pk").order_by("?")[:500]
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="pt-br")
    client.force_login(user)
    session = client.session
    session["quita_entity_id"] = entity_id
    session.save()
    rng = random.Random(7)
    pages = staff_pages(customer_ids, invoice_ids, contracts, rng)

    print(f"{label}; prepared in {prepared:.0f} s; {args.samples} requests per page; PostgreSQL")
    print(f"{'page':28s} {'median':>9s} {'p95':>9s} {'py cpu':>9s}")
    worst = ("", 0.0)
    for name, url_for in pages.items():
        headers = HTMX if name.startswith("modal") or name == "invoice modal" else {}
        response = client.get(url_for(), **headers)  # warm-up
        assert response.status_code == 200, (name, response.status_code)
        samples, cpu = [], []
        for _ in range(args.samples):
            url = url_for()
            start, cpu_start = time.perf_counter(), time.process_time()
            response = client.get(url, **headers)
            samples.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - cpu_start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        samples.sort()
        median, p95 = statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]
        if median > worst[1]:
            worst = (name, median)
        print(f"{name:28s} {median:7.1f} ms {p95:7.1f} ms {statistics.median(cpu):6.1f} ms")
    print(f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())} on {os.cpu_count()} CPUs")
    verdict = "met" if worst[1] < TARGET_MS else "NOT met"
    print(f"target under {TARGET_MS} ms at the median: {verdict} (slowest: {worst[0]}, {worst[1]:.1f} ms)")


if __name__ == "__main__":
    main()
