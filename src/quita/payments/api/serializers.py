"""Serializers of payments and of the manual pay actions (cash, POS, bank transfer)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from quita.billing.api.serializers import InvoiceSerializer
from quita.billing.models import Invoice
from quita.core.api import CodedChoiceField, DateField, MoneyField, ScopedPrimaryKeyRelatedField
from quita.payments.models import MANUAL_METHODS, Payment


class PaymentSerializer(serializers.ModelSerializer):
    """Money received for an invoice; the part applied to it is a payment transaction on the ledger."""

    amount = MoneyField(read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "entity",
            "customer",
            "invoice",
            "amount",
            "method",
            "reference",
            "status",
            "gateway",
            "external_id",
            "failure_code",
            "failure_message",
            "received_on",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


MANUAL_METHOD_CHOICES = [(method.value, method.label) for method in MANUAL_METHODS]


def _method_field():
    return CodedChoiceField(
        choices=MANUAL_METHOD_CHOICES,
        invalid_code="invalid_payment_method",
        help_text=_("cash, pos or bank_transfer"),
    )


class InvoicePaySerializer(serializers.Serializer):
    """Input of `invoice_pay`: `amount` defaults to the open balance; more than it leaves a credit."""

    method = _method_field()
    amount = MoneyField(sign="positive", required=False, allow_null=True)
    reference = serializers.CharField(max_length=120, required=False, allow_blank=True)
    received_on = DateField(required=False, allow_null=True, help_text=_("Default: today in the entity's zone."))


class InvoicesPaySerializer(InvoicePaySerializer):
    """Input of `invoices_pay`: one receipt for several invoices of one customer, oldest due date first."""

    invoices = ScopedPrimaryKeyRelatedField(queryset=Invoice.objects.all(), many=True)


class PayResultSerializer(serializers.Serializer):
    """The payment recorded and the invoice after it."""

    payment = PaymentSerializer()
    invoice = InvoiceSerializer()


class PayManyResultSerializer(serializers.Serializer):
    """The payments recorded (one per invoice paid) and the invoices after them."""

    payments = PaymentSerializer(many=True)
    invoices = InvoiceSerializer(many=True)
