"""E-mail: each sending is a row (to, when, status, provider message id, error), and per-entity templates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quita.billing.models import Invoice
from quita.core.models import Entity
from quita.customers.models import Customer


class EmailKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    PORTAL_ACCESS = "portal_access", _("Subscriber portal access")
    BOLETO_CANCELLED = "boleto_cancelled", _("Boleto cancelled")
    BOLETO_UPDATED = "boleto_updated", _("Boleto brought to the balance")


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Email(models.Model):
    """One e-mail to send or sent. `key` is unique: asking twice with the same key gives the same row, and the
    job sends a row only after claiming it (pending or failed → sending), so running the job twice sends once."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entity"))
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="emails_sent",
        verbose_name=_("customer"),
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="emails", verbose_name=_("invoice")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=EmailKind.choices)
    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    language = models.CharField(_("language"), max_length=10, default="pt-br")
    to = models.JSONField(_("to"), default=list)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True, help_text=_("What the message needs (ids only)."))
    status = models.CharField(_("status"), max_length=8, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider = models.CharField(_("provider"), max_length=40, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        verbose_name=_("created by"),
    )
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=EmailStatus.values), name="email_status_valid"),
        ]
        indexes = [
            models.Index(fields=["invoice", "-created_at"], name="email_invoice_idx"),
            models.Index(fields=["status", "created_at"], name="email_status_idx"),
            models.Index(fields=["entity", "status", "-created_at"], name="email_entity_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {', '.join(self.to)} ({self.get_status_display()})"


class EmailTemplate(models.Model):
    """An entity's own wording of one kind of e-mail in one language (Django template syntax).

    Without a row, the files `notifications/email/<kind>/{subject.txt,body.txt,body.html}` are used (translated
    through the catalogue). The admin's add form starts from those files.
    """

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+", verbose_name=_("entity"))
    kind = models.CharField(_("kind"), max_length=24, choices=EmailKind.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True, help_text=_("Blank sends text only."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("e-mail template")
        verbose_name_plural = _("e-mail templates")
        ordering = ["entity", "kind", "language"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "kind", "language"], name="email_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} · {self.get_kind_display()} · {self.language}"
