"""The seed's card workflows end to end through the API, as a billing clerk and the page's Stripe.js do them.

1. A new customer adds a card and the first invoice is paid online.
4. The saved card has expired: the charge is declined with a clear sentence; a new card becomes the default
   (the old one removed); the retry succeeds with a new PaymentIntent id.
"""

from __future__ import annotations

import pytest

from quita.payments.models import CardStatus, Payment, PaymentMethod
from tests.api.conftest import api_for, charge, day, generate
from tests.conftest import make_cpf


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api(clerk, stripe_entity):
    return api_for(clerk)


def _add_card_in_the_page(api, customer_id, type_card, number="4242424242424242", **options) -> dict:
    setup = api.post(f"/api/customers/{customer_id}/payment-methods/setup/")
    assert setup.status_code == 201, setup.json()
    assert setup.json()["publishable_key"].startswith("pk_test_")
    type_card(setup.json(), number)  # Stripe.js: the number goes to Stripe only
    saved = api.post(
        f"/api/customers/{customer_id}/payment-methods/",
        {"setup_intent": setup.json()["setup_intent"], **options},
        format="json",
    )
    assert saved.status_code == 201, saved.json()
    return saved.json()


def test_workflow_1_new_customer_adds_a_card_and_pays_the_first_invoice_online(api, type_card, browser):
    response = api.post(
        "/api/customers/",
        {"person_type": "PF", "document": make_cpf(7001), "name": "Carla Nunes", "emails": ["carla@example.com"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    customer_id = response.json()["id"]
    charge(api, customer_id, "50.00", title="Taxa de instalação", date=day(1, 10))
    charge(api, customer_id, "45.00", title="Primeiro mês", date=day(1, 10))
    invoice = generate(api, customer_id, start=day(1, 1), end=day(1, 31), due=day(2, 15))
    assert invoice["total"] == "95.00"

    no_card = api.post(f"/api/invoices/{invoice['id']}/pay/", {"method": "card"}, format="json")
    assert no_card.status_code == 409 and no_card.json()["code"] == "no_payment_method"
    assert no_card.json()["add_card_url"] == f"/api/customers/{customer_id}/payment-methods/setup/"

    card = _add_card_in_the_page(api, customer_id, type_card)
    assert (card["brand"], card["last4"], card["is_default"], card["expired"]) == ("visa", "4242", True, False)
    listed = api.get(f"/api/customers/{customer_id}/payment-methods/").json()
    assert [c["id"] for c in listed] == [card["id"]]

    paid = api.post(f"/api/invoices/{invoice['id']}/pay/", {"method": "card"}, format="json")
    assert paid.status_code == 201, paid.json()
    payment, after = paid.json()["payment"], paid.json()["invoice"]
    assert after["status"] == "paid" and after["balance"] == "0.00"
    assert payment["method"] == "card" and payment["card"] == card["id"]
    assert after["payment_reference"] == payment["external_id"] and payment["external_id"].startswith("pi_")
    assert browser.v1.payment_intents.retrieve(payment["external_id"]).status == "succeeded"


def test_workflow_4_expired_card_new_default_and_the_retry_succeeds(
    api, type_card, stripe_proxy, make_customer, browser
):
    customer = make_customer(name="Paulo Lima")
    charge(api, customer.pk, "99.90", title="Internet", date=day(1, 5))
    invoice = generate(api, customer.pk, start=day(1, 1), end=day(1, 31), due=day(2, 15))
    old = _add_card_in_the_page(api, customer.pk, type_card)
    stripe_proxy.decline(old["external_id"], "expired_card")  # the card expired after it was saved

    declined = api.post(
        f"/api/invoices/{invoice['id']}/pay/", {"method": "card"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert declined.status_code == 402
    body = declined.json()
    assert body["code"] == "expired_card" and body["detail"].startswith("The card has expired")
    failed = Payment.objects.get(pk=body["payment"])
    assert (failed.status, failed.failure_code) == ("failed", "expired_card")
    declined_pt = api.post(
        f"/api/invoices/{invoice['id']}/pay/", {"method": "card"}, format="json", HTTP_ACCEPT_LANGUAGE="pt-br"
    )
    assert declined_pt.json()["detail"].startswith("O cartão está vencido")
    assert api.get(f"/api/invoices/{invoice['id']}/").json()["status"] == "unpaid"

    new = _add_card_in_the_page(api, customer.pk, type_card, number="5555555555554444", replace_default=True)
    assert new["is_default"]
    assert PaymentMethod.objects.get(pk=old["id"]).status == CardStatus.REMOVED

    retry = api.post(f"/api/invoices/{invoice['id']}/pay/", {"method": "card"}, format="json")
    assert retry.status_code == 201, retry.json()
    payment = retry.json()["payment"]
    assert retry.json()["invoice"]["status"] == "paid" and payment["card"] == new["id"]
    earlier = set(Payment.objects.exclude(pk=payment["id"]).values_list("external_id", flat=True))
    assert payment["external_id"].startswith("pi_") and payment["external_id"] not in earlier
    keys = list(
        Payment.objects.filter(invoice_id=invoice["id"]).order_by("pk").values_list("idempotency_key", flat=True)
    )
    assert [key.rsplit("-", 1)[1] for key in keys] == ["1", "2", "3"]


def test_card_endpoints_set_default_remove_refund_and_bad_input(api, type_card, make_customer):
    customer = make_customer(name="Rita Alves")
    first = _add_card_in_the_page(api, customer.pk, type_card)
    second = _add_card_in_the_page(api, customer.pk, type_card, number="5555555555554444")
    moved = api.post(f"/api/payment-methods/{second['id']}/set-default/", {}, format="json")
    assert moved.status_code == 200 and moved.json()["is_default"]
    removed = api.post(f"/api/payment-methods/{first['id']}/remove/")
    assert removed.status_code == 200 and removed.json()["status"] == "removed"
    again = api.post(f"/api/payment-methods/{first['id']}/remove/")
    assert again.status_code == 409 and again.json()["code"] == "card_removed"
    assert api.get(f"/api/payment-methods/?customer={customer.pk}&status=active").json()["count"] == 1

    charge(api, customer.pk, "80.00", title="Internet", date=day(1, 5))
    invoice = generate(api, customer.pk, start=day(1, 1), end=day(1, 31), due=day(2, 15))
    bad = api.post(f"/api/invoices/{invoice['id']}/pay/", {"method": "card", "amount": "10.00"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "card_pays_open_balance"
    bad = api.post(f"/api/invoices/{invoice['id']}/pay/", {"method": "cash", "payment_method": 1}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "payment_method_not_card"
    paid = api.post(
        f"/api/invoices/{invoice['id']}/pay/", {"method": "card", "payment_method": second["id"]}, format="json"
    )
    payment_id = paid.json()["payment"]["id"]
    over = api.post(f"/api/payments/{payment_id}/refund/", {"amount": "80.01"}, format="json")
    assert over.status_code == 400 and over.json()["code"] == "refund_exceeds_payment"
    part = api.post(f"/api/payments/{payment_id}/refund/", {"amount": "30.00", "reason": "desconto"}, format="json")
    assert part.status_code == 201, part.json()
    assert part.json()["invoice"]["status"] == "unpaid" and part.json()["payment"]["refunded_amount"] == "30.00"
    assert api.get(f"/api/refunds/?payment={payment_id}").json()["count"] == 1

    autopay = api.post(f"/api/customers/{customer.pk}/autopay/", {"enabled": True}, format="json")
    assert autopay.status_code == 200 and autopay.json()["enabled"] is True
    assert api.get(f"/api/customers/{customer.pk}/autopay/").json()["enabled"] is True
