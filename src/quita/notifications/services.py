"""Asking for an e-mail (a row in the request's transaction) and sending it (a job that is safe to repeat).

`email_queue` writes the Email row and, after the commit, runs `email_deliver` for it. `email_deliver`
claims the row with one conditional UPDATE (pending/failed → sending), so two workers, a repeated job or
a retry after a crash send it once; a failure is kept (status failed, the error) and retried by
`quita send-emails` until MAX_ATTEMPTS. A row left in "sending" by a crash is claimable again after
STALE_SENDING: the one case where a message may go out twice (the provider accepted it, then the crash).
"""

from __future__ import annotations

import datetime
import functools
import logging
import uuid
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from quita.billing.models import Invoice, InvoiceStatus
from quita.core.activity import activity_record
from quita.core.errors import Conflict, NotFound, ValidationFailed
from quita.core.models import ActivityAction, Entity
from quita.core.permissions import ensure_permission
from quita.documents.selectors import branding_for
from quita.notifications.messages import from_address, message_build, render_email
from quita.notifications.models import Email, EmailKind, EmailStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STALE_SENDING = datetime.timedelta(minutes=10)


def _recipients(values) -> list[str]:
    recipients = []
    for value in values or []:
        address = str(value).strip()
        try:
            validate_email(address)
        except DjangoValidationError:
            raise ValidationFailed(
                _("%(address)s is not a valid e-mail address.") % {"address": address},
                code="invalid_email",
                fields={"to": [_("Not a valid e-mail address.")]},
            ) from None
        if address not in recipients:
            recipients.append(address)
    return recipients


def email_queue(
    *,
    entity: Entity,
    kind: str,
    to: list[str],
    key: str,
    actor=None,
    customer=None,
    invoice: Invoice | None = None,
    data: dict | None = None,
    language: str | None = None,
    subject: str = "",
) -> tuple[Email, bool]:
    """Write an Email row under `key` (or return the one already there) and send it after the commit.

    Runs inside the caller's transaction. Returns (email, created).
    """
    existing = Email.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            email = Email.objects.create(
                entity=entity,
                customer=customer,
                invoice=invoice,
                kind=kind,
                key=key,
                language=language or settings.LANGUAGE_CODE,
                to=to,
                subject=subject[:255],
                data=data or {},
                created_at=timezone.now(),
                created_by=actor if actor is not None and actor.is_authenticated else None,
            )
    except IntegrityError:
        # The same key written by a concurrent request: that row is the answer.
        return Email.objects.get(key=key), False
    if settings.QUITA_EMAIL_SEND_ON_COMMIT:
        transaction.on_commit(functools.partial(email_deliver_quietly, email_id=email.pk))
    return email, True


@transaction.atomic
def invoice_email_send(*, invoice: Invoice | int, actor, to: list[str] | None = None, key: str | None = None) -> Email:
    """E-mail an invoice (the PDF attached, the pay link to the portal) to the customer or to `to`.

    `key` makes the request idempotent (the API passes its Idempotency-Key header); without one, each call
    is a new e-mail (a clerk sending an invoice again on purpose).
    """
    invoice_id = invoice if isinstance(invoice, int) else invoice.pk
    invoice = Invoice.objects.select_related("entity", "customer").filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound(_("Invoice not found."))
    ensure_permission(actor=actor, entity=invoice.entity_id, action="email_invoices")
    if invoice.status == InvoiceStatus.VOID:
        raise Conflict(_("A void invoice is not sent."), code="invoice_void_not_sent")
    recipients = _recipients(to if to else invoice.customer.emails)
    if not recipients:
        raise ValidationFailed(
            _("The customer has no e-mail address."),
            code="customer_without_email",
            fields={"to": [_("Give an address, or add one to the customer.")]},
        )
    key = f"invoice:{invoice.pk}:{key or uuid.uuid4().hex}"
    language = settings.LANGUAGE_CODE
    context = {
        "invoice": invoice,
        "entity": invoice.entity,
        "customer": invoice.customer,
        "balance": invoice.balance,
        "branding": branding_for(invoice.entity),
    }
    subject, _text, _html = render_email(
        entity=invoice.entity, kind=EmailKind.INVOICE, language=language, context=context
    )
    email, created = email_queue(
        entity=invoice.entity,
        kind=EmailKind.INVOICE,
        to=recipients,
        key=key,
        actor=actor,
        customer=invoice.customer,
        invoice=invoice,
        language=language,
        subject=subject,
    )
    if created:
        activity_record(
            entity_id=invoice.entity_id,
            actor=actor,
            action=ActivityAction.CREATE,
            obj=email,
            customer_id=invoice.customer_id,
            summary=_("Invoice %(number)s e-mailed to %(to)s")
            % {"number": invoice.number, "to": ", ".join(recipients)},
            after={"invoice": invoice.pk, "to": recipients, "key": key},
        )
    return email


