"""The invoice's e-mail and refund actions in the staff UI (⋮ menu, detail modal, invoice page): the e-mails sent
listed on the invoice, refunds of card payments through localstripe, errors in the user's language, permissions."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest
from django.core import mail
from django.utils.html import escape

from quita.billing.models import InvoiceStatus, Transaction
from quita.core.models import ActivityLog, Role
from quita.notifications.models import Email, EmailStatus
from quita.payments import services as payment_services
from quita.payments.models import Refund
from tests.conftest import make_user
from tests.payments import conftest as payment_fixtures
from tests.payments.cards import conftest as card_fixtures
from tests.web.conftest import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}

# The card fixtures of tests/payments: localstripe in its own process on 127.0.0.1, a fixed clock, `ledger`.
localstripe = card_fixtures.localstripe
stripe_proxy = card_fixtures.stripe_proxy
stripe_entity = card_fixtures.stripe_entity
browser = card_fixtures.browser
type_card = card_fixtures.type_card
add_card = card_fixtures.add_card
invoice_of = card_fixtures.invoice_of
clock = payment_fixtures.clock
ledger = payment_fixtures.ledger


def _written() -> tuple[int, int, int, int]:
    return (Refund.objects.count(), Transaction.objects.count(), ActivityLog.objects.count(), Email.objects.count())


# ---------------------------------------------------------------------------------------------------------------
# E-mail
# ---------------------------------------------------------------------------------------------------------------


def test_email_modal_sends_the_invoice_and_lists_it(web, billed, django_capture_on_commit_callbacks):
    invoice = billed["invoice"]
    row = web.get(f"/customers/{invoice.customer_id}/billing/").content.decode()
    assert f"/billing/invoices/{invoice.pk}/email/" in row  # the ⋮ menu's "E-mail"
    url = f"/billing/invoices/{invoice.pk}/email/"
    form = web.get(url, **HTMX).content.decode()
    assert 'value="maria@example.com"' in form and 'name="key"' in form
    key = form.split('name="key" value="')[1].split('"')[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(url, {"to": "maria@example.com, financeiro@example.com", "key": key}, **HTMX)
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    # Sent after the commit, PDF attached, to both addresses.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["maria@example.com", "financeiro@example.com"]
    assert message.attachments and message.attachments[0][2] == "application/pdf"
    email = Email.objects.get()
    assert email.status == EmailStatus.SENT and email.provider_message_id
    # A double click (the same key from the same modal) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert web.post(url, {"to": "maria@example.com", "key": key}, **HTMX).status_code == 200
    assert Email.objects.count() == 1 and len(mail.outbox) == 1
    for page_url in (f"/billing/invoices/{invoice.pk}/", f"/billing/invoices/{invoice.pk}/modal/"):
        page = web.get(page_url, **HTMX).content.decode()
        section = page.split('id="invoice-emails"')[1].split("</table>")[0]
        assert "maria@example.com, financeiro@example.com" in section
        assert "Sent" in section and escape(email.provider_message_id) in section


def test_a_failed_email_shows_its_error_on_the_invoice(web, billed, settings, django_capture_on_commit_callbacks):
    """A real SMTP connection to a closed port on 127.0.0.1: the row keeps status failed and the error."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 5
    invoice = billed["invoice"]
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(f"/billing/invoices/{invoice.pk}/email/", {"to": "maria@example.com", "key": "k1"}, **HTMX)
    assert response.status_code == 200
    email = Email.objects.get()
    assert email.status == EmailStatus.FAILED and "Connection" in email.error
    page = web.get(f"/billing/invoices/{invoice.pk}/modal/", **HTMX).content.decode()
    section = page.split('id="invoice-emails"')[1].split("</table>")[0]
    assert "Failed" in section and "ConnectionRefusedError" in section


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Not a valid e-mail address."), ("pt-br", "Não é um endereço de e-mail válido.")],
    ids=["english", "portuguese"],
)
def test_a_bad_address_is_refused_in_the_modal_and_nothing_is_written(clerk, billed, language, expected):
    web = client_for(clerk, language=language)
    before = _written()
    response = web.post(f"/billing/invoices/{billed['invoice'].pk}/email/", {"to": "maria@", "key": "k"}, **HTMX)
    assert response.status_code == 400
    body = response.content.decode()
    assert expected in body and 'aria-invalid="true"' in body
    assert _written() == before


def test_a_void_invoice_has_no_email_action_and_is_not_sent(web, billed):
    from quita.billing import services as billing

    invoice = billing.invoice_void(invoice_id=billed["invoice"].pk, actor=None, reason="Errado")
    page = web.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert f"/billing/invoices/{invoice.pk}/email/" not in page
    response = web.post(f"/billing/invoices/{invoice.pk}/email/", {"to": "maria@example.com", "key": "k"}, **HTMX)
    assert response.status_code == 409 and "void invoice is not sent" in response.content.decode()
    assert not Email.objects.exists()


