"""The seed's workflows through the staff UI in Chromium: each clicks and types what a billing clerk would."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from quita.billing import services as billing
from quita.billing.models import Invoice, InvoiceStatus, Transaction
from quita.core.selectors import entity_today
from quita.customers import services as customer_services
from quita.payments.models import Payment
from quita.portal import services as portal_services
from tests.browser.conftest import axe_violations, open_modal

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


SUBSCRIBER_PASSWORD = "Fibra!2025-segura"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def clerk_page(open_page, clerk):
    return lambda **kwargs: open_page("clerk", "pw-clerk", **kwargs)


@pytest.fixture
def subscriber_page(browser, live_server):
    """The customer's side: a portal account with a password, logged in through the portal's login page."""
    contexts = []

    def start(customer, *, locale: str = "pt-BR"):
        portal_services.portal_account_open(customer=customer, actor=None, password=SUBSCRIBER_PASSWORD)
        context = browser.new_context(locale=locale, viewport=DESKTOP, base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/portal/login/")
        page.fill("#id_document", customer.document)
        page.fill("#id_password", SUBSCRIBER_PASSWORD)
        with page.expect_navigation():
            page.locator("main button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/portal/$"))
        return page

    yield start
    for context in contexts:
        context.close()


def assert_fits_the_phone(page) -> None:
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 376)
            .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' '
                 + getComputedStyle(e.parentElement).overflowX + ' ' + e.parentElement.className).slice(0, 8)"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, wide  # nothing wider than the phone


def screenshots(page, output, name: str) -> None:
    """The page as it is, at desktop width and at 375 px (reloaded; it must fit), with axe on both."""
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(output / f"{name}-desktop.png"), full_page=True)
    assert axe_violations(page) == [], name
    page.set_viewport_size(PHONE)
    page.reload()
    assert_fits_the_phone(page)
    page.screenshot(path=str(output / f"{name}-phone.png"), full_page=True)
    assert axe_violations(page) == [], name
    page.set_viewport_size(DESKTOP)
    page.reload()


def _day(entity) -> datetime.date:
    return entity_today(entity)


def add_transaction(page, *, kind: str, title: str, amount: str, credit_type: str = "") -> None:
    open_modal(page, page.get_by_role("button", name="Add transaction"))
    page.locator(f"#modal label[for=id_kind_{0 if kind == 'charge' else 1}]").click()
    if credit_type:
        page.select_option("#id_credit_type", credit_type)
    page.fill("#id_title", title)
    page.fill("#id_amount", amount)
    with page.expect_navigation():
        page.locator("#modal button[type=submit]").click()
    expect(page.locator("#transactions-table")).to_contain_text(title)


def generate_proforma(page, *, category: str = "") -> str:
    """Open "Generate proforma invoice", preview, check the preview's total, confirm; returns the previewed total."""
    open_modal(page, page.get_by_role("button", name="Generate proforma invoice"))
    if category:
        page.select_option("#id_category", category)
    page.get_by_role("button", name="Preview").click()
    total = page.locator("#preview-total")
    expect(total).to_be_visible()
    previewed = total.inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^Generate invoice of")).click()
    return previewed


def test_first_invoice_for_a_new_customer(clerk_page, subscriber_page, make_customer, entity, output):
    """Setup fee 50 + first month 45 → one invoice of 95; screenshots of the billing tab; axe on it; the new
    customer finds the invoice in the portal."""
    customer = make_customer("Ana Nova")
    page = clerk_page()
    page.goto(f"/customers/{customer.pk}/")
    page.keyboard.press("b")  # the billing tab's shortcut
    page.wait_for_url(re.compile(rf"/customers/{customer.pk}/billing/$"))
    add_transaction(page, kind="charge", title="Taxa de instalação", amount="50,00")
    add_transaction(page, kind="charge", title="Fibra 300 Mega — 1º mês", amount="45.00")
    assert generate_proforma(page) == "R$95.00"
    invoice = Invoice.objects.get(customer=customer)
    assert invoice.total == Decimal("95.00") and invoice.transactions.count() == 2
    row = page.locator(f"#invoices-table tr[data-invoice='{invoice.pk}']")
    expect(row).to_contain_text("R$95.00")
    expect(page.locator(".alert-success")).to_contain_text(invoice.number)
    screenshots(page, output, "workflow-1-billing-tab")
    # The number opens the detail modal with its transactions.
    open_modal(page, row.get_by_role("link", name=invoice.number))
    expect(page.locator("#modal")).to_contain_text("Taxa de instalação")
    page.keyboard.press("Escape")
    expect(page.locator("#modal")).to_be_hidden()
    # The subscriber sees the first invoice in the portal, with both lines, and can open its PDF.
    portal = subscriber_page(customer)
    expect(portal.locator("main")).to_contain_text(invoice.number)
    portal.get_by_role("link", name=re.compile(invoice.number)).click()
    expect(portal.locator("main")).to_contain_text("Taxa de instalação")
    expect(portal.locator(".figures")).to_contain_text("R$\xa095,00")
    screenshots(portal, output, "workflow-1-portal-invoice")
    with portal.expect_download() as download:
        portal.get_by_role("link", name="Baixar PDF").click()
    assert download.value.path().read_bytes()[:5] == b"%PDF-"


