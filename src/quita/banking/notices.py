"""The subscriber is told when staff cancel a boleto by hand (docs/decisions/0057): an e-mail through the
notifications path (an `Email` row in the cancellation's transaction, sent after the commit, once per boleto by its
unique key), worded by the entity's template or the default files `notifications/email/boleto_cancelled/`.

The clerk's reason is internal and is not in the message. The message is built when it is sent (the builder is
registered in `BankingConfig.ready()`, as the portal registers its access e-mail)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from quita.banking.models import Boleto
from quita.billing.models import InvoiceStatus
from quita.core.activity import activity_record
from quita.core.models import ActivityAction
from quita.notifications.models import EmailKind

KIND = EmailKind.BOLETO_CANCELLED
UPDATED = EmailKind.BOLETO_UPDATED


def notice_recipients(boleto: Boleto) -> list[str]:
    """The customer's valid e-mail addresses (an invalid one is skipped: it must not block the cancellation)."""
    recipients = []
    for value in boleto.customer.emails or []:
        address = str(value).strip()
        try:
            validate_email(address)
        except DjangoValidationError:
            continue
        if address not in recipients:
            recipients.append(address)
    return recipients


def boleto_cancel_notice(*, boleto: Boleto, actor, recipients: list[str]):
    """Queue the cancellation e-mail in the caller's transaction (sent after the commit); key `boleto_cancelled:<id>`
    makes a second notice of the same boleto impossible. Logs the e-mail (activity row) when it is new."""
    return _notice(
        boleto=boleto,
        kind=KIND,
        key=f"{KIND}:{boleto.pk}",
        actor=actor,
        recipients=recipients,
        summary=_("Boleto %(number)s cancellation e-mailed to %(to)s"),
    )


def boleto_balance_notice(*, boleto: Boleto, actor) -> None:
    """After a partial payment the invoice's boleto has a new amount, barcode and linha digitável (the same nosso
    número changed at the bank, or a new boleto issued): the subscriber gets the one to pay now, once per boleto and
    amount (key `boleto_updated:<id>:<amount>`), after the commit. Nothing for a customer without an e-mail."""
    recipients = notice_recipients(boleto)
    if recipients:
        _notice(
            boleto=boleto,
            kind=UPDATED,
            key=f"{UPDATED}:{boleto.pk}:{boleto.amount:.2f}",
            actor=actor,
            recipients=recipients,
            summary=_("Boleto %(number)s for the balance e-mailed to %(to)s"),
        )


def _notice(*, boleto: Boleto, kind: str, key: str, actor, recipients: list[str], summary):
    from quita.notifications.messages import render_email
    from quita.notifications.services import email_queue

    invoice = boleto.invoice
    language = settings.LANGUAGE_CODE
    subject, _text, _html = render_email(entity=boleto.entity, kind=kind, language=language, context=_context(boleto))
    email, created = email_queue(
        entity=boleto.entity,
        kind=kind,
        to=recipients,
        key=key,
        actor=actor,
        customer=boleto.customer,
        invoice=invoice,
        data={"boleto": boleto.pk},
        language=language,
        subject=subject,
    )
    if created:
        activity_record(
            entity_id=boleto.entity_id,
            actor=actor,
            action=ActivityAction.CREATE,
            obj=email,
            customer_id=boleto.customer_id,
            summary=summary % {"number": boleto.our_number_display, "to": ", ".join(recipients)},
            after={"boleto": boleto.pk, "invoice": invoice.pk, "to": recipients, "key": email.key},
        )
    return email


def _context(boleto: Boleto) -> dict:
    from quita.documents.selectors import branding_for, portal_invoice_url

    invoice = boleto.invoice
    return {
        "boleto": boleto,
        "invoice": invoice,
        "entity": boleto.entity,
        "customer": boleto.customer,
        "branding": branding_for(boleto.entity),
        "pay_url": portal_invoice_url(invoice),
        "invoice_open": invoice.status == InvoiceStatus.UNPAID,
    }


def boleto_message(email):
    """The builder of both kinds: the boleto and its invoice as they are when the message is sent."""
    from quita.documents.selectors import branding_for
    from quita.notifications.messages import Message, render_email

    boleto = Boleto.objects.select_related("invoice", "customer", "entity", "wallet").get(pk=email.data["boleto"])
    subject, text, html = render_email(
        entity=boleto.entity, kind=email.kind, language=email.language, context=_context(boleto)
    )
    branding = branding_for(boleto.entity)
    return Message(subject=subject, body_text=text, body_html=html, reply_to=[branding.email] if branding.email else [])
