"""The portal's card screens: the subscriber's cards (list, default, remove, add with Stripe.js), paying an
invoice with a saved card (default pre-selected, expired not selectable), "No payment method found" with a
link to add one, and a 3-D Secure payment finished in the portal."""

from __future__ import annotations

import pytest
from django.test import Client

from quita.billing.models import InvoiceStatus
from quita.payments.models import CardStatus, Payment, PaymentMethod
from quita.portal import services as portal_services
from quita.portal.models import SubscriberAccount

PASSWORD = "Fibra!2025-segura"


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def subscriber(invoice_of):
    """A subscriber logged in to the portal, with one open invoice of R$ 95,00."""
    invoice = invoice_of("95.00")
    account = SubscriberAccount.objects.create(document=invoice.customer.document)
    account.set_password(PASSWORD)
    account.save()
    portal_services.account_link_customers(account)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/portal/login/", {"document": invoice.customer.document, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client, invoice


def test_cards_page_lists_and_manages_cards(subscriber, add_card, type_card):
    client, invoice = subscriber
    expired = add_card(invoice.customer, exp_month=1, exp_year=2025)
    page = client.get("/portal/cards/").content.decode()
    assert "•••• 4242" in page and "01/2025" in page and "color:#b02a37" in page
    setup = client.post(f"/portal/cards/customers/{invoice.customer_id}/setup/")
    assert setup.status_code == 200 and setup.json()["client_secret"]
    type_card(setup.json(), "5555555555554444")
    saved = client.post(
        f"/portal/cards/customers/{invoice.customer_id}/save/", {"setup_intent": setup.json()["setup_intent"]}
    )
    assert saved.status_code == 200
    new = PaymentMethod.objects.get(pk=saved.json()["id"])
    assert client.post(f"/portal/cards/{new.pk}/default/").status_code == 302
    assert client.post(f"/portal/cards/{expired.pk}/remove/").status_code == 302
    expired.refresh_from_db()
    new.refresh_from_db()
    assert new.is_default and expired.status == CardStatus.REMOVED


def test_someone_elses_card_is_not_found(subscriber, add_card, make_customer):
    client, _invoice = subscriber
    other = add_card(make_customer("Outra Pessoa"))
    assert client.post(f"/portal/cards/{other.pk}/remove/").status_code == 404
    assert client.post(f"/portal/cards/customers/{other.customer_id}/setup/").status_code == 404


def test_pay_an_invoice_with_the_default_card(subscriber, add_card):
    client, invoice = subscriber
    add_card(invoice.customer, exp_month=1, exp_year=2025)  # expired: not selectable
    valid = add_card(invoice.customer, number="5555555555554444")
    page = client.get(f"/portal/invoices/{invoice.pk}/").content.decode()
    assert f'<option value="{valid.pk}" selected>' in page and " disabled>" in page
    response = client.post(f"/portal/invoices/{invoice.pk}/pay/card/", {"payment_method": valid.pk})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_no_card_says_no_payment_method_found_with_a_link(subscriber):
    client, invoice = subscriber
    page = client.get(f"/portal/invoices/{invoice.pk}/").content.decode()
    assert "No payment method found." in page and 'href="/portal/cards/"' in page


def test_a_decline_is_shown_on_the_invoice_page(subscriber, add_card):
    client, invoice = subscriber
    add_card(invoice.customer, number="4000000000000341")
    response = client.post(f"/portal/invoices/{invoice.pk}/pay/card/", follow=True)
    assert "declined by the bank" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNPAID


def test_3d_secure_is_finished_in_the_portal(subscriber, browser, clerk):
    from quita.payments import services

    client, invoice = subscriber
    services.card_setup_start(customer_id=invoice.customer_id, actor=clerk)
    method = browser.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4000002500003155", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    services.card_save(customer_id=invoice.customer_id, actor=clerk, payment_method=method.id)
    response = client.post(f"/portal/invoices/{invoice.pk}/pay/card/")
    payment = Payment.objects.get(invoice=invoice)
    assert response.status_code == 302 and response.url.endswith(f"?confirm={payment.pk}#pay")
    page = client.get(response.url).content.decode()
    assert "Your bank asks you to confirm this payment." in page
    confirm = client.post(f"/portal/cards/payments/{payment.pk}/confirm/")
    assert confirm.status_code == 200
    assert confirm.json()["client_secret"].startswith(payment.external_id)
