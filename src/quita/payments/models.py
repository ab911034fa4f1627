"""Payments received against invoices (manual now; card, boleto and PIX adapters add their own methods)."""

from __future__ import annotations

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

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entity"))
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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
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
        ]
        indexes = [models.Index(fields=["entity", "reference"], name="payment_reference_idx")]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount} → {self.invoice}"
