"""The entity-wide statistics come from trigger-kept summaries (decision 0008): they must equal, to the cent, the
figures read from every row, after any mix of writes (services, the set-based invoice run, raw SQL, rollbacks)."""

from __future__ import annotations

import datetime
import os
import random
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from quita.billing import selectors, services, summaries
from quita.billing.models import Invoice, InvoiceStatus, InvoiceSummary, Transaction, TransactionSummary
from quita.core.errors import DomainError
from quita.core.models import Membership, Role
from quita.core.selectors import entity_today, month_bounds
from tests.billing.ledger import DUE, JAN_1, JAN_5

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


def _figure(amount, count) -> dict:
    return {"amount": f"{(amount or Decimal('0')):.2f}", "count": count}


def expected_transactions(entity) -> dict:
    """The four transaction figures read from every line (the way the selector did before the summaries)."""
    today = entity_today(entity)
    this, last = month_bounds(today), month_bounds(today, months_back=1)
    lines = Transaction.objects.filter(entity=entity, is_void=False)
    unbilled = Q(invoice__isnull=True, paid_invoice__isnull=True)
    row = lines.aggregate(
        a=Sum("amount"),
        n=Count("id"),
        ua=Sum("amount", filter=unbilled),
        un=Count("id", filter=unbilled),
        ta=Sum("amount", filter=Q(date__range=this)),
        tn=Count("id", filter=Q(date__range=this)),
        la=Sum("amount", filter=Q(date__range=last)),
        ln=Count("id", filter=Q(date__range=last)),
    )
    return {
        "total": _figure(row["a"], row["n"]),
        "unbilled": _figure(row["ua"], row["un"]),
        "this_month": _figure(row["ta"], row["tn"]),
        "last_month": _figure(row["la"], row["ln"]),
    }


def expected_invoices(entity) -> dict:
    today = entity_today(entity)
    this, last = month_bounds(today), month_bounds(today, months_back=1)
    invoices = Invoice.objects.filter(entity=entity).exclude(status=InvoiceStatus.VOID)
    unpaid = Q(status=InvoiceStatus.UNPAID)
    row = invoices.aggregate(
        a=Sum("total"),
        n=Count("id"),
        ua=Sum(F("total") - F("amount_paid"), filter=unpaid),
        un=Count("id", filter=unpaid),
        ta=Sum("total", filter=Q(issue_date__range=this)),
        tn=Count("id", filter=Q(issue_date__range=this)),
        la=Sum("total", filter=Q(issue_date__range=last)),
        ln=Count("id", filter=Q(issue_date__range=last)),
    )
    return {
        "total": _figure(row["a"], row["n"]),
        "unpaid": _figure(row["ua"], row["un"]),
        "this_month": _figure(row["ta"], row["tn"]),
        "last_month": _figure(row["la"], row["ln"]),
    }


def assert_exact(entity) -> None:
    assert selectors.transaction_statistics(entity=entity) == expected_transactions(entity)
    assert selectors.invoice_statistics(entity=entity) == expected_invoices(entity)


@pytest.mark.django_db
def test_random_ledger_work_keeps_the_summaries_exact(ledger, make_customer, entity, other_entity, clerk):
    Membership.objects.create(user=clerk, entity=other_entity, role=Role.BILLING_CLERK)
    rng = random.Random(20261203)
    customers = [make_customer(f"Cliente {n}") for n in range(4)] + [make_customer("Norte", target=other_entity)]
    days = [JAN_1, JAN_5, datetime.date(2024, 12, 20), datetime.date(2025, 2, 3), datetime.date(2025, 2, 10)]
    lines, invoices = [], []
    for _step in range(60):
        customer = rng.choice(customers)
        action = rng.random()
        amount = f"{rng.randint(1, 30000) / 100:.2f}"
        if action < 0.45:
            lines.append(ledger.charge(customer, amount, date=rng.choice(days)))
        elif action < 0.55:
            lines.append(ledger.credit(customer, amount, date=rng.choice(days)))
        elif action < 0.65 and lines:
            line = rng.choice(lines)
            line.refresh_from_db()
            if not line.is_void and line.invoice_id is None and line.paid_invoice_id is None:
                ledger.void(line)
        elif action < 0.8:
            try:
                invoices.append(
                    ledger.invoice(customer, start=datetime.date(2024, 12, 1), end=datetime.date(2025, 2, 28))
                )
            except DomainError:  # nothing to bill, or a negative total: the service refuses, nothing changes
                continue
        elif action < 0.9 and invoices:
            invoice = rng.choice(invoices)
            invoice.refresh_from_db()
            if invoice.status == InvoiceStatus.UNPAID:
                part = min(invoice.balance, Decimal(amount))
                ledger.pay(invoice, amount=str(part) if part > 0 else None)
        elif invoices:
            invoice = rng.choice(invoices)
            invoice.refresh_from_db()
            if invoice.status == InvoiceStatus.UNPAID and invoice.amount_paid == 0:
                ledger.void_invoice(invoice)
    assert_exact(entity)
    assert_exact(other_entity)
    assert selectors.transaction_statistics(entity=entity)["total"]["count"] > 10


