"""The query parameters of the lists: filters, search and ordering."""

from __future__ import annotations

import datetime

import pytest

from quita.billing import services as billing
from quita.billing.models import Invoice
from quita.customers import services as customers
from quita.payments import services as payments
from tests.api.conftest import YEAR, charge, day, generate


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def lines(api, customer, make_customer):
    """Three lines of `customer` (one billed, one void, one unbilled) and one of another customer."""
    billed = charge(api, customer.pk, "50.00", title="Taxa de instalação", date=day(1, 3))
    generate(api, customer.pk, end=day(1, 3))
    void = charge(api, customer.pk, "10.00", title="Cobrança errada", date=day(1, 10))
    assert api.post(f"/api/transactions/{void['id']}/void/", {"reason": "Engano"}, format="json").status_code == 200
    unbilled = charge(api, customer.pk, "45.00", title="Mensalidade janeiro", date=day(1, 20))
    neighbour = make_customer(name="Vizinho")
    theirs = charge(api, neighbour.pk, "45.00", title="Mensalidade janeiro", date=day(2, 1))
    return {"billed": billed["id"], "void": void["id"], "unbilled": unbilled["id"], "neighbour": theirs["id"]}


def test_transactions_by_customer(api, customer, lines):
    ids = _ids(api.get(f"/api/transactions/?customer={customer.pk}"))
    assert set(ids) == {lines["billed"], lines["void"], lines["unbilled"]}


def test_unbilled_transactions_are_those_waiting_for_an_invoice(api, customer, lines):
    assert _ids(api.get(f"/api/transactions/?customer={customer.pk}&billed=false")) == [lines["unbilled"]]
    assert _ids(api.get(f"/api/transactions/?customer={customer.pk}&billed=true")) == [lines["billed"]]


def test_void_filter(api, customer, lines):
    assert _ids(api.get(f"/api/transactions/?customer={customer.pk}&void=true")) == [lines["void"]]
    assert lines["void"] not in _ids(api.get("/api/transactions/?void=false"))


def test_search_by_id_or_title(api, lines):
    assert _ids(api.get(f"/api/transactions/?search={lines['void']}")) == [lines["void"]]
    assert _ids(api.get(f"/api/transactions/?search=%23{lines['void']}")) == [lines["void"]]  # "#12"
    assert set(_ids(api.get("/api/transactions/?search=mensalidade"))) == {lines["unbilled"], lines["neighbour"]}


def test_date_range_is_inclusive(api, lines):
    ids = _ids(api.get(f"/api/transactions/?date_after={day(1, 10)}&date_before={day(1, 20)}"))
    assert set(ids) == {lines["void"], lines["unbilled"]}


def test_ordering(api, lines):
    amounts = [row["amount"] for row in api.get("/api/transactions/?ordering=amount").json()["results"]]
    assert amounts == sorted(amounts, key=float)
    newest_first = [row["date"] for row in api.get("/api/transactions/").json()["results"]]
    assert newest_first == sorted(newest_first, reverse=True)


def test_bad_filter_value_is_a_400(api, lines):
    response = api.get("/api/transactions/?date_after=yesterday")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "date" in response.json()["fields"]


@pytest.fixture
def mobile_world(customer, internet_plan, categories, entity):
    """`customer` with an Internet and a Mobile service, one charge on each."""
    mobile_plan = customers.product_create(
        entity=entity, actor=None, name="Chip 20 GB", category=categories["mobile"], price="29.90"
    )
    contract = customers.contract_create(
        customer=customer, actor=None, billing_day=1, due_day=15, start_date=datetime.date(YEAR, 1, 1)
    )
    internet = customers.service_create(
        contract=contract, actor=None, product=internet_plan, start_date=contract.start_date
    )
    mobile = customers.service_create(
        contract=contract, actor=None, product=mobile_plan, start_date=contract.start_date
    )
    on = datetime.date(YEAR, 1, 5)
    billing.transaction_create(
        customer=customer, actor=None, kind="charge", title="Fibra", amount="45.00", date=on, service=internet
    )
    billing.transaction_create(
        customer=customer, actor=None, kind="charge", title="Chip", amount="29.90", date=on, service=mobile
    )
    return {"internet": internet, "mobile": mobile, "mobile_plan": mobile_plan}