def _claim(email_id: int, now: datetime.datetime) -> bool:
    claimable = Q(status__in=[EmailStatus.PENDING, EmailStatus.FAILED]) | Q(
        status=EmailStatus.SENDING, last_attempt_at__lt=now - STALE_SENDING
    )
    return bool(
        Email.objects.filter(claimable, pk=email_id, attempts__lt=MAX_ATTEMPTS).update(
            status=EmailStatus.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
        )
    )


def _provider_name() -> str:
    backend = settings.EMAIL_BACKEND
    if backend.startswith("anymail.backends."):
        return backend.split(".")[2]
    return backend.rsplit(".", 2)[-2] if "." in backend else backend


def email_deliver(*, email_id: int) -> Email:
    """Send one e-mail if it is still to be sent; record the outcome. Safe to call any number of times."""
    if not _claim(email_id, timezone.now()):
        return Email.objects.get(pk=email_id)
    email = Email.objects.select_related("entity").get(pk=email_id)
    provider = _provider_name()
    try:
        content = message_build(email)
        domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
        message_id = make_msgid(domain=domain)
        message = EmailMultiAlternatives(
            subject=content.subject,
            body=content.body_text,
            from_email=from_address(email.entity),
            to=email.to,
            reply_to=content.reply_to or None,
            headers={"Message-ID": message_id},
            connection=get_connection(),
        )
        if content.body_html:
            message.attach_alternative(content.body_html, "text/html")
        for filename, payload, mimetype in content.attachments:
            message.attach(filename, payload, mimetype)
        message.send()
        status = getattr(message, "anymail_status", None)
        provider_id = (getattr(status, "message_id", None) if status is not None else None) or message_id
        Email.objects.filter(pk=email.pk).update(
            status=EmailStatus.SENT,
            subject=content.subject[:255],
            provider=provider,
            provider_message_id=str(provider_id)[:255],
            error="",
            sent_at=timezone.now(),
        )
    except Exception as error:  # any failure of rendering or of the provider is kept on the row
        logger.warning("e-mail %s failed: %s", email.pk, error)
        Email.objects.filter(pk=email.pk).update(
            status=EmailStatus.FAILED, provider=provider, error=f"{type(error).__name__}: {error}"[:4000]
        )
    return Email.objects.get(pk=email.pk)


def email_deliver_quietly(*, email_id: int) -> None:
    """The after-commit hook: a failure to send never breaks the request that asked for the e-mail."""
    try:
        email_deliver(email_id=email_id)
    except Exception:
        logger.exception("e-mail %s: delivery crashed; `quita send-emails` will retry", email_id)


def emails_send_pending(*, limit: int | None = None) -> dict[str, int]:
    """The job: send every pending e-mail, retry failed ones (fewer than MAX_ATTEMPTS), oldest first."""
    now = timezone.now()
    due = Email.objects.filter(
        Q(status__in=[EmailStatus.PENDING, EmailStatus.FAILED])
        | Q(status=EmailStatus.SENDING, last_attempt_at__lt=now - STALE_SENDING),
        attempts__lt=MAX_ATTEMPTS,
    ).order_by("created_at", "id")
    ids = list(due.values_list("pk", flat=True)[:limit] if limit else due.values_list("pk", flat=True))
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for email_id in ids:
        email = email_deliver(email_id=email_id)
        if email.status == EmailStatus.SENT:
            counts["sent"] += 1
        elif email.status == EmailStatus.FAILED:
            counts["failed"] += 1
        else:
            counts["skipped"] += 1
    return counts
