"""Fixtures of the API tests: token-authenticated clients per role, and helpers that speak to the API."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from quita.billing import services as billing
from quita.core.models import Role
from tests.conftest import make_user

# Invoices are issued today and may not be due before their issue date, so the scenarios bill a
# January whose February due dates are still ahead: next year's.
YEAR = datetime.date.today().year + 1


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are made in almost every test here; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def day(month: int, day_of_month: int, year: int = YEAR) -> str:
    """An ISO date in the scenarios' year."""
    return datetime.date(year, month, day_of_month).isoformat()


def on(month: int, day_of_month: int, year: int = YEAR) -> datetime.date:
    """A date in the scenarios' year."""
    return datetime.date(year, month, day_of_month)


def billed_invoice(customer, amount: str = "45.00", month: int = 1):
    """A charge in `month` and its invoice (due on the 15th of the next month), made through the services."""
    billing.transaction_create(
        customer=customer, actor=None, kind="charge", title=f"Mês {month}", amount=amount, date=on(month, 2)
    )
    return billing.invoice_generate(
        customer=customer, actor=None, start=on(month, 1), end=on(month, 28), due_date=on(month + 1, 15)
    )


def api_for(user) -> APIClient:
    """An API client that authenticates as `user` with a token, as outside programs do."""
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(clerk) -> APIClient:
    """A billing clerk of `entity`."""
    return api_for(clerk)


@pytest.fixture
def readonly_user(entity):
    return make_user("viewer", entity, Role.READ_ONLY)


@pytest.fixture
def readonly_api(readonly_user) -> APIClient:
    """A read-only member of `entity`: may read everything, change nothing."""
    return api_for(readonly_user)


@pytest.fixture
def collector_api(entity) -> APIClient:
    """A collections operator of `entity`: may record payments only."""
    return api_for(make_user("collector", entity, Role.COLLECTIONS_OPERATOR))


@pytest.fixture
def customer(make_customer):
    return make_customer(name="Maria Silva")


@pytest.fixture
def other_customer(make_customer, other_entity):
    """A customer of an entity the clerk does not belong to."""
    return make_customer(name="Cliente de Outra Empresa", target=other_entity)


def post_charge(api, customer_id, amount, *, title="Charge", date=None, kind="charge", **extra):
    """Add a charge (or a credit with kind="credit") through the API and return the response."""
    body = {"customer": customer_id, "kind": kind, "title": title, "amount": amount, "date": date or day(1, 5)}
    return api.post("/api/transactions/", {**body, **extra}, format="json")


def charge(api, customer_id, amount, **kwargs) -> dict:
    """Add a charge through the API; it must succeed."""
    response = post_charge(api, customer_id, amount, **kwargs)
    assert response.status_code == 201, response.json()
    return response.json()


def post_generate(api, customer_id, *, start=None, end=None, due=None, category=None, path="generate"):
    body = {
        "customer": customer_id,
        "start": start or day(1, 1),
        "end": end or day(1, 31),
        "due_date": due or day(2, 15),
    }
    if category is not None:
        body["category"] = category
    return api.post(f"/api/invoices/{path}/", body, format="json")


def generate(api, customer_id, **kwargs) -> dict:
    """Generate a proforma invoice through the API; it must succeed."""
    response = post_generate(api, customer_id, **kwargs)
    assert response.status_code == 201, response.json()
    return response.json()
