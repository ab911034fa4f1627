"""Paying an invoice by card: a PaymentIntent confirmed off-session, its id as the invoice's reference; declines
keep a failed Payment with Stripe's code and show a clear sentence; 3-D Secure leaves a pending payment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from quita.billing.models import InvoiceStatus, Transaction, TransactionKind
from quita.core.errors import Conflict, NotFound
from quita.payments import services
from quita.payments.declines import decline_error_code, decline_message
from quita.payments.models import Payment, PaymentStatus


def test_pay_with_the_default_card(invoice_of, add_card, clerk, browser):
    invoice = invoice_of("95.00")
    card = add_card(invoice.customer)
    payment = services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid == Decimal("95.00")
    assert payment.external_id.startswith("pi_")
    assert (invoice.payment_method, invoice.payment_reference) == ("card", payment.external_id)
    assert (payment.method, payment.gateway, payment.status, payment.card) == ("card", "stripe", "succeeded", card)
    assert payment.idempotency_key == f"quita-e{invoice.entity_id}-invoice-{invoice.pk}-attempt-1"
    intent = browser.v1.payment_intents.retrieve(payment.external_id)
    assert intent.amount == 9500 and intent.currency == "brl" and intent.status == "succeeded"
    assert intent.metadata["quita_invoice"] == str(invoice.pk)
    assert Transaction.objects.get(kind=TransactionKind.PAYMENT).amount == Decimal("-95.00")


def test_pay_with_a_chosen_card(invoice_of, add_card, clerk):
    invoice = invoice_of("45.00")
    add_card(invoice.customer)
    other = add_card(invoice.customer, number="5555555555554444")
    payment = services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk, payment_method=other.pk)
    assert payment.card == other and payment.status == PaymentStatus.SUCCEEDED


def test_a_paid_invoice_is_not_charged_again(invoice_of, add_card, clerk):
    invoice = invoice_of("45.00")
    add_card(invoice.customer)
    services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    with pytest.raises(Conflict) as error:
        services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    assert error.value.code == "invoice_already_paid"
    assert Payment.objects.count() == 1


def test_another_customers_card_is_not_found(invoice_of, add_card, make_customer, clerk):
    invoice = invoice_of("45.00")
    add_card(invoice.customer)
    stranger = add_card(make_customer("Outra Pessoa"))
    with pytest.raises(NotFound) as error:
        services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk, payment_method=stranger.pk)
    assert error.value.code == "card_not_found"


def test_no_saved_card_says_no_payment_method_found_with_a_link(invoice_of, clerk):
    invoice = invoice_of("45.00")
    with translation.override("en"):
        with pytest.raises(services.NoPaymentMethod) as error:
            services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
        body = error.value.as_dict()
    assert body["code"] == "no_payment_method" and body["detail"].startswith("No payment method found")
    assert body["add_card_url"].endswith(f"/customers/{invoice.customer_id}/payment-methods/setup/")
    assert Payment.objects.count() == 0


def test_a_declined_card_keeps_a_failed_payment_and_the_invoice_unpaid(invoice_of, add_card, clerk):
    invoice = invoice_of("95.00")
    add_card(invoice.customer, number="4000000000000341")  # attaches, then every charge fails
    with translation.override("en"), pytest.raises(services.CardDeclined) as error:
        services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    assert error.value.code == "card_declined" and error.value.status == 402
    assert "declined by the bank" in str(error.value.detail)
    failed = Payment.objects.get()
    assert failed.status == PaymentStatus.FAILED and failed.failure_code == "card_declined"
    assert failed.failure_message == "Your card was declined."
    assert error.value.as_dict()["payment"] == failed.pk
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNPAID and invoice.amount_paid == 0
    assert not Transaction.objects.filter(kind=TransactionKind.PAYMENT).exists()


def test_an_expired_card_is_declined_with_expired_card(invoice_of, add_card, clerk, stripe_proxy):
    invoice = invoice_of("95.00")
    card = add_card(invoice.customer)
    stripe_proxy.decline(card.external_id, "expired_card")
    with translation.override("pt-br"), pytest.raises(services.CardDeclined) as error:
        services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    assert error.value.code == "expired_card"
    assert "O cartão está vencido" in str(error.value.detail)
    failed = Payment.objects.get()
    assert (failed.failure_code, failed.failure_message) == ("expired_card", "Your card has expired.")


def test_retry_after_a_decline_is_a_new_attempt_with_a_new_key(invoice_of, add_card, clerk, stripe_proxy):
    invoice = invoice_of("95.00")
    card = add_card(invoice.customer)
    stripe_proxy.decline(card.external_id, "expired_card")
    with pytest.raises(services.CardDeclined):
        services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    stripe_proxy.clear(card.external_id)
    payment = services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    assert payment.idempotency_key.endswith("-attempt-2")


def test_3d_secure_leaves_a_pending_payment_for_the_portal(invoice_of, stripe_entity, clerk, browser):
    invoice = invoice_of("95.00")
    services.card_setup_start(customer_id=invoice.customer_id, actor=clerk)
    # localstripe asks for authentication on every use of this card (setup too): saved here by its id.
    method = browser.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4000002500003155", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    services.card_save(customer_id=invoice.customer_id, actor=clerk, payment_method=method.id)
    payment = services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    assert payment.status == PaymentStatus.PENDING and payment.external_id.startswith("pi_")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNPAID
    assert services.card_payment_client_secret(payment_id=payment.pk)["client_secret"].startswith(payment.external_id)
    with pytest.raises(Conflict) as error:
        services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    assert error.value.code == "payment_pending_authentication"


@pytest.mark.parametrize(
    ("code", "decline_code", "api_code", "english", "portuguese"),
    [
        ("expired_card", "", "expired_card", "The card has expired", "O cartão está vencido"),
        ("card_declined", "generic_decline", "card_declined", "The bank gave no reason", "O banco não informou"),
        ("card_declined", "insufficient_funds", "insufficient_funds", "insufficient funds", "sem limite"),
        ("processing_error", "", "processing_error", "Nothing was charged", "Nada foi cobrado"),
        ("authentication_required", "", "authentication_required", "subscriber portal", "portal do assinante"),
        ("card_declined", "", "card_declined", "declined by the bank", "recusado pelo banco"),
    ],
    ids=["expired", "declined-generic", "insufficient-funds", "processing-error", "authentication", "declined"],
)
def test_each_decline_has_a_clear_sentence_in_both_languages(code, decline_code, api_code, english, portuguese):
    assert decline_error_code(code, decline_code) == api_code
    with translation.override("en"):
        assert english in decline_message(code, decline_code)
    with translation.override("pt-br"):
        assert portuguese in decline_message(code, decline_code)
