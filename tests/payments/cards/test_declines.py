"""Every decline of issue 6 end to end, through the service and through the API, with Stripe's own error objects.

localstripe cannot refuse a saved card with `insufficient_funds`, `processing_error`, `authentication_required` or
`expired_card` (and gives `card_declined` without a decline code): the tests' `DeclineProxy` answers those charges
with Stripe's documented error object for the card the test marks. For each: the invoice stays unpaid, a failed
Payment keeps Stripe's code, decline code, message and PaymentIntent, and the 402 carries the sentence saying
what to do, in pt-BR and English. An `authentication_required` refusal is then confirmed by the cardholder in the
portal (Stripe.js with the saved card) and settles through the webhook.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from quita.billing.models import InvoiceStatus, Transaction, TransactionKind
from quita.payments import services
from quita.payments.models import Payment, PaymentStatus
from quita.portal import services as portal_services
from quita.portal.models import SubscriberAccount
from tests.api.conftest import api_for
from tests.payments.cards.conftest import WEBHOOK_SECRET
from tests.payments.cards.stripe_local import sign

# kind marked on the card → (Stripe's code, decline code, Stripe's message, the API's code, English, Portuguese)
DECLINES = {
    "expired_card": (
        "expired_card",
        "expired_card",
        "Your card has expired.",
        "expired_card",
        "The card has expired. Add a new card",
        "O cartão está vencido",
    ),
    "card_declined": (
        "card_declined",
        "do_not_honor",
        "Your card was declined.",
        "card_declined",
        "declined by the bank that issued it. Ask the subscriber to call the bank or to use another card. The bank "
        "gave no reason.",
        "recusado pelo banco",
    ),
    "insufficient_funds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
        "insufficient_funds",
        "insufficient funds. Try again later, or pay with another card, boleto or PIX.",
        "sem limite",
    ),
    "processing_error": (
        "processing_error",
        "",
        "An error occurred while processing your card. Try again in a little bit.",
        "processing_error",
        "Nothing was charged: try again in a few minutes.",
        "Nada foi cobrado",
    ),
    "authentication_required": (
        "authentication_required",
        "authentication_required",
        "Your card was declined. This transaction requires authentication.",
        "authentication_required",
        "Ask the subscriber to pay this invoice in the subscriber portal",
        "portal do assinante",
    ),
}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _assert_refused(invoice, kind: str) -> Payment:
    code, decline_code, message = DECLINES[kind][:3]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNPAID and invoice.amount_paid == 0
    assert not Transaction.objects.filter(customer=invoice.customer, kind=TransactionKind.PAYMENT).exists()
    failed = Payment.objects.get(invoice=invoice)
    assert failed.status == PaymentStatus.FAILED
    assert (failed.failure_code, failed.decline_code, failed.failure_message) == (code, decline_code, message)
    assert failed.external_id.startswith("pi_") and failed.reference == failed.external_id
    return failed


@pytest.mark.parametrize("kind", list(DECLINES))
def test_each_decline_through_the_service(kind, invoice_of, add_card, clerk, stripe_proxy):
    invoice = invoice_of("95.00")
    card = add_card(invoice.customer)
    stripe_proxy.decline(card.external_id, kind)
    with translation.override("en"), pytest.raises(services.CardDeclined) as error:
        services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    failed = _assert_refused(invoice, kind)
    api_code, english = DECLINES[kind][3:5]
    assert error.value.status == 402 and error.value.code == api_code
    assert english in str(error.value.detail)
    assert error.value.as_dict()["payment"] == failed.pk


@pytest.mark.parametrize("kind", list(DECLINES))
def test_each_decline_through_the_api_in_both_languages(kind, invoice_of, add_card, clerk, stripe_proxy):
    invoice = invoice_of("95.00")
    card = add_card(invoice.customer)
    stripe_proxy.decline(card.external_id, kind)
    api = api_for(clerk)
    code, decline_code, _message, api_code, english, portuguese = DECLINES[kind]
    answer = api.post(f"/api/invoices/{invoice.pk}/pay/", {"method": "card"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 402, answer.json()
    body = answer.json()
    assert (body["code"], body["gateway_code"], body["decline_code"]) == (api_code, code, decline_code)
    assert english in body["detail"]
    failed = _assert_refused(invoice, kind)
    assert body["payment"] == failed.pk
    again = api.post(
        f"/api/invoices/{invoice.pk}/pay/", {"method": "card"}, format="json", HTTP_ACCEPT_LANGUAGE="pt-br"
    )
    assert again.status_code == 402 and portuguese in again.json()["detail"]
    assert again.json()["payment"] != failed.pk  # a new attempt, a new failed row
    assert Payment.objects.filter(invoice=invoice, status=PaymentStatus.FAILED).count() == 2
    listed = api.get(f"/api/payments/?invoice={invoice.pk}").json()
    assert {row["status"] for row in listed["results"]} == {"failed"}


def test_after_the_decline_is_cleared_the_retry_pays(invoice_of, add_card, clerk, stripe_proxy):
    invoice = invoice_of("95.00")
    card = add_card(invoice.customer)
    stripe_proxy.decline(card.external_id, "insufficient_funds")
    with pytest.raises(services.CardDeclined):
        services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    stripe_proxy.clear(card.external_id)
    payment = services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    failed = Payment.objects.get(invoice=invoice, status=PaymentStatus.FAILED)
    assert payment.status == PaymentStatus.SUCCEEDED and payment.external_id != failed.external_id
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.payment_reference == payment.external_id


def _portal(customer) -> Client:
    account = SubscriberAccount.objects.create(document=customer.document)
    account.set_password("Fibra!2025-segura")
    account.save()
    portal_services.account_link_customers(account)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/portal/login/", {"document": customer.document, "password": "Fibra!2025-segura"})
    assert response.status_code == 302
    return client


def test_authentication_required_is_confirmed_in_the_portal_and_settles_through_the_webhook(
    invoice_of, add_card, stripe_proxy, browser
):
    invoice = invoice_of("95.00")
    card = add_card(invoice.customer)
    stripe_proxy.decline(card.external_id, "authentication_required")
    client = _portal(invoice.customer)
    response = client.post(f"/portal/invoices/{invoice.pk}/pay/card/")
    failed = _assert_refused(invoice, "authentication_required")
    # The subscriber is at the keyboard: the portal asks them to confirm the refused PaymentIntent at once.
    assert response.status_code == 302 and response.url.endswith(f"?confirm={failed.pk}#pay")
    page = client.get(response.url).content.decode()
    assert "Your bank asks you to confirm this payment." in page
    confirm = client.post(f"/portal/cards/payments/{failed.pk}/confirm/")
    assert confirm.status_code == 200
    data = confirm.json()
    assert data["client_secret"].startswith(failed.external_id) and data["payment_method"] == card.external_id
    # What Stripe.js does with it (`confirmCardPayment`): the bank's challenge, passed.
    request = urllib.request.Request(
        f"{stripe_proxy.url}/v1/payment_intents/{failed.external_id}/_authenticate?success=true",
        data=json.dumps({"key": data["publishable_key"], "client_secret": data["client_secret"]}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert json.loads(answer.read())["status"] == "succeeded"
    intent = browser.v1.payment_intents.retrieve(failed.external_id).to_dict()
    event = {"id": "evt_portal_3ds", "object": "event", "type": "payment_intent.succeeded", "data": {"object": intent}}
    payload = json.dumps(event).encode()
    delivered = APIClient().post(
        "/api/webhooks/stripe/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, WEBHOOK_SECRET),
    )
    assert delivered.status_code == 200 and delivered.json()["outcome"] == "payment applied"
    failed.refresh_from_db()
    invoice.refresh_from_db()
    assert failed.status == PaymentStatus.SUCCEEDED and invoice.status == InvoiceStatus.PAID
    assert invoice.payment_reference == failed.external_id
    assert Payment.objects.filter(invoice=invoice).count() == 1
    # Settled: the confirmation box is gone, and the address no longer answers.
    page = client.get(f"/portal/invoices/{invoice.pk}/?confirm={failed.pk}").content.decode()
    assert "Your bank asks you" not in page
    assert client.post(f"/portal/cards/payments/{failed.pk}/confirm/").status_code == 409


def test_other_declines_in_the_portal_show_the_sentence_and_no_confirmation(invoice_of, add_card, stripe_proxy):
    invoice = invoice_of("95.00")
    card = add_card(invoice.customer)
    stripe_proxy.decline(card.external_id, "insufficient_funds")
    client = _portal(invoice.customer)
    response = client.post(f"/portal/invoices/{invoice.pk}/pay/card/", follow=True)
    page = response.content.decode()
    assert "insufficient funds" in page and "Your bank asks you" not in page
    assert "Payments received" not in page  # a refused attempt is no money received (nor in the PDF)
    failed = _assert_refused(invoice, "insufficient_funds")
    assert client.post(f"/portal/cards/payments/{failed.pk}/confirm/").status_code == 409
    page = client.get(f"/portal/invoices/{invoice.pk}/?confirm={failed.pk}").content.decode()
    assert "Your bank asks you" not in page
    assert client.get(f"/portal/invoices/{invoice.pk}/?confirm=nonsense").status_code == 200


def test_only_the_latest_refused_attempt_can_be_confirmed(invoice_of, add_card, stripe_proxy, clerk):
    """Two off-session refusals: the older PaymentIntent is no longer offered, so one balance is never charged twice."""
    invoice = invoice_of("95.00")
    card = add_card(invoice.customer)
    stripe_proxy.decline(card.external_id, "authentication_required")
    client = _portal(invoice.customer)
    first = client.post(f"/portal/invoices/{invoice.pk}/pay/card/")
    second = client.post(f"/portal/invoices/{invoice.pk}/pay/card/")
    older, latest = Payment.objects.filter(invoice=invoice).order_by("pk")
    assert first.url.endswith(f"?confirm={older.pk}#pay") and second.url.endswith(f"?confirm={latest.pk}#pay")
    assert client.post(f"/portal/cards/payments/{older.pk}/confirm/").status_code == 409
    assert client.post(f"/portal/cards/payments/{latest.pk}/confirm/").status_code == 200
