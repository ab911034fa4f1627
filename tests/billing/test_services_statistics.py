"""Ledger statistics: Total, Unbilled/Unpaid, This month, Last month; void never counts; months in the entity's zone."""

from __future__ import annotations

import datetime

import pytest

from quita.billing import selectors
from tests.billing.ledger import DUE
from tests.conftest import make_user

UTC = datetime.UTC
# 01:00 UTC on 1 March 2025 is 22:00 on 28 February in São Paulo (UTC-3) and 21:00 in Manaus (UTC-4):
# "this month" is February there, while a UTC clock would say March.
EARLY_MARCH_UTC = datetime.datetime(2025, 3, 1, 1, 0, tzinfo=UTC)
JAN_15 = datetime.date(2025, 1, 15)
FEB_1 = datetime.date(2025, 2, 1)
FEB_28 = datetime.date(2025, 2, 28)
MAR_1 = datetime.date(2025, 3, 1)
DEC_31 = datetime.date(2024, 12, 31)


def figure(amount: str, count: int) -> dict:
    return {"amount": amount, "count": count}


@pytest.fixture
def late_clock(clock):
    clock.set(EARLY_MARCH_UTC)
    return clock


def test_transaction_statistics_count_months_in_the_entity_time_zone(ledger, make_customer, entity, late_clock):
    customer = make_customer()
    ledger.charge(customer, "100.00", date=DEC_31)  # two months back: only in Total
    ledger.charge(customer, "45.00", date=JAN_15)  # last month
    ledger.charge(customer, "50.00", date=FEB_1)  # this month (February in São Paulo)
    ledger.credit(customer, "10.00", date=FEB_28)  # this month, negative
    ledger.charge(customer, "7.00", date=MAR_1)  # tomorrow in São Paulo: neither month
    stats = selectors.transaction_statistics(entity=entity, customer_id=customer.pk)
    assert stats == {
        "total": figure("192.00", 5),
        "unbilled": figure("192.00", 5),
        "this_month": figure("40.00", 2),
        "last_month": figure("45.00", 1),
    }


def test_void_lines_never_count(ledger, make_customer, entity, late_clock):
    customer = make_customer()
    ledger.charge(customer, "45.00", date=JAN_15)
    ledger.void(ledger.charge(customer, "999.00", date=JAN_15))
    ledger.void(ledger.charge(customer, "888.00", date=FEB_28))
    ledger.void(ledger.credit(customer, "5.00", date=FEB_1))
    stats = selectors.transaction_statistics(entity=entity, customer_id=customer.pk)
    assert stats == {
        "total": figure("45.00", 1),
        "unbilled": figure("45.00", 1),
        "this_month": figure("0.00", 0),
        "last_month": figure("45.00", 1),
    }


def test_billed_lines_and_payments_leave_unbilled(ledger, make_customer, entity, clock):
    customer = make_customer()
    ledger.charge(customer, "50.00", date=datetime.date(2025, 1, 5))
    ledger.charge(customer, "45.00", date=datetime.date(2025, 1, 5))
    later = ledger.charge(customer, "45.00", date=datetime.date(2025, 2, 5))
    invoice = ledger.invoice(customer)  # January only
    ledger.pay(invoice, amount="30.00")  # a payment settling the invoice is not unbilled either
    stats = selectors.transaction_statistics(entity=entity, customer_id=customer.pk)
    assert stats["unbilled"] == figure(f"{later.amount:.2f}", 1)
    assert stats["total"] == figure("110.00", 4)  # 50 + 45 + 45 - 30: the balance the customer owes
    assert stats["this_month"] == figure("15.00", 2)  # February: 45 charge, -30 payment received today


def test_system_wide_statistics_add_entities_each_in_its_own_zone(
    ledger, make_customer, entity, other_entity, late_clock
):
    rede = make_user("rede-clerk", other_entity)
    fibra_customer = make_customer("Fibra")
    rede_customer = make_customer("Rede", target=other_entity, actor=rede)
    ledger.charge(fibra_customer, "10.00", date=FEB_28)
    ledger.charge(rede_customer, "20.00", date=FEB_28, actor=rede)
    ledger.charge(rede_customer, "5.00", date=JAN_15, actor=rede)
    per_entity = selectors.transaction_statistics(entity=other_entity)
    assert per_entity["this_month"] == figure("20.00", 1)
    everything = selectors.statistics_for_entities([entity, other_entity], "transactions")
    assert everything == {
        "total": figure("35.00", 3),
        "unbilled": figure("35.00", 3),
        "this_month": figure("30.00", 2),
        "last_month": figure("5.00", 1),
    }


