"""Ledger properties (Hypothesis): totals, billed/unbilled, void and regenerate, statistics.

Each example builds its own customer and lines inside a savepoint that is rolled back, so the
examples do not see each other. The clock is fixed at 2025-02-10 (São Paulo): lines fall in
December, January and February, so "this month" and "last month" both have something to count.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from quita.billing import selectors
from quita.billing.models import Invoice, InvoiceStatus, Transaction
from quita.core.errors import DomainError
from quita.core.money import CENT
from quita.core.selectors import month_bounds
from tests.billing.ledger import rolled_back

FIRST_DAY = datetime.date(2024, 12, 20)
DAYS = 60  # 20 Dec 2024 .. 17 Feb 2025
TODAY = datetime.date(2025, 2, 10)
DUE = datetime.date(2025, 3, 10)
ZERO = Decimal("0.00")

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

charge = st.tuples(st.just("charge"), st.integers(min_value=1, max_value=30_000) | st.integers(2_000, 30_000))
credit = st.tuples(st.just("credit"), st.integers(min_value=1, max_value=6_000))  # credits are smaller, and rarer
line = st.tuples(st.one_of(charge, charge, credit), st.integers(min_value=0, max_value=DAYS - 1)).map(
    lambda drawn: (*drawn[0], drawn[1])
)
lines = st.lists(line, min_size=1, max_size=10)
# A line is voided one time in four.
void_masks = st.lists(st.sampled_from([False, False, False, True]), min_size=10, max_size=10)
# Half the ranges cover every line; the others are any sub-range (a single day included).
day_range = st.one_of(
    st.just((0, DAYS - 1)),
    st.tuples(st.integers(0, DAYS - 1), st.integers(0, DAYS - 1)).map(lambda pair: tuple(sorted(pair))),
)


def day(offset: int) -> datetime.date:
    return FIRST_DAY + datetime.timedelta(days=offset)


def amount(cents: int) -> str:
    return f"{Decimal(cents) * CENT:.2f}"


def write_lines(ledger, customer, drawn) -> list[Transaction]:
    created = []
    for kind, cents, offset in drawn:
        add = ledger.charge if kind == "charge" else ledger.credit
        created.append(add(customer, amount(cents), date=day(offset)))
    return created


def fresh(transactions) -> list[Transaction]:
    return list(Transaction.objects.filter(pk__in=[t.pk for t in transactions]).order_by("pk"))


def invoice_or_none(ledger, customer, start, end):
    """Generate an invoice; None when the service refuses (nothing to bill, credits above the charges)."""
    try:
        return ledger.invoice(customer, start=start, end=end, due_date=DUE)
    except DomainError:
        return None


@PROPERTY
@given(drawn=lines, void_mask=void_masks, bounds=day_range)
def test_invoice_total_is_the_sum_of_its_transactions(ledger, make_customer, drawn, void_mask, bounds):
    with rolled_back():
        customer = make_customer()
        written = write_lines(ledger, customer, drawn)
        for tx, void in zip(written, void_mask, strict=False):
            if void:
                ledger.void(tx)
        start, end = day(bounds[0]), day(bounds[1])
        eligible = [t for t in fresh(written) if not t.is_void and start <= t.date <= end]
        expected = sum((t.amount for t in eligible), ZERO)
        invoice = invoice_or_none(ledger, customer, start, end)
        event("nothing to bill" if not eligible else "credit" if expected < 0 else "invoice")
        if not eligible or expected < 0:
            assert invoice is None
            assert not Invoice.objects.filter(customer=customer).exists()
            assert all(t.invoice_id is None for t in fresh(written))
            return
        invoice.refresh_from_db()
        assert invoice.total == expected
        assert sum(invoice.transactions.values_list("amount", flat=True), ZERO) == invoice.total
        assert {t.pk for t in invoice.transactions.all()} == {t.pk for t in eligible}
        assert invoice.status == (InvoiceStatus.PAID if expected == 0 else InvoiceStatus.UNPAID)
        for tx in fresh(written):
            assert (tx.invoice_id == invoice.pk) is (tx.pk in {t.pk for t in eligible})


operation = st.one_of(
    st.tuples(st.just("invoice"), day_range),
    st.tuples(st.just("invoice"), day_range),
    st.tuples(st.just("pay"), st.integers(0, 5), st.integers(1, 40_000)),
    st.tuples(st.just("void_invoice"), st.integers(0, 5)),
    st.tuples(st.just("void_line"), st.integers(0, 9)),
)


def apply(ledger, customer, written, invoices, op) -> None:
    """Run one drawn operation; refusals (paid, void, nothing to bill...) are part of the game."""
    try:
        if op[0] == "invoice":
            invoice = invoice_or_none(ledger, customer, day(op[1][0]), day(op[1][1]))
            if invoice is not None:
                invoices.append(invoice)
        elif op[0] == "pay" and invoices:
            ledger.pay(invoices[op[1] % len(invoices)], amount=amount(op[2]))
        elif op[0] == "void_invoice" and invoices:
            ledger.void_invoice(invoices[op[1] % len(invoices)])
        elif op[0] == "void_line":
            ledger.void(written[op[1] % len(written)])
    except DomainError:
        pass


def figure(rows) -> dict:
    return {"amount": f"{sum((t.amount for t in rows), ZERO):.2f}", "count": len(rows)}


@PROPERTY
@given(drawn=lines, first=st.tuples(st.just("invoice"), day_range), operations=st.lists(operation, max_size=8))
def test_unbilled_plus_billed_is_every_non_void_line(ledger, make_customer, entity, drawn, first, operations):
    with rolled_back():
        customer = make_customer()
        written = write_lines(ledger, customer, drawn)
        invoices: list[Invoice] = []
        for op in [first, *operations]:
            apply(ledger, customer, written, invoices, op)
        everything = list(Transaction.objects.filter(customer=customer))
        non_void = [t for t in everything if not t.is_void]
        billed = [t for t in non_void if t.invoice_id is not None or t.paid_invoice_id is not None]
        unbilled = [t for t in non_void if t.invoice_id is None and t.paid_invoice_id is None]
        assert len(billed) + len(unbilled) == len(non_void)
        event(f"invoices: {min(len(invoices), 3)}")
        event("some lines billed" if billed else "nothing billed")
        stats = selectors.transaction_statistics(entity=entity, customer_id=customer.pk)
        assert stats["total"] == figure(non_void)
        assert stats["unbilled"] == figure(unbilled)
        assert Decimal(stats["total"]["amount"]) - Decimal(stats["unbilled"]["amount"]) == sum(
            (t.amount for t in billed), ZERO
        )
        # Void lines are never billed, and no line sits on a void invoice.
        assert all(t.invoice_id is None and t.paid_invoice_id is None for t in everything if t.is_void)
        assert not Transaction.objects.filter(customer=customer, invoice__status=InvoiceStatus.VOID).exists()
        assert not Transaction.objects.filter(customer=customer, paid_invoice__status=InvoiceStatus.VOID).exists()
        # Every live invoice still adds up, and what it was paid is what settles it.
        for invoice in Invoice.objects.filter(customer=customer).exclude(status=InvoiceStatus.VOID):
            assert sum(invoice.transactions.values_list("amount", flat=True), ZERO) == invoice.total
            assert -sum(invoice.payment_transactions.values_list("amount", flat=True), ZERO) == invoice.amount_paid
            assert (invoice.status == InvoiceStatus.PAID) is (invoice.amount_paid >= invoice.total)


@PROPERTY
@given(drawn=lines, bounds=day_range)
def test_void_then_regenerate_restores_the_same_total(ledger, make_customer, drawn, bounds):
    with rolled_back():
        customer = make_customer()
        write_lines(ledger, customer, drawn)
        start, end = day(bounds[0]), day(bounds[1])
        first = invoice_or_none(ledger, customer, start, end)
        event("no invoice" if first is None else "invoice")
        if first is None:
            return
        billed = set(first.transactions.values_list("pk", flat=True))
        if first.status == InvoiceStatus.PAID:  # a zero total is paid at once and cannot be voided
            assert first.total == 0
            return
        ledger.void_invoice(first)
        assert not first.transactions.exists()
        second = invoice_or_none(ledger, customer, start, end)
        assert second is not None
        assert second.total == first.total
        assert set(second.transactions.values_list("pk", flat=True)) == billed
        assert second.sequence == first.sequence + 1


@PROPERTY
@given(drawn=lines, void_mask=void_masks)
def test_statistics_never_count_void_lines(ledger, make_customer, entity, drawn, void_mask):
    with rolled_back():
        customer = make_customer()
        written = write_lines(ledger, customer, drawn)
        for tx, void in zip(written, void_mask, strict=False):
            if void:
                ledger.void(tx)
        live = [t for t in fresh(written) if not t.is_void]
        this_first, this_last = month_bounds(TODAY)
        last_first, last_last = month_bounds(TODAY, months_back=1)
        stats = selectors.transaction_statistics(entity=entity, customer_id=customer.pk)
        assert stats == {
            "total": figure(live),
            "unbilled": figure(live),
            "this_month": figure([t for t in live if this_first <= t.date <= this_last]),
            "last_month": figure([t for t in live if last_first <= t.date <= last_last]),
        }
