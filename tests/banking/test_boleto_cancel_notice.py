"""The subscriber is told when staff cancel a boleto by hand (decision 0057): one e-mail after the commit, with the
boleto's linha digitável, nosso número, amount and due date, the invoice's pay link, and not the clerk's reason."""

from __future__ import annotations

import email as email_module
import email.policy

import pytest
from django.contrib.admin import site as admin_site
from django.core import mail
from django.db import transaction
from django.test import RequestFactory

from quita.banking import notices, services
from quita.banking.models import BoletoStatus
from quita.billing.models import Invoice, InvoiceStatus
from quita.core.models import ActivityLog
from quita.customers.models import Customer
from quita.notifications.admin import EmailTemplateAdmin
from quita.notifications.models import Email, EmailKind, EmailStatus, EmailTemplate
from tests.banking.test_boleto_actions import REASON, _api
from tests.banking.test_pages import staff
from tests.notifications.test_invoice_email import smtp_server  # noqa: F401 - the aiosmtpd fixture


@pytest.fixture
def sent(make_wallet, make_invoice, clerk, clock):
    """A Bradesco boleto of R$ 89,90 whose entry went to the bank."""
    wallet = make_wallet("237")
    boleto = services.boleto_issue(invoice_id=make_invoice("89.90").pk, wallet_id=wallet.pk, actor=clerk)
    services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    boleto.refresh_from_db()
    return boleto


def _void_row(boleto):
    return ActivityLog.objects.get(object_id=boleto.pk, action="void", summary__startswith="boleto")


