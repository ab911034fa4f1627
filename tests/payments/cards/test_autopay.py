"""Autopay: opted-in customers' default cards are charged on the due date, failures retried on the entity's
schedule (1, 3 and 5 days after), every attempt logged, each (invoice, attempt) charged once; and an e-mail
reminds the subscriber when the card expires before the next due date."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from django.core import mail
from django.core.management import call_command

from quita.billing.models import InvoiceStatus
from quita.core.models import ActivityLog
from quita.payments import services
from quita.payments.models import AutopayAttempt, AutopayOutcome, CardExpiryReminder, Payment

D = datetime.date
DUE = D(2025, 2, 25)


def _opted_in(invoice_of, add_card, clerk, number="4242424242424242", **card):
    invoice = invoice_of("95.00", due_date=DUE)
    card_row = add_card(invoice.customer, number=number, **card)
    services.autopay_set(customer_id=invoice.customer_id, actor=clerk, enabled=True)
    return invoice, card_row


def test_only_opted_in_customers_are_charged_on_the_due_date(invoice_of, add_card, clerk, stripe_entity):
    invoice, _card = _opted_in(invoice_of, add_card, clerk)
    other = invoice_of("45.00", due_date=DUE)
    add_card(other.customer)  # a card, but no autopay
    assert services.autopay_run(run_date=DUE - datetime.timedelta(days=1))["charged"] == 0
    totals = services.autopay_run(run_date=DUE)
    assert totals["charged"] == 1
    invoice.refresh_from_db()
    other.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and other.status == InvoiceStatus.UNPAID
    attempt = AutopayAttempt.objects.get()
    assert (attempt.attempt, attempt.outcome, attempt.run_date) == (0, AutopayOutcome.SUCCEEDED, DUE)
    assert attempt.payment.external_id.startswith("pi_")
    assert services.autopay_run(run_date=DUE) == {**totals, "charged": 0}  # again: nothing more
    assert Payment.objects.count() == 1


def test_failures_are_retried_on_the_schedule_and_each_attempt_is_logged(invoice_of, add_card, clerk, stripe_entity):
    invoice, _bad = _opted_in(invoice_of, add_card, clerk, number="4000000000000341")
    outcomes = {}
    for day in (DUE, D(2025, 2, 26), D(2025, 2, 26), D(2025, 2, 27), D(2025, 2, 28)):
        services.autopay_run(run_date=day)
        outcomes[day] = list(AutopayAttempt.objects.order_by("attempt").values_list("attempt", "outcome"))
    assert outcomes[D(2025, 2, 28)] == [(0, "failed"), (1, "failed"), (2, "failed")]
    assert Payment.objects.filter(status="failed").count() == 3
    first = AutopayAttempt.objects.get(attempt=0)
    assert first.failure_code == "card_declined" and "recusado" in first.message
    assert ActivityLog.objects.filter(summary__contains="autopay #").count() == 3
    good = add_card(invoice.customer, number="5555555555554444", make_default=True)
    services.autopay_run(run_date=D(2025, 3, 2))  # 5 days after the due date: the last retry
    last = AutopayAttempt.objects.get(attempt=3)
    assert last.outcome == AutopayOutcome.SUCCEEDED and last.payment.card == good
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid == Decimal("95.00")
    services.autopay_run(run_date=D(2025, 3, 3))
    assert AutopayAttempt.objects.count() == 4


def test_no_card_is_a_skipped_attempt(invoice_of, clerk, stripe_entity):
    invoice = invoice_of("95.00", due_date=DUE)
    services.autopay_set(customer_id=invoice.customer_id, actor=clerk, enabled=True)
    assert services.autopay_run(run_date=DUE)["skipped"] == 1
    attempt = AutopayAttempt.objects.get()
    assert (attempt.outcome, attempt.failure_code) == (AutopayOutcome.SKIPPED, "no_payment_method")


def test_opting_out_stops_the_charges(invoice_of, add_card, clerk, stripe_entity):
    invoice, _card = _opted_in(invoice_of, add_card, clerk)
    services.autopay_set(customer_id=invoice.customer_id, actor=clerk, enabled=False)
    assert services.autopay_run(run_date=DUE)["charged"] == 0


def test_expiring_card_reminder_is_sent_once(
    invoice_of, add_card, clerk, stripe_entity, django_capture_on_commit_callbacks
):
    # The card is valid until 28 Feb 2025; the next invoice falls due on 10 March.
    invoice = invoice_of("95.00", due_date=D(2025, 3, 10))
    add_card(invoice.customer, exp_month=2, exp_year=2025)
    services.autopay_set(customer_id=invoice.customer_id, actor=clerk, enabled=True)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.autopay_run(run_date=D(2025, 2, 12))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["maria@example.com"] and "4242" in message.subject
    assert "10/03/2025" in message.body
    assert CardExpiryReminder.objects.get().next_due_date == D(2025, 3, 10)


def test_a_card_valid_past_the_next_due_date_gets_no_reminder(invoice_of, add_card, clerk, stripe_entity):
    _opted_in(invoice_of, add_card, clerk)
    services.autopay_run(run_date=D(2025, 2, 12))
    assert len(mail.outbox) == 0


def test_the_command(invoice_of, add_card, clerk, stripe_entity):
    _opted_in(invoice_of, add_card, clerk)
    out = io.StringIO()
    call_command("autopay", "--date", "2025-02-25", stdout=out)
    assert "charged 1" in out.getvalue()
    out = io.StringIO()
    call_command("autopay", "--date", "2025-02-25", "--entity", str(stripe_entity.pk), stdout=out)
    assert "charged 0" in out.getvalue() and "already done 0" in out.getvalue()
