"""Every collection: list and detail, paging, scoping to the user's entities, and no DELETE on money."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from quita.billing import services as billing
from quita.core.models import ActivityLog
from quita.customers import services as customers
from quita.payments import services as payments
from tests.api.conftest import YEAR, api_for, billed_invoice

JANUARY = datetime.date(YEAR, 1, 5)


def _ledger(customer, product):
    """A contract line, a charge, its invoice and a payment for `customer`; returns their objects."""
    contract = customers.contract_create(
        customer=customer, actor=None, billing_day=1, due_day=15, start_date=datetime.date(YEAR, 1, 1)
    )
    service = customers.service_create(contract=contract, actor=None, product=product, start_date=contract.start_date)
    line = billing.transaction_create(
        customer=customer, actor=None, kind="charge", title="Mensalidade", amount="45.00", date=JANUARY, service=service
    )
    invoice = billing.invoice_generate(
        customer=customer,
        actor=None,
        start=datetime.date(YEAR, 1, 1),
        end=datetime.date(YEAR, 1, 31),
        due_date=datetime.date(YEAR, 2, 15),
    )
    payment = payments.invoice_pay(invoice_id=invoice.pk, actor=None, method="cash", amount="20.00", reference="R-1")
    activity = ActivityLog.objects.filter(customer_id=customer.pk).order_by("id").first()
    return {
        "entities": customer.entity,
        "customers": customer,
        "products": product,
        "contracts": contract,
        "services": service,
        "transactions": line,
        "invoices": invoice,
        "payments": payment,
        "activity": activity,
    }


@pytest.fixture
def world(customer, other_customer, internet_plan, other_entity, categories):
    """The clerk's ledger ("mine") and another entity's ("theirs")."""
    their_plan = customers.product_create(
        entity=other_entity, actor=None, name="Rede 500", category=categories["internet"], price=Decimal("99.90")
    )
    return {"mine": _ledger(customer, internet_plan), "theirs": _ledger(other_customer, their_plan)}


COLLECTIONS = [
    "entities",
    "customers",
    "products",
    "contracts",
    "services",
    "transactions",
    "invoices",
    "payments",
    "activity",
]


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_list_shows_only_the_users_entities(api, world, collection):
    response = api.get(f"/api/{collection}/")
    assert response.status_code == 200
    body = response.json()
    assert {"count", "next", "previous", "results"} <= set(body)  # limit/offset paging
    ids = {row["id"] for row in body["results"]}
    assert world["mine"][collection].pk in ids
    assert world["theirs"][collection].pk not in ids


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_detail_of_own_object(api, world, collection):
    response = api.get(f"/api/{collection}/{world['mine'][collection].pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == world["mine"][collection].pk


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_another_entitys_object_is_not_found(api, world, collection):
    response = api.get(f"/api/{collection}/{world['theirs'][collection].pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_unknown_id_is_not_found(api, world, collection):
    response = api.get(f"/api/{collection}/987654/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": response.json()["detail"], "fields": {}}


@pytest.mark.parametrize("path", ["/api/invoices/abc/", "/api/no-such-collection/"], ids=["not-an-id", "no-route"])
def test_urls_that_match_nothing_are_a_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_superuser_sees_every_entity(world, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    ids = {row["id"] for row in api_for(admin).get("/api/invoices/").json()["results"]}
    assert ids == {world["mine"]["invoices"].pk, world["theirs"]["invoices"].pk}


def test_paging_with_limit_and_offset(api, customer):
    for n in range(5):
        billing.transaction_create(
            customer=customer, actor=None, kind="charge", title=f"Linha {n}", amount="1.00", date=JANUARY
        )
    first = api.get("/api/transactions/?limit=2&ordering=id").json()
    assert first["count"] == 5
    assert [row["title"] for row in first["results"]] == ["Linha 0", "Linha 1"]
    assert "offset=2" in first["next"]
    last = api.get("/api/transactions/?limit=2&offset=4&ordering=id").json()
    assert [row["title"] for row in last["results"]] == ["Linha 4"]
    assert last["next"] is None


@pytest.mark.parametrize(
    "path",
    [
        "/api/transactions/{transactions}/",
        "/api/invoices/{invoices}/",
        "/api/payments/{payments}/",
        "/api/activity/{activity}/",
    ],
    ids=["transaction", "invoice", "payment", "activity"],
)
@pytest.mark.parametrize("method", ["delete", "put", "patch"])
def test_financial_records_are_never_deleted_or_edited(api, world, path, method):
    url = path.format(**{key: obj.pk for key, obj in world["mine"].items()})
    response = getattr(api, method)(url, {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("collection", ["customers", "products", "contracts", "services", "entities"])
def test_master_data_is_not_deleted_either(api, world, collection):
    assert api.delete(f"/api/{collection}/{world['mine'][collection].pk}/").status_code == 405


def test_read_only_user_can_read_everything(readonly_api, world):
    for collection in COLLECTIONS:
        assert readonly_api.get(f"/api/{collection}/").json()["count"] >= 1, collection


def test_invoice_read_shape(api, world):
    invoice = api.get(f"/api/invoices/{world['mine']['invoices'].pk}/").json()
    assert invoice["number"] == world["mine"]["invoices"].number
    assert invoice["status"] == "unpaid"
    assert (invoice["total"], invoice["amount_paid"], invoice["balance"]) == ("45.00", "20.00", "25.00")
    assert invoice["overdue"] is False
    assert invoice["customer"] == world["mine"]["customers"].pk
    assert invoice["due_date"] == f"{YEAR}-02-15"
    assert [line["title"] for line in invoice["lines"]] == ["Mensalidade"]
    assert invoice["lines"][0]["invoice"] == invoice["id"]


def test_transaction_read_shape(api, world):
    line = api.get(f"/api/transactions/{world['mine']['transactions'].pk}/").json()
    assert line["kind"] == "charge"
    assert line["amount"] == "45.00"
    assert line["invoice"] == world["mine"]["invoices"].pk
    assert line["billed"] is True and line["void"] is False
    assert line["category"] == "internet"  # from its service
    assert line["service"] == world["mine"]["services"].pk


def test_payment_transaction_reads_back_negative_and_settling(api, world):
    rows = api.get(f"/api/transactions/?kind=payment&customer={world['mine']['customers'].pk}").json()["results"]
    assert len(rows) == 1
    assert rows[0]["amount"] == "-20.00"
    assert rows[0]["paid_invoice"] == world["mine"]["invoices"].pk
    assert rows[0]["invoice"] is None and rows[0]["billed"] is True


def test_categories_are_listed(api):
    codes = {row["code"] for row in api.get("/api/categories/").json()}
    assert {"internet", "mobile", "tv", "other"} <= codes


@pytest.mark.parametrize(
    "path",
    ["/api/invoices/?customer={id}", "/api/transactions/?customer={id}", "/api/customers/{id}/billing-summary/"],
    ids=["invoices", "transactions", "billing-summary"],
)
def test_a_page_costs_the_same_few_queries_however_long_it_is(api, customer, path, django_assert_max_num_queries):
    """No query per row: token, entities, count, page, lines (the customer's billing tab must stay fast)."""
    for month in range(1, 7):
        billed_invoice(customer, month=month)
    with django_assert_max_num_queries(5):
        assert api.get(path.format(id=customer.pk)).status_code == 200
