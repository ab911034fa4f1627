"""Bad input: 400 with a specific, documented code (docs/errors.md), and nothing written."""

from __future__ import annotations

import datetime

import pytest

from quita.billing import services as billing
from quita.billing.models import Invoice, Transaction
from quita.core.models import ActivityLog, Role
from quita.customers import services as customers
from quita.customers.models import Contract, Customer, Product, Service
from quita.payments.models import Payment
from tests.api.conftest import YEAR, api_for, billed_invoice, day, on
from tests.conftest import make_cpf, make_user


@pytest.fixture
def manager_api(entity):
    """A manager: may do everything these requests try, so only the input can be refused."""
    return api_for(make_user("manager", entity, Role.MANAGER))


@pytest.fixture
def targets(customer, internet_plan):
    """Ids the requests refer to: a customer, its contract and service, and an unpaid invoice."""
    contract = customers.contract_create(
        customer=customer, actor=None, billing_day=1, due_day=15, start_date=datetime.date(YEAR, 1, 1)
    )
    service = customers.service_create(
        contract=contract, actor=None, product=internet_plan, start_date=contract.start_date
    )
    invoice = billed_invoice(customer)
    line = billing.transaction_create(
        customer=customer, actor=None, kind="charge", title="Fev", amount="45.00", date=on(2, 2)
    )
    return {
        "customer": customer.pk,
        "contract": contract.pk,
        "service": service.pk,
        "product": internet_plan.pk,
        "invoice": invoice.pk,
        "line": line.pk,
    }


def _person(**overrides):
    return {"person_type": "PF", "document": make_cpf(5150), "name": "Beatriz Lima", **overrides}


def _line(t, **overrides):
    return {
        "customer": t["customer"],
        "kind": "charge",
        "title": "Taxa",
        "amount": "10.00",
        "date": day(2, 3),
        **overrides,
    }


def _period(t, **overrides):
    return {"customer": t["customer"], "start": day(2, 1), "end": day(2, 28), "due_date": day(3, 15), **overrides}


def _without(body: dict, key: str) -> dict:
    return {k: v for k, v in body.items() if k != key}


