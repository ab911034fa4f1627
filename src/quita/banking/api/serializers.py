"""Shapes of the banking API: wallets, boletos, PIX charges, remittances, return files and needs-attention items."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from quita.banking.banks import BANK_CHOICES
from quita.banking.models import (
    AttentionItem,
    Boleto,
    CnabLayout,
    PixCharge,
    RegistrationMode,
    Remittance,
    ReturnFile,
    ReturnRecord,
    Wallet,
    WalletKind,
)
from quita.billing.models import Invoice
from quita.core.api import CodedChoiceField, DefaultEntityMixin, MoneyField, ScopedPrimaryKeyRelatedField
from quita.core.models import Entity
from quita.customers.models import Customer

PERCENT = {"max_digits": 5, "decimal_places": 2, "coerce_to_string": True}


class WalletSerializer(serializers.ModelSerializer):
    """A carteira de cobrança (kind "bank") or a bank chooser (kind "invoice")."""

    class Meta:
        model = Wallet
        fields = [
            "id",
            "entity",
            "name",
            "kind",
            "bank",
            "agency",
            "agency_digit",
            "account",
            "account_digit",
            "wallet_code",
            "variation",
            "beneficiary_code",
            "beneficiary_digit",
            "station",
            "next_our_number",
            "next_remittance_number",
            "fine_percent",
            "interest_percent_month",
            "discount_percent",
            "discount_days",
            "instructions",
            "pix_key",
            "pix_api_url",
            "pix_token_url",
            "pix_client_id",
            "pix_client_secret_env",
            "cnab_layout",
            "registration",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class WalletWriteSerializer(DefaultEntityMixin, serializers.Serializer):
    """Input of `wallet_create` / `wallet_update`. Fine is capped at 2% and interest at 1% a month."""

    entity = ScopedPrimaryKeyRelatedField(queryset=Entity.objects.all(), entity_path="pk", required=False)
    name = serializers.CharField(max_length=80)
    kind = CodedChoiceField(choices=WalletKind.choices, invalid_code="wallet_kind_invalid", required=False)
    bank = CodedChoiceField(choices=BANK_CHOICES, invalid_code="wallet_bank_invalid", required=False, allow_blank=True)
    agency = serializers.CharField(max_length=5, required=False, allow_blank=True)
    agency_digit = serializers.CharField(max_length=1, required=False, allow_blank=True)
    account = serializers.CharField(max_length=12, required=False, allow_blank=True)
    account_digit = serializers.CharField(max_length=1, required=False, allow_blank=True)
    wallet_code = serializers.CharField(max_length=5, required=False, allow_blank=True)
    variation = serializers.CharField(max_length=3, required=False, allow_blank=True)
    beneficiary_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    beneficiary_digit = serializers.CharField(max_length=1, required=False, allow_blank=True)
    station = serializers.CharField(max_length=2, required=False, allow_blank=True)
    next_our_number = serializers.IntegerField(min_value=1, required=False)
    fine_percent = serializers.CharField(required=False, help_text=_("At most 2.00."))
    interest_percent_month = serializers.CharField(required=False, help_text=_("At most 1.00 (% a month)."))
    discount_percent = serializers.CharField(required=False)
    discount_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    instructions = serializers.CharField(required=False, allow_blank=True)
    pix_key = serializers.CharField(max_length=77, required=False, allow_blank=True)
    pix_api_url = serializers.URLField(required=False, allow_blank=True)
    pix_token_url = serializers.URLField(required=False, allow_blank=True)
    pix_client_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    # The name of the environment variable holding the PSP's client secret; the secret itself is never accepted.
    pix_client_secret_env = serializers.CharField(max_length=100, required=False, allow_blank=True)
    cnab_layout = CodedChoiceField(
        choices=CnabLayout.choices, invalid_code="wallet_layout_invalid", required=False, allow_null=True
    )
    registration = CodedChoiceField(
        choices=RegistrationMode.choices, invalid_code="wallet_registration_invalid", required=False
    )
    is_active = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if "pix_client_secret" in getattr(self, "initial_data", {}):
            raise serializers.ValidationError(
                {
                    "pix_client_secret": [
                        _(
                            "Secrets are not stored. Put the client secret in an environment variable of the server "
                            "and send its name as pix_client_secret_env."
                        )
                    ]
                },
                code="wallet_secret_not_stored",
            )
        return super().validate(attrs)


class WalletUpdateSerializer(WalletWriteSerializer):
    """Input of `wallet_update`: a wallet never changes entity."""

    entity = None
    name = serializers.CharField(max_length=80, required=False)


class BoletoSerializer(serializers.ModelSerializer):
    """A boleto: nosso número, barcode, linha digitável and the bank's status."""

    amount = MoneyField(read_only=True)
    bank = serializers.CharField(source="wallet.bank", read_only=True)
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    payable_at = serializers.SerializerMethodField()

    class Meta:
        model = Boleto
        fields = [
            "id",
            "entity",
            "wallet",
            "bank",
            "invoice",
            "invoice_number",
            "customer",
            "our_number",
            "our_number_display",
            "amount",
            "due_date",
            "barcode",
            "digitable_line",
            "status",
            "pending_action",
            "payable_at",
            "registered_at",
            "paid_at",
            "cancelled_at",
            "rejection_code",
            "rejection_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_payable_at(self, boleto) -> str | None:
        from quita.banking.services import boleto_payable_at

        moment = boleto_payable_at(boleto)
        return moment.isoformat() if moment else None


class BoletoCreateSerializer(serializers.Serializer):
    """Input of `boleto_issue`: an unpaid invoice and a bank wallet of the same entity."""

    invoice = ScopedPrimaryKeyRelatedField(queryset=Invoice.objects.all())
    wallet = ScopedPrimaryKeyRelatedField(queryset=Wallet.objects.all())


class PixChargeSerializer(serializers.ModelSerializer):
    """A PIX charge: its txid and copia-e-cola payload."""

    amount = MoneyField(read_only=True)

    class Meta:
        model = PixCharge
        fields = [
            "id",
            "entity",
            "wallet",
            "invoice",
            "kind",
            "txid",
            "amount",
            "due_date",
            "payload",
            "location",
            "provider",
            "status",
            "created_at",
        ]
        read_only_fields = fields


class PixChargeCreateSerializer(serializers.Serializer):
    """Input of `pix_charge_create`: a static BR Code from the wallet's key (the PSP's cobv when configured)."""

    invoice = ScopedPrimaryKeyRelatedField(queryset=Invoice.objects.all())
    wallet = ScopedPrimaryKeyRelatedField(queryset=Wallet.objects.all())


class RemittanceSerializer(serializers.ModelSerializer):
    """A remittance file written for a wallet."""

    total_amount = MoneyField(read_only=True)

    class Meta:
        model = Remittance
        fields = [
            "id",
            "entity",
            "wallet",
            "number",
            "layout",
            "filename",
            "record_count",
            "total_amount",
            "created_at",
        ]
        read_only_fields = fields


class RemittanceCreateSerializer(serializers.Serializer):
    """Input of `remittance_create`."""

    wallet = ScopedPrimaryKeyRelatedField(queryset=Wallet.objects.all())


class ReturnRecordSerializer(serializers.ModelSerializer):
    """One applied record of a return file, with the money kept apart (fee, interest, discount)."""

    face_value = MoneyField(read_only=True)
    paid_amount = MoneyField(read_only=True)
    fee = MoneyField(read_only=True)
    interest = MoneyField(read_only=True)
    discount = MoneyField(read_only=True)
    credit_amount = MoneyField(read_only=True)

    class Meta:
        model = ReturnRecord
        fields = [
            "id",
            "line_number",
            "boleto",
            "our_number",
            "occurrence_code",
            "occurrence",
            "occurrence_date",
            "reason_codes",
            "face_value",
            "paid_amount",
            "fee",
            "interest",
            "discount",
            "credit_amount",
            "payment_date",
            "credit_date",
            "outcome",
            "payment",
        ]
        read_only_fields = fields


class ReturnFileSerializer(serializers.ModelSerializer):
    """An imported return file: counts, and the lines refused with their reason."""

    class Meta:
        model = ReturnFile
        fields = [
            "id",
            "entity",
            "wallet",
            "bank",
            "layout",
            "filename",
            "sha256",
            "record_count",
            "applied_count",
            "attention_count",
            "errors",
            "created_at",
        ]
        read_only_fields = fields


class ReturnFileUploadSerializer(DefaultEntityMixin, serializers.Serializer):
    """Multipart upload of a return file (`file`), for one of the user's entities."""

    entity = ScopedPrimaryKeyRelatedField(queryset=Entity.objects.all(), entity_path="pk", required=False)
    file = serializers.FileField()


class AttentionItemSerializer(serializers.ModelSerializer):
    """Money or a bank event that needs a person."""

    amount = MoneyField(read_only=True)

    class Meta:
        model = AttentionItem
        fields = [
            "id",
            "entity",
            "reason",
            "detail",
            "amount",
            "return_record",
            "pix_receipt",
            "resolved_at",
            "resolved_by",
            "resolution",
            "payment",
            "credit",
            "created_at",
        ]
        read_only_fields = fields


class ResolveSerializer(serializers.Serializer):
    """How the item was dealt with."""

    resolution = serializers.CharField(max_length=255)


class CancelSerializer(serializers.Serializer):
    """Input of `boleto_cancel`: why the boleto is cancelled (the service refuses a blank or too long reason)."""

    reason = serializers.CharField(allow_blank=True, trim_whitespace=True)
    notify = serializers.BooleanField(
        default=True,
        help_text="E-mail the subscriber that the boleto was cancelled and must not be paid, with the invoice's pay "
        "link (not for a customer without e-mail, nor for a paid or void invoice; once per boleto).",
    )


class AttentionApplySerializer(serializers.Serializer):
    """Input of `attention_apply`: the open invoice that takes the item's money."""

    invoice = ScopedPrimaryKeyRelatedField(queryset=Invoice.objects.all())


class AttentionCreditSerializer(serializers.Serializer):
    """Input of `attention_credit`: the customer whose account keeps the item's money."""

    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.all())


class DueDateSerializer(serializers.Serializer):
    """Input of `boleto_change_due_date`."""

    due_date = serializers.DateField()
