"""Stripe webhooks at /api/webhooks/stripe/: the signature is verified (400 and nothing changes otherwise), each
event id is applied once, and events twice or in reverse order end in the same, right state.

localstripe emits payment_intent events only; the others are built here and signed with Stripe's scheme.
"""

from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from quita.billing.models import InvoiceStatus
from quita.payments import services
from quita.payments.models import CardStatus, GatewayCustomer, Payment, PaymentMethod, PaymentStatus, WebhookEvent
from tests.payments.cards.conftest import WEBHOOK_SECRET
from tests.payments.cards.stripe_local import WebhookCatcher, sign

URL = "/api/webhooks/stripe/"
_ids = itertools.count(1)


def event(event_type: str, obj: dict) -> dict:
    return {"id": f"evt_test_{next(_ids):05d}", "object": "event", "type": event_type, "data": {"object": obj}}


def deliver(body: dict | bytes, secret: str = WEBHOOK_SECRET, signature: str | None = None):
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    header = signature if signature is not None else sign(payload, secret)
    return APIClient().post(URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def test_a_bad_or_missing_signature_is_refused_and_changes_nothing(stripe_entity):
    body = event("payment_method.detached", {"id": "pm_x", "object": "payment_method"})
    for response in (
        deliver(body, secret="whsec_wrong"),
        deliver(body, signature=""),
        deliver(body, signature="t=1,v1=00"),
    ):
        assert response.status_code == 400
        assert response.json()["code"] == "webhook_signature_invalid"
    assert WebhookEvent.objects.count() == 0


def test_unknown_event_types_are_recorded_and_ignored(stripe_entity):
    body = event("customer.created", {"id": "cus_x", "object": "customer"})
    response = deliver(body)
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    assert deliver(body).status_code == 200
    assert WebhookEvent.objects.get().event_id == body["id"]


def test_an_event_localstripe_signed_is_accepted(invoice_of, add_card, clerk, localstripe):
    catcher = WebhookCatcher()
    try:
        localstripe.register_webhook("quita-tests", catcher.url, WEBHOOK_SECRET)
        invoice = invoice_of("95.00")
        add_card(invoice.customer)
        payment = services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
        body, signature = catcher.wait_for("payment_intent.succeeded")
        while json.loads(body)["data"]["object"]["id"] != payment.external_id:
            catcher.received.remove((body, signature))
            body, signature = catcher.wait_for("payment_intent.succeeded")
        response = deliver(body, signature=signature)
        assert response.status_code == 200, response.json()
        assert response.json()["outcome"] == "already recorded"
        assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == 1
    finally:
        catcher.stop()


@pytest.fixture
def scene(stripe_entity, make_customer, ledger, clerk, browser, type_card, add_card):
    """A customer with three cards and two invoices waiting for 3-D Secure, and the events Stripe would send."""
    customer = make_customer()
    # S: a card that asks for 3-D Secure, saved first (the default).
    services.card_setup_start(customer_id=customer.pk, actor=clerk)
    s_method = browser.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4000002500003155", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    card_s = services.card_save(customer_id=customer.pk, actor=clerk, payment_method=s_method.id)
    # X: another card, later detached at Stripe (its dashboard).
    card_x = add_card(customer, number="5555555555554444")
    browser.v1.payment_methods.detach(card_x.external_id)
    # V: a card whose SetupIntent succeeded in the page but was never posted back to Quita: the webhook saves it.
    setup = services.card_setup_start(customer_id=customer.pk, actor=clerk)
    confirmed = type_card(setup)
    # Two invoices, each charged to S: both wait for the subscriber's authentication.
    invoices, payments = [], []
    for amount in ("95.00", "45.00"):
        ledger.charge(customer, amount)
        invoice = ledger.invoice(customer)
        invoices.append(invoice)
        payments.append(services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk))
    pay_a, pay_b = payments
    assert pay_a.status == pay_b.status == PaymentStatus.PENDING
    cus = GatewayCustomer.objects.get(customer=customer).external_id
    intent_a = {
        "id": pay_a.external_id,
        "object": "payment_intent",
        "amount": 9500,
        "amount_received": 9500,
        "currency": "brl",
        "customer": cus,
        "payment_method": s_method.id,
        "status": "succeeded",
        "metadata": {"quita_invoice": str(invoices[0].pk)},
    }
    events = [
        event(
            "setup_intent.succeeded",
            {
                "id": confirmed.id,
                "object": "setup_intent",
                "customer": cus,
                "payment_method": confirmed.payment_method,
                "status": "succeeded",
            },
        ),
        event("payment_method.detached", {"id": card_x.external_id, "object": "payment_method", "customer": None}),
        event("payment_intent.succeeded", intent_a),
        event(
            "charge.refunded",
            {
                "id": "ch_test_a",
                "object": "charge",
                "amount": 9500,
                "amount_refunded": 2000,
                "payment_intent": pay_a.external_id,
                "refunds": {
                    "object": "list",
                    "data": [{"id": "re_dashboard_1", "amount": 2000, "status": "succeeded"}],
                },
            },
        ),
        event(
            "payment_intent.payment_failed",
            {
                "id": pay_b.external_id,
                "object": "payment_intent",
                "amount": 4500,
                "status": "requires_payment_method",
                "last_payment_error": {
                    "code": "authentication_required",
                    "message": "The cardholder did not authenticate.",
                },
            },
        ),
        # A failure of A's first confirmation, delivered late, after its success.
        event(
            "payment_intent.payment_failed",
            {
                **intent_a,
                "status": "requires_payment_method",
                "last_payment_error": {"code": "card_declined", "message": "Declined."},
            },
        ),
    ]
    return {
        "customer": customer,
        "cards": (card_s, card_x),
        "invoices": invoices,
        "payments": payments,
        "events": events,
    }


