"""Accessibility in Chromium: axe-core finds no serious or critical violation, and every modal works by keyboard."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from playwright.sync_api import expect

from quita.billing import services as billing
from quita.billing.models import Transaction
from quita.core.selectors import entity_today
from quita.payments import services as payments
from quita.payments.models import Refund
from tests.browser.conftest import axe_violations, open_modal

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def ledger(make_customer, entity):
    """A customer with an unpaid invoice and an unbilled line, so that every modal has something to act on."""
    day = entity_today(entity)
    customer = make_customer("Helena Teclado")
    billing.transaction_create(
        customer=customer, actor=None, kind="charge", title="Mensalidade", amount="45.00", date=day
    )
    invoice = billing.invoice_generate(
        customer=customer, actor=None, start=day, end=day, due_date=day + datetime.timedelta(days=5)
    )
    visit = billing.transaction_create(
        customer=customer, actor=None, kind="charge", title="Visita técnica", amount="20.00", date=day
    )
    return {"customer": customer, "invoice": invoice, "visit": visit}


@pytest.mark.parametrize("locale", ["pt-BR", "en-US"])
def test_no_serious_violations_on_the_lists_and_the_billing_tab(open_page, clerk, ledger, locale):
    page = open_page("clerk", "pw-clerk", locale=locale)
    for url in (
        "/",
        "/customers/",
        f"/customers/{ledger['customer'].pk}/",
        f"/customers/{ledger['customer'].pk}/billing/",
        "/billing/transactions/",
        "/billing/invoices/",
        f"/billing/invoices/{ledger['invoice'].pk}/",
        "/billing/invoices/run/",
    ):
        page.goto(url)
        assert axe_violations(page) == [], url


def _open_by_keyboard(page, trigger) -> None:
    trigger.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#modal")).to_be_visible()
    page.wait_for_selector("#modal.show #modal-content .modal-title")
    # The focus moves into the modal (its first field) once it is open: nothing needs the mouse.
    page.wait_for_function("document.getElementById('modal').contains(document.activeElement)", timeout=5000)
    page.wait_for_selector("#modal[data-open=true]")  # the opening transition is over


def _close_by_keyboard(page) -> None:
    page.keyboard.press("Escape")
    expect(page.locator("#modal")).to_be_hidden()


def test_every_modal_opens_and_closes_with_the_keyboard(open_page, clerk, ledger):
    page = open_page("clerk", "pw-clerk")
    page.goto(f"/customers/{ledger['customer'].pk}/billing/")
    invoice, visit = ledger["invoice"], ledger["visit"]
    row = page.locator(f"#invoices-table tr[data-invoice='{invoice.pk}']")
    triggers = [
        lambda: page.get_by_role("button", name="Add transaction"),
        lambda: page.get_by_role("button", name="Generate proforma invoice"),
        lambda: page.get_by_role("button", name=f"Void transaction {visit.pk}"),
        lambda: row.get_by_role("link", name=invoice.number),
    ]
    for trigger in triggers:
        _open_by_keyboard(page, trigger())
        # The modal itself: behind it the page is dimmed by the backdrop on purpose.
        assert axe_violations(page, "#modal") == []
        _close_by_keyboard(page)
    # The ⋮ menu by keyboard: open it with Enter, move with the arrows, choose with Enter.
    for action in ("E-mail", "Pay", "Void"):
        menu = row.get_by_role("button", name=f"Actions for invoice {invoice.number}")
        menu.focus()
        page.keyboard.press("Enter")
        item = row.get_by_role("button", name=action, exact=True)
        expect(item).to_be_visible()
        _open_by_keyboard(page, item)
        _close_by_keyboard(page)
    # Several invoices selected with the space bar, then "Pay selected".
    page.get_by_label(f"Select invoice {invoice.number}").focus()
    page.keyboard.press("Space")
    _open_by_keyboard(page, page.get_by_role("button", name="Pay selected"))
    expect(page.locator("#modal")).to_contain_text(invoice.number)
    _close_by_keyboard(page)


def test_add_a_transaction_with_the_keyboard_alone(open_page, clerk, ledger):
    page = open_page("clerk", "pw-clerk")
    page.goto(f"/customers/{ledger['customer'].pk}/billing/")
    _open_by_keyboard(page, page.get_by_role("button", name="Add transaction"))
    page.keyboard.press("ArrowRight")  # kind: charge → credit
    page.keyboard.press("Tab")  # credit type
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.type("Desconto de fidelidade")
    page.keyboard.press("Tab")  # description
    page.keyboard.press("Tab")
    page.keyboard.type("5.00")
    expect(page.locator("#id_amount")).to_have_value("5.00")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    credit = Transaction.objects.get(title="Desconto de fidelidade")
    assert credit.kind == "credit" and str(credit.amount) == "-5.00"


def test_an_error_is_shown_in_the_modal_and_changes_nothing(open_page, clerk, ledger):
    page = open_page("clerk", "pw-clerk", locale="pt-BR")
    page.goto(f"/customers/{ledger['customer'].pk}/billing/")
    _open_by_keyboard(page, page.get_by_role("button", name="Adicionar lançamento"))
    page.fill("#id_title", "Taxa")
    page.fill("#id_amount", "1,234")
    page.locator("#modal button[type=submit]").click()
    expect(page.locator("#modal .invalid-feedback")).to_contain_text("mais de duas casas decimais")
    assert not Transaction.objects.filter(title="Taxa").exists()


def test_email_and_refund_from_the_detail_modal(open_page, clerk, ledger):
    """In the detail modal: e-mail the invoice (then listed there as sent), and a refund of a cash payment
    answered in the modal, in Portuguese, with what to do instead; nothing is refunded."""
    invoice = ledger["invoice"]
    page = open_page("clerk", "pw-clerk", locale="pt-BR")
    page.goto(f"/customers/{ledger['customer'].pk}/billing/")
    row = page.locator(f"#invoices-table tr[data-invoice='{invoice.pk}']")
    open_modal(page, row.get_by_role("link", name=invoice.number))
    expect(page.locator("#invoice-emails")).to_contain_text("Nenhum e-mail enviado.")
    page.locator("#modal").get_by_role("button", name="E-mail", exact=True).click()
    expect(page.locator("#id_to")).to_have_value("maria@example.com")
    assert axe_violations(page, "#modal") == []
    with page.expect_navigation():
        page.locator("#modal button[type=submit]").click()
    assert [m.to for m in mail.outbox] == [["maria@example.com"]]
    open_modal(page, row.get_by_role("link", name=invoice.number))
    expect(page.locator("#invoice-emails")).to_contain_text("Enviado")
    page.keyboard.press("Escape")

    payments.invoice_pay(
        invoice_id=invoice.pk,
        actor=clerk,
        method="cash",
        amount="45.00",
        reference="REC-1",
        received_on=invoice.issue_date,
    )
    page.reload()
    open_modal(page, row.get_by_role("link", name=invoice.number))
    page.locator("#modal").get_by_role("button", name="Estornar").click()
    expect(page.locator("#id_amount")).to_have_value("45.00")
    page.locator("#modal button[type=submit]").click()
    expect(page.locator("#modal [role=alert]")).to_contain_text("crédito manual")
    assert axe_violations(page, "#modal") == []
    assert not Refund.objects.exists()
