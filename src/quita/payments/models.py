"""Payments received against invoices, saved cards, refunds, gateway events and autopay.

Card numbers never reach Quita: a saved card is Stripe's PaymentMethod id with its brand, last four digits
and expiry. Gateway secrets are not stored either: the settings name the environment variables that hold them.
"""

from __future__ import annotations

import calendar
import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quita.billing.models import Invoice
from quita.core.models import Entity
from quita.core.money import MoneyField
from quita.customers.models import Customer


class PaymentMethodKind(models.TextChoices):
    CASH = "cash", _("Cash")
    POS = "pos", _("POS (card machine)")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CARD = "card", _("Card")
    BOLETO = "boleto", _("Boleto")
    PIX = "pix", _("PIX")


MANUAL_METHODS = (PaymentMethodKind.CASH, PaymentMethodKind.POS, PaymentMethodKind.BANK_TRANSFER)


class PaymentStatus(models.TextChoices):
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    PENDING = "pending", _("Pending")


class Payment(models.Model):
    """Money received (or attempted) for an invoice. Applied amounts live in the ledger as payment transactions."""

    # The invoice and customer keys are enforced by the database; the entity (reference data, never deleted, and
    # the invoice's own) and the author are not, and have no index of their own (docs/decisions/0006, 0033).
    entity = models.ForeignKey(
        Entity,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entity"),
        db_constraint=False,
        db_index=False,
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="payments", verbose_name=_("customer")
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments", verbose_name=_("invoice"))
    amount = MoneyField(_("amount"))
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethodKind.choices)
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.SUCCEEDED
    )
    gateway = models.CharField(_("gateway"), max_length=32, default="manual")
    external_id = models.CharField(_("external id"), max_length=120, null=True, blank=True)
    failure_code = models.CharField(_("failure code"), max_length=64, blank=True)
    failure_message = models.CharField(_("failure message"), max_length=255, blank=True)
    received_on = models.DateField(_("received on"))
    decline_code = models.CharField(_("decline code"), max_length=64, blank=True)
    card = models.ForeignKey(
        "PaymentMethod",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("card"),
        db_index=False,  # payment_card_idx: only the card payments
    )
    # Quita's own guard against charging twice: derived from the invoice and the attempt number, unique here,
    # and sent to the gateway as its idempotency key.
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, null=True, blank=True)
    # The part of `amount` that settled the invoice (the rest, if any, became an unbilled credit); refunds
    # uncover the invoice up to it.
    applied_amount = MoneyField(_("applied amount"), null=True, blank=True)
    refunded_amount = MoneyField(_("refunded amount"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
        db_constraint=False,
        db_index=False,
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(method__in=PaymentMethodKind.values), name="payment_method_valid"),
            models.UniqueConstraint(
                fields=["gateway", "external_id"],
                condition=Q(external_id__isnull=False),
                name="payment_unique_external_id",
            ),
            # Only card attempts have one: bank and manual payments write no entry into this index.
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="payment_unique_idempotency_key",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["entity", "reference"], name="payment_reference_idx"),
            models.Index(fields=["card"], condition=Q(card__isnull=False), name="payment_card_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount} → {self.invoice}"


# ---------------------------------------------------------------------------------------------------------------
# Card payments: settings, gateway customers, saved cards
# ---------------------------------------------------------------------------------------------------------------


class GatewayMode(models.TextChoices):
    TEST = "test", _("Test")
    LIVE = "live", _("Live")


def default_retry_days() -> list[int]:
    return [1, 3, 5]


class PaymentSettings(models.Model):
    """An entity's card settings: Stripe mode and key *names* (never the keys), autopay retries, reminders."""

    entity = models.OneToOneField(
        Entity, on_delete=models.PROTECT, related_name="payment_settings", verbose_name=_("entity")
    )
    stripe_enabled = models.BooleanField(_("card payments enabled"), default=False)
    stripe_mode = models.CharField(
        _("Stripe mode"), max_length=8, choices=GatewayMode.choices, default=GatewayMode.TEST
    )
    stripe_publishable_key = models.CharField(
        _("Stripe publishable key"), max_length=255, blank=True, help_text=_("pk_test_… or pk_live_… (public).")
    )
    stripe_secret_key_env = models.CharField(
        _("environment variable of the secret key"),
        max_length=100,
        default="QUITA_STRIPE_SECRET_KEY",
        help_text=_("The name of the environment variable that holds sk_test_… or sk_live_…; the key is not stored."),
    )
    stripe_webhook_secret_env = models.CharField(
        _("environment variable of the webhook secret"),
        max_length=100,
        default="QUITA_STRIPE_WEBHOOK_SECRET",
        help_text=_("The name of the environment variable that holds the endpoint's whsec_… secret."),
    )
    stripe_api_base = models.URLField(
        _("Stripe API address"), blank=True, help_text=_("Leave blank for Stripe; set only for a test server.")
    )
    currency = models.CharField(_("currency"), max_length=3, default="brl")
    autopay_retry_days = models.JSONField(
        _("autopay retry days"),
        default=default_retry_days,
        blank=True,
        help_text=_("Days after the due date on which a failed automatic charge is tried again, e.g. [1, 3, 5]."),
    )
    card_expiry_reminders = models.BooleanField(_("remind subscribers of expiring cards"), default=True)

    class Meta:
        verbose_name = _("payment settings")
        verbose_name_plural = _("payment settings")

    def __str__(self) -> str:
        return f"{self.entity} ({self.get_stripe_mode_display()})"


class GatewayCustomer(models.Model):
    """The gateway's customer (e.g. Stripe's cus_…) for one of Quita's customers."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entity"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="gateway_customers", verbose_name=_("customer")
    )
    gateway = models.CharField(_("gateway"), max_length=32, default="stripe")
    external_id = models.CharField(_("external id"), max_length=120)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("gateway customer")
        verbose_name_plural = _("gateway customers")
        constraints = [
            models.UniqueConstraint(fields=["customer", "gateway"], name="gateway_customer_unique_customer"),
            models.UniqueConstraint(fields=["gateway", "external_id"], name="gateway_customer_unique_external_id"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.external_id}"


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    REMOVED = "removed", _("Removed")


class PaymentMethod(models.Model):
    """A saved card: the gateway's PaymentMethod id, brand, last four digits and expiry. Never the number."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entity"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="payment_methods", verbose_name=_("customer")
    )
    gateway = models.CharField(_("gateway"), max_length=32, default="stripe")
    external_id = models.CharField(_("external id"), max_length=120)
    brand = models.CharField(_("brand"), max_length=32, blank=True)
    last4 = models.CharField(_("last 4 digits"), max_length=4)
    exp_month = models.PositiveSmallIntegerField(_("expiry month"))
    exp_year = models.PositiveSmallIntegerField(_("expiry year"))
    is_default = models.BooleanField(_("default"), default=False)
    status = models.CharField(_("status"), max_length=8, choices=CardStatus.choices, default=CardStatus.ACTIVE)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("saved card")
        verbose_name_plural = _("saved cards")
        ordering = ["-is_default", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "external_id"], name="card_unique_external_id"),
            # Exactly one default per customer: the services keep "at least one" (the first card is the
            # default, removing the default promotes the newest other card); the database holds "at most one".
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_default=True), name="card_one_default_per_customer"
            ),
            models.CheckConstraint(condition=Q(is_default=False) | Q(status="active"), name="card_default_is_active"),
            models.CheckConstraint(condition=Q(status__in=CardStatus.values), name="card_status_valid"),
            models.CheckConstraint(condition=Q(exp_month__gte=1, exp_month__lte=12), name="card_exp_month_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.brand.title()} •••• {self.last4} ({self.exp_month:02d}/{self.exp_year})"

    @property
    def expires_on(self) -> datetime.date:
        """The last day the card can be charged (the end of its expiry month)."""
        return datetime.date(self.exp_year, self.exp_month, calendar.monthrange(self.exp_year, self.exp_month)[1])

    def is_expired(self, today: datetime.date) -> bool:
        return today > self.expires_on


# ---------------------------------------------------------------------------------------------------------------
# Refunds and gateway events
# ---------------------------------------------------------------------------------------------------------------


class Refund(models.Model):
    """Money given back for a card payment (full or partial); several may add up to the amount paid."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entity"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer"))
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment"))
    amount = MoneyField(_("amount"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    gateway = models.CharField(_("gateway"), max_length=32, default="stripe")
    external_id = models.CharField(_("external id"), max_length=120)
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, null=True, blank=True, unique=True)
    transaction = models.ForeignKey(
        "billing.Transaction", on_delete=models.PROTECT, related_name="+", verbose_name=_("ledger line")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(fields=["gateway", "external_id"], name="refund_unique_external_id"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.amount}"


class WebhookEvent(models.Model):
    """A gateway event received; the unique (gateway, event id) makes each one applied once."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entity"))
    gateway = models.CharField(_("gateway"), max_length=32, default="stripe")
    event_id = models.CharField(_("event id"), max_length=120)
    type = models.CharField(_("type"), max_length=80)
    object_id = models.CharField(_("object id"), max_length=120, blank=True)
    outcome = models.CharField(_("outcome"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("gateway event")
        verbose_name_plural = _("gateway events")
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_event_unique_id")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


# ---------------------------------------------------------------------------------------------------------------
# Autopay
# ---------------------------------------------------------------------------------------------------------------


class AutopayEnrollment(models.Model):
    """A customer's choice to have invoices charged to the default card on the due date."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entity"))
    customer = models.OneToOneField(
        Customer, on_delete=models.PROTECT, related_name="autopay", verbose_name=_("customer")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("autopay enrollment")
        verbose_name_plural = _("autopay enrollments")

    def __str__(self) -> str:
        return f"{self.customer_id}: {'on' if self.enabled else 'off'}"


class AutopayOutcome(models.TextChoices):
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    PENDING = "pending", _("Waiting for authentication")
    SKIPPED = "skipped", _("Skipped")


class AutopayAttempt(models.Model):
    """One automatic charge of an invoice: attempt 0 on the due date, then one per retry day. Unique per attempt."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entity"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer"))
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="autopay_attempts", verbose_name=_("invoice")
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    run_date = models.DateField(_("run date"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=AutopayOutcome.choices)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("payment")
    )
    failure_code = models.CharField(_("failure code"), max_length=64, blank=True)
    message = models.CharField(_("message"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("autopay attempt")
        verbose_name_plural = _("autopay attempts")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["invoice", "attempt"], name="autopay_one_run_per_attempt")]

    def __str__(self) -> str:
        return f"{self.invoice_id} #{self.attempt} {self.outcome}"


class CardExpiryReminder(models.Model):
    """The e-mail telling a subscriber on autopay that their card expires before the next due date (once per card)."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entity"))
    card = models.OneToOneField(
        PaymentMethod, on_delete=models.PROTECT, related_name="expiry_reminder", verbose_name=_("card")
    )
    next_due_date = models.DateField(_("next due date"))
    sent_to = models.CharField(_("sent to"), max_length=254)
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("card expiry reminder")
        verbose_name_plural = _("card expiry reminders")

    def __str__(self) -> str:
        return f"{self.card} → {self.sent_to}"