# ---------------------------------------------------------------------------------------------------------------
# Refund
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def paid_by_card(invoice_of, add_card, clerk):
    invoice = invoice_of("95.00")
    add_card(invoice.customer)
    payment = payment_services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    return invoice, payment


def test_refund_from_the_menu_defaults_to_the_refundable_balance_then_partial_then_the_rest(web, paid_by_card, browser):
    invoice, payment = paid_by_card
    tab = web.get(f"/customers/{invoice.customer_id}/billing/").content.decode()
    assert f"/billing/invoices/{invoice.pk}/refund/" in tab  # ⋮ menu
    detail = web.get(f"/billing/invoices/{invoice.pk}/modal/", **HTMX).content.decode()
    assert f"/billing/invoices/{invoice.pk}/refund/" in detail  # detail modal
    url = f"/billing/invoices/{invoice.pk}/refund/"
    form = web.get(url, **HTMX).content.decode()
    assert 'value="95.00"' in form and "•••• 4242" in form
    response = web.post(url, {"payment": payment.pk, "amount": "30,00", "reason": "Cobrança parcial"}, **HTMX)
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    refund = Refund.objects.get()
    assert refund.amount == Decimal("30.00") and refund.reason == "Cobrança parcial"
    assert browser.v1.refunds.retrieve(refund.external_id).amount == 3000  # the card was refunded at Stripe
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNPAID and invoice.balance == Decimal("30.00")
    # The modal now proposes what is left; more than that is refused on the amount field.
    assert 'value="65.00"' in web.get(url, **HTMX).content.decode()
    before = _written()
    too_much = web.post(url, {"payment": payment.pk, "amount": "65.01"}, **HTMX)
    assert too_much.status_code == 400
    body = too_much.content.decode()
    assert "More than what is left to refund." in body and 'id="id_amount_error"' in body
    assert _written() == before
    assert web.post(url, {"payment": payment.pk, "amount": "65.00"}, **HTMX).status_code == 200
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0 and invoice.balance == Decimal("95.00")
    page = web.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert "refunded R$95.00" in page
    assert f"/billing/invoices/{invoice.pk}/refund/" not in page  # nothing left to refund


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "record a manual credit"), ("pt-br", "crédito manual")],
    ids=["english", "portuguese"],
)
def test_a_manual_payment_asks_for_a_manual_credit_instead(clerk, billed, language, expected):
    invoice = billed["invoice"]
    payment = payment_services.invoice_pay(
        invoice_id=invoice.pk,
        actor=clerk,
        method="cash",
        amount="95.00",
        reference="REC-1",
        received_on=invoice.issue_date,
    )
    web = client_for(clerk, language=language)
    url = f"/billing/invoices/{invoice.pk}/refund/"
    assert 'value="95.00"' in web.get(url, **HTMX).content.decode()
    before = _written()
    response = web.post(url, {"payment": payment.pk, "amount": "95.00"}, **HTMX)
    assert response.status_code == 409
    assert expected in response.content.decode() and 'role="alert"' in response.content.decode()
    assert _written() == before
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_refund_and_email_are_permission_checked(entity, clerk, viewer, billed):
    invoice = billed["invoice"]
    payment = payment_services.invoice_pay(
        invoice_id=invoice.pk, actor=clerk, method="cash", amount="95.00", received_on=invoice.issue_date
    )
    collector = make_user("collector", entity, Role.COLLECTIONS_OPERATOR)
    before = _written()
    for user in (viewer, collector):
        web = client_for(user)
        pages = [
            web.get(f"/customers/{invoice.customer_id}/billing/").content.decode(),
            web.get(f"/billing/invoices/{invoice.pk}/").content.decode(),
            web.get(f"/billing/invoices/{invoice.pk}/modal/", **HTMX).content.decode(),
        ]
        for page in pages:
            assert "/refund/" not in page  # refunding is voiding money: clerks and above
        assert web.get(f"/billing/invoices/{invoice.pk}/refund/", **HTMX).status_code == 403
        refund = web.post(f"/billing/invoices/{invoice.pk}/refund/", {"payment": payment.pk, "amount": "1"})
        assert refund.status_code == 403
    # A read-only user sees no e-mail action and gets 403; a collections operator may e-mail.
    viewer_web = client_for(viewer)
    assert "/email/" not in viewer_web.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert viewer_web.post(f"/billing/invoices/{invoice.pk}/email/", {"to": "a@b.co", "key": "k"}).status_code == 403
    assert "/email/" in client_for(collector).get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert _written() == before
