"""How each kind of e-mail is written: the entity's template (data) or the default files, and its attachments.

Each kind has a builder `builder(email) -> Message`, registered with `email_kind_register` (apps register
theirs in `AppConfig.ready()`: the portal registers "portal_access"). Builders run when the e-mail is sent,
so a message carries the invoice as it is then and links (like a set-password token) are never stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.template import engines
from django.template.loader import get_template
from django.utils import translation

from quita.core.models import Entity
from quita.documents.pdf import invoice_pdf, invoice_pdf_filename
from quita.documents.selectors import branding_for, invoice_document_context, invoice_for_document
from quita.notifications.models import Email, EmailTemplate


@dataclass
class Message:
    subject: str
    body_text: str
    body_html: str = ""
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)


_BUILDERS: dict[str, Callable[[Email], Message]] = {}


def email_kind_register(kind: str, builder: Callable[[Email], Message]) -> None:
    _BUILDERS[kind] = builder


def message_build(email: Email) -> Message:
    try:
        builder = _BUILDERS[email.kind]
    except KeyError:
        raise LookupError(f"no message builder for e-mail kind {email.kind!r}") from None
    return builder(email)


def default_template_sources(kind: str) -> dict[str, str]:
    """The default files of one kind, as source text (the admin's add form starts from them)."""
    sources = {}
    for part, name in (("subject", "subject.txt"), ("body_text", "body.txt"), ("body_html", "body.html")):
        template = get_template(f"notifications/email/{kind}/{name}")
        sources[part] = template.template.source
    return sources


def render_email(*, entity: Entity, kind: str, language: str, context: dict) -> tuple[str, str, str]:
    """(subject, text body, HTML body) in `language`, from the entity's template row or the default files."""
    with translation.override(language):
        row = EmailTemplate.objects.filter(entity=entity, kind=kind, language=language).first()
        if row is not None:
            engine = engines["django"]
            subject = engine.from_string(row.subject).render(context)
            text = engine.from_string(row.body_text).render(context)
            html = engine.from_string(row.body_html).render(context) if row.body_html.strip() else ""
        else:
            subject = get_template(f"notifications/email/{kind}/subject.txt").render(context)
            text = get_template(f"notifications/email/{kind}/body.txt").render(context)
            html = get_template(f"notifications/email/{kind}/body.html").render(context)
    return re.sub(r"\s+", " ", subject).strip()[:255], text.strip() + "\n", html


def from_address(entity: Entity) -> str:
    """The configured sender address under the entity's name: `Fibra Sul <no-reply@…>`."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((entity.name, address or "no-reply@localhost"))


def invoice_context(email: Email) -> dict:
    invoice = invoice_for_document(email.invoice_id)
    return invoice_document_context(invoice, purpose="email")


def invoice_message(email: Email) -> Message:
    """The invoice e-mail: the text and HTML bodies with the pay link, and the PDF attached."""
    context = invoice_context(email)
    invoice = context["invoice"]
    subject, text, html = render_email(entity=invoice.entity, kind=email.kind, language=email.language, context=context)
    branding = branding_for(invoice.entity)
    return Message(
        subject=subject,
        body_text=text,
        body_html=html,
        attachments=[(invoice_pdf_filename(invoice), invoice_pdf(invoice, language=email.language), "application/pdf")],
        reply_to=[branding.email] if branding.email else [],
    )
