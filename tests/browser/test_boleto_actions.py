"""A clerk's boleto actions in Chromium: on the boleto page, move the due date (refused in the past, next to the field;
then accepted in place with a new linha digitável) and cancel the boleto with a reason after a confirmation (refused
without one, in the service's words).
axe-core on the page in each state."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from quita.banking import services as banking
from quita.banking.models import Boleto, BoletoStatus, RemittanceAction
from quita.billing import services as billing
from quita.core.selectors import entity_today
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def sent_boleto(entity, make_customer):
    """A Bradesco boleto of R$ 89,90 whose entry went to the bank in a remittance."""
    wallet = banking.wallet_create(
        entity=entity,
        actor=None,
        name="Bradesco cobrança",
        kind="bank",
        bank="237",
        agency="1234",
        account="56789",
        wallet_code="09",
        cnab_layout=400,
        fine_percent=Decimal("2.00"),
        interest_percent_month=Decimal("1.00"),
    )
    day = entity_today(entity)
    customer = make_customer("Maria Boleto")
    billing.transaction_create(customer=customer, actor=None, kind="charge", title="Fibra", amount="89.90", date=day)
    invoice = billing.invoice_generate(
        customer=customer, actor=None, start=day, end=day, due_date=day + datetime.timedelta(days=10)
    )
    boleto = banking.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=None)
    banking.remittance_create(wallet_id=wallet.pk, actor=None)
    return boleto


def test_move_the_due_date_and_cancel_a_boleto_from_its_page(open_page, clerk, sent_boleto, output):
    page = open_page("clerk", "pw-clerk")
    page.goto(f"/billing/boletos/{sent_boleto.pk}/")
    expect(page.get_by_role("heading", name=f"Boleto {sent_boleto.our_number_display}")).to_be_visible()
    assert axe_violations(page) == [], "the boleto page with its actions"

    due = page.get_by_label("New due date")
    due.fill("2020-01-01")
    page.get_by_role("button", name="Move due date").click()
    expect(page.locator("#id_due_date_error")).to_have_text("The new due date is in the past.")
    expect(page.get_by_label("New due date")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == [], "the due date refused"

    new_due = sent_boleto.due_date + datetime.timedelta(days=15)
    page.get_by_label("New due date").fill(new_due.isoformat())
    page.get_by_role("button", name="Move due date").click()
    expect(page.get_by_role("status").filter(has_text="Due date moved to")).to_be_visible()
    moved = Boleto.objects.get(pk=sent_boleto.pk)
    assert moved.due_date == new_due and moved.pending_action == RemittanceAction.CHANGE
    expect(page.locator("#due-date")).to_have_text(f"{new_due:%m/%d/%Y}")
    expect(page.locator("#digitable-line")).to_have_text(moved.digitable_line)
    expect(page.locator("#next-remittance")).to_have_text("Change of due date")
    assert moved.digitable_line != sent_boleto.digitable_line
    page.screenshot(path=output / "boleto-due-date-moved.png", full_page=True)

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Cancel boleto").click()  # no reason: the service's own sentence, on the field
    expect(page.locator("#id_reason_error")).to_have_text("Give a reason for the cancellation.")
    expect(page.get_by_label("Reason for the cancellation")).to_have_attribute("aria-invalid", "true")
    assert Boleto.objects.get(pk=sent_boleto.pk).status != BoletoStatus.CANCELLED
    assert axe_violations(page) == [], "the reason refused"

    page.get_by_label("Reason for the cancellation").fill("Subscriber pays by PIX")
    page.get_by_role("button", name="Cancel boleto").click()
    expect(page.get_by_role("status").filter(has_text="Boleto cancelled.")).to_be_visible()
    assert dialogs == ["Cancel this boleto? The subscriber can no longer pay it."] * 2
    cancelled = Boleto.objects.get(pk=sent_boleto.pk)
    assert (cancelled.status, cancelled.pending_action) == (BoletoStatus.CANCELLED, RemittanceAction.CANCEL)
    expect(page.locator("#next-remittance")).to_have_text("Cancellation (write-off request)")
    expect(page.locator("#cancel-reason")).to_have_text("Subscriber pays by PIX")
    expect(page.get_by_role("button", name="Cancel boleto")).to_have_count(0)
    assert axe_violations(page) == [], "the cancelled boleto"
    page.screenshot(path=output / "boleto-cancelled.png", full_page=True)
