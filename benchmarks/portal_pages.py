"""Benchmark: server render time of every subscriber-portal page, with the demo data and at scale.

    .venv/bin/python benchmarks/portal_pages.py --demo                 # the demo ISP (300 customers)
    .venv/bin/python benchmarks/portal_pages.py --customers 100000     # 100,000 customers, 10 lines each

Logs in (POST /portal/login/) as subscribers picked at random, then times in process, through Django's
test client, the portal's pages for each: the home page, the invoice lists (open, paid), an invoice, the
history, the cards page, and (not a page, printed apart) the invoice PDF. Prints the median and 95th
percentile per page. Target: every page under 200 ms at the median.
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

PASSWORD = "bench-Portal-2025"


def load_scale(customers: int, transactions: int) -> None:
    """The billing tab benchmark's ledger (COPY): two invoices per customer (one open, one paid) and lines."""
    import billing_tab

    billing_tab.load(customers, transactions)


def load_demo(customers: int) -> None:
    from quita.demo.builder import demo_build, demo_exists

    if not demo_exists():
        demo_build(customers=customers)


def accounts_for(sample: list) -> list:
    from quita.portal.models import SubscriberAccount
    from quita.portal.services import account_link_customers

    accounts = []
    for customer in sample:
        account, _created = SubscriberAccount.objects.get_or_create(document=customer.document)
        account.set_password(PASSWORD)
        account.save()
        account_link_customers(account)
        accounts.append(account)
    return accounts


PORTAL_PAGES = {
    "portal: login (anonymous)": lambda invoice: "/portal/login/",
    "portal: home": lambda invoice: "/portal/",
    "portal: invoices, paid": lambda invoice: "/portal/invoices/?status=paid",
    "portal: invoices, all": lambda invoice: "/portal/invoices/?status=all",
    "portal: invoice page": lambda invoice: f"/portal/invoices/{invoice.pk}/",
    "portal: history": lambda invoice: "/portal/transactions/",
    "portal: cards": lambda invoice: "/portal/cards/",
}


def portal_clients(count: int, rng: random.Random) -> list:
    """`count` subscribers with invoices, each logged in through the portal's login form: (client, invoice)."""
    from django.conf import settings
    from django.test import Client

    from quita.billing.models import Invoice, InvoiceStatus
    from quita.customers.models import Customer

    # Logging in is not what is measured: a cheap hasher for the sampled accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with_invoices = list(
        Invoice.objects.exclude(status=InvoiceStatus.VOID).values_list("customer_id", flat=True).distinct()[:5000]
    )
    sample = list(Customer.objects.filter(pk__in=rng.sample(with_invoices, min(count, len(with_invoices)))))
    accounts_for(sample)
    clients = []
    for customer in sample:
        client = Client(HTTP_ACCEPT_LANGUAGE="pt-br")
        response = client.post("/portal/login/", {"document": customer.document, "password": PASSWORD})
        assert response.status_code == 302, response.content[:300]
        invoice = Invoice.objects.filter(customer=customer).exclude(status=InvoiceStatus.VOID).first()
        clients.append((client, invoice))
    return clients


def portal_rows(clients: list) -> list[tuple[str, float, float]]:
    """(page, median ms, p95 ms) for every portal page, one request per subscriber and page."""
    from django.test import Client

    anonymous = Client(HTTP_ACCEPT_LANGUAGE="pt-br")
    rows = []
    for name, url in PORTAL_PAGES.items():
        first_client, first_invoice = clients[0]
        assert (anonymous if "anonymous" in name else first_client).get(url(first_invoice)).status_code == 200
        samples = []
        for client, invoice in clients:
            start = time.perf_counter()
            response = (anonymous if "anonymous" in name else client).get(url(invoice))
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        samples.sort()
        rows.append((name, statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true", help="the demo ISP instead of the COPY-loaded ledger")
    parser.add_argument("--customers", type=int, default=None, help="demo: 300; otherwise 100,000")
    parser.add_argument("--transactions", type=int, default=None, help="lines in all (default 10 per customer)")
    parser.add_argument("--samples", type=int, default=40, help="subscribers to log in as")
    parser.add_argument("--pdf-samples", type=int, default=5)
    args = parser.parse_args()
    customers = args.customers or (300 if args.demo else 100_000)
    transactions = args.transactions or customers * 10
    os.environ.setdefault("QUITA_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    _harness.ensure_postgres()
    _harness.django_setup()
    from quita.billing.models import Invoice
    from quita.customers.models import Customer

    timings: dict[str, float] = {}
    with _harness.timed("load", timings):
        load_demo(customers) if args.demo else load_scale(customers, transactions)
    _harness.analyze("customers_customer", "billing_invoice", "billing_transaction")
    clients = portal_clients(args.samples, random.Random(7))
    print(
        f"portal pages — {'demo data' if args.demo else 'COPY-loaded ledger'}: "
        f"{Customer.objects.count():,} customers, {Invoice.objects.count():,} invoices; "
        f"load {timings['load']:.0f} s; {len(clients)} subscribers; PostgreSQL"
    )
    print(f"{'page':28s} {'median':>9s} {'p95':>9s}")
    rows = portal_rows(clients)
    for name, median, p95 in rows:
        print(f"{name:28s} {median:7.1f} ms {p95:7.1f} ms")
    pdf = []
    for client, invoice in clients[: args.pdf_samples]:
        start = time.perf_counter()
        assert client.get(f"/portal/invoices/{invoice.pk}/pdf/").status_code == 200
        pdf.append((time.perf_counter() - start) * 1000)
    print(f"{'invoice PDF (not a page)':28s} {statistics.median(pdf):7.1f} ms {max(pdf):7.1f} ms (max)")
    worst = max(median for _name, median, _p95 in rows)
    print(f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"target: every page under 200 ms at the median: {'met' if worst < 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