# (id, method, path, body(targets), expected code)
CASES = [
    ("customer-invalid-cpf", "post", "/api/customers/", lambda t: _person(document="123.456.789-00"), "invalid_cpf"),
    (
        "customer-invalid-cnpj",
        "post",
        "/api/customers/",
        lambda t: _person(person_type="PJ", document="11.111.111/1111-11"),
        "invalid_cnpj",
    ),
    ("customer-cpf-letters", "post", "/api/customers/", lambda t: _person(document="abc"), "invalid_cpf"),
    ("customer-bad-person-type", "post", "/api/customers/", lambda t: _person(person_type="XX"), "invalid_person_type"),
    ("customer-bad-email", "post", "/api/customers/", lambda t: _person(emails=["não é e-mail"]), "invalid_email"),
    ("customer-missing-name", "post", "/api/customers/", lambda t: _without(_person(), "name"), "required"),
    (
        "product-negative-price",
        "post",
        "/api/products/",
        lambda t: {"name": "P", "category": "tv", "price": "-1.00"},
        "negative_price",
    ),
    (
        "product-unknown-category",
        "post",
        "/api/products/",
        lambda t: {"name": "P", "category": "satellite", "price": "1.00"},
        "unknown_category",
    ),
    (
        "product-float-price",
        "post",
        "/api/products/",
        lambda t: {"name": "P", "category": "tv", "price": 19.9},
        "amount_is_float",
    ),
    (
        "service-negative-price",
        "post",
        "/api/services/",
        lambda t: {"contract": t["contract"], "product": t["product"], "start_date": day(1, 1), "price": "-5.00"},
        "negative_price",
    ),
    (
        "service-update-negative-price",
        "patch",
        "/api/services/{service}/",
        lambda t: {"price": "-0.01"},
        "negative_price",
    ),
    (
        "service-end-before-start",
        "patch",
        "/api/services/{service}/",
        lambda t: {"end_date": day(1, 1, YEAR - 1)},
        "end_before_start",
    ),
    (
        "contract-end-before-start",
        "post",
        "/api/contracts/",
        lambda t: {
            "customer": t["customer"],
            "billing_day": 1,
            "due_day": 10,
            "start_date": day(3, 1),
            "end_date": day(2, 1),
        },
        "end_before_start",
    ),
    (
        "contract-billing-day-32",
        "post",
        "/api/contracts/",
        lambda t: {"customer": t["customer"], "billing_day": 32, "due_day": 10, "start_date": day(3, 1)},
        "invalid_day",
    ),
    (
        "transaction-three-decimals",
        "post",
        "/api/transactions/",
        lambda t: _line(t, amount="10.555"),
        "amount_too_many_decimals",
    ),
    ("transaction-float", "post", "/api/transactions/", lambda t: _line(t, amount=95.5), "amount_is_float"),
    ("transaction-float-whole", "post", "/api/transactions/", lambda t: _line(t, amount=95.0), "amount_is_float"),
    ("transaction-not-a-number", "post", "/api/transactions/", lambda t: _line(t, amount="R$ 10"), "amount_invalid"),
    ("transaction-boolean-amount", "post", "/api/transactions/", lambda t: _line(t, amount=True), "amount_invalid"),
    ("transaction-zero", "post", "/api/transactions/", lambda t: _line(t, amount="0.00"), "amount_not_positive"),
    ("transaction-negative", "post", "/api/transactions/", lambda t: _line(t, amount="-10.00"), "amount_not_positive"),
    ("transaction-huge", "post", "/api/transactions/", lambda t: _line(t, amount="1e20"), "amount_too_large"),
    ("transaction-beyond-decimal", "post", "/api/transactions/", lambda t: _line(t, amount="1e30"), "amount_too_large"),
    ("transaction-30-digits", "post", "/api/transactions/", lambda t: _line(t, amount="9" * 30), "amount_too_large"),
    ("transaction-nan", "post", "/api/transactions/", lambda t: _line(t, amount="NaN"), "amount_invalid"),
    ("transaction-missing-amount", "post", "/api/transactions/", lambda t: _without(_line(t), "amount"), "required"),
    ("transaction-missing-title", "post", "/api/transactions/", lambda t: _without(_line(t), "title"), "required"),
    (
        "transaction-missing-customer",
        "post",
        "/api/transactions/",
        lambda t: _without(_line(t), "customer"),
        "required",
    ),
    ("transaction-blank-title", "post", "/api/transactions/", lambda t: _line(t, title=""), "blank"),
    ("transaction-kind-payment", "post", "/api/transactions/", lambda t: _line(t, kind="payment"), "invalid_kind"),
    (
        "transaction-unknown-credit-type",
        "post",
        "/api/transactions/",
        lambda t: _line(t, kind="credit", credit_type="gift"),
        "invalid_credit_type",
    ),
    (
        "transaction-credit-type-on-charge",
        "post",
        "/api/transactions/",
        lambda t: _line(t, credit_type="discount"),
        "credit_type_on_charge",
    ),
    ("transaction-bad-date", "post", "/api/transactions/", lambda t: _line(t, date=f"{YEAR}-13-01"), "invalid_date"),
    ("transaction-void-no-reason", "post", "/api/transactions/{line}/void/", lambda t: {}, "required"),
    (
        "generate-end-before-start",
        "post",
        "/api/invoices/generate/",
        lambda t: _period(t, end=day(1, 31)),
        "end_before_start",
    ),
    (
        "preview-end-before-start",
        "post",
        "/api/invoices/preview/",
        lambda t: _period(t, end=day(1, 31)),
        "end_before_start",
    ),
    (
        "generate-due-before-issue",
        "post",
        "/api/invoices/generate/",
        lambda t: _period(t, due_date="2020-01-01"),
        "due_before_issue",
    ),
    (
        "generate-unknown-category",
        "post",
        "/api/invoices/generate/",
        lambda t: _period(t, category="satellite"),
        "unknown_category",
    ),
    (
        "generate-unknown-category-id",
        "post",
        "/api/invoices/generate/",
        lambda t: _period(t, category=987654),
        "unknown_category",
    ),
    (
        "generate-missing-due-date",
        "post",
        "/api/invoices/generate/",
        lambda t: _without(_period(t), "due_date"),
        "required",
    ),
    (
        "invoice-void-blank-reason",
        "post",
        "/api/invoices/{invoice}/void/",
        lambda t: {"reason": "  "},
        "reason_required",
    ),
    ("invoice-void-no-reason", "post", "/api/invoices/{invoice}/void/", lambda t: {}, "required"),
    (
        "pay-pix-by-hand",
        "post",
        "/api/invoices/{invoice}/pay/",
        lambda t: {"method": "pix"},
        "invalid_payment_method",
    ),
    ("pay-missing-method", "post", "/api/invoices/{invoice}/pay/", lambda t: {}, "required"),
    (
        "pay-three-decimals",
        "post",
        "/api/invoices/{invoice}/pay/",
        lambda t: {"method": "cash", "amount": "1.001"},
        "amount_too_many_decimals",
    ),
    (
        "pay-float",
        "post",
        "/api/invoices/{invoice}/pay/",
        lambda t: {"method": "cash", "amount": 45.0},
        "amount_is_float",
    ),
    (
        "pay-many-empty",
        "post",
        "/api/invoices/pay-many/",
        lambda t: {"invoices": [], "method": "cash"},
        "invoices_required",
    ),
    (
        "pay-many-not-a-list",
        "post",
        "/api/invoices/pay-many/",
        lambda t: {"invoices": "1,2", "method": "cash"},
        "not_a_list",
    ),
]


