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
import re
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from django.db import OperationalError
from playwright.sync_api import expect

from quita.billing.models import InvoiceStatus
from quita.core.selectors import entity_today
from quita.payments import services
from quita.payments.models import CardStatus, Payment, PaymentMethod, PaymentSettings, PaymentStatus
from quita.portal import services as portal_services
from quita.portal.models import SubscriberAccount
from tests.billing.ledger import Ledger
from tests.browser.conftest import axe_violations, open_modal
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
def stripe_entity(entity, stripe_proxy, localstripe, live_server, settings, monkeypatch, request_finalizers):
    """Cards on for the entity; the pages load localstripe's fake Stripe.js through the proxy; localstripe posts
    its PaymentIntent events to the live server's webhook (through a relay that retries, as Stripe does)."""
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
    relay = WebhookRelay(f"{live_server.url}/api/webhooks/stripe/")
    request_finalizers.append(relay.stop)
    hook = {"url": relay.url, "secret": WEBHOOK_SECRET, "events": PAYMENT_EVENTS}
    request = urllib.request.Request(
        f"{localstripe.url}/_config/webhooks/quita", data=json.dumps(hook).encode(), method="POST"
    )
    urllib.request.urlopen(request, timeout=10).read()
    return entity


class WebhookRelay:
    """Passes localstripe's webhook deliveries on to Quita, retrying a failed one as Stripe does (localstripe posts
    once). The live server and the test share one in-memory SQLite database, whose table locks can refuse a
    request that arrives while another thread reads."""

    def __init__(self, target: str):
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {"Content-Type": "application/json", "Stripe-Signature": self.headers["Stripe-Signature"]}
                status = 0
                for _attempt in range(10):
                    request = urllib.request.Request(target, data=body, headers=headers, method="POST")
                    try:
                        with urllib.request.urlopen(request, timeout=10) as answer:
                            status = answer.status
                    except urllib.error.HTTPError as error:
                        status = error.code
                    relay.deliveries.append(status)
                    if status < 500:
                        break
                    time.sleep(0.5)
                self.send_response(status or 502)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.deliveries: list[int] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def request_finalizers():
    finalizers = []
    yield finalizers
    for finalize in finalizers:
        finalize()


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


def add_card(page, scope: str, number: str, *, replace_default: bool = False, screenshot=None) -> None:
    """Open "Add card", type the card, (tick "remove the previous default"), save; waits for the reload."""
    page.locator(f"{scope} details summary").click()
    type_card(page, scope, number)
    if replace_default:
        page.locator(f"{scope} input[name=replace_default]").check()
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
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
        card_row(page, master).get_by_role("button", name="Set as default", exact=True).click()
    expect(card_row(page, master).locator(".badge")).to_have_text("Default")
    expect(card_row(page, visa).locator(".badge")).to_have_count(0)
    master.refresh_from_db()
    visa.refresh_from_db()
    assert master.is_default and not visa.is_default

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        card_row(page, visa).get_by_role("button", name="Remove", exact=True).click()
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
        card_row(page, master).get_by_role("button", name="Definir como padrão", exact=True).click()
    expect(card_row(page, master).locator(".badge")).to_have_text("Padrão")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        card_row(page, visa).get_by_role("button", name="Remover", exact=True).click()
    expect(card_row(page, visa)).to_have_count(0)
    visa.refresh_from_db()
    master.refresh_from_db()
    assert visa.status == CardStatus.REMOVED and master.is_default
    page.screenshot(path=str(output / "cards-portal-desktop.png"), full_page=True)
    assert axe_violations(page) == []


def _saved_card(customer, clerk, browser_stripe, number: str = "4242424242424242") -> PaymentMethod:
    """A card saved earlier (setup → what Stripe.js does → save), as the customer's default."""
    setup = services.card_setup_start(customer_id=customer.pk, actor=clerk)
    browser_stripe.v1.setup_intents.confirm(
        setup["setup_intent"],
        params={
            "client_secret": setup["client_secret"],
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
            },
        },
    )
    return services.card_save(customer_id=customer.pk, actor=clerk, setup_intent=setup["setup_intent"])


