"""Admin for the ledger: transactions, invoices and billing runs, all read-only (services write them)."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from quita.billing.models import BillingRun, Invoice, InvoiceStatus, InvoiceSummary, Transaction, TransactionSummary
from quita.core.admin import ReadOnlyAdmin


class BilledFilter(admin.SimpleListFilter):
    """Billed (on an invoice, or settling one) or unbilled lines."""

    title = _("billed")
    parameter_name = "billed"

    def lookups(self, request, model_admin):
        """The two choices."""
        return (("yes", _("Billed")), ("no", _("Unbilled")))

    def queryset(self, request, queryset):
        """Filter on the invoice links."""
        if self.value() == "yes":
            return queryset.exclude(invoice__isnull=True, paid_invoice__isnull=True)
        if self.value() == "no":
            return queryset.filter(invoice__isnull=True, paid_invoice__isnull=True)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    """Unpaid invoices past their due date (today in the server's time zone)."""

    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        """The two choices."""
        return (("yes", _("Overdue")), ("no", _("Not overdue")))

    def queryset(self, request, queryset):
        """Filter on status and due date."""
        overdue = {"status": InvoiceStatus.UNPAID, "due_date__lt": timezone.localdate()}
        if self.value() == "yes":
            return queryset.filter(**overdue)
        if self.value() == "no":
            return queryset.exclude(**overdue)
        return queryset


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    """Ledger lines: charges, credits, payments. Read-only; void them through the API or the staff UI."""

    list_display = (
        "id",
        "date",
        "customer",
        "kind",
        "title",
        "amount",
        "invoice",
        "paid_invoice",
        "is_void",
        "source",
    )
    list_filter = ("kind", "source", "is_void", BilledFilter, "credit_type", "category", "entity")
    search_fields = ("=id", "title", "customer__name", "customer__document", "invoice__number")
    list_select_related = ("customer", "invoice", "paid_invoice")
    date_hierarchy = "date"
    show_full_result_count = False


class InvoiceLineInline(admin.TabularInline):
    """The transactions an invoice billed."""

    model = Transaction
    fk_name = "invoice"
    verbose_name = _("invoice line")
    verbose_name_plural = _("invoice lines")
    fields = ("date", "kind", "title", "description", "amount", "period_start", "period_end")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        """Read-only."""
        return False

    def has_change_permission(self, request, obj=None):
        """Read-only."""
        return False


class InvoicePaymentLineInline(InvoiceLineInline):
    """The payment transactions that settle an invoice."""

    fk_name = "paid_invoice"
    verbose_name = _("payment line")
    verbose_name_plural = _("payment lines")
    fields = ("date", "kind", "title", "description", "amount")
    readonly_fields = fields


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    """Invoices. Read-only: an issued invoice never changes; void or pay it through the API or the staff UI."""

    list_display = (
        "number",
        "customer",
        "issue_date",
        "due_date",
        "total",
        "amount_paid",
        "open_balance",
        "status",
        "is_overdue",
        "entity",
    )
    list_filter = ("status", OverdueFilter, "entity", "category", "issue_date")
    search_fields = ("number", "customer__name", "customer__document", "payment_reference")
    list_select_related = ("customer", "entity")
    date_hierarchy = "issue_date"
    show_full_result_count = False
    inlines = (InvoiceLineInline, InvoicePaymentLineInline)

    @admin.display(description=_("open balance"))
    def open_balance(self, obj: Invoice):
        """What is still to be paid."""
        return obj.balance

    @admin.display(description=_("overdue"), boolean=True)
    def is_overdue(self, obj: Invoice) -> bool:
        """Unpaid and past its due date."""
        return obj.status == InvoiceStatus.UNPAID and obj.due_date < timezone.localdate()


@admin.register(BillingRun)
class BillingRunAdmin(ReadOnlyAdmin):
    """What each billing run did: counts, totals, errors, duration."""

    list_display = (
        "run_date",
        "entity",
        "kind",
        "status",
        "charges_created",
        "charges_total",
        "invoices_created",
        "invoices_total",
        "duration_seconds",
        "started_at",
    )
    list_filter = ("kind", "status", "entity")
    search_fields = ("=run_date",)
    list_select_related = ("entity",)
    date_hierarchy = "run_date"


@admin.register(TransactionSummary)
class TransactionSummaryAdmin(ReadOnlyAdmin):
    """The per-month transaction summaries the database triggers keep (decision 0008): to look at, never to edit."""

    list_display = ("entity_id", "month", "slot", "count", "cents", "unbilled_count", "unbilled_cents")
    list_filter = ("month",)


@admin.register(InvoiceSummary)
class InvoiceSummaryAdmin(ReadOnlyAdmin):
    """The per-month invoice summaries the database triggers keep (decision 0008): to look at, never to edit."""

    list_display = ("entity_id", "month", "slot", "count", "cents", "unpaid_count", "unpaid_cents")
    list_filter = ("month",)