def test_the_subscriber_is_told_once_after_the_commit(sent, clerk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.boleto_cancel(boleto_id=sent.pk, actor=clerk, reason=REASON)
        assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    (message,) = mail.outbox
    invoice = sent.invoice
    assert message.to == ["maria@example.com"]
    assert sent.our_number_display in message.subject and invoice.number in message.subject
    assert "não pague" in message.subject  # pt-BR, the default
    body = message.body
    assert f"O boleto {sent.our_number_display} da fatura {invoice.number} foi cancelado. Não o pague" in body
    assert sent.digitable_line in body and "R$\xa089,90" in body and f"{sent.due_date:%d/%m/%Y}" in body
    assert f"http://127.0.0.1:8000/portal/invoices/{invoice.pk}/" in body and "PIX" in body
    html = message.alternatives[0][0]
    assert f'href="http://127.0.0.1:8000/portal/invoices/{invoice.pk}/"' in html and sent.digitable_line in html
    assert REASON not in body and REASON not in html and REASON not in message.subject  # the reason is internal
    email = Email.objects.get()
    assert (email.kind, email.key, email.status) == ("boleto_cancelled", f"boleto_cancelled:{sent.pk}", "sent")
    assert (email.invoice_id, email.customer_id, email.language) == (invoice.pk, sent.customer_id, "pt-br")
    assert _void_row(sent).after["notified"] == ["maria@example.com"]
    logged = ActivityLog.objects.get(content_type__model="email", object_id=email.pk)
    assert sent.our_number_display in logged.summary and "maria@example.com" in logged.summary
    # Never twice: the same boleto's notice again is the same row, and nothing more is sent.
    with django_capture_on_commit_callbacks(execute=True):
        again = notices.boleto_cancel_notice(boleto=sent, actor=clerk, recipients=["maria@example.com"])
    assert again.pk == email.pk and Email.objects.count() == 1 and len(mail.outbox) == 1
    assert ActivityLog.objects.filter(content_type__model="email", object_id=email.pk).count() == 1


def test_in_english(sent, clerk, settings, django_capture_on_commit_callbacks):
    settings.LANGUAGE_CODE = "en"
    with django_capture_on_commit_callbacks(execute=True):
        services.boleto_cancel(boleto_id=sent.pk, actor=clerk, reason=REASON)
    (message,) = mail.outbox
    assert message.subject.endswith(
        f"boleto {sent.our_number_display} of invoice {sent.invoice.number} cancelled — do not pay it"
    )
    assert "was cancelled. Do not pay it" in message.body and "Pay it by PIX or with a new boleto" in message.body


def test_not_sent_when_the_clerk_opts_out(sent, clerk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.boleto_cancel(boleto_id=sent.pk, actor=clerk, reason=REASON, notify=False)
    assert mail.outbox == [] and not Email.objects.exists()
    assert _void_row(sent).after["notify"] is False and _void_row(sent).after["notified"] == []


def test_not_sent_to_a_customer_without_email(sent, clerk, django_capture_on_commit_callbacks):
    Customer.objects.filter(pk=sent.customer_id).update(emails=["not an address"])
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = services.boleto_cancel(boleto_id=sent.pk, actor=clerk, reason=REASON)
    assert cancelled.status == BoletoStatus.CANCELLED  # the cancellation itself goes on
    assert mail.outbox == [] and not Email.objects.exists()


def test_not_sent_when_the_transaction_fails(sent, clerk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.boleto_cancel(boleto_id=sent.pk, actor=clerk, reason=REASON)
        assert Email.objects.count() == 1
        raise RuntimeError("the request fails after the cancellation")
    assert mail.outbox == [] and not Email.objects.exists()
    sent.refresh_from_db()
    assert sent.status != BoletoStatus.CANCELLED


def test_api_takes_notify(sent, clerk, django_capture_on_commit_callbacks):
    url = f"/api/boletos/{sent.pk}/cancel/"
    with django_capture_on_commit_callbacks(execute=True):
        done = _api(clerk).post(url, {"reason": REASON, "notify": False}, format="json")
    assert done.status_code == 200 and mail.outbox == [] and not Email.objects.exists()
    schema = _api(clerk).get("/api/schema/?format=json").json()
    fields = schema["components"]["schemas"]["CancelRequest"]["properties"]
    assert fields["notify"]["type"] == "boolean" and fields["notify"]["default"] is True


def test_api_notifies_by_default(sent, clerk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        done = _api(clerk).post(f"/api/boletos/{sent.pk}/cancel/", {"reason": REASON}, format="json")
    assert done.status_code == 200 and len(mail.outbox) == 1
    assert Email.objects.get().status == EmailStatus.SENT


def test_page_checkbox(sent, clerk, django_capture_on_commit_callbacks):
    client = staff(clerk)
    page = client.get(f"/billing/boletos/{sent.pk}/").content.decode()
    assert 'name="notify" id="id_notify" checked' in page and "Notify the subscriber" in page
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/billing/boletos/{sent.pk}/cancel/", {"reason": REASON}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and mail.outbox == []  # an unchecked box is not posted: opted out
    assert "Boleto cancelled." in done.content.decode() and "told by e-mail" not in done.content.decode()


def test_page_notifies_when_checked(sent, clerk, django_capture_on_commit_callbacks):
    client = staff(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            f"/billing/boletos/{sent.pk}/cancel/", {"reason": REASON, "notify": "on"}, HTTP_HX_REQUEST="true"
        )
    assert done.status_code == 200 and len(mail.outbox) == 1
    assert "Boleto cancelled. The subscriber was told by e-mail." in done.content.decode()


def test_not_sent_for_a_paid_or_void_invoice(sent, clerk, django_capture_on_commit_callbacks):
    """Nothing left to pay there: the pay link would mislead (the boleto goes in the next remittance anyway)."""
    Invoice.objects.filter(pk=sent.invoice_id).update(status=InvoiceStatus.VOID)
    with django_capture_on_commit_callbacks(execute=True):
        services.boleto_cancel(boleto_id=sent.pk, actor=clerk, reason=REASON)
    assert mail.outbox == [] and not Email.objects.exists()


def test_the_entity_words_it_with_its_own_template(sent, entity, clerk, django_capture_on_commit_callbacks):
    """`boleto_cancelled` is a kind of e-mail like the others: a template row for it validates, the admin's add form
    starts from its default files, and the message is worded by the row."""
    template = EmailTemplate(
        entity=entity,
        kind=EmailKind.BOLETO_CANCELLED,
        language="pt-br",
        subject="Boleto {{ boleto.our_number_display }} cancelado",
        body_text="{{ customer.name }}, pague a fatura {{ invoice.number }} em {{ pay_url }}",
        body_html="",
    )
    template.full_clean()  # a kind outside the choices would be refused here
    template.save()
    request = RequestFactory().get("/admin/notifications/emailtemplate/add/", {"kind": "boleto_cancelled"})
    request.user = clerk
    initial = EmailTemplateAdmin(EmailTemplate, admin_site).get_changeform_initial_data(request)
    assert initial["kind"] == "boleto_cancelled" and "{{ boleto.digitable_line }}" in initial["body_text"]
    with django_capture_on_commit_callbacks(execute=True):
        services.boleto_cancel(boleto_id=sent.pk, actor=clerk, reason=REASON)
    (message,) = mail.outbox
    assert message.subject == f"Boleto {sent.our_number_display} cancelado"
    pay_url = f"http://127.0.0.1:8000/portal/invoices/{sent.invoice_id}/"
    assert message.body.strip() == f"Maria Silva, pague a fatura {sent.invoice.number} em {pay_url}"


def test_through_a_real_smtp_server(sent, clerk, smtp_server, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        services.boleto_cancel(boleto_id=sent.pk, actor=clerk, reason=REASON)
    assert smtp_server.received.wait(10)
    ((recipients, raw),) = smtp_server.messages
    message = email_module.message_from_bytes(raw, policy=email.policy.default)
    assert recipients == ["maria@example.com"] and sent.our_number_display in message["Subject"]
    assert sent.digitable_line in message.get_body(preferencelist=("plain",)).get_content()
    assert Email.objects.get().provider == "smtp"