@pytest.mark.django_db
def test_the_set_based_invoice_run_and_raw_sql_keep_them_exact(ledger, make_customer, entity, clerk):
    for n in range(5):
        customer = make_customer(f"Cliente {n}")
        ledger.charge(customer, "99.90", date=JAN_5)
        ledger.credit(customer, "0.10", date=JAN_5)
    services.billing_run_invoices(entity=entity, start=JAN_1, end=JAN_5, due_date=DUE, category=None, actor=clerk)
    assert Invoice.objects.filter(entity=entity).count() == 5
    assert_exact(entity)
    ledger.credit(customer, "5.00", date=JAN_5)  # unbilled: the raw DELETE below removes it
    with connection.cursor() as cursor:  # a bulk UPDATE and a DELETE that no service would do
        cursor.execute("UPDATE billing_transaction SET amount = amount + 0.01 WHERE kind = 'charge'")
        cursor.execute("UPDATE billing_invoice SET amount_paid = 10.05 WHERE entity_id = %s", [entity.pk])
        cursor.execute("DELETE FROM billing_transaction WHERE kind = 'credit' AND invoice_id IS NULL")
    assert_exact(entity)
    assert (
        selectors.invoice_statistics(entity=entity)["unpaid"]["amount"]
        == f"{5 * (Decimal('99.80') - Decimal('10.05')):.2f}"
    )


@pytest.mark.django_db
def test_a_rolled_back_write_leaves_no_trace(ledger, make_customer, entity):
    customer = make_customer()
    ledger.charge(customer, "45.00")
    before = selectors.transaction_statistics(entity=entity)
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.charge(customer, "1000.00")
        raise RuntimeError("rolled back")
    assert selectors.transaction_statistics(entity=entity) == before == expected_transactions(entity)


@pytest.mark.django_db
def test_rebuild_and_compact_change_no_figure(ledger, make_customer, entity):
    customer = make_customer()
    ledger.charge(customer, "45.00")
    ledger.pay(ledger.invoice(customer), amount="20.00")
    ledger.charge(customer, "12.34", date=datetime.date(2025, 2, 3))
    figures = (selectors.transaction_statistics(entity=entity), selectors.invoice_statistics(entity=entity))
    summaries.compact(connection)
    assert not TransactionSummary.objects.exclude(slot=0).exists()
    summaries.rebuild(connection, entity_id=entity.pk)
    assert (selectors.transaction_statistics(entity=entity), selectors.invoice_statistics(entity=entity)) == figures
    assert TransactionSummary.objects.filter(entity=entity).count() == 2  # January and February, slot 0
    assert InvoiceSummary.objects.filter(entity=entity).count() == 1
    assert_exact(entity)


@pytest.mark.django_db
def test_the_triggers_are_installed_and_install_is_idempotent():
    summaries.install(connection)
    summaries.install(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'billing_%%_summary_%%'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'billing_%_summary_%'")
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        f"billing_{table}_summary_{event}"
        for table in ("transaction", "invoice")
        for event in ("insert", "update", "delete")
    }


def _insert_charge(customer, amount: str) -> None:
    """A plain INSERT (the services lock the customer, with its entity, first: this is about the summaries)."""
    Transaction.objects.create(
        entity_id=customer.entity_id,
        customer=customer,
        kind="charge",
        title="x",
        amount=amount,
        date=JAN_5,
        created_at=timezone.now(),
    )


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_do_not_wait_for_each_other(make_customer, entity):
    """Two open transactions add charges to the same entity and month: each writes its own summary row, so the
    second commits while the first is still open; the compaction skips the open one's row and never waits."""
    first, second = make_customer("Ana"), make_customer("Bruno")
    holding = threading.Event()
    release = threading.Event()
    errors = []

    def hold_open():
        try:
            with transaction.atomic():
                _insert_charge(first, "10.00")
                holding.set()
                assert release.wait(30)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_open)
    thread.start()
    try:
        assert holding.wait(30), errors
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting for the open transaction would fail here
        with transaction.atomic():
            _insert_charge(second, "20.00")
        summaries.compact(connection)
        assert TransactionSummary.objects.filter(slot=0).count() == 1  # the committed writer's row, folded
        assert selectors.transaction_statistics(entity=entity)["total"] == {"amount": "20.00", "count": 1}
    finally:
        release.set()
        thread.join()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert not errors
    assert selectors.transaction_statistics(entity=entity)["total"] == {"amount": "30.00", "count": 2}
    summaries.compact(connection)
    assert not TransactionSummary.objects.exclude(slot=0).exists()
    assert_exact(entity)


@pytest.mark.django_db
def test_the_command_checks_and_rebuilds(ledger, make_customer, entity):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    customer = make_customer()
    ledger.charge(customer, "45.00")
    ledger.invoice(customer)
    call_command("ledger-summaries", "--check")
    TransactionSummary.objects.filter(entity=entity).update(cents=F("cents") + 1)  # one cent off
    with pytest.raises(CommandError, match="1 differences"):
        call_command("ledger-summaries", "--check")
    call_command("ledger-summaries", "--rebuild", "--check")
    assert_exact(entity)


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="COPY is PostgreSQL's")
@pytest.mark.django_db
def test_copy_into_the_ledger_keeps_them_exact(make_customer, entity):
    """Bank-return settlement writes payments with COPY: statement triggers see COPY's rows too."""
    customer = make_customer()
    columns = ["entity_id", "customer_id", "kind", "credit_type", "title", "description", "amount", "date", "source"]
    columns += ["is_void", "void_reason", "created_at"]
    statement = f"COPY billing_transaction ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for n in range(1, 6):
            row = [entity.pk, customer.pk, "payment", "", "Pagamento", "", Decimal(f"-{n}.15"), JAN_5, "payment"]
            copy.write_row([*row, False, "", timezone.now()])
    assert selectors.transaction_statistics(entity=entity)["total"] == {"amount": "-15.75", "count": 5}
    assert_exact(entity)
