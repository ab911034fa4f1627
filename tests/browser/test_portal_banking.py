"""Boleto and PIX in Chromium: the subscriber's bank choice on the portal (seed "Como vincular um cliente à carteira
de cobrança do tipo fatura"), axe-core on its pages, screenshots of the invoice page with the boleto (desktop and
375 px); the staff contract wallet screen (Contracts → edit → Billing → Wallet → save) by keyboard alone."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from quita.banking import services as banking
from quita.banking.models import Boleto
from quita.billing import services as billing
from quita.core.selectors import entity_today
from quita.customers import services as customer_services
from quita.portal import services as portal_services
from quita.portal.models import SubscriberAccount
from tests.browser.conftest import axe_violations, open_modal

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "Fibra!2025-segura"


def bank_wallet(entity, bank: str, **fields):
    return banking.wallet_create(
        entity=entity,
        actor=None,
        name={"237": "Bradesco cobrança", "341": "Itaú cobrança"}[bank],
        kind="bank",
        bank=bank,
        fine_percent=Decimal("2.00"),
        interest_percent_month=Decimal("1.00"),
        pix_key="cobranca@fibrasul.example",
        **fields,
    )


@pytest.fixture
def wallets(entity):
    return {
        "chooser": banking.wallet_create(entity=entity, actor=None, name="Fatura", kind="invoice"),
        "237": bank_wallet(entity, "237", agency="1234", account="56789", wallet_code="09", cnab_layout=400),
        "341": bank_wallet(entity, "341", agency="0057", account="12345", wallet_code="109", cnab_layout=400),
    }


@pytest.fixture
def subscriber(make_customer, entity, wallets):
    """Maria: a contract on the "invoice" wallet, one open invoice of R$ 89,90, a portal password."""
    day = entity_today(entity)
    customer = make_customer("Maria Boleto")
    contract = customer_services.contract_create(
        customer=customer, actor=None, billing_day=1, due_day=10, start_date=day, wallet=wallets["chooser"]
    )
    billing.transaction_create(
        customer=customer, actor=None, kind="charge", title="Fibra 300 Mega", amount="89.90", date=day
    )
    invoice = billing.invoice_generate(
        customer=customer, actor=None, start=day, end=day, due_date=day + datetime.timedelta(days=10)
    )
    account = SubscriberAccount.objects.create(document=customer.document)
    account.set_password(PASSWORD)
    account.save()
    portal_services.account_link_customers(account)
    return {"customer": customer, "contract": contract, "invoice": invoice}


def portal_page(browser, live_server, document: str, *, width: int = 1280, locale: str = "en-US"):
    context = browser.new_context(
        locale=locale, viewport={"width": width, "height": 900}, base_url=live_server.url, accept_downloads=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/portal/login/")
    page.fill("#id_document", document)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    return context, page


def test_bank_choice_flow_in_the_portal(browser, live_server, subscriber, wallets, output):
    invoice = subscriber["invoice"]
    context, page = portal_page(browser, live_server, subscriber["customer"].document)
    try:
        # Invoices → the invoice → Pay → Print invoice → the banks.
        page.get_by_role("link", name="Invoices").first.click()
        page.get_by_role("link", name=invoice.number).first.click()
        expect(page.locator("h1")).to_contain_text(invoice.number)
        page.get_by_role("link", name="Pay", exact=True).click()
        expect(page.locator("#pay-boleto")).to_be_in_viewport()
        page.locator("#pay-boleto").get_by_role("link", name="Print invoice").click()
        expect(page.locator("h1")).to_have_text("Choose the bank")
        assert axe_violations(page) == [], page.url
        page.get_by_label("341 Itaú").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Generate boleto").click()
        boleto = Boleto.objects.get(invoice=invoice)
        assert boleto.wallet_id == wallets["341"].pk
        expect(page.locator("#awaiting-registration")).to_contain_text("up to 30 minutes")
        expect(page.locator("#digitable-line")).to_have_value(boleto.digitable_line)
        assert axe_violations(page) == [], page.url
        # The printable boleto and its PDF.
        with context.expect_page() as printed:
            page.get_by_role("link", name="Print boleto").click()
        printed.value.wait_for_load_state()
        expect(printed.value.locator("#digitable-line")).to_have_text(boleto.digitable_line)
        assert printed.value.locator("svg.itf rect").count() > 100
        printed.value.close()
        with page.expect_download() as download:
            page.get_by_role("link", name="Download boleto PDF").click()
        assert download.value.suggested_filename.endswith(".pdf")
        assert download.value.path().read_bytes()[:4] == b"%PDF"
        # Later: the invoice page shows the boleto and the PIX copia e cola; axe; screenshots.
        page.goto(f"/portal/invoices/{invoice.pk}/")
        expect(page.locator("#pay-boleto")).to_contain_text(boleto.digitable_line)
        expect(page.locator("#pix-copia-e-cola")).to_have_value(invoice.pix_charges.get().payload)
        assert axe_violations(page) == [], page.url
        page.screenshot(path=str(output / "portal-invoice-boleto-desktop.png"), full_page=True)
    finally:
        context.close()

    phone, page = portal_page(browser, live_server, subscriber["customer"].document, width=375, locale="pt-BR")
    try:
        page.goto(f"/portal/invoices/{invoice.pk}/")
        expect(page.locator("#pay-boleto")).to_contain_text("Aguardando registro")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert axe_violations(page) == [], page.url
        page.locator("#pay").scroll_into_view_if_needed()
        page.screenshot(path=str(output / "portal-invoice-boleto-phone.png"), full_page=True)
        page.goto(f"/portal/banking/boletos/{Boleto.objects.get().pk}/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert axe_violations(page) == [], page.url
    finally:
        phone.close()


def test_a_contract_with_a_bank_wallet_goes_straight_to_the_boleto(browser, live_server, subscriber, wallets):
    contract = subscriber["contract"]
    customer_services.contract_update(contract=contract, actor=None, wallet=wallets["237"])
    context, page = portal_page(browser, live_server, subscriber["customer"].document)
    try:
        page.goto(f"/portal/invoices/{subscriber['invoice'].pk}/")
        with page.expect_navigation():
            page.locator("#pay-boleto").get_by_role("button", name="Print invoice").click()
        expect(page.locator("h1")).to_contain_text("Bradesco")
        assert Boleto.objects.get().wallet_id == wallets["237"].pk
    finally:
        context.close()


def test_contract_wallet_screen_by_keyboard(open_page, clerk, subscriber, wallets):
    customer, contract = subscriber["customer"], subscriber["contract"]
    page = open_page("clerk", "pw-clerk")
    page.goto(f"/customers/{customer.pk}/")
    link = page.get_by_role("link", name=f"#{contract.pk}")
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Billing")).to_be_visible()
    assert axe_violations(page) == [], page.url
    # Tab from the top of the page to the wallet field, choose Itaú with the arrow keys, Tab to Save, Enter.
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_wallet":
            break
    else:
        pytest.fail("the wallet field cannot be reached with Tab")
    itau_label = page.locator(f"#id_wallet option[value='{wallets['341'].pk}']").inner_text()
    page.keyboard.type("Ita")  # a closed <select> picks the option whose label starts with what is typed
    expect(page.locator("#id_wallet option:checked")).to_have_text(itau_label)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Save"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text(f"Contract #{contract.pk} saved.")
    contract.refresh_from_db()
    assert contract.wallet_id == wallets["341"].pk


def test_staff_issue_a_boleto_and_the_banking_pages_have_no_serious_violation(open_page, clerk, subscriber, wallets):
    invoice = subscriber["invoice"]
    page = open_page("clerk", "pw-clerk")
    page.goto(f"/billing/invoices/{invoice.pk}/")
    page.select_option("#issue-wallet", str(wallets["237"].pk))
    page.locator("#invoice-banking").get_by_role("button", name="Issue boleto").click()
    expect(page.locator("#invoice-banking [role=status]")).to_contain_text("awaiting registration at the bank")
    boleto = Boleto.objects.get(invoice=invoice)
    expect(page.locator("#invoice-banking")).to_contain_text(boleto.digitable_line)
    expect(page.locator("#invoice-banking")).to_contain_text("Awaiting registration")
    for url in (
        f"/billing/invoices/{invoice.pk}/",
        f"/billing/boletos/{boleto.pk}/",
        "/billing/boletos/",
        "/billing/bank-returns/upload/",
        "/billing/needs-attention/",
    ):
        page.goto(url)
        assert axe_violations(page) == [], url


def test_staff_issue_a_boleto_in_the_invoice_modal_of_the_billing_tab(open_page, clerk, subscriber, wallets):
    """Billing tab → an invoice's number → its modal's "Boleto and PIX" card → Itaú → Issue boleto: the card shows
    the new boleto in the modal (linha digitável, awaiting registration); axe on the modal before and after."""
    customer, invoice = subscriber["customer"], subscriber["invoice"]
    page = open_page("clerk", "pw-clerk")
    page.goto(f"/customers/{customer.pk}/billing/")
    row = page.locator(f"#invoices-table tr[data-invoice='{invoice.pk}']")
    open_modal(page, row.get_by_role("link", name=invoice.number))
    card = page.locator("#modal #invoice-banking")
    expect(card).to_contain_text("No boleto was issued for this invoice.")
    assert axe_violations(page, "#modal") == []
    card.get_by_label("Bank wallet").select_option(str(wallets["341"].pk))
    card.get_by_role("button", name="Issue boleto").click()
    expect(card.locator("[role=status]")).to_contain_text("awaiting registration at the bank")
    expect(card.locator("[role=status]")).to_be_focused()  # the focus stays in the modal, on what happened
    boleto = Boleto.objects.get(invoice=invoice)
    assert boleto.wallet_id == wallets["341"].pk
    expect(card).to_contain_text(boleto.digitable_line)
    expect(card.locator(".boleto[data-status='awaiting'] .badge")).to_have_text("Awaiting registration")
    expect(card).to_contain_text("payable in up to 30 minutes")
    expect(page.locator("#modal")).to_have_class(re.compile(r"\bshow\b"))  # still the modal, not a new page
    assert page.url.endswith(f"/customers/{customer.pk}/billing/")
    assert axe_violations(page, "#modal") == []
