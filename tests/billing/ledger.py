"""Builders for ledger tests: a fixed clock and short calls for charges, credits, invoices and payments.

Used by the conftests of `tests/billing` and `tests/payments`; plain code, not fixtures, so both can share it.
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from quita.billing import services
from quita.billing.models import Invoice, Transaction
from quita.payments import services as payment_services

UTC = datetime.UTC
# Default "now" of ledger tests: 10 Feb 2025, 12:00 in São Paulo. Issue dates are 2025-02-10.
DEFAULT_NOW = datetime.datetime(2025, 2, 10, 15, 0, tzinfo=UTC)
JAN_1 = datetime.date(2025, 1, 1)
JAN_5 = datetime.date(2025, 1, 5)
JAN_31 = datetime.date(2025, 1, 31)
DUE = datetime.date(2025, 2, 25)


class Clock:
    """A fixed `django.utils.timezone.now` that a test can move."""

    def __init__(self, monkeypatch, now: datetime.datetime = DEFAULT_NOW):
        self.now = now
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, now: datetime.datetime) -> None:
        assert now.tzinfo is not None, "aware datetimes only"
        self.now = now


class Ledger:
    """Service calls with the defaults most ledger tests need, acting as one user."""

    def __init__(self, actor):
        self.actor = actor

    def charge(self, customer, amount="45.00", *, date=JAN_5, title="Monthly fee", actor=None, **fields) -> Transaction:
        return services.transaction_create(
            customer=customer, actor=actor or self.actor, kind="charge", title=title, amount=amount, date=date, **fields
        )

    def credit(
        self, customer, amount="10.00", *, date=JAN_5, title="Credit", credit_type="discount", actor=None, **fields
    ) -> Transaction:
        return services.transaction_create(
            customer=customer,
            actor=actor or self.actor,
            kind="credit",
            credit_type=credit_type,
            title=title,
            amount=amount,
            date=date,
            **fields,
        )

    def void(self, tx: Transaction, reason="Typed by mistake", actor=None) -> Transaction:
        return services.transaction_void(transaction_id=tx.pk, actor=actor or self.actor, reason=reason)

    def invoice(self, customer, *, start=JAN_1, end=JAN_31, due_date=DUE, category=None, actor=None) -> Invoice:
        return services.invoice_generate(
            customer=customer, actor=actor or self.actor, start=start, end=end, due_date=due_date, category=category
        )

    def void_invoice(self, invoice: Invoice, reason="Wrong invoice", actor=None) -> Invoice:
        return services.invoice_void(invoice_id=invoice.pk, actor=actor or self.actor, reason=reason)

    def pay(self, invoice: Invoice, *, method="cash", amount=None, reference="", actor=None):
        return payment_services.invoice_pay(
            invoice_id=invoice.pk, actor=actor or self.actor, method=method, amount=amount, reference=reference
        )


@contextmanager
def rolled_back():
    """Run a block in a savepoint that is always rolled back: one Hypothesis example leaves nothing behind."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def money(value: str) -> Decimal:
    return Decimal(value)