@pytest.mark.parametrize("value", ["mobile", "by-id"], ids=["code", "id"])
def test_category_filter_takes_a_code_or_an_id(api, mobile_world, categories, value):
    value = categories["mobile"].pk if value == "by-id" else value
    titles = [row["title"] for row in api.get(f"/api/transactions/?category={value}").json()["results"]]
    assert titles == ["Chip"]
    products = [row["name"] for row in api.get(f"/api/products/?category={value}").json()["results"]]
    assert products == ["Chip 20 GB"]
    services = [row["id"] for row in api.get(f"/api/services/?category={value}").json()["results"]]
    assert services == [mobile_world["mobile"].pk]


def test_unknown_category_in_a_filter_is_a_400(api, mobile_world):
    response = api.get("/api/transactions/?category=satellite")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_category"


@pytest.fixture
def invoices(api, customer, make_customer):
    """Three invoices: paid, unpaid (partly paid) and void; and one overdue of another customer."""
    made = {}
    for name, month in [("paid", 1), ("unpaid", 2), ("void", 3)]:
        charge(api, customer.pk, "30.00", title=name, date=day(month, 2))
        made[name] = generate(api, customer.pk, start=day(month, 1), end=day(month, 28), due=day(month + 1, 15))
    payments.invoice_pay(invoice_id=made["paid"]["id"], actor=None, method="cash")
    payments.invoice_pay(invoice_id=made["unpaid"]["id"], actor=None, method="cash", amount="10.00")
    billing.invoice_void(invoice_id=made["void"]["id"], actor=None, reason="Errado")
    late = make_customer(name="Atrasado")
    charge(api, late.pk, "45.00", date=day(1, 2))
    made["overdue"] = generate(api, late.pk)
    # Issued and due in the past (the API always issues today, so the test moves the dates back).
    Invoice.objects.filter(pk=made["overdue"]["id"]).update(
        issue_date=datetime.date(2020, 1, 1), due_date=datetime.date(2020, 1, 15)
    )
    return {name: invoice["id"] for name, invoice in made.items()}


@pytest.mark.parametrize(
    ("status", "expected"),
    [("paid", {"paid"}), ("unpaid", {"unpaid", "overdue"}), ("void", {"void"})],
    ids=["paid", "unpaid", "void"],
)
def test_invoice_status_filter(api, invoices, status, expected):
    assert set(_ids(api.get(f"/api/invoices/?status={status}"))) == {invoices[name] for name in expected}


def test_overdue_filter_and_flag(api, invoices):
    rows = api.get("/api/invoices/?overdue=true").json()["results"]
    assert [row["id"] for row in rows] == [invoices["overdue"]]
    assert rows[0]["overdue"] is True
    assert invoices["overdue"] not in _ids(api.get("/api/invoices/?overdue=false"))
    assert invoices["unpaid"] in _ids(api.get("/api/invoices/?overdue=false"))


def test_invoice_customer_and_issue_date_filters(api, customer, invoices):
    assert set(_ids(api.get(f"/api/invoices/?customer={customer.pk}"))) == {
        invoices["paid"],
        invoices["unpaid"],
        invoices["void"],
    }
    assert _ids(api.get("/api/invoices/?date_before=2020-12-31")) == [invoices["overdue"]]
    assert invoices["overdue"] not in _ids(api.get("/api/invoices/?date_after=2021-01-01"))


def test_invoice_search_by_number(api, invoices):
    number = api.get(f"/api/invoices/{invoices['unpaid']}/").json()["number"]
    assert _ids(api.get(f"/api/invoices/?search={number}")) == [invoices["unpaid"]]


def test_payments_by_invoice_and_reference(api, invoices):
    rows = api.get(f"/api/payments/?invoice={invoices['unpaid']}").json()["results"]
    assert [row["amount"] for row in rows] == ["10.00"]
    assert api.get("/api/payments/?method=pos").json()["count"] == 0


def test_activity_per_customer_and_per_invoice(api, customer, invoices):
    per_invoice = api.get(f"/api/activity/?invoice={invoices['void']}").json()["results"]
    assert [row["action"] for row in per_invoice] == ["void", "generate"]  # newest first
    assert all(row["object_type"] == "billing.invoice" for row in per_invoice)
    per_customer = api.get(f"/api/activity/?customer={customer.pk}").json()["results"]
    assert {row["customer"] for row in per_customer} == {customer.pk}
    assert {"create", "generate", "pay", "void"} <= {row["action"] for row in per_customer}


def test_customer_search(api, customer, make_customer):
    make_customer(name="João Pereira")
    rows = api.get("/api/customers/?search=maria").json()["results"]
    assert [row["id"] for row in rows] == [customer.pk]
    assert api.get(f"/api/customers/?search={customer.document}").json()["count"] == 1
