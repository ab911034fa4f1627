"""The subscriber portal in Chromium: first access through the e-mailed link, login with CPF and password, the
invoices, an invoice and its PDF, the history and the cards; the invoice e-mail's pay link; another customer's
invoice; the login rate limit; axe-core on every page (desktop and 375 px); keyboard only; screenshots."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from quita.billing import services as billing
from quita.core.selectors import entity_today
from quita.documents.formats import document_format
from quita.notifications import services as notifications
from quita.payments import services as payments
from quita.portal.models import SubscriberAccount
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "Fibra!2025-segura"
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def ledger(make_customer, entity, clerk, settings, live_server):
    """Maria: an invoice paid in cash last month and an open one; João: an open invoice of his own."""
    settings.QUITA_BASE_URL = live_server.url  # the e-mails link to this server
    day = entity_today(entity)
    last_month = day.replace(day=1) - datetime.timedelta(days=1)
    maria = make_customer("Maria Silva")
    billing.transaction_create(
        customer=maria, actor=clerk, kind="charge", title="Fibra 300 Mega", amount="120.00", date=last_month
    )
    paid = billing.invoice_generate(
        customer=maria, actor=clerk, start=last_month.replace(day=1), end=last_month, due_date=day
    )
    payments.invoice_pay(
        invoice_id=paid.pk, actor=clerk, method="cash", amount="120.00", reference="REC-7", received_on=day
    )
    billing.transaction_create(
        customer=maria, actor=clerk, kind="charge", title="Fibra 300 Mega", amount="99.90", date=day
    )
    billing.transaction_create(
        customer=maria,
        actor=clerk,
        kind="credit",
        credit_type="outage_compensation",
        title="Compensação por queda",
        amount="10.00",
        date=day,
    )
    open_ = billing.invoice_generate(
        customer=maria, actor=clerk, start=day.replace(day=1), end=day, due_date=day + datetime.timedelta(days=10)
    )
    joao = make_customer("João Souza")
    billing.transaction_create(customer=joao, actor=clerk, kind="charge", title="Móvel 15 GB", amount="44.90", date=day)
    other = billing.invoice_generate(
        customer=joao, actor=clerk, start=day.replace(day=1), end=day, due_date=day + datetime.timedelta(days=10)
    )
    return {"maria": maria, "joao": joao, "paid": paid, "open": open_, "other": other}


@pytest.fixture
def account(ledger):
    """Maria's portal account with a password (as if she had used her e-mailed link)."""
    account = SubscriberAccount.objects.create(document=ledger["maria"].document)
    account.set_password(PASSWORD)
    account.save()
    account.customers.set([ledger["maria"]])
    return account


@pytest.fixture
def new_page(browser, live_server):
    """A fresh browser (no session): `new_page(locale="pt-BR", width=1280)`."""
    contexts = []

    def start(*, locale: str = "pt-BR", width: int = 1280, height: int = 900):
        context = browser.new_context(
            locale=locale, viewport={"width": width, "height": height}, base_url=live_server.url, accept_downloads=True
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield start
    for context in contexts:
        context.close()


def portal_login(page, document: str, password: str = PASSWORD) -> None:
    """Fill the login form (the page is on it) and submit."""
    page.fill("#id_document", document)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()


def assert_fits_the_phone(page) -> None:
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 376)
            .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, wide


def test_first_access_login_and_every_page(new_page, ledger, output):
    """The e-mailed link sets the password; then login with the CPF, the invoices, an invoice, its PDF, the
    history and the cards; axe finds nothing serious on any of them."""
    maria, open_, paid = ledger["maria"], ledger["open"], ledger["paid"]
    cpf = document_format(maria.document)
    page = new_page()
    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/portal/login/\?next="))
    assert axe_violations(page) == [], "login"
    page.get_by_role("link", name="Primeiro acesso ou esqueceu a senha?").click()
    assert axe_violations(page) == [], "access request"
    page.fill("#id_document", cpf)
    page.get_by_role("button", name="Enviar o link").click()
    expect(page.get_by_role("status")).to_contain_text("Se este CPF/CNPJ")
    # The link from the outbox (sent after the commit by the live server's request).
    (message,) = [m for m in mail.outbox if "/portal/access/" in m.body]
    assert message.to == maria.emails
    link = re.search(r"http://\S+/portal/access/\S+/", message.body).group(0)
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/portal/access/[^/]+/set-password/$"))
    assert axe_violations(page) == [], "password set"
    page.fill("#id_password", PASSWORD)
    page.fill("#id_confirmation", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Salvar e entrar").click()
    expect(page.locator("h1")).to_have_text("Olá, Maria")
    page.get_by_role("button", name="Encerrar sessão").click()
    expect(page).to_have_url(re.compile(r"/portal/login/$"))

    portal_login(page, cpf)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.locator("main")).to_contain_text("R$\xa089,90")  # open balance: 99,90 − 10,00
    assert axe_violations(page) == [], "home"
    page.get_by_role("link", name=re.compile(open_.number)).click()
    expect(page).to_have_url(re.compile(rf"/portal/invoices/{open_.pk}/$"))
    expect(page.locator("main")).to_contain_text("Compensação por queda")
    assert axe_violations(page) == [], "invoice"
    with page.expect_download() as download:
        page.get_by_role("link", name="Baixar PDF").click()
    assert download.value.path().read_bytes()[:5] == b"%PDF-"
    assert open_.number in download.value.suggested_filename

    page.goto("/portal/")
    page.get_by_role("link", name="Todas as faturas").click()
    expect(page.locator("main .list li")).to_have_count(2)
    assert axe_violations(page) == [], "invoices"
    page.get_by_role("link", name=re.compile(paid.number)).click()
    expect(page.locator("main")).to_contain_text("Dinheiro")  # the payment received, in cash
    navigation = page.get_by_role("navigation", name="Seções")
    navigation.get_by_role("link", name="Histórico").click()
    expect(page.locator("main table")).to_contain_text("Fibra 300 Mega")
    expect(page.locator("main table")).to_contain_text(open_.number)
    assert axe_violations(page) == [], "history"
    navigation.get_by_role("link", name="Cartões").click()
    expect(page.locator("h1")).to_have_text("Cartões")
    assert axe_violations(page) == [], "cards"


