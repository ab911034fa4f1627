"""Serializers of payments and of the manual pay actions (cash, POS, bank transfer)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from quita.billing.api.serializers import InvoiceSerializer
from quita.billing.models import Invoice
from quita.core.api import CodedChoiceField, DateField, MoneyField, ScopedPrimaryKeyRelatedField
from quita.core.selectors import entity_today
from quita.payments.models import (
    MANUAL_METHODS,
    AutopayAttempt,
    AutopayEnrollment,
    Payment,
    PaymentMethod,
    PaymentMethodKind,
    Refund,
)


class PaymentSerializer(serializers.ModelSerializer):
    """Money received for an invoice; the part applied to it is a payment transaction on the ledger."""

    amount = MoneyField(read_only=True)
    refunded_amount = MoneyField(read_only=True)

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
            "decline_code",
            "failure_message",
            "card",
            "refunded_amount",
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


class ManualPaySerializer(serializers.Serializer):
    """Input of `invoice_pay`: `amount` defaults to the open balance; more than it leaves a credit."""

    method = _method_field()
    amount = MoneyField(sign="positive", required=False, allow_null=True)
    reference = serializers.CharField(max_length=120, required=False, allow_blank=True)
    received_on = DateField(required=False, allow_null=True, help_text=_("Default: today in the entity's zone."))


PAY_METHOD_CHOICES = [*MANUAL_METHOD_CHOICES, (PaymentMethodKind.CARD.value, PaymentMethodKind.CARD.label)]


class InvoicePaySerializer(ManualPaySerializer):
    """Input of `POST /api/invoices/{id}/pay/`: a manual payment, or `{"method": "card", "payment_method": id}`.

    By card, the open balance is charged to the saved card `payment_method` (default: the customer's default
    card); `amount`, `reference` and `received_on` are for manual payments only.
    """

    method = CodedChoiceField(
        choices=PAY_METHOD_CHOICES,
        invalid_code="invalid_payment_method",
        help_text=_("cash, pos, bank_transfer or card"),
    )
    payment_method = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("Card: the saved card's id (default: the default card).")
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["method"] == PaymentMethodKind.CARD:
            extra = [name for name in ("amount", "reference", "received_on") if attrs.get(name) not in (None, "")]
            if extra:
                raise serializers.ValidationError(
                    {
                        extra[0]: [
                            serializers.ErrorDetail(
                                str(_("A card payment charges the open balance; leave this out.")),
                                code="card_pays_open_balance",
                            )
                        ]
                    }
                )
        elif attrs.get("payment_method") is not None:
            raise serializers.ValidationError(
                {
                    "payment_method": [
                        serializers.ErrorDetail(str(_("Only for card payments.")), code="payment_method_not_card")
                    ]
                }
            )
        return attrs


class InvoicesPaySerializer(ManualPaySerializer):
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


class CardSerializer(serializers.ModelSerializer):
    """A saved card: brand, last four digits, expiry, default flag. Never the number."""

    expired = serializers.SerializerMethodField()
    expires_on = serializers.DateField(read_only=True)

    class Meta:
        model = PaymentMethod
        fields = [
            "id",
            "entity",
            "customer",
            "gateway",
            "external_id",
            "brand",
            "last4",
            "exp_month",
            "exp_year",
            "expires_on",
            "expired",
            "is_default",
            "status",
            "created_at",
            "removed_at",
        ]
        read_only_fields = fields

    def get_expired(self, card) -> bool:
        today = self.context.get("today")
        return card.is_expired(today or entity_today(card.entity))


class CardSetupSerializer(serializers.Serializer):
    """What Stripe.js needs to show the card form: the SetupIntent's client secret and the publishable key."""

    setup_intent = serializers.CharField()
    client_secret = serializers.CharField()
    publishable_key = serializers.CharField(allow_blank=True)
    customer = serializers.IntegerField()


class CardSaveSerializer(serializers.Serializer):
    """Input of `card_save`: the SetupIntent Stripe.js confirmed (or a PaymentMethod id)."""

    setup_intent = serializers.CharField(max_length=120, required=False, allow_blank=True)
    payment_method = serializers.CharField(max_length=120, required=False, allow_blank=True)
    make_default = serializers.BooleanField(required=False, default=False)
    replace_default = serializers.BooleanField(
        required=False, default=False, help_text=_("Make it the default and remove the previous default card.")
    )


class CardDefaultSerializer(serializers.Serializer):
    replace_default = serializers.BooleanField(
        required=False, default=False, help_text=_("Also remove the previous default card.")
    )


class RefundSerializer(serializers.ModelSerializer):
    """Money given back for a card payment; its ledger line is `transaction`."""

    amount = MoneyField(read_only=True)

    class Meta:
        model = Refund
        fields = [
            "id",
            "entity",
            "customer",
            "payment",
            "amount",
            "reason",
            "gateway",
            "external_id",
            "transaction",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class RefundRequestSerializer(serializers.Serializer):
    """Input of `payment_refund`: `amount` defaults to what is left to refund."""

    amount = MoneyField(sign="positive", required=False, allow_null=True)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True)


class RefundResultSerializer(serializers.Serializer):
    refund = RefundSerializer()
    payment = PaymentSerializer()
    invoice = InvoiceSerializer()


class AutopaySerializer(serializers.ModelSerializer):
    class Meta:
        model = AutopayEnrollment
        fields = ["customer", "enabled", "changed_at"]
        read_only_fields = ["customer", "changed_at"]


class AutopayAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = AutopayAttempt
        fields = [
            "id",
            "entity",
            "customer",
            "invoice",
            "attempt",
            "run_date",
            "outcome",
            "payment",
            "failure_code",
            "message",
            "created_at",
        ]
        read_only_fields = fields
