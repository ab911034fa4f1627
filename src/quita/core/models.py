"""Core models: the billing company (Entity), who may act on it (Membership), numbering and the activity log."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.br import cnpj as cnpj_number


def validate_cnpj(value: str) -> None:
    if not cnpj_number.is_valid(value):
        raise ValidationError(_("Invalid CNPJ."), code="invalid_cnpj")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone."), code="invalid_time_zone")


class Entity(models.Model):
    """A company that bills (one CNPJ). One ISP may run several; everything financial belongs to one."""

    name = models.CharField(_("name"), max_length=120)
    legal_name = models.CharField(_("legal name"), max_length=200)
    cnpj = models.CharField(_("CNPJ"), max_length=14, unique=True, validators=[validate_cnpj])
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="America/Sao_Paulo", validators=[validate_time_zone]
    )
    invoice_prefix = models.CharField(_("invoice prefix"), max_length=12, default="INV")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("entity")
        verbose_name_plural = _("entities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    MANAGER = "manager", _("Manager")
    BILLING_CLERK = "billing_clerk", _("Billing clerk")
    COLLECTIONS_OPERATOR = "collections_operator", _("Collections operator")
    READ_ONLY = "read_only", _("Read-only")


class Membership(models.Model):
    """A user's role in one entity; a user sees only the entities of their memberships."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("entity"))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.READ_ONLY)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "entity"], name="membership_unique_user_entity"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.entity} ({self.get_role_display()})"


class NumberSequence(models.Model):
    """The last number handed out for a gapless series (e.g. invoices of one entity in one year)."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="sequences", verbose_name=_("entity"))
    series = models.CharField(_("series"), max_length=40)
    last_value = models.PositiveBigIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [models.UniqueConstraint(fields=["entity", "series"], name="sequence_unique_entity_series")]

    def __str__(self) -> str:
        return f"{self.entity_id}:{self.series}={self.last_value}"


class ActivityAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    VOID = "void", _("Voided")
    PAY = "pay", _("Payment recorded")
    GENERATE = "generate", _("Generated")
    BILL = "bill", _("Billed")


class ActivityLog(models.Model):
    """Who did what to which object, with the values before and after; written in the change's transaction."""

    # No database-level foreign keys on the log: it is append-only, its rows point at records that are never
    # deleted, and the billing run writes one row per charge and per invoice (see docs/decisions/0006).
    entity = models.ForeignKey(
        Entity,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("entity"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("actor"),
    )
    created_at = models.DateTimeField(_("when"))
    action = models.CharField(_("action"), max_length=16, choices=ActivityAction.choices)
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("object type"),
    )
    object_id = models.BigIntegerField(_("object id"))
    # The customer the change concerns, kept as a plain id so the log can be read per customer
    # without core depending on the customers app (apps depend downward only).
    customer_id = models.BigIntegerField(_("customer id"), null=True, blank=True)
    summary = models.CharField(_("summary"), max_length=255, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activity log")
        # Newest first by id: ids grow with time, and the primary key serves the order without another index.
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="activity_object_idx"),
            models.Index(fields=["customer_id", "-id"], name="activity_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.content_type.model}#{self.object_id}"