@pytest.fixture
def browser_stripe(localstripe):
    """The SDK against localstripe, for what happened before the test (a card saved long ago)."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe.url}, max_network_retries=0)


def _phone_and_axe(page, output, name: str, scope: str | None = None) -> None:
    """Screenshots at desktop and 375 px, and axe-core without serious or critical violations at both."""
    page.screenshot(path=str(output / f"{name}-desktop.png"), full_page=True)
    assert axe_violations(page, scope) == []
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    page.screenshot(path=str(output / f"{name}-phone.png"), full_page=True)
    assert axe_violations(page, scope) == []
    page.set_viewport_size({"width": 1280, "height": 900})


def test_workflow_6_staff_expired_card_replaced_and_the_retry_succeeds(
    clerk_page, invoice_for, clerk, browser_stripe, stripe_proxy, output
):
    """The saved card expired after it was saved: the charge is declined with the clear sentence; staff add a new
    card through Stripe.js as the default with "remove the previous default card" ticked; the retry is paid with a
    new PaymentIntent."""
    invoice = invoice_for("Carla Vencida", "119.90")
    customer = invoice.customer
    old = _saved_card(customer, clerk, browser_stripe)
    stripe_proxy.decline(old.external_id, "expired_card")
    page = clerk_page()
    page.goto(f"/customers/{customer.pk}/billing/")
    expect(card_row(page, old).locator(".badge")).to_have_text("Default")

    def charge_in_the_pay_modal() -> None:
        row = page.locator(f"#invoices-table tr[data-invoice='{invoice.pk}']")
        row.get_by_role("button", name=f"Actions for invoice {invoice.number}").click()
        open_modal(page, row.get_by_role("button", name="Pay"))
        choice = page.locator("#pay-by-card select[name=payment_method]")
        expect(choice).to_have_value(str(PaymentMethod.objects.get(customer=customer, is_default=True).pk))
        with page.expect_navigation():
            page.locator("#pay-by-card").get_by_role("button", name="Charge card").click()

    charge_in_the_pay_modal()
    expect(page.locator(".alert-danger")).to_contain_text(
        "The card has expired. Add a new card (or choose another one) and set it as the default, then try again."
    )
    failed = Payment.objects.get(invoice=invoice)
    assert (failed.status, failed.failure_code) == (PaymentStatus.FAILED, "expired_card")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNPAID

    shot = output / "cards-add-card-billing-tab-desktop.png"
    add_card(page, "#payment-methods-card", "5555555555554444", replace_default=True, screenshot=shot)
    new = PaymentMethod.objects.get(customer=customer, last4="4444")
    old.refresh_from_db()
    assert new.is_default and old.status == CardStatus.REMOVED and not old.is_default
    expect(card_row(page, new).locator(".badge")).to_have_text("Default")
    expect(card_row(page, old)).to_have_count(0)

    charge_in_the_pay_modal()
    expect(page.locator(".alert-success")).to_contain_text(f"Invoice {invoice.number} paid by card.")
    invoice.refresh_from_db()
    paid = Payment.objects.get(invoice=invoice, status=PaymentStatus.SUCCEEDED)
    assert invoice.status == InvoiceStatus.PAID and invoice.payment_reference == paid.external_id
    assert paid.card == new and paid.external_id.startswith("pi_") and paid.external_id != failed.external_id
    assert browser_stripe.v1.payment_intents.retrieve(paid.external_id).status == "succeeded"
    _phone_and_axe(page, output, "cards-workflow6-billing-tab")


def test_workflow_6_subscriber_replaces_the_expired_card_in_the_portal(
    portal_page, invoice_for, clerk, browser_stripe, stripe_proxy, output
):
    """The same in the portal, in pt-BR: the expired card's charge shows the sentence on the invoice; the subscriber
    adds a new card, makes it the default with "remove the old card" and pays again."""
    invoice = invoice_for("Davi Portal", "89.90")
    customer = invoice.customer
    old = _saved_card(customer, clerk, browser_stripe)
    stripe_proxy.decline(old.external_id, "expired_card")
    page = portal_page(customer, locale="pt-BR")
    page.goto(f"/portal/invoices/{invoice.pk}/")
    expect(page.locator("#pay-card-select")).to_have_value(str(old.pk))
    with page.expect_navigation():
        page.locator("#pay-card").get_by_role("button", name="Pagar com cartão").click()
    expect(page.locator("#pay-card")).to_contain_text("O cartão está vencido.")
    failed = Payment.objects.get(invoice=invoice)
    assert failed.failure_code == "expired_card"

    page.goto("/portal/cards/")
    expect(page.locator(f"#cards-{customer.pk}")).to_contain_text("vence em 12/2030")
    add_card(page, f"#cards-{customer.pk}", "5555555555554444", screenshot=output / "cards-add-card-portal-desktop.png")
    new = PaymentMethod.objects.get(customer=customer, last4="4444")
    assert not new.is_default
    # The new card becomes the default, and the old one is removed in the same step (the seed's option).
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        card_row(page, new).get_by_role("button", name="Definir como padrão e remover •••• 4242").click()
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.is_default and old.status == CardStatus.REMOVED
    expect(card_row(page, old)).to_have_count(0)
    expect(card_row(page, new).locator(".badge")).to_have_text("Padrão")
    _phone_and_axe(page, output, "cards-workflow6-portal-cards")

    page.goto(f"/portal/invoices/{invoice.pk}/")
    expect(page.locator("#pay-card-select")).to_have_value(str(new.pk))
    with page.expect_navigation():
        page.locator("#pay-card").get_by_role("button", name="Pagar com cartão").click()
    invoice.refresh_from_db()
    paid = Payment.objects.get(invoice=invoice, status=PaymentStatus.SUCCEEDED)
    assert invoice.status == InvoiceStatus.PAID and paid.card == new and paid.external_id != failed.external_id
    _phone_and_axe(page, output, "cards-workflow6-portal-invoice")


def test_no_card_in_the_pay_modal_links_to_the_add_card_box(clerk_page, invoice_for):
    """ "No payment method found" in the pay modal links to the billing tab's "Add card" box, which opens with the
    card field ready; the card added there is the customer's first, so the default."""
    invoice = invoice_for("Fábio Semcartão")
    page = clerk_page()
    page.goto(f"/customers/{invoice.customer_id}/billing/")
    row = page.locator(f"#invoices-table tr[data-invoice='{invoice.pk}']")
    row.get_by_role("button", name=f"Actions for invoice {invoice.number}").click()
    open_modal(page, row.get_by_role("button", name="Pay"))
    expect(page.locator("#pay-by-card")).to_contain_text("No payment method found.")
    page.locator("#pay-by-card").get_by_role("link", name="Add a card").click()
    page.wait_for_url(re.compile(r"/billing/\?add_card=1#add-card$"))
    expect(page.locator("#add-card")).to_have_attribute("open", "")
    type_card(page, "#payment-methods-card", "4242424242424242")
    with page.expect_navigation():
        page.locator("#payment-methods-card [data-card-form] button[type=submit]").click()
    card = PaymentMethod.objects.get(customer=invoice.customer)
    assert card.is_default
    page.wait_for_url(re.compile(rf"/customers/{invoice.customer_id}/billing/$"))  # the box does not open again
    expect(card_row(page, card).locator(".badge")).to_have_text("Default")
    expect(page.locator("#add-card")).not_to_have_attribute("open", "")
    assert PaymentMethod.objects.count() == 1  # one SetupIntent confirmed, one card: the box opened once