def test_every_portal_page_fits_a_phone_and_passes_axe(new_page, account, ledger, output):
    """At 375 px: nothing wider than the screen and no serious violation; screenshots of the invoice page."""
    open_ = ledger["open"]
    page = new_page()
    page.goto("/portal/login/")
    portal_login(page, document_format(ledger["maria"].document))
    page.goto(f"/portal/invoices/{open_.pk}/")
    expect(page.locator("h1")).to_contain_text(open_.number)
    page.screenshot(path=str(output / "portal-invoice-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    for url in (
        "/portal/",
        "/portal/invoices/?status=all",
        f"/portal/invoices/{open_.pk}/",
        f"/portal/invoices/{ledger['paid'].pk}/",
        "/portal/transactions/",
        "/portal/cards/",
    ):
        page.goto(url)
        assert_fits_the_phone(page)
        assert axe_violations(page) == [], url
    page.goto(f"/portal/invoices/{open_.pk}/")
    page.screenshot(path=str(output / "portal-invoice-phone.png"), full_page=True)
    page.get_by_role("button", name="Encerrar sessão").click()
    for url in ("/portal/login/", "/portal/access/"):  # the public pages, logged out
        page.goto(url)
        assert_fits_the_phone(page)
        assert axe_violations(page) == [], url


def test_the_invoice_email_pay_link_lands_on_the_invoice_after_login(new_page, account, ledger, clerk):
    open_ = ledger["open"]
    notifications.invoice_email_send(invoice=open_, actor=clerk)
    (message,) = [m for m in mail.outbox if open_.number in m.subject]
    link = re.search(r"http://\S+/portal/invoices/\d+/", message.body).group(0)
    assert link.endswith(f"/portal/invoices/{open_.pk}/")
    page = new_page()
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/portal/login/\?next="))
    portal_login(page, document_format(ledger["maria"].document))
    expect(page).to_have_url(re.compile(rf"/portal/invoices/{open_.pk}/$"))
    expect(page.locator("h1")).to_contain_text(open_.number)


def test_another_customers_invoice_is_not_found(new_page, account, ledger):
    page = new_page()
    page.goto("/portal/login/")
    portal_login(page, ledger["maria"].document)
    other = ledger["other"]
    for url in (f"/portal/invoices/{other.pk}/", f"/portal/invoices/{other.pk}/pdf/"):
        response = page.goto(url)
        assert response.status == 404, url
        expect(page.locator("body")).not_to_contain_text("Móvel 15 GB")
    assert page.goto(f"/portal/invoices/{ledger['open'].pk}/").status == 200


def test_failed_logins_end_in_the_rate_limit_message(new_page, account, ledger):
    """Five wrong passwords for a CPF; the sixth attempt, even with the right password, is refused for a while."""
    cpf = document_format(ledger["maria"].document)
    page = new_page()
    page.goto("/portal/login/")
    for _attempt in range(5):
        portal_login(page, cpf, "senha-errada")
        expect(page.get_by_role("alert")).to_have_text("CPF/CNPJ ou senha incorretos.")
    portal_login(page, cpf, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Muitas tentativas")
    expect(page).to_have_url(re.compile(r"/portal/login/$"))
    assert axe_violations(page) == []


def test_keyboard_only(new_page, account, ledger):
    """Skip link, login, an invoice and the way back, all with the keyboard; the focus is always visible."""
    open_ = ledger["open"]
    page = new_page()
    page.goto("/portal/login/")
    # The CPF field has the focus on arrival (waited for: typing before autofocus lands loses keys); Tab moves to
    # the password, Enter submits.
    expect(page.get_by_label("CPF ou CNPJ")).to_be_focused()
    page.keyboard.type(ledger["maria"].document)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/portal/$"))
    # The first Tab reaches the skip link, which is then visible.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip"
    assert page.evaluate("document.activeElement.getBoundingClientRect().left") >= 0
    page.keyboard.press("Enter")
    # Tab on to the open invoice and open it.
    for _ in range(30):
        page.keyboard.press("Tab")
        href = page.evaluate("document.activeElement.getAttribute('href') || ''")
        style = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert style != "none", href  # a visible focus ring on everything reachable
        if href.endswith(f"/portal/invoices/{open_.pk}/"):
            break
    else:
        pytest.fail("the open invoice was not reached with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text(open_.number)
    # The PDF by keyboard.
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href') || ''").endswith("/pdf/"):
            break
    else:
        pytest.fail("the PDF link was not reached with Tab")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".pdf")
