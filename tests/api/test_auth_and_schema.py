"""Token authentication, and the OpenAPI schema that describes the API."""

from __future__ import annotations

import json

import pytest
import yaml
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient


def test_token_flow(clerk):
    client = APIClient()
    response = client.post("/api/token/", {"username": "clerk", "password": "pw-clerk"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/invoices/").status_code == 200
    # The same user gets the same token again.
    again = APIClient().post("/api/token/", {"username": "clerk", "password": "pw-clerk"}, format="json")
    assert again.json()["token"] == token


def test_wrong_password_is_refused_with_a_stable_code(clerk):
    response = APIClient().post("/api/token/", {"username": "clerk", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_token_needs_both_fields(clerk):
    response = APIClient().post("/api/token/", {"username": "clerk"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "required"
    assert "password" in response.json()["fields"]


@pytest.mark.parametrize("header", [None, "Token not-a-real-token"], ids=["no-token", "bad-token"])
def test_the_api_needs_a_token(db, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/customers/")
    assert response.status_code == 401
    assert response.json()["code"] in {"not_authenticated", "authentication_failed"}
    assert set(response.json()) == {"code", "detail", "fields"}


def _schema_json(client) -> dict:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_is_valid_openapi_3(db):
    schema = _schema_json(APIClient())
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # against the OpenAPI 3 JSON schema shipped with drf-spectacular


def test_schema_generates_without_warnings(db):
    GENERATOR_STATS.reset()
    _schema_json(APIClient())
    assert not GENERATOR_STATS, "drf-spectacular warned while generating /api/schema/"


def test_schema_describes_every_collection_and_action(db):
    paths = _schema_json(APIClient())["paths"]
    for collection in [
        "entities",
        "customers",
        "products",
        "contracts",
        "services",
        "transactions",
        "invoices",
        "payments",
        "activity",
    ]:
        assert f"/api/{collection}/" in paths
        assert f"/api/{collection}/{{id}}/" in paths
    for action in [
        "/api/token/",
        "/api/transactions/{id}/void/",
        "/api/transactions/statistics/",
        "/api/invoices/preview/",
        "/api/invoices/generate/",
        "/api/invoices/{id}/void/",
        "/api/invoices/{id}/pay/",
        "/api/invoices/pay-many/",
        "/api/invoices/statistics/",
        "/api/customers/{id}/billing-summary/",
    ]:
        assert "post" in paths[action] or "get" in paths[action], action
    # Financial records have no delete, customers none either (deactivate instead).
    for path in ["/api/transactions/{id}/", "/api/invoices/{id}/", "/api/payments/{id}/", "/api/customers/{id}/"]:
        assert "delete" not in paths[path]
    parameters = {p["name"] for p in paths["/api/transactions/"]["get"]["parameters"]}
    assert {"customer", "billed", "void", "category", "date_after", "date_before", "search", "limit"} <= parameters
    parameters = {p["name"] for p in paths["/api/invoices/"]["get"]["parameters"]}
    assert {"customer", "status", "overdue", "category", "date_after", "date_before", "offset"} <= parameters


def test_schema_documents_amounts_as_strings_and_token_auth(db):
    schema = _schema_json(APIClient())
    transaction = schema["components"]["schemas"]["Transaction"]["properties"]
    assert transaction["amount"]["type"] == "string"
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    enums = schema["components"]["schemas"]
    assert enums["InvoiceStatusEnum"]["enum"] == ["unpaid", "paid", "void"]
    assert enums["ManualPaymentMethodEnum"]["enum"] == ["cash", "pos", "bank_transfer"]


def test_schema_is_also_served_as_yaml_and_with_a_swagger_ui(db):
    client = APIClient()
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["info"]["title"] == "Quita API"
    assert client.get("/api/docs/").status_code == 200