@pytest.mark.parametrize("how", ["refused-off-session", "requires-action"])
def test_3d_secure_finished_in_the_portal_settles_through_the_webhook(
    how, portal_page, invoice_for, clerk, browser_stripe, stripe_proxy, output
):
    """The bank wants the cardholder to confirm the charge, either as Stripe answers an off-session charge
    (refused with authentication_required: a failed Payment whose PaymentIntent the subscriber confirms with the
    saved card) or as localstripe does for its card 4000 0025 0000 3155 (`requires_action`: a pending Payment).
    The portal asks the subscriber at once; Stripe.js (localstripe's fake 3-D Secure box) confirms it; localstripe's
    payment_intent.succeeded, posted to the live server's webhook, settles that same Payment."""
    invoice = invoice_for("Eva Segura", "75.00")
    customer = invoice.customer
    if how == "refused-off-session":
        card = _saved_card(customer, clerk, browser_stripe)
        stripe_proxy.decline(card.external_id, "authentication_required")
        expected = (PaymentStatus.FAILED, "authentication_required")
    else:
        services.card_setup_start(customer_id=customer.pk, actor=clerk)
        # localstripe asks for authentication on every use of this card (its SetupIntent too): saved by its id.
        method = browser_stripe.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": "4000002500003155", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
            }
        )
        services.card_save(customer_id=customer.pk, actor=clerk, payment_method=method.id)
        expected = (PaymentStatus.PENDING, "")
    page = portal_page(customer)
    page.goto(f"/portal/invoices/{invoice.pk}/")
    with page.expect_navigation():
        page.locator("#pay-card").get_by_role("button", name="Pay with card").click()
    waiting = Payment.objects.get(invoice=invoice)
    assert (waiting.status, waiting.failure_code) == expected and waiting.external_id.startswith("pi_")
    expect(page.locator("#pay-card")).to_contain_text("Your bank asks you to confirm this payment.")
    expect(page.get_by_role("heading", name="Payments received")).to_have_count(0)  # nothing received yet
    if how == "requires-action":
        page.screenshot(path=str(output / "cards-3ds-portal-desktop.png"), full_page=True)
    page.get_by_role("button", name="Complete authentication").click()  # the bank's challenge
    expect(page.locator("[data-confirm-status]")).not_to_be_empty()
    page.wait_for_url(re.compile(rf"/portal/invoices/{invoice.pk}/$"))  # the page reloads itself after 2 s
    _wait_for(lambda: Payment.objects.get(pk=waiting.pk).status == PaymentStatus.SUCCEEDED)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.payment_reference == waiting.external_id
    assert Payment.objects.filter(invoice=invoice).count() == 1
    page.wait_for_url(re.compile(rf"/portal/invoices/{invoice.pk}/$"))
    expect(page.locator("#pay-card")).to_have_count(0)


def _wait_for(predicate, timeout: float = 20.0) -> None:
    """Poll the database (shared with the live server: a read may meet a writer's table lock, so it is retried)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OperationalError:
            pass
        time.sleep(0.5)
    raise AssertionError("the condition was not met in time")
