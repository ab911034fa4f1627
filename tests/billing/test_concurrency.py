"""Concurrency and crash safety on PostgreSQL: real processes and threads against committed data.

Two `quita bill` processes on the same date; two payments on one invoice at once; pay racing void;
two invoice generations for one customer; and `quita bill` killed with SIGKILL in the middle of a run.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections
from django.db.models import Count, F, Sum

from quita.billing import engine, services
from quita.billing.models import BillingRun, Invoice, InvoiceStatus, Transaction
from quita.core.errors import DomainError
from quita.core.models import Entity
from quita.customers.models import Category, Contract, Customer, Product, Service
from quita.payments import services as payments
from quita.payments.models import Payment
from tests.conftest import make_cnpj

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="row locks and processes need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

D = datetime.date
PRICE = Decimal("99.90")
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    """The URL of the test database, for child processes."""
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def _build_isp(customers: int) -> Entity:
    """An entity with `customers` customers, each with one active contract and one service since 2024."""
    entity = Entity.objects.create(name="Race ISP", legal_name="Race ISP Ltda", cnpj="11222333000181")
    internet = Category.objects.get(code="internet")
    product = Product.objects.create(entity=entity, name="Fibra", category=internet, price=PRICE)
    rows = Customer.objects.bulk_create(
        Customer(entity=entity, person_type="PF", document=f"{i:011d}", name=f"Cliente {i}") for i in range(customers)
    )
    contracts = Contract.objects.bulk_create(
        Contract(entity=entity, customer=c, billing_day=1, due_day=10, start_date=D(2024, 1, 1)) for c in rows
    )
    Service.objects.bulk_create(
        Service(
            contract=c,
            customer_id=c.customer_id,
            product=product,
            price=PRICE,
            category=internet,
            start_date=D(2024, 1, 1),
        )
        for c in contracts
    )
    return entity


def _quita(*args: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "quita.settings"}
    return subprocess.Popen(
        [sys.executable, "-m", "quita.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ledger(entity: Entity) -> dict:
    lines = Transaction.objects.filter(entity=entity).aggregate(n=Count("id"), total=Sum("amount"))
    invoices = Invoice.objects.filter(entity=entity).aggregate(n=Count("id"), total=Sum("total"))
    sequences = list(Invoice.objects.filter(entity=entity).order_by("sequence").values_list("sequence", flat=True))
    return {
        "charges": lines["n"],
        "charges_total": lines["total"],
        "invoices": invoices["n"],
        "invoices_total": invoices["total"],
        "gapless": sequences == list(range(1, len(sequences) + 1)),
        "unbilled": Transaction.objects.filter(entity=entity, invoice__isnull=True).count(),
    }


def _expected(customers: int) -> dict:
    total = PRICE * customers
    return {
        "charges": customers,
        "charges_total": total,
        "invoices": customers,
        "invoices_total": total,
        "gapless": True,
        "unbilled": 0,
    }


def test_two_bill_processes_on_the_same_date_bill_once():
    entity = _build_isp(600)
    first = _quita("bill", "--date", "2025-03-01", "--chunk-size", "50")
    second = _quita("bill", "--date", "2025-03-01", "--chunk-size", "50")
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs

    assert _ledger(entity) == _expected(600)
    runs = BillingRun.objects.filter(entity=entity)
    assert sum(run.charges_created for run in runs) == 600
    assert sum(run.invoices_created for run in runs) == 600


def test_workers_side_by_side_bill_like_one_worker():
    entity = _build_isp(600)

    run = services.billing_run_recurring(entity=entity, run_date=D(2025, 3, 1), chunk_size=25, workers=4)

    assert (run.chunks_done, run.chunks_total, run.errors) == (24, 24, [])
    assert _ledger(entity) == _expected(600)
    lines = Invoice.objects.filter(entity=entity).annotate(lines=Sum("transactions__amount"))
    assert not lines.exclude(total=F("lines")).exists()
    assert services.billing_run_recurring(entity=entity, run_date=D(2025, 3, 1), workers=4).chunks_total == 0


def test_a_failing_chunk_among_workers_is_recorded_and_the_others_complete(monkeypatch):
    entity = _build_isp(200)
    real = engine.invoices_generate

    def fail_on_one_chunk(*, selection, **kwargs):
        if selection.chunk.first_customer_id == Customer.objects.filter(entity=entity).order_by("id")[100].pk:
            raise RuntimeError("disk full")
        return real(selection=selection, **kwargs)

    monkeypatch.setattr(engine, "invoices_generate", fail_on_one_chunk)
    run = services.billing_run_recurring(entity=entity, run_date=D(2025, 3, 1), chunk_size=20, workers=3)

    assert run.status == "done_with_errors" and run.chunks_done == 9
    assert [error["error"] for error in run.errors] == ["RuntimeError: disk full"]
    assert Invoice.objects.filter(entity=entity).count() == 180
    monkeypatch.setattr(engine, "invoices_generate", real)
    services.billing_run_recurring(entity=entity, run_date=D(2025, 3, 1), workers=3)
    assert _ledger(entity) == _expected(200)


def test_bill_killed_mid_run_then_run_again_gives_one_clean_run():
    entity = _build_isp(3000)
    process = _quita("bill", "--date", "2025-03-01", "--chunk-size", "20")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = BillingRun.objects.filter(entity=entity).first()
        if run is not None and run.chunks_done >= 5:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    killed = BillingRun.objects.get(entity=entity)
    assert 5 <= killed.chunks_done < killed.chunks_total, "the run must be killed part-way"
    assert killed.finished_at is None
    partial = _ledger(entity)
    assert 0 < partial["invoices"] < 3000 and partial["charges"] == partial["invoices"]

    rerun = _quita("bill", "--date", "2025-03-01")
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err

    assert _ledger(entity) == _expected(3000)


def _in_threads(*functions):
    """Run the functions at the same time, each on its own connection; return what each returned or raised."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:  # collected for the assertions
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _one_invoice(seed: int = 1) -> Invoice:
    entity = Entity.objects.create(name=f"Pay ISP {seed}", legal_name="Pay ISP Ltda", cnpj=make_cnpj(seed))
    customer = Customer.objects.create(entity=entity, person_type="PF", document="52998224725", name="Maria")
    services.transaction_create(
        customer=customer, actor=None, kind="charge", title="Plan", amount="95.00", date=D(2025, 1, 5)
    )
    return services.invoice_generate(
        customer=customer, actor=None, start=D(2025, 1, 1), end=D(2025, 1, 31), due_date=D(2099, 1, 1)
    )