def _counts():
    models = [Customer, Product, Contract, Service, Transaction, Invoice, Payment, ActivityLog]
    return [model.objects.count() for model in models], list(Invoice.objects.values_list("status", "amount_paid"))


@pytest.mark.parametrize(
    ("method", "path", "body", "code"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_bad_input_is_refused_with_a_specific_code(manager_api, targets, method, path, body, code):
    before = _counts()
    response = getattr(manager_api, method)(path.format(**targets), body(targets), format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code, response.json()
    assert set(response.json()) == {"code", "detail", "fields"}
    assert response.json()["detail"]
    assert _counts() == before  # nothing half-written


def test_errors_name_the_field(manager_api, targets):
    response = manager_api.post("/api/transactions/", _line(targets, amount="10.555"), format="json")
    assert list(response.json()["fields"]) == ["amount"]
    response = manager_api.post("/api/transactions/", {}, format="json")
    assert {"customer", "kind", "title", "amount", "date"} <= set(response.json()["fields"])


def test_malformed_json_is_a_parse_error(manager_api, db):
    response = manager_api.post("/api/transactions/", "{not json", content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


@pytest.mark.parametrize(
    ("amount", "stored"),
    [("95.00", "95.00"), ("95.5", "95.50"), ("95", "95.00"), (95, "95.00"), (" 7.10 ", "7.10")],
    ids=["two-decimals", "one-decimal", "whole-string", "json-integer", "spaces"],
)
def test_amounts_that_are_accepted(manager_api, targets, amount, stored):
    response = manager_api.post("/api/transactions/", _line(targets, amount=amount), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == stored


def test_form_encoded_amounts_are_strings_and_accepted(manager_api, targets):
    response = manager_api.post("/api/transactions/", _line(targets, amount="12.30"))  # multipart form
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "12.30"


# Unknown or another entity's ids: 404 not_found, in the path or in the body.
NOT_FOUND = [
    ("unknown-customer-in-body", "post", "/api/transactions/", lambda t, o: _line(t, customer=987654)),
    ("their-customer-in-body", "post", "/api/transactions/", lambda t, o: _line(t, customer=o["customer"])),
    ("their-service-in-body", "post", "/api/transactions/", lambda t, o: _line(t, service=o["service"])),
    ("their-customer-generate", "post", "/api/invoices/generate/", lambda t, o: _period(t, customer=o["customer"])),
    ("their-customer-preview", "post", "/api/invoices/preview/", lambda t, o: _period(t, customer=o["customer"])),
    ("their-invoice-void", "post", "/api/invoices/{their_invoice}/void/", lambda t, o: {"reason": "x"}),
    ("their-invoice-pay", "post", "/api/invoices/{their_invoice}/pay/", lambda t, o: {"method": "cash"}),
    ("unknown-invoice-pay", "post", "/api/invoices/987654/pay/", lambda t, o: {"method": "cash"}),
    ("their-transaction-void", "post", "/api/transactions/{their_line}/void/", lambda t, o: {"reason": "x"}),
    ("their-customer-update", "patch", "/api/customers/{their_customer}/", lambda t, o: {"name": "x"}),
    (
        "their-contract-service",
        "post",
        "/api/services/",
        lambda t, o: {"contract": o["contract"], "product": t["product"], "start_date": day(1, 1)},
    ),
]


@pytest.fixture
def theirs(other_customer, other_entity, categories):
    """Another entity's customer, contract, service, line and invoice."""
    product = customers.product_create(
        entity=other_entity, actor=None, name="Deles", category=categories["internet"], price="50.00"
    )
    contract = customers.contract_create(
        customer=other_customer, actor=None, billing_day=1, due_day=15, start_date=datetime.date(YEAR, 1, 1)
    )
    service = customers.service_create(contract=contract, actor=None, product=product, start_date=contract.start_date)
    invoice = billed_invoice(other_customer, "50.00")
    unbilled = billing.transaction_create(
        customer=other_customer, actor=None, kind="charge", title="Y", amount="5.00", date=datetime.date(YEAR, 3, 2)
    )
    return {
        "customer": other_customer.pk,
        "contract": contract.pk,
        "service": service.pk,
        "their_customer": other_customer.pk,
        "their_invoice": invoice.pk,
        "their_line": unbilled.pk,
    }


@pytest.mark.parametrize(
    ("method", "path", "body"), [case[1:] for case in NOT_FOUND], ids=[case[0] for case in NOT_FOUND]
)
def test_unknown_or_foreign_ids_are_not_found(manager_api, targets, theirs, method, path, body):
    before = _counts()
    response = getattr(manager_api, method)(path.format(**theirs), body(targets, theirs), format="json")
    assert response.status_code == 404, response.json()
    assert response.json()["code"] == "not_found"
    assert _counts() == before
