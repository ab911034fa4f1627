"""Card tests: localstripe in its own process (one per test run), the decline proxy, an entity set up for
Stripe, the "browser" (the SDK doing what Stripe.js does in the page) and builders for cards and invoices."""

from __future__ import annotations

import datetime

import pytest
import stripe

from quita.payments import services
from quita.payments.models import PaymentSettings
from tests.payments.cards.stripe_local import DeclineProxy, LocalStripe

# Values the no-secrets scan looks for in every table after a card flow.
SECRET_KEY = "sk_test_quitaLocalSecret0123456789"
WEBHOOK_SECRET = "whsec_quitaLocalWebhook0123456789"
VISA = "4242424242424242"
CVC = "987"


@pytest.fixture(scope="session")
def localstripe():
    server = LocalStripe()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stripe_proxy(localstripe):
    proxy = DeclineProxy(localstripe.url)
    yield proxy
    proxy.stop()


@pytest.fixture
def stripe_entity(entity, stripe_proxy, monkeypatch):
    """The entity with card payments on, its keys in environment variables, the SDK pointed at the proxy."""
    monkeypatch.setenv("QUITA_TEST_STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("QUITA_TEST_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    PaymentSettings.objects.create(
        entity=entity,
        stripe_enabled=True,
        stripe_publishable_key="pk_test_quitaLocal",
        stripe_secret_key_env="QUITA_TEST_STRIPE_SECRET_KEY",
        stripe_webhook_secret_env="QUITA_TEST_STRIPE_WEBHOOK_SECRET",
        stripe_api_base=stripe_proxy.url,
        autopay_retry_days=[1, 3, 5],
    )
    return entity


@pytest.fixture
def browser(localstripe) -> stripe.StripeClient:
    """What Stripe.js does in the page: the card typed by the person goes to Stripe, never to Quita."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe.url}, max_network_retries=0)


@pytest.fixture
def type_card(browser):
    """Confirm a SetupIntent with a card typed into Stripe's form (Stripe.js `confirmCardSetup`)."""

    def confirm(setup: dict, number: str = VISA, exp_month: int = 12, exp_year: int = 2030, cvc: str = CVC):
        return browser.v1.setup_intents.confirm(
            setup["setup_intent"],
            params={
                "client_secret": setup["client_secret"],
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc},
                },
            },
        )

    return confirm


@pytest.fixture
def add_card(stripe_entity, clerk, type_card):
    """Save a card for a customer the way the page does it: setup → Stripe.js → save."""

    def build(customer, number: str = VISA, exp_month: int = 12, exp_year: int = 2030, actor=None, **options):
        actor = actor or clerk
        setup = services.card_setup_start(customer_id=customer.pk, actor=actor)
        type_card(setup, number, exp_month, exp_year)
        return services.card_save(customer_id=customer.pk, actor=actor, setup_intent=setup["setup_intent"], **options)

    return build


@pytest.fixture
def invoice_of(ledger, make_customer, stripe_entity):
    """An unpaid invoice of `amount` for a new customer (or for `customer`)."""

    def build(amount="95.00", customer=None, due_date=datetime.date(2025, 2, 25), day=datetime.date(2025, 1, 5)):
        customer = customer or make_customer()
        ledger.charge(customer, amount, date=day)
        return ledger.invoice(customer, due_date=due_date)

    return build
