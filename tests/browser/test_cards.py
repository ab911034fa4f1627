"""Cards through Stripe.js in Chromium: staff add a card in the billing tab and a subscriber adds one in the portal
by typing a test card number into the card field; localstripe confirms the SetupIntent; the card then shows its
last 4, expiry and the default badge; set default; remove.

The pages load Stripe.js from `settings.STRIPE_JS_URL` (`QUITA_STRIPE_JS_URL`, js.stripe.com in production); here it
is localstripe's own fake Stripe.js v3 (`localstripe-v3.js` in the package, served by its app at
`/js.stripe.com/v3/`), reached through the tests' `DeclineProxy`, so its calls go to the same fake Stripe that the
server's SDK talks to. Where that fake differs from Stripe's real Stripe.js, Quita's code stays on Stripe's documented
API (`Stripe(key)`, `elements().create("card")`, `element.mount`, `confirmCardSetup(secret, {payment_method:
{card}})`, `confirmCardPayment(secret, {payment_method: id})`) and the tests take the fake as it is:

- Stripe's Card Element is an iframe with one field for number, expiry and CVC; the fake mounts five plain
  `<input>`s in the page (placeholders `number`, `exp_month`, `exp_year` as two digits, `cvc`, `postal_code`),
  so the test types into those. It ignores the element options (`hidePostalCode`).
- The fake's `confirmCardPayment` ignores its `data` (the saved card to confirm with) and always shows its own
  "3D Secure" box with "Complete authentication" / "Fail authentication" buttons, which the test clicks where
  Stripe would show the bank's challenge.
- localstripe reports every card's brand as `visa`, attaches no card when a SetupIntent succeeds (Quita's
  `card_save` attaches it then, as for any server that has not) and cannot decline a saved card on a charge the
  way Stripe does (the proxy does).
"""

from __future__ import annotations

import datetime
import json
import urllib.request

import pytest
from playwright.sync_api import expect

from quita.core.selectors import entity_today
from quita.payments.models import CardStatus, PaymentMethod, PaymentSettings
from quita.portal import services as portal_services
from quita.portal.models import SubscriberAccount
from tests.billing.ledger import Ledger
from tests.browser.conftest import axe_violations
from tests.payments.cards.stripe_local import DeclineProxy, LocalStripe

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SECRET_KEY = "sk_test_quitaBrowserSecret0123456789"
WEBHOOK_SECRET = "whsec_quitaBrowserWebhook0123456789"
PORTAL_PASSWORD = "Fibra!2025-segura"
PAYMENT_EVENTS = ["payment_intent.succeeded", "payment_intent.payment_failed"]


@pytest.fixture(scope="module")
def localstripe():
    server = LocalStripe()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stripe_proxy(localstripe):
    proxy = DeclineProxy(localstripe.url)
    yield proxy
    proxy.stop()


