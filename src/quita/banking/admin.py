"""Admin for banking: wallets through their services; boletos, PIX, remittances and return files read-only."""

from __future__ import annotations

from django.contrib import admin

from quita.banking import services
from quita.banking.models import (
    AttentionItem,
    Boleto,
    PixCharge,
    PixReceipt,
    Remittance,
    RemittanceItem,
    ReturnFile,
    ReturnRecord,
    Wallet,
)
from quita.core.admin import ReadOnlyAdmin, ServiceBackedAdmin

WALLET_FORM_FIELDS = tuple(name for name in services.WALLET_FIELDS)


@admin.register(Wallet)
class WalletAdmin(ServiceBackedAdmin):
    """Wallets (carteiras). Saved through `wallet_create` / `wallet_update`: caps and bank data checked, logged."""

    list_display = (
        "name",
        "entity",
        "kind",
        "bank",
        "agency",
        "account",
        "cnab_layout",
        "next_our_number",
        "is_active",
    )
    list_filter = ("entity", "kind", "bank", "is_active")
    search_fields = ("name", "beneficiary_code", "account")
    fieldsets = (
        (None, {"fields": ("entity", "name", "kind", "is_active")}),
        (
            "Bank",
            {
                "fields": (
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
                )
            },
        ),
        (
            "Charges",
            {"fields": ("fine_percent", "interest_percent_month", "discount_percent", "discount_days", "instructions")},
        ),
        ("PIX and CNAB", {"fields": ("pix_key", "cnab_layout", "registration")}),
        (
            "API Pix (PSP)",
            {"fields": ("pix_api_url", "pix_token_url", "pix_client_id", "pix_client_secret_env")},
        ),
    )
    fixed_after_create = ("entity",)

    def call_service(self, request, instance, data, change):
        """wallet_create or wallet_update with the form's fields."""
        fields = {name: data[name] for name in WALLET_FORM_FIELDS if name in data}
        if change:
            return services.wallet_update(wallet=instance, actor=request.user, **fields)
        return services.wallet_create(entity=data["entity"], actor=request.user, **fields)


@admin.register(Boleto)
class BoletoAdmin(ReadOnlyAdmin):
    """Boletos issued: nosso número, barcode, linha digitável and the bank's status."""

    list_display = (
        "our_number_display",
        "wallet",
        "invoice",
        "customer",
        "amount",
        "due_date",
        "status",
        "pending_action",
        "rejection_code",
    )
    list_filter = ("status", "wallet__bank", "entity")
    search_fields = ("our_number_display", "barcode", "invoice__number", "customer__name")
    list_select_related = ("wallet", "invoice", "customer")
    show_full_result_count = False


@admin.register(PixCharge)
class PixChargeAdmin(ReadOnlyAdmin):
    """PIX charges (static BR Codes and cobv)."""

    list_display = ("txid", "invoice", "kind", "amount", "status", "revision_pending", "provider", "created_at")
    list_filter = ("kind", "status", "revision_pending", "entity")
    search_fields = ("txid", "invoice__number")


@admin.register(PixReceipt)
class PixReceiptAdmin(ReadOnlyAdmin):
    """PIX received, one per end-to-end id."""

    list_display = ("end_to_end_id", "txid", "amount", "paid_at", "payment")
    search_fields = ("end_to_end_id", "txid")


@admin.register(Remittance)
class RemittanceAdmin(ReadOnlyAdmin):
    """Remittance files written."""

    list_display = ("filename", "wallet", "number", "layout", "record_count", "total_amount", "created_at")
    list_filter = ("wallet", "entity")


@admin.register(RemittanceItem)
class RemittanceItemAdmin(ReadOnlyAdmin):
    """One boleto's instruction in a remittance."""

    entity_field = "remittance__entity"
    list_display = ("remittance", "boleto", "action")
    list_filter = ("action",)


@admin.register(ReturnRecord)
class ReturnRecordAdmin(ReadOnlyAdmin):
    """Return records as applied: money kept apart (fee, interest, discount), dates, outcome."""

    entity_field = "return_file__entity"
    list_display = (
        "return_file",
        "line_number",
        "our_number",
        "occurrence",
        "paid_amount",
        "interest",
        "discount",
        "fee",
        "payment_date",
        "credit_date",
        "outcome",
    )
    list_filter = ("occurrence", "outcome")
    search_fields = ("our_number",)


class ReturnRecordInline(admin.TabularInline):
    model = ReturnRecord
    fields = (
        "line_number",
        "our_number",
        "occurrence_code",
        "occurrence",
        "face_value",
        "paid_amount",
        "interest",
        "discount",
        "fee",
        "payment_date",
        "credit_date",
        "outcome",
        "payment",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0
    show_change_link = False


@admin.register(ReturnFile)
class ReturnFileAdmin(ReadOnlyAdmin):
    """Return files imported, with their records as applied."""

    list_display = ("filename", "bank", "layout", "record_count", "applied_count", "attention_count", "created_at")
    list_filter = ("bank", "layout", "entity")
    search_fields = ("filename", "sha256")
    exclude = ("content",)
    inlines = (ReturnRecordInline,)


@admin.register(AttentionItem)
class AttentionItemAdmin(ReadOnlyAdmin):
    """Needs attention: money kept but not applied by itself (resolve through the API or the staff UI)."""

    list_display = ("created_at", "reason", "detail", "amount", "resolved_at", "resolution")
    list_filter = ("reason", "entity")
    search_fields = ("detail",)
