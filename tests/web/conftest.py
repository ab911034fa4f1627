"""Fixtures of the staff UI tests: logged-in clients per role and a customer with a ledger."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from quita.billing import services as billing
from quita.core.models import Role
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Users are created per test: hash their passwords with a cheap hasher (PBKDF2 costs ~0.5 s each)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_for(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def web(clerk) -> Client:
    """A billing clerk of `entity`, in English."""
    return client_for(clerk)


@pytest.fixture
def viewer(entity):
    return make_user("viewer", entity, Role.READ_ONLY)


@pytest.fixture
def customer(make_customer):
    return make_customer("Maria Silva")


def today() -> datetime.date:
    from quita.core.models import Entity
    from quita.core.selectors import entity_today

    return entity_today(Entity.objects.first())


@pytest.fixture
def billed(customer):
    """Maria with a setup fee and a first month on one unpaid invoice (95.00), and an unbilled 20.00 visit."""
    day = today()
    billing.transaction_create(
        customer=customer, actor=None, kind="charge", title="Taxa de instalação", amount="50.00", date=day
    )
    billing.transaction_create(
        customer=customer, actor=None, kind="charge", title="Fibra 300 Mega", amount="45.00", date=day
    )
    invoice = billing.invoice_generate(
        customer=customer, actor=None, start=day.replace(day=1), end=day, due_date=day + datetime.timedelta(days=10)
    )
    assert invoice.total == Decimal("95.00")
    visit = billing.transaction_create(
        customer=customer, actor=None, kind="charge", title="Visita técnica", amount="20.00", date=day
    )
    return {"invoice": invoice, "visit": visit}