def test_monthly_invoices_for_all_customers(clerk_page, subscriber_page, make_customer, entity, output):
    """The batch: preview how many customers and how much, run it, watch it finish, find the invoices."""
    day = _day(entity)
    customers = [make_customer(name) for name in ("Bia", "Caio", "Davi")]
    for customer in customers:
        billing.transaction_create(
            customer=customer, actor=None, kind="charge", title="Mensalidade", amount="45.00", date=day
        )
    page = clerk_page()
    navigation = page.get_by_role("navigation", name="Main")
    navigation.get_by_role("button", name="Billing").click()
    navigation.get_by_role("link", name="Invoices", exact=True).click()
    page.get_by_role("link", name="Generate the period's invoices").click()
    page.fill("#id_due_date", (day + datetime.timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#run-preview")).to_contain_text("Customers to invoice: 3. Total: R$135.00.")
    page.get_by_role("button", name="Generate the invoices").click()
    page.wait_for_url(re.compile(r"/billing/runs/\d+/$"))
    expect(page.locator("#run-invoices")).to_have_text("3")
    expect(page.locator("#run-progress")).to_contain_text("Done")
    page.goto("/billing/invoices/")
    expect(page.locator("#invoices-table tbody tr")).to_have_count(3)
    assert axe_violations(page) == []
    page.goto(f"/customers/{customers[0].pk}/billing/")
    expect(page.locator("#invoices-table tbody tr")).to_have_count(1)
    screenshots(page, output, "workflow-2-billing-tab")
    # Each customer has the month's invoice open in the portal.
    portal = subscriber_page(customers[1])
    invoice = Invoice.objects.get(customer=customers[1])
    expect(portal.locator("main .list").first).to_contain_text(invoice.number)
    expect(portal.locator(".figures")).to_contain_text("R$\xa045,00")


def test_outage_credit_applied_to_the_next_invoice(clerk_page, subscriber_page, make_customer, entity, output):
    """A 10.00 outage credit: the next invoice of a 45.00 month is 35.00."""
    customer = make_customer("Edu Queda")
    billing.transaction_create(
        customer=customer, actor=None, kind="charge", title="Mensalidade", amount="45.00", date=_day(entity)
    )
    page = clerk_page()
    page.goto(f"/customers/{customer.pk}/billing/")
    add_transaction(
        page, kind="credit", title="Compensação por queda", amount="10.00", credit_type="outage_compensation"
    )
    assert generate_proforma(page) == "R$35.00"
    assert Invoice.objects.get(customer=customer).total == Decimal("35.00")
    screenshots(page, output, "workflow-3-billing-tab")
    # The subscriber sees the credit as a line of the invoice, which asks for 35.00.
    invoice = Invoice.objects.get(customer=customer)
    portal = subscriber_page(customer)
    portal.goto(f"/portal/invoices/{invoice.pk}/")
    expect(portal.locator("table.lines")).to_contain_text("Compensação por queda")
    expect(portal.locator("table.lines")).to_contain_text("-R$\xa010,00")
    expect(portal.locator(".figures")).to_contain_text("R$\xa035,00")


def test_void_and_reinvoice_with_a_category_filter(
    clerk_page, subscriber_page, make_customer, make_service, entity, categories, output
):
    """An invoice billed the mobile line by mistake: void it, then invoice the internet line alone."""
    day = _day(entity)
    customer = make_customer("Fabi Categoria")
    internet = make_service(customer, start=day.replace(day=1))
    mobile_plan = customer_services.product_create(
        entity=entity, actor=None, name="Móvel 15 GB", category=categories["mobile"], price=Decimal("44.90")
    )
    mobile = make_service(customer, start=day.replace(day=1), product=mobile_plan)
    for service, title, amount in ((internet, "Fibra 300 Mega", "45.00"), (mobile, "Móvel 15 GB", "44.90")):
        billing.transaction_create(
            customer=customer, actor=None, kind="charge", title=title, amount=amount, date=day, service=service
        )
    wrong = billing.invoice_generate(
        customer=customer, actor=None, start=day.replace(day=1), end=day, due_date=day + datetime.timedelta(days=10)
    )
    page = clerk_page()
    page.goto(f"/customers/{customer.pk}/billing/")
    row = page.locator(f"#invoices-table tr[data-invoice='{wrong.pk}']")
    row.get_by_role("button", name=f"Actions for invoice {wrong.number}").click()
    open_modal(page, row.get_by_role("button", name="Void"))
    page.fill("#id_reason", "Móvel cobrado por engano")
    with page.expect_navigation():
        page.locator("#modal button[type=submit]").click()
    wrong.refresh_from_db()
    assert wrong.status == InvoiceStatus.VOID
    assert generate_proforma(page, category="internet") == "R$45.00"
    again = Invoice.objects.exclude(pk=wrong.pk).get()
    assert again.total == Decimal("45.00") and again.category.code == "internet"
    assert Transaction.objects.get(title="Móvel 15 GB").invoice_id is None
    page.goto(f"/customers/{customer.pk}/billing/?inv_status=void")
    expect(page.locator("#invoices-table tbody tr")).to_have_count(1)
    page.goto(f"/customers/{customer.pk}/billing/")
    screenshots(page, output, "workflow-4-billing-tab")
    # The subscriber has one invoice to pay (internet only); the void one is not asked for.
    portal = subscriber_page(customer)
    open_list = portal.locator("main .list").first
    expect(open_list.locator("li")).to_have_count(1)
    expect(open_list).to_contain_text(again.number)
    expect(portal.locator(".figures")).to_contain_text("R$\xa045,00")
    assert portal.goto(f"/portal/invoices/{wrong.pk}/").status == 200  # still theirs to see, marked void
    expect(portal.locator("h1")).to_contain_text("Cancelada")


def test_three_invoices_paid_in_cash_with_one_receipt(clerk_page, subscriber_page, make_customer, entity, output):
    """Select three unpaid invoices, pay them in cash with one receipt number."""
    day = _day(entity)
    customer = make_customer("Gil Atrasado")
    for month in range(3):
        billing.transaction_create(
            customer=customer, actor=None, kind="charge", title=f"Mensalidade {month + 1}", amount="45.00", date=day
        )
        billing.invoice_generate(
            customer=customer, actor=None, start=day, end=day, due_date=day + datetime.timedelta(days=month)
        )
    page = clerk_page()
    page.goto(f"/customers/{customer.pk}/billing/")
    page.get_by_label("Select all invoices").check()
    open_modal(page, page.get_by_role("button", name="Pay selected"))
    expect(page.locator("#id_amount")).to_have_value("135.00")
    page.locator("#modal label", has_text="Cash").click()
    page.fill("#id_reference", "Recibo 0042")
    with page.expect_navigation():
        page.locator("#modal button[type=submit]").click()
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.PAID}
    assert set(Payment.objects.values_list("method", "reference")) == {("cash", "Recibo 0042")}
    assert Payment.objects.count() == 3
    expect(page.locator("#invoices-table")).not_to_contain_text("Unpaid")
    screenshots(page, output, "workflow-5-billing-tab")
    # The subscriber owes nothing: the three invoices are among the recently paid, each paid in cash.
    portal = subscriber_page(customer)
    expect(portal.locator("main")).to_contain_text("Nada a pagar.")
    expect(portal.locator(".figures")).to_contain_text("R$\xa00,00")
    paid = portal.locator("main .list").first
    expect(paid.locator("li")).to_have_count(3)
    expect(paid.locator(".badge.paid")).to_have_count(3)
    paid.locator("a").first.click()
    expect(portal.locator("main")).to_contain_text("Dinheiro")
