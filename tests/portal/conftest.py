"""Fixtures of the portal tests: a subscriber with a password, invoices of theirs and of someone else."""

from __future__ import annotations

import pytest

from quita.portal import services
from quita.portal.models import SubscriberAccount
from tests.billing.ledger import Clock, Ledger

PASSWORD = "Fibra!2025-segura"


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def ledger(clerk, clock) -> Ledger:
    return Ledger(clerk)


@pytest.fixture
def maria(make_customer):
    return make_customer("Maria Silva")


@pytest.fixture
def joao(make_customer):
    return make_customer("João Souza")


@pytest.fixture
def invoices(maria, joao, ledger):
    """Maria: one open (R$ 99,90) and one paid invoice; João: one open invoice."""
    import datetime

    ledger.charge(maria, "120.00", title="Fibra 300 Mega", date=datetime.date(2024, 12, 5))
    paid = ledger.invoice(
        maria, start=datetime.date(2024, 12, 1), end=datetime.date(2024, 12, 31), due_date=datetime.date(2025, 2, 11)
    )
    ledger.pay(paid, method="cash")
    ledger.charge(maria, "99.90", title="Fibra 300 Mega")
    open_ = ledger.invoice(maria)
    ledger.charge(joao, "45.00", title="Móvel 15 GB")
    other = ledger.invoice(joao)
    return {"open": open_, "paid": paid, "other": other}


@pytest.fixture
def account(maria):
    account = SubscriberAccount.objects.create(document=maria.document)
    account.set_password(PASSWORD)
    account.save()
    services.account_link_customers(account)
    return account


def login(client, document, password=PASSWORD, next_url=""):
    return client.post("/portal/login/", {"document": document, "password": password, "next": next_url})
