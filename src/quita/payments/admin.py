"""Admin for payments: read-only (payments are recorded through the services, with their ledger lines)."""

from __future__ import annotations

from django.contrib import admin

from quita.core.admin import EntityScopedAdmin, ReadOnlyAdmin
from quita.payments.models import (
    AutopayAttempt,
    AutopayEnrollment,
    CardExpiryReminder,
    GatewayCustomer,
    Payment,
    PaymentMethod,
    PaymentSettings,
    Refund,
    WebhookEvent,
)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Money received for invoices: method, reference, gateway and status."""

    list_display = ("received_on", "invoice", "customer", "amount", "method", "reference", "status", "gateway")
    list_filter = ("method", "status", "gateway", "entity")
    search_fields = ("reference", "invoice__number", "customer__name", "customer__document", "external_id")
    list_select_related = ("invoice", "customer")
    date_hierarchy = "received_on"
    show_full_result_count = False


@admin.register(PaymentSettings)
class PaymentSettingsAdmin(EntityScopedAdmin):
    """An entity's card settings. Keys are not stored here: only the names of the environment variables."""

    list_display = ("entity", "stripe_enabled", "stripe_mode", "stripe_secret_key_env", "autopay_retry_days")
    list_filter = ("stripe_enabled", "stripe_mode")


@admin.register(PaymentMethod)
class CardAdmin(ReadOnlyAdmin):
    """Saved cards: brand, last 4 and expiry (never the number). Managed through the services."""

    list_display = ("customer", "brand", "last4", "exp_month", "exp_year", "is_default", "status", "created_at")
    list_filter = ("status", "is_default", "brand", "entity")
    search_fields = ("customer__name", "customer__document", "external_id", "last4")
    list_select_related = ("customer",)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "payment", "customer", "amount", "external_id")
    list_filter = ("entity",)
    search_fields = ("external_id", "payment__reference", "customer__name")
    list_select_related = ("payment", "customer")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "event_id", "type", "object_id", "outcome")
    list_filter = ("type", "entity")
    search_fields = ("event_id", "object_id")


@admin.register(AutopayAttempt)
class AutopayAttemptAdmin(ReadOnlyAdmin):
    list_display = ("run_date", "invoice", "customer", "attempt", "outcome", "failure_code")
    list_filter = ("outcome", "entity")
    search_fields = ("invoice__number", "customer__name")
    list_select_related = ("invoice", "customer")


@admin.register(AutopayEnrollment)
class AutopayEnrollmentAdmin(ReadOnlyAdmin):
    list_display = ("customer", "enabled", "changed_at")
    list_filter = ("enabled", "entity")
    search_fields = ("customer__name",)


@admin.register(GatewayCustomer)
class GatewayCustomerAdmin(ReadOnlyAdmin):
    list_display = ("customer", "gateway", "external_id", "created_at")
    search_fields = ("customer__name", "external_id")


@admin.register(CardExpiryReminder)
class CardExpiryReminderAdmin(ReadOnlyAdmin):
    list_display = ("sent_at", "card", "next_due_date", "sent_to")
    list_filter = ("entity",)
    search_fields = ("sent_to", "card__customer__name")