def _assert_final_state(scene):
    customer = scene["customer"]
    card_s, card_x = scene["cards"]
    invoice_a, invoice_b = scene["invoices"]
    pay_a, pay_b = scene["payments"]
    for row in (card_s, card_x, invoice_a, invoice_b, pay_a, pay_b):
        row.refresh_from_db()
    assert card_x.status == CardStatus.REMOVED
    active = PaymentMethod.objects.filter(customer=customer, status=CardStatus.ACTIVE)
    assert active.count() == 2 and active.get(is_default=True) == card_s
    assert pay_a.status == PaymentStatus.SUCCEEDED and pay_a.refunded_amount == Decimal("20.00")
    assert Payment.objects.filter(invoice=invoice_a).count() == 1  # paid once
    assert invoice_a.amount_paid == Decimal("75.00") and invoice_a.status == InvoiceStatus.UNPAID
    assert invoice_a.balance == Decimal("20.00")
    assert (pay_b.status, pay_b.failure_code) == (PaymentStatus.FAILED, "authentication_required")
    assert invoice_b.status == InvoiceStatus.UNPAID and invoice_b.amount_paid == 0
    assert WebhookEvent.objects.count() == len(scene["events"])


def test_every_event_twice_in_order(scene):
    for _ in range(2):
        for body in scene["events"]:
            assert deliver(body).status_code == 200
    _assert_final_state(scene)


def test_every_event_twice_in_reverse_order(scene):
    answers = []
    for _ in range(2):
        for body in reversed(scene["events"]):
            answers.append((body["type"], deliver(body).status_code))
    # The refund of a payment not yet recorded is answered 409 (not recorded): Stripe delivers it again.
    assert answers[2] == ("charge.refunded", 409)
    assert all(status == 200 for index, (_type, status) in enumerate(answers) if index != 2)
    _assert_final_state(scene)


def test_a_success_after_the_invoice_was_paid_otherwise_becomes_a_credit(scene, ledger):
    invoice_a = scene["invoices"][0]
    ledger.pay(invoice_a, method="cash", reference="REC-1")
    succeeded = next(e for e in scene["events"] if e["type"] == "payment_intent.succeeded")
    assert deliver(succeeded).status_code == 200
    invoice_a.refresh_from_db()
    assert invoice_a.status == InvoiceStatus.PAID and invoice_a.amount_paid == invoice_a.total  # not paid twice
    payment = Payment.objects.get(external_id=succeeded["data"]["object"]["id"])
    assert payment.status == PaymentStatus.SUCCEEDED and payment.applied_amount == 0