def test_system_wide_statistics_of_no_entity_are_zero(db):
    assert selectors.statistics_for_entities([], "invoices") == {
        key: figure("0.00", 0) for key in ("total", "unpaid", "this_month", "last_month")
    }


def test_customer_statistics_see_only_that_customer(ledger, make_customer, entity):
    alice, bob = make_customer("Alice"), make_customer("Bob")
    ledger.charge(alice, "45.00")
    ledger.charge(bob, "99.00")
    assert selectors.transaction_statistics(entity=entity, customer_id=alice.pk)["total"] == figure("45.00", 1)
    assert selectors.transaction_statistics(entity=entity)["total"] == figure("144.00", 2)


def test_invoice_statistics(ledger, make_customer, entity, clock):
    customer = make_customer()
    # January's invoice, issued 31 January (last month once the clock is in February).
    clock.set(datetime.datetime(2025, 1, 31, 15, 0, tzinfo=UTC))
    ledger.charge(customer, "95.00", date=datetime.date(2025, 1, 5))
    january = ledger.invoice(customer, due_date=DUE)
    # Three February invoices: one paid in part, one paid in full, one void.
    clock.set(datetime.datetime(2025, 2, 10, 15, 0, tzinfo=UTC))
    ledger.charge(customer, "45.00", date=datetime.date(2025, 2, 1))
    partly_paid = ledger.invoice(customer, end=datetime.date(2025, 2, 1))
    ledger.charge(customer, "30.00", date=datetime.date(2025, 2, 2))
    paid = ledger.invoice(customer, end=datetime.date(2025, 2, 2))
    ledger.charge(customer, "12.00", date=datetime.date(2025, 2, 3))
    voided = ledger.invoice(customer, end=datetime.date(2025, 2, 3))
    ledger.pay(partly_paid, amount="20.00")
    ledger.pay(paid)
    ledger.void_invoice(voided)
    assert january.issue_date == datetime.date(2025, 1, 31)
    stats = selectors.invoice_statistics(entity=entity, customer_id=customer.pk)
    assert stats == {
        "total": figure("170.00", 3),  # 95 + 45 + 30; the void invoice is not counted
        "unpaid": figure("120.00", 2),  # January's 95 and the 25 still open on the partly paid one
        "this_month": figure("75.00", 2),
        "last_month": figure("95.00", 1),
    }


def test_invoice_months_are_in_the_entity_time_zone(ledger, make_customer, entity, clock):
    customer = make_customer()
    ledger.charge(customer, "45.00")
    clock.set(datetime.datetime(2025, 2, 28, 12, 0, tzinfo=UTC))
    ledger.invoice(customer, due_date=datetime.date(2025, 3, 10))  # issued 28 February
    clock.set(EARLY_MARCH_UTC)  # still 28 February in São Paulo
    stats = selectors.invoice_statistics(entity=entity)
    assert stats["this_month"] == figure("45.00", 1)
    assert stats["last_month"] == figure("0.00", 0)


def test_billing_summary_has_both_sets_of_figures_and_the_balance(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer, "95.00")
    invoice = ledger.invoice(customer)
    ledger.pay(invoice, amount="35.00")
    summary = selectors.customer_billing_summary(customer=customer)
    assert summary["transactions"]["total"] == figure("60.00", 2)
    assert summary["invoices"]["unpaid"] == figure("60.00", 1)
    assert summary["balance"] == "60.00"


def test_overdue_invoices_are_unpaid_past_their_due_date(ledger, make_customer, entity):
    customer = make_customer()
    ledger.charge(customer, "45.00")
    due_tomorrow = ledger.invoice(customer, due_date=datetime.date(2025, 2, 11))
    assert list(selectors.invoices_overdue(entity=entity)) == []
    assert list(selectors.invoices_overdue(entity=entity, as_of=datetime.date(2025, 2, 12))) == [due_tomorrow]
    ledger.pay(due_tomorrow)
    assert list(selectors.invoices_overdue(entity=entity, as_of=datetime.date(2025, 2, 12))) == []