@pytest.fixture
def stripe_entity(entity, stripe_proxy, localstripe, live_server, settings, monkeypatch):
    """Cards on for the entity; the pages load localstripe's fake Stripe.js through the proxy; localstripe posts
    its PaymentIntent events to the live server's webhook."""
    monkeypatch.setenv("QUITA_BROWSER_STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("QUITA_BROWSER_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    settings.STRIPE_JS_URL = f"{stripe_proxy.url}/js.stripe.com/v3/"
    PaymentSettings.objects.create(
        entity=entity,
        stripe_enabled=True,
        stripe_publishable_key="pk_test_quitaBrowser",
        stripe_secret_key_env="QUITA_BROWSER_STRIPE_SECRET_KEY",
        stripe_webhook_secret_env="QUITA_BROWSER_STRIPE_WEBHOOK_SECRET",
        stripe_api_base=stripe_proxy.url,
    )
    # Only the PaymentIntent events (the ones that settle a payment): the live server shares one SQLite connection
    # between its threads, so no event should arrive in the middle of another request of the page.
    hook = {"url": f"{live_server.url}/api/webhooks/stripe/", "secret": WEBHOOK_SECRET, "events": PAYMENT_EVENTS}
    request = urllib.request.Request(
        f"{localstripe.url}/_config/webhooks/quita", data=json.dumps(hook).encode(), method="POST"
    )
    urllib.request.urlopen(request, timeout=10).read()
    return entity


@pytest.fixture
def invoice_for(stripe_entity, clerk, make_customer):
    """An unpaid invoice of `amount` for a new customer."""
    ledger = Ledger(clerk)

    def build(name: str, amount: str = "99.90"):
        today = entity_today(stripe_entity)
        customer = make_customer(name)
        ledger.charge(customer, amount, date=today)
        return ledger.invoice(customer, start=today, end=today, due_date=today + datetime.timedelta(days=10))

    return build


@pytest.fixture
def clerk_page(open_page, clerk):
    return lambda **kwargs: open_page("clerk", "pw-clerk", **kwargs)


@pytest.fixture
def portal_page(browser, live_server):
    """A subscriber logged in to the portal: `portal_page(customer, locale="pt-BR", width=375)`."""
    contexts = []

    def start(customer, *, locale: str = "en-US", width: int = 1280, height: int = 900):
        account, _created = SubscriberAccount.objects.get_or_create(document=customer.document)
        account.set_password(PORTAL_PASSWORD)
        account.save()
        portal_services.account_link_customers(account)
        context = browser.new_context(
            locale=locale, viewport={"width": width, "height": height}, base_url=live_server.url
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/portal/login/")
        page.fill("#id_document", customer.document)
        page.fill("#id_password", PORTAL_PASSWORD)
        with page.expect_navigation():
            page.locator("form button[type=submit]").click()
        assert "/portal/login/" not in page.url, page.content()
        return page

    yield start
    for context in contexts:
        context.close()


def type_card(page, scope, number: str, month: str = "12", year: str = "30", cvc: str = "123") -> None:
    """Type a test card into the card field (localstripe's fake Card Element: five inputs in `scope`)."""
    field = page.locator(f"{scope} [data-card-element]")
    expect(field.locator("input[placeholder=number]")).to_be_visible()
    field.locator("input[placeholder=number]").press_sequentially(number)
    field.locator("input[placeholder=exp_month]").fill(month)
    field.locator("input[placeholder=exp_year]").fill(year)
    field.locator("input[placeholder=cvc]").fill(cvc)


def add_card(page, scope: str, number: str, *, replace_default: bool = False) -> None:
    """Open "Add card", type the card, (tick "remove the previous default"), save; waits for the reload."""
    page.locator(f"{scope} details summary").click()
    type_card(page, scope, number)
    if replace_default:
        page.locator(f"{scope} input[name=replace_default]").check()
    with page.expect_navigation():
        page.locator(f"{scope} [data-card-form] button[type=submit]").click()


def card_row(page, card: PaymentMethod):
    return page.locator(f"[data-card='{card.pk}']")


def test_staff_add_a_card_in_the_billing_tab_set_default_and_remove(clerk_page, invoice_for, output):
    invoice = invoice_for("Ana Cartão")
    customer = invoice.customer
    page = clerk_page()
    page.goto(f"/customers/{customer.pk}/billing/")
    expect(page.locator("#no-cards")).to_contain_text("No payment method found.")
    add_card(page, "#payment-methods-card", "4242424242424242")
    visa = PaymentMethod.objects.get(customer=customer)
    assert (visa.brand, visa.last4, visa.exp_month, visa.exp_year, visa.is_default) == ("visa", "4242", 12, 2030, True)
    assert visa.external_id.startswith("pm_")
    row = card_row(page, visa)
    expect(row).to_contain_text("visa")
    expect(row).to_contain_text("•••• 4242")
    expect(row).to_contain_text("12/2030")
    expect(row.locator(".badge")).to_have_text("Default")
    expect(page.locator(".alert-success")).to_contain_text("4242")

    add_card(page, "#payment-methods-card", "5555555555554444")
    master = PaymentMethod.objects.get(customer=customer, last4="4444")
    assert master.brand == "visa" and not master.is_default  # localstripe calls every card a Visa
    expect(card_row(page, master)).to_contain_text("•••• 4444")
    expect(card_row(page, master).locator(".badge")).to_have_count(0)
    with page.expect_navigation():
        card_row(page, master).get_by_role("button", name="Set as default").click()
    expect(card_row(page, master).locator(".badge")).to_have_text("Default")
    expect(card_row(page, visa).locator(".badge")).to_have_count(0)
    master.refresh_from_db()
    visa.refresh_from_db()
    assert master.is_default and not visa.is_default

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        card_row(page, visa).get_by_role("button", name="Remove").click()
    expect(card_row(page, visa)).to_have_count(0)
    visa.refresh_from_db()
    assert visa.status == CardStatus.REMOVED and visa.removed_by is not None
    page.screenshot(path=str(output / "cards-billing-tab-desktop.png"), full_page=True)
    assert axe_violations(page, "#payment-methods-card") == []


def test_subscriber_adds_a_card_in_the_portal_sets_default_and_removes(portal_page, invoice_for, output):
    invoice = invoice_for("Bruno Portal")
    customer = invoice.customer
    page = portal_page(customer, locale="pt-BR")
    page.goto("/portal/cards/")
    expect(page.locator(f"#cards-{customer.pk}")).to_contain_text("Nenhuma forma de pagamento encontrada.")
    add_card(page, f"#cards-{customer.pk}", "4242424242424242")
    visa = PaymentMethod.objects.get(customer=customer)
    assert (visa.last4, visa.exp_year, visa.is_default, visa.created_by) == ("4242", 2030, True, None)
    expect(card_row(page, visa)).to_contain_text("Visa •••• 4242")
    expect(card_row(page, visa)).to_contain_text("12/2030")
    expect(card_row(page, visa).locator(".badge")).to_have_text("Padrão")

    add_card(page, f"#cards-{customer.pk}", "5555555555554444")
    master = PaymentMethod.objects.get(customer=customer, last4="4444")
    with page.expect_navigation():
        card_row(page, master).get_by_role("button", name="Definir como padrão").click()
    expect(card_row(page, master).locator(".badge")).to_have_text("Padrão")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        card_row(page, visa).get_by_role("button", name="Remover").click()
    expect(card_row(page, visa)).to_have_count(0)
    visa.refresh_from_db()
    master.refresh_from_db()
    assert visa.status == CardStatus.REMOVED and master.is_default
    page.screenshot(path=str(output / "cards-portal-desktop.png"), full_page=True)
    assert axe_violations(page) == []
