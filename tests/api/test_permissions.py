"""Roles: a read-only member reads everything and changes nothing (403 permission_denied, nothing written)."""

from __future__ import annotations

import datetime

import pytest

from quita.billing import services as billing
from quita.billing.models import Invoice, Transaction
from quita.core.models import ActivityLog
from quita.customers import services as customers
from quita.customers.models import Contract, Customer, Product, Service
from quita.payments.models import Payment
from tests.api.conftest import YEAR, api_for, billed_invoice, day
from tests.conftest import make_cpf


@pytest.fixture
def ledger(customer, internet_plan):
    contract = customers.contract_create(
        customer=customer, actor=None, billing_day=1, due_day=15, start_date=datetime.date(YEAR, 1, 1)
    )
    service = customers.service_create(
        contract=contract, actor=None, product=internet_plan, start_date=contract.start_date
    )
    invoice = billed_invoice(customer)
    line = billing.transaction_create(
        customer=customer, actor=None, kind="charge", title="Fev", amount="45.00", date=datetime.date(YEAR, 2, 2)
    )
    return {
        "customer": customer.pk,
        "contract": contract.pk,
        "service": service.pk,
        "product": internet_plan.pk,
        "invoice": invoice.pk,
        "line": line.pk,
    }


ACTIONS = [
    (
        "create-customer",
        "post",
        "/api/customers/",
        lambda t: {"person_type": "PF", "document": make_cpf(6060), "name": "Novo"},
    ),
    ("update-customer", "patch", "/api/customers/{customer}/", lambda t: {"name": "Outro nome"}),
    ("create-product", "post", "/api/products/", lambda t: {"name": "P", "category": "tv", "price": "1.00"}),
    ("update-product", "patch", "/api/products/{product}/", lambda t: {"price": "1.00"}),
    (
        "create-contract",
        "post",
        "/api/contracts/",
        lambda t: {"customer": t["customer"], "billing_day": 1, "due_day": 10, "start_date": day(1, 1)},
    ),
    ("update-contract", "patch", "/api/contracts/{contract}/", lambda t: {"due_day": 20}),
    (
        "create-service",
        "post",
        "/api/services/",
        lambda t: {"contract": t["contract"], "product": t["product"], "start_date": day(1, 1)},
    ),
    ("update-service", "patch", "/api/services/{service}/", lambda t: {"price": "1.00"}),
    (
        "add-charge",
        "post",
        "/api/transactions/",
        lambda t: {"customer": t["customer"], "kind": "charge", "title": "X", "amount": "1.00", "date": day(2, 3)},
    ),
    ("void-transaction", "post", "/api/transactions/{line}/void/", lambda t: {"reason": "x"}),
    (
        "preview-invoice",
        "post",
        "/api/invoices/preview/",
        lambda t: {"customer": t["customer"], "start": day(2, 1), "end": day(2, 28), "due_date": day(3, 15)},
    ),
    (
        "generate-invoice",
        "post",
        "/api/invoices/generate/",
        lambda t: {"customer": t["customer"], "start": day(2, 1), "end": day(2, 28), "due_date": day(3, 15)},
    ),
    ("void-invoice", "post", "/api/invoices/{invoice}/void/", lambda t: {"reason": "x"}),
    ("pay-invoice", "post", "/api/invoices/{invoice}/pay/", lambda t: {"method": "cash"}),
    ("pay-many", "post", "/api/invoices/pay-many/", lambda t: {"invoices": [t["invoice"]], "method": "cash"}),
]


def _counts():
    models = [Customer, Product, Contract, Service, Transaction, Invoice, Payment, ActivityLog]
    return [model.objects.count() for model in models], list(Invoice.objects.values_list("status", "amount_paid"))


@pytest.mark.parametrize(("method", "path", "body"), [a[1:] for a in ACTIONS], ids=[a[0] for a in ACTIONS])
def test_read_only_user_cannot_act(readonly_api, ledger, method, path, body):
    before = _counts()
    response = getattr(readonly_api, method)(path.format(**ledger), body(ledger), format="json")
    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "permission_denied"
    assert _counts() == before


@pytest.mark.parametrize(
    "path",
    ["/api/transactions/statistics/", "/api/invoices/statistics/", "/api/customers/{customer}/billing-summary/"],
    ids=["transaction-statistics", "invoice-statistics", "billing-summary"],
)
def test_read_only_user_reads_figures(readonly_api, ledger, path):
    assert readonly_api.get(path.format(**ledger)).status_code == 200


def test_a_user_without_membership_sees_nothing(db, ledger, django_user_model):
    stranger = api_for(django_user_model.objects.create_user("stranger", password="pw"))
    assert stranger.get("/api/customers/").json()["count"] == 0
    assert stranger.get(f"/api/invoices/{ledger['invoice']}/").status_code == 404
    response = stranger.post(f"/api/invoices/{ledger['invoice']}/pay/", {"method": "cash"}, format="json")
    assert response.status_code == 404
