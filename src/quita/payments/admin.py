"""Admin for payments: read-only (payments are recorded through the services, with their ledger lines)."""

from __future__ import annotations

from django.contrib import admin

from quita.core.admin import ReadOnlyAdmin
from quita.payments.models import Payment


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Money received for invoices: method, reference, gateway and status."""

    list_display = ("received_on", "invoice", "customer", "amount", "method", "reference", "status", "gateway")
    list_filter = ("method", "status", "gateway", "entity")
    search_fields = ("reference", "invoice__number", "customer__name", "customer__document", "external_id")
    list_select_related = ("invoice", "customer")
    date_hierarchy = "received_on"
    show_full_result_count = False
