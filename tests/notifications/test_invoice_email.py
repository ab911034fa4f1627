"""The invoice e-mail: recorded in the request's transaction, sent after the commit, once per key, retried."""

from __future__ import annotations

import email as email_module
import email.policy
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import call_command

from quita.core.errors import Conflict, PermissionDenied, ValidationFailed
from quita.core.models import ActivityLog, Role
from quita.notifications import services
from quita.notifications.models import Email, EmailStatus, EmailTemplate
from tests.conftest import make_user
from tests.documents.conftest import pdf_text


class Sink:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        self.received.set()
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "Quita <faturas@quita.example>"
    yield sink
    controller.stop()


def test_smtp_server_receives_the_invoice_with_its_pdf(invoice, clerk, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record = services.invoice_email_send(invoice=invoice, actor=clerk)
        assert record.status == EmailStatus.PENDING  # nothing is sent before the commit
        assert smtp_server.messages == []
    assert smtp_server.received.wait(10)
    ((recipients, raw),) = smtp_server.messages
    assert recipients == ["maria@example.com"]
    message = email_module.message_from_bytes(raw, policy=email.policy.default)
    assert invoice.number in message["Subject"]
    assert message["From"] == "Fibra Sul <faturas@quita.example>"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"/portal/invoices/{invoice.pk}/" in body
    assert "R$\xa01.324,56" in body
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"/portal/invoices/{invoice.pk}/" in html
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == f"{invoice.number}.pdf"
    text = pdf_text(attachment.get_content())
    assert invoice.number in text
    assert "R$\xa01.324,56" in text
    record.refresh_from_db()
    assert record.status == EmailStatus.SENT
    assert record.provider == "smtp"
    assert record.provider_message_id == message["Message-ID"]
    assert record.sent_at is not None and record.attempts == 1
    assert ActivityLog.objects.filter(object_id=record.pk, customer_id=invoice.customer_id).exists()


def test_same_key_sends_once_and_the_job_is_safe_to_repeat(invoice, clerk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.invoice_email_send(invoice=invoice, actor=clerk, key="k1")
    with django_capture_on_commit_callbacks(execute=True):
        again = services.invoice_email_send(invoice=invoice, actor=clerk, key="k1")
    assert again.pk == first.pk
    assert len(mail.outbox) == 1
    services.email_deliver(email_id=first.pk)
    assert services.emails_send_pending() == {"sent": 0, "failed": 0, "skipped": 0}
    assert len(mail.outbox) == 1
    assert Email.objects.count() == 1


def test_failure_is_kept_and_retried_by_the_command(invoice, clerk, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    with django_capture_on_commit_callbacks(execute=True):
        record = services.invoice_email_send(invoice=invoice, actor=clerk)
    record.refresh_from_db()
    assert record.status == EmailStatus.FAILED
    assert "Connection refused" in record.error or "Error" in record.error
    assert record.attempts == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("send-emails")
    record.refresh_from_db()
    assert record.status == EmailStatus.SENT and record.error == "" and record.attempts == 2
    assert len(mail.outbox) == 1


def test_gives_up_after_max_attempts(invoice, clerk, settings):
    settings.QUITA_EMAIL_SEND_ON_COMMIT = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    record = services.invoice_email_send(invoice=invoice, actor=clerk)
    for _ in range(services.MAX_ATTEMPTS + 2):
        services.emails_send_pending()
    record.refresh_from_db()
    assert record.status == EmailStatus.FAILED and record.attempts == services.MAX_ATTEMPTS


def test_refusals(invoice, entity, clerk, ledger, make_customer):
    with pytest.raises(PermissionDenied):
        services.invoice_email_send(invoice=invoice, actor=make_user("viewer", entity, Role.READ_ONLY))
    with pytest.raises(ValidationFailed) as error:
        services.invoice_email_send(invoice=invoice, actor=clerk, to=["not-an-address"])
    assert error.value.code == "invalid_email"
    nobody = make_customer("Sem E-mail")
    nobody.emails = []
    nobody.save()
    ledger.charge(nobody)
    with pytest.raises(ValidationFailed) as error:
        services.invoice_email_send(invoice=ledger.invoice(nobody), actor=clerk)
    assert error.value.code == "customer_without_email"
    ledger.void_invoice(invoice)
    with pytest.raises(Conflict) as error:
        services.invoice_email_send(invoice=invoice, actor=clerk)
    assert error.value.code == "invoice_void_not_sent"
    assert Email.objects.count() == 0


def test_entity_template_per_language(invoice, entity, clerk, django_capture_on_commit_callbacks):
    EmailTemplate.objects.create(
        entity=entity,
        kind="invoice",
        language="pt-br",
        subject="Sua fatura {{ invoice.number }} chegou",
        body_text="Olá {{ customer.name }}, pague em {{ pay_url }}",
        body_html="",
    )
    with django_capture_on_commit_callbacks(execute=True):
        record = services.invoice_email_send(invoice=invoice, actor=clerk, to=["financeiro@example.com"])
    (message,) = mail.outbox
    assert message.subject == f"Sua fatura {invoice.number} chegou"
    assert message.body.startswith("Olá Maria Silva, pague em http")
    assert message.to == ["financeiro@example.com"]
    assert message.alternatives == []
    assert record.subject == f"Sua fatura {invoice.number} chegou"


def test_api_email_action(invoice, clerk, django_capture_on_commit_callbacks):
    from tests.api.conftest import api_for

    api = api_for(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/invoices/{invoice.pk}/email/", {}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
        again = api.post(f"/api/invoices/{invoice.pk}/email/", {}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert response.status_code == 202, response.content
    assert again.json()["id"] == response.json()["id"]
    assert len(mail.outbox) == 1
    listed = api.get(f"/api/emails/?invoice={invoice.pk}").json()
    assert listed["count"] == 1 and listed["results"][0]["status"] == "sent"
    bad = api.post(f"/api/invoices/{invoice.pk}/email/", {"to": ["x"]}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_email"
    assert api.post("/api/invoices/999999/email/", {}, format="json").status_code == 404
