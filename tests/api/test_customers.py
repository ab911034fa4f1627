"""Customers, products, contracts and services are created and changed through their services."""

from __future__ import annotations

from quita.core.models import ActivityLog, Membership, Role
from quita.customers import services
from quita.customers.models import Customer, Service
from tests.api.conftest import api_for, day, on
from tests.conftest import make_cnpj, make_cpf, make_user


def _customer_body(**overrides) -> dict:
    body = {
        "person_type": "PF",
        "document": make_cpf(9001),
        "name": "Ana Souza",
        "emails": ["ana@example.com"],
        "phones": ["+55 51 99999-0000"],
        "city": "Canoas",
        "condominium": "Residencial Jardim",
    }
    return {**body, **overrides}


def test_create_a_customer(api, entity):
    response = api.post("/api/customers/", _customer_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["entity"] == entity.pk  # a single-entity user may leave it out
    assert body["document"] == make_cpf(9001)
    customer = Customer.objects.get(pk=body["id"])
    # Through the service: the activity log has the creation, with the clerk as actor.
    log = ActivityLog.objects.get(object_id=customer.pk, action="create", content_type__model="customer")
    assert log.actor.username == "clerk"


def test_create_a_company_with_a_formatted_cnpj(api):
    cnpj = make_cnpj(77)
    formatted = f"{cnpj[:2]}.{cnpj[2:5]}.{cnpj[5:8]}/{cnpj[8:12]}-{cnpj[12:]}"
    response = api.post("/api/customers/", _customer_body(person_type="PJ", document=formatted), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["document"] == cnpj  # stored as digits


def test_a_user_of_several_entities_must_choose_one(entity, other_entity):
    user = make_user("multi", entity)
    Membership.objects.create(user=user, entity=other_entity, role=Role.BILLING_CLERK)
    client = api_for(user)
    response = client.post("/api/customers/", _customer_body(), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "required"
    assert "entity" in response.json()["fields"]
    response = client.post("/api/customers/", _customer_body(entity=other_entity.pk), format="json")
    assert response.status_code == 201
    assert response.json()["entity"] == other_entity.pk


def test_creating_in_another_entity_is_not_found(api, other_entity):
    response = api.post("/api/customers/", _customer_body(entity=other_entity.pk), format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Customer.objects.filter(entity=other_entity).exists()


def test_the_same_document_twice_is_a_conflict(api, customer):
    response = api.post("/api/customers/", _customer_body(document=customer.document), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "customer_document_taken"


def test_update_a_customer(api, customer):
    response = api.patch(f"/api/customers/{customer.pk}/", {"city": "Pelotas", "is_active": False}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["city"], response.json()["is_active"]) == ("Pelotas", False)
    assert response.json()["name"] == "Maria Silva"  # untouched
    log = ActivityLog.objects.get(object_id=customer.pk, action="update", content_type__model="customer")
    assert (log.before["city"], log.after["city"]) == ("Porto Alegre", "Pelotas")


def test_replace_a_customer(api, customer):
    body = _customer_body(document=customer.document, name="Maria S. Oliveira")
    response = api.put(f"/api/customers/{customer.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Maria S. Oliveira"


def test_update_with_an_invalid_cpf_changes_nothing(api, customer):
    response = api.patch(f"/api/customers/{customer.pk}/", {"document": "123.456.789-00"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cpf"
    customer.refresh_from_db()
    assert customer.document != "12345678900"


def test_products(entity):
    api = api_for(make_user("manager", entity, Role.MANAGER))  # the catalog is a manager's
    response = api.post(
        "/api/products/", {"name": "Fibra 600", "category": "internet", "price": "119.90"}, format="json"
    )
    assert response.status_code == 201, response.json()
    product = response.json()
    assert (product["entity"], product["category"], product["price"]) == (entity.pk, "internet", "119.90")
    response = api.patch(f"/api/products/{product['id']}/", {"price": "99.90", "category": "tv"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["price"], response.json()["category"]) == ("99.90", "tv")


def test_a_billing_clerk_cannot_change_the_catalog(api):
    response = api.post(
        "/api/products/", {"name": "Fibra 600", "category": "internet", "price": "119.90"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_contract_and_services(api, customer, internet_plan):
    response = api.post(
        "/api/contracts/",
        {"customer": customer.pk, "billing_day": 1, "due_day": 10, "start_date": day(1, 1)},
        format="json",
    )
    assert response.status_code == 201, response.json()
    contract = response.json()
    assert (contract["status"], contract["entity"]) == ("active", customer.entity_id)

    response = api.post(
        "/api/services/",
        {"contract": contract["id"], "product": internet_plan.pk, "start_date": day(1, 1)},
        format="json",
    )
    assert response.status_code == 201, response.json()
    service = response.json()
    # Price and category default to the product's.
    assert (service["price"], service["category"], service["customer"]) == ("45.00", "internet", customer.pk)

    response = api.patch(f"/api/services/{service['id']}/", {"price": "39.90", "end_date": day(6, 30)}, format="json")
    assert response.status_code == 200, response.json()
    assert Service.objects.get(pk=service["id"]).end_date.isoformat() == day(6, 30)

    response = api.patch(f"/api/contracts/{contract['id']}/", {"status": "suspended_temporary"}, format="json")
    assert response.status_code == 200, response.json()
    assert api.get(f"/api/contracts/{contract['id']}/").json()["services"] == [service["id"]]


def test_a_service_with_another_entitys_product_is_not_found(api, customer, other_entity, categories):
    contract = services.contract_create(customer=customer, actor=None, billing_day=1, due_day=10, start_date=on(1, 1))
    their_product = services.product_create(
        entity=other_entity, actor=None, name="Deles", category=categories["tv"], price="10.00"
    )
    response = api.post(
        "/api/services/",
        {"contract": contract.pk, "product": their_product.pk, "start_date": day(1, 1)},
        format="json",
    )
    assert response.status_code == 404
    assert response.json()["fields"] == {"product": [response.json()["fields"]["product"][0]]}
