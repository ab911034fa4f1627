"""The return import's write pipeline (docs/decisions/0033): later chunks see what earlier ones decided while
their writes may still be queued, an error in the writing thread rolls the import back, and the array literals
the bulk updates send read back exactly."""

from __future__ import annotations

import datetime
import os
import sys
import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quita.banking import services
from quita.banking.bulk import Pipeline, update_rows
from quita.banking.models import Boleto, BoletoStatus, ReturnRecord
from quita.billing.models import InvoiceStatus, Transaction
from quita.payments.models import Payment
from tests.banking.test_round_trip import bank_return

postgres_only = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="the pipeline's thread is PostgreSQL's"
)


def test_each_chunk_sees_what_the_earlier_ones_decided(make_wallet, make_invoice, clerk, clock, monkeypatch):
    """One title per chunk: a confirmation, then a partial liquidation, then the liquidations that finish both
    invoices, each in its own chunk, while the writes of the chunks before may still be queued."""
    monkeypatch.setattr(services, "CHUNK", 1)
    wallet = make_wallet("237")
    first, second = make_invoice("50.00"), make_invoice("60.00")
    a = services.boleto_issue(invoice_id=first.pk, wallet_id=wallet.pk, actor=clerk)
    b = services.boleto_issue(invoice_id=second.pk, wallet_id=wallet.pk, actor=clerk)
    day = datetime.date(2025, 2, 21)
    content = bank_return(
        wallet,
        [
            (a, {"occurrence": "02"}),
            (b, {"occurrence": "06", "paid_amount": Decimal("20.00"), "occurrence_date": day}),
            (a, {"occurrence": "06", "paid_amount": Decimal("50.00")}),
            (b, {"occurrence": "06", "paid_amount": Decimal("45.00")}),
            (a, {"occurrence": "06", "paid_amount": Decimal("50.00")}),  # the same event again: a duplicate
        ],
    )
    result = services.return_import(entity_id=wallet.entity_id, content=content, filename="c.ret", actor=clerk)

    assert result.return_file.applied_count == 4
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.amount_paid) == (InvoiceStatus.PAID, Decimal("50.00"))
    assert (second.status, second.amount_paid) == (InvoiceStatus.PAID, Decimal("60.00"))
    payments = list(Payment.objects.filter(gateway="cnab-237").order_by("pk").values_list("amount", "applied_amount"))
    assert payments == [
        (Decimal("20.00"), Decimal("20.00")),
        (Decimal("50.00"), Decimal("50.00")),
        (Decimal("45.00"), Decimal("40.00")),
    ]
    lines = Transaction.objects.filter(customer_id=second.customer_id, source="payment")
    assert sum(line.amount for line in lines.filter(paid_invoice=second)) == Decimal("-60.00")
    assert [line.amount for line in lines.filter(credit_type="overpayment")] == [Decimal("-5.00")]
    statuses = dict(Boleto.objects.filter(pk__in=[a.pk, b.pk]).values_list("pk", "status"))
    assert statuses == {a.pk: BoletoStatus.PAID, b.pk: BoletoStatus.PAID}
    assert Boleto.objects.get(pk=a.pk).registered_at is not None
    outcomes = list(ReturnRecord.objects.order_by("line_number").values_list("outcome", flat=True))
    assert outcomes == ["applied", "applied", "applied", "applied", "duplicate"]


@postgres_only
def test_an_error_in_the_writing_thread_rolls_the_transaction_back(entity):
    """The failing write is raised in the caller's thread as Django's error, and what was queued after it is not
    run: nothing of the block is kept."""
    ran = []
    with pytest.raises(DatabaseError), transaction.atomic(), Pipeline() as via:
        via.submit(lambda cursor: cursor.execute("UPDATE core_entity SET name = 'changed'"))
        via.submit(lambda cursor: cursor.execute("SELECT 1 / 0"))
        via.submit(lambda cursor: ran.append(True))
    assert ran == []
    entity.refresh_from_db()
    assert entity.name != "changed"
    with connection.cursor() as cursor:  # the connection is usable again
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@postgres_only
def test_the_gil_is_offered_more_often_while_pipelines_run(entity):
    """Every 0.5 ms while at least one pipeline of the process runs (two here, nested), then as it was, also when
    the block fails."""
    before = sys.getswitchinterval()
    seen = []
    with transaction.atomic(), Pipeline() as outer:
        outer.submit(lambda cursor: seen.append(sys.getswitchinterval()))
        with Pipeline() as inner:
            inner.submit(lambda cursor: seen.append(sys.getswitchinterval()))
        assert sys.getswitchinterval() == pytest.approx(0.0005)
    assert seen == [pytest.approx(0.0005)] * 2
    assert sys.getswitchinterval() == before
    with pytest.raises(ZeroDivisionError), transaction.atomic(), Pipeline():
        1 / 0  # noqa: B018
    assert sys.getswitchinterval() == before


@postgres_only
def test_an_error_in_the_callers_thread_stops_what_is_still_queued(entity):
    ran, failed = [], threading.Event()

    def until_the_caller_failed(cursor):
        failed.wait(10)

    with pytest.raises(ZeroDivisionError), transaction.atomic(), Pipeline() as via:
        via.submit(until_the_caller_failed)
        via.submit(lambda cursor: ran.append(True))
        try:
            1 / 0  # noqa: B018 - the caller's own failure
        except ZeroDivisionError:
            threading.Timer(0.1, failed.set).start()  # the first job ends just after the block has failed
            raise
    assert ran == []


@postgres_only
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60))
def test_bulk_updates_write_any_text_exactly(text, make_wallet, make_invoice, clerk, clock):
    """Quotes, backslashes, braces, commas, blanks, "NULL" and any Unicode survive the array literal."""
    boleto = Boleto.objects.first()
    if boleto is None:
        wallet = make_wallet("237")
        boleto = services.boleto_issue(invoice_id=make_invoice("10.00").pk, wallet_id=wallet.pk, actor=clerk)
    for value in (text, f'{{"{text}",NULL}}', "NULL", ""):
        update_rows(Boleto, [{"id": boleto.pk, "rejection_reason": value[:255]}], fields=["rejection_reason"])
        assert Boleto.objects.values_list("rejection_reason", flat=True).get(pk=boleto.pk) == value[:255]


def test_a_partial_liquidation_brings_the_invoices_other_boleto_to_the_balance(make_wallet, make_invoice, clerk, clock):
    """The return import goes around `payment_apply`, so it calls the balance hook itself (decision 0045)."""
    bradesco, caixa = make_wallet("237"), make_wallet("104")
    invoice = make_invoice("100.00")
    paid = services.boleto_issue(invoice_id=invoice.pk, wallet_id=bradesco.pk, actor=clerk)
    other = services.boleto_issue(invoice_id=invoice.pk, wallet_id=caixa.pk, actor=clerk)
    content = bank_return(bradesco, [(paid, {"occurrence": "06", "paid_amount": Decimal("30.00")})])
    services.return_import(entity_id=bradesco.entity_id, content=content, filename="p.ret", actor=clerk)

    invoice.refresh_from_db()
    other.refresh_from_db()
    assert (invoice.status, invoice.balance) == (InvoiceStatus.UNPAID, Decimal("70.00"))
    assert (other.status, other.amount) == (BoletoStatus.AWAITING_REGISTRATION, Decimal("70.00"))
    assert Boleto.objects.get(pk=paid.pk).status == BoletoStatus.PAID
