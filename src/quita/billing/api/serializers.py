"""Serializers of the ledger: transactions, invoices, previews and statistics. Amounts are strings ("95.00")."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from quita.billing.models import CreditType, Invoice, InvoiceStatus, Transaction, TransactionKind
from quita.core.api import CodedChoiceField, DateField, MoneyField, ScopedPrimaryKeyRelatedField
from quita.core.selectors import entity_today
from quita.customers.api.serializers import CategoryField
from quita.customers.models import Customer, Service

# ---------------------------------------------------------------------------------------------------------------
# Transactions
# ---------------------------------------------------------------------------------------------------------------


class TransactionSerializer(serializers.ModelSerializer):
    """A ledger line as read back: `amount` is signed (credits and payments negative).

    `invoice` is the invoice that billed the line (null while unbilled); `paid_invoice` the invoice a
    payment settles; `billed` is true for either.
    """

    amount = MoneyField(read_only=True, help_text=_("Signed: charges, fees and refunds positive; the rest negative."))
    category = CategoryField(read_only=True, allow_null=True)
    billed = serializers.BooleanField(source="is_billed", read_only=True)
    void = serializers.BooleanField(source="is_void", read_only=True)

    class Meta:
        model = Transaction
        fields = [
            "id",
            "entity",
            "customer",
            "kind",
            "credit_type",
            "title",
            "description",
            "amount",
            "date",
            "service",
            "category",
            "period_start",
            "period_end",
            "source",
            "invoice",
            "paid_invoice",
            "billed",
            "void",
            "void_reason",
            "voided_at",
            "voided_by",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class TransactionCreateSerializer(serializers.Serializer):
    """Input of `transaction_create`: a charge or a credit added by hand. `amount` is positive; the kind signs it."""

    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.all())
    kind = CodedChoiceField(
        choices=[TransactionKind.CHARGE, TransactionKind.CREDIT],
        invalid_code="invalid_kind",
        help_text=_("charge or credit"),
    )
    credit_type = CodedChoiceField(
        choices=CreditType.choices, invalid_code="invalid_credit_type", required=False, allow_blank=True
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    amount = MoneyField(sign="positive")
    date = DateField()
    service = ScopedPrimaryKeyRelatedField(
        queryset=Service.objects.select_related("contract"),
        entity_path="contract__entity",
        required=False,
        allow_null=True,
    )


class ReasonSerializer(serializers.Serializer):
    """Why a transaction or an invoice is voided."""

    reason = serializers.CharField(allow_blank=True, trim_whitespace=True)


# ---------------------------------------------------------------------------------------------------------------
# Invoices
# ---------------------------------------------------------------------------------------------------------------


class InvoiceSerializer(serializers.ModelSerializer):
    """An invoice with its lines. `balance` is what is still open; `overdue` is unpaid past the due date."""

    total = MoneyField(read_only=True)
    amount_paid = MoneyField(read_only=True)
    balance = MoneyField(read_only=True, help_text=_("Open balance: total minus payments (0 when paid or void)."))
    overdue = serializers.SerializerMethodField(help_text=_("Unpaid and past the due date (entity's time zone)."))
    category = CategoryField(read_only=True, allow_null=True)
    lines = TransactionSerializer(source="transactions", many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "entity",
            "customer",
            "number",
            "status",
            "total",
            "amount_paid",
            "balance",
            "overdue",
            "issue_date",
            "due_date",
            "period_start",
            "period_end",
            "category",
            "paid_at",
            "payment_method",
            "payment_reference",
            "void_reason",
            "voided_at",
            "voided_by",
            "billing_run",
            "created_by",
            "created_at",
            "lines",
        ]
        read_only_fields = fields

    def get_overdue(self, invoice: Invoice) -> bool:
        if invoice.status != InvoiceStatus.UNPAID:
            return False
        # One "today" per entity and request: a page of invoices asks each time zone once.
        today = self.context.setdefault("_entity_today", {})
        if invoice.entity_id not in today:
            today[invoice.entity_id] = entity_today(invoice.entity)
        return invoice.due_date < today[invoice.entity_id]


class InvoiceRequestSerializer(serializers.Serializer):
    """Input of "Generate proforma invoice" and of its preview."""

    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.select_related("entity"))
    start = DateField()
    end = DateField()
    due_date = DateField()
    category = CategoryField(required=False, allow_null=True, help_text=_("Only lines of this category (code or id)."))


class InvoicePreviewSerializer(serializers.Serializer):
    """What an invoice would bill now (nothing is written)."""

    customer = serializers.IntegerField(source="customer.pk")
    start = serializers.DateField()
    end = serializers.DateField()
    issue_date = serializers.DateField()
    due_date = serializers.DateField()
    category = CategoryField(allow_null=True)
    total = MoneyField()
    transactions = TransactionSerializer(many=True)


# ---------------------------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------------------------


class FigureSerializer(serializers.Serializer):
    """One statistic: an amount and how many rows it adds up."""

    amount = serializers.CharField(help_text=_('Amount as a string, e.g. "95.00".'))
    count = serializers.IntegerField()


class TransactionStatisticsSerializer(serializers.Serializer):
    """Total, Unbilled, This month, Last month of non-void transactions."""

    total = FigureSerializer()
    unbilled = FigureSerializer()
    this_month = FigureSerializer()
    last_month = FigureSerializer()


class InvoiceStatisticsSerializer(serializers.Serializer):
    """Total, Unpaid (open balance), This month, Last month (by issue date) of non-void invoices."""

    total = FigureSerializer()
    unpaid = FigureSerializer()
    this_month = FigureSerializer()
    last_month = FigureSerializer()


class BillingSummarySerializer(serializers.Serializer):
    """A customer's billing tab: the four transaction and the four invoice statistics, and the ledger balance."""

    transactions = TransactionStatisticsSerializer()
    invoices = InvoiceStatisticsSerializer()
    balance = serializers.CharField(help_text=_("Sum of the customer's non-void transactions."))
