"""Card payments under concurrency, on PostgreSQL with real threads: two simultaneous pays of one invoice make
exactly one charge; pay racing void ends in one consistent state and the loser gets a clear 409."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connections

from quita.billing import services as billing
from quita.billing.models import InvoiceStatus
from quita.core.errors import DomainError
from quita.payments import services
from quita.payments.models import Payment, PaymentStatus

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="row locks need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _race(*calls):
    """Run the calls in threads released together; each result is a value or the DomainError raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except DomainError as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _intents_for(browser, invoice) -> list[str]:
    page = browser.v1.payment_intents.list(params={"limit": 100})
    wanted = {"quita_invoice": str(invoice.pk), "quita_entity": str(invoice.entity_id)}
    return [pi.id for pi in page.auto_paging_iter() if wanted.items() <= pi.metadata.to_dict().items()]


@pytest.mark.parametrize("round_", range(3))
def test_two_simultaneous_card_pays_make_exactly_one_charge(invoice_of, add_card, clerk, browser, round_):
    invoice = invoice_of("95.00")
    add_card(invoice.customer)
    pay = lambda: services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)  # noqa: E731
    results = _race(pay, pay)
    winners = [r for r in results if isinstance(r, Payment)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].status == 409 and losers[0].code == "invoice_already_paid"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid == invoice.total
    assert Payment.objects.filter(invoice=invoice, status=PaymentStatus.SUCCEEDED).count() == 1
    assert _intents_for(browser, invoice) == [winners[0].external_id]  # one charge at Stripe


@pytest.mark.parametrize("round_", range(3))
def test_card_pay_racing_void_ends_in_one_consistent_state(invoice_of, add_card, clerk, browser, round_):
    invoice = invoice_of("95.00")
    add_card(invoice.customer)
    results = _race(
        lambda: services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk),
        lambda: billing.invoice_void(invoice_id=invoice.pk, actor=clerk, reason="wrong"),
    )
    invoice.refresh_from_db()
    paid, voided = results
    if isinstance(paid, Payment):
        assert isinstance(voided, DomainError) and voided.status == 409
        assert voided.code == "invoice_paid_cannot_void"
        assert invoice.status == InvoiceStatus.PAID
        assert _intents_for(browser, invoice) == [paid.external_id]
    else:
        assert paid.status == 409 and paid.code == "invoice_void_cannot_pay"
        assert invoice.status == InvoiceStatus.VOID
        assert not Payment.objects.filter(invoice=invoice).exists()
        assert _intents_for(browser, invoice) == []