def test_two_payments_of_one_invoice_at_once_pay_it_once():
    invoice = _one_invoice()
    results = _in_threads(
        lambda: payments.invoice_pay(invoice_id=invoice.pk, actor=None, method="cash", reference="A"),
        lambda: payments.invoice_pay(invoice_id=invoice.pk, actor=None, method="pos", reference="B"),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], DomainError) and errors[0].code == "invoice_already_paid"
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, Decimal("95.00"))
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert Transaction.objects.filter(paid_invoice=invoice).aggregate(s=Sum("amount"))["s"] == Decimal("-95.00")


def test_two_partial_payments_at_once_both_count():
    invoice = _one_invoice()
    _in_threads(
        lambda: payments.invoice_pay(invoice_id=invoice.pk, actor=None, method="cash", amount="50.00"),
        lambda: payments.invoice_pay(invoice_id=invoice.pk, actor=None, method="cash", amount="45.00"),
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, Decimal("95.00"))


@pytest.mark.parametrize("round_", range(4))
def test_pay_racing_void_leaves_one_consistent_outcome(round_):
    invoice = _one_invoice(seed=10 + round_)
    paid, voided = _in_threads(
        lambda: payments.invoice_pay(invoice_id=invoice.pk, actor=None, method="cash"),
        lambda: services.invoice_void(invoice_id=invoice.pk, actor=None, reason="duplicate"),
    )
    invoice.refresh_from_db()
    if isinstance(paid, Exception):  # the void won
        assert isinstance(paid, DomainError) and paid.code == "invoice_void_cannot_pay"
        assert invoice.status == InvoiceStatus.VOID
        assert not Payment.objects.filter(invoice=invoice).exists()
        assert not invoice.transactions.exists()
    else:  # the payment won
        assert isinstance(voided, DomainError) and voided.code == "invoice_paid_cannot_void"
        assert invoice.status == InvoiceStatus.PAID
        assert invoice.transactions.count() == 1


def test_two_generations_for_one_customer_make_one_invoice():
    entity = Entity.objects.create(name="Gen ISP", legal_name="Gen ISP Ltda", cnpj="11222333000181")
    customer = Customer.objects.create(entity=entity, person_type="PF", document="52998224725", name="Maria")
    for title, amount in (("Setup fee", "50.00"), ("First month", "45.00")):
        services.transaction_create(
            customer=customer, actor=None, kind="charge", title=title, amount=amount, date=D(2025, 1, 5)
        )

    def generate():
        return services.invoice_generate(
            customer=customer, actor=None, start=D(2025, 1, 1), end=D(2025, 1, 31), due_date=D(2099, 1, 1)
        )

    results = _in_threads(generate, generate)
    invoices = [r for r in results if isinstance(r, Invoice)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(invoices) == 1 and len(errors) == 1 and errors[0].code == "nothing_to_bill"
    assert invoices[0].total == Decimal("95.00") and invoices[0].sequence == 1
    assert Invoice.objects.filter(customer=customer).count() == 1
