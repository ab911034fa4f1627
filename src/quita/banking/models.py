"""Bank billing: wallets (carteiras de cobrança), boletos, PIX charges and receipts, CNAB files and their records."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from quita.banking.banks import BANK_CHOICES
from quita.billing.models import Invoice
from quita.core.models import Entity
from quita.core.money import MoneyField
from quita.customers.models import Customer

# Legal caps for consumer late charges (CDC art. 52 §1; Anatel RGC art. 78 §3): fine 2%, interest 1% a month.
MAX_FINE_PERCENT = Decimal("2.00")
MAX_INTEREST_PERCENT_MONTH = Decimal("1.00")
REGISTRATION_DELAY_MINUTES = 30


class WalletKind(models.TextChoices):
    BANK = "bank", _("Bank wallet")
    INVOICE = "invoice", pgettext_lazy("wallet kind", "Invoice (subscriber chooses the bank)")


class CnabLayout(models.IntegerChoices):
    CNAB240 = 240, "CNAB 240"
    CNAB400 = 400, "CNAB 400"


class RegistrationMode(models.TextChoices):
    RETURN_FILE = "return_file", _("Confirmed by the bank's return file")
    ASSUMED = "assumed", _("Assumed after 30 minutes")


class Wallet(models.Model):
    """A carteira de cobrança: the bank account and agreement boletos are issued under, or a bank chooser."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="wallets", verbose_name=_("entity"))
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=8, choices=WalletKind.choices, default=WalletKind.BANK)
    bank = models.CharField(_("bank"), max_length=3, choices=BANK_CHOICES, blank=True)
    agency = models.CharField(_("agency"), max_length=5, blank=True)
    agency_digit = models.CharField(_("agency check digit"), max_length=1, blank=True)
    account = models.CharField(_("account"), max_length=12, blank=True)
    account_digit = models.CharField(_("account check digit"), max_length=1, blank=True)
    wallet_code = models.CharField(_("carteira"), max_length=5, blank=True)
    variation = models.CharField(_("variation / modality"), max_length=3, blank=True)
    beneficiary_code = models.CharField(_("agreement / beneficiary code"), max_length=20, blank=True)
    beneficiary_digit = models.CharField(_("beneficiary code check digit"), max_length=1, blank=True)
    station = models.CharField(_("station (posto)"), max_length=2, blank=True)
    next_our_number = models.PositiveBigIntegerField(_("next nosso número"), default=1)
    next_remittance_number = models.PositiveIntegerField(_("next remittance number"), default=1)
    fine_percent = models.DecimalField(_("fine (%)"), max_digits=5, decimal_places=2, default=Decimal("0.00"))
    interest_percent_month = models.DecimalField(
        _("interest (% a month)"), max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    discount_percent = models.DecimalField(
        _("early-payment discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    discount_days = models.PositiveSmallIntegerField(_("discount days before due"), default=0)
    instructions = models.TextField(_("instructions"), blank=True)
    pix_key = models.CharField(_("PIX key"), max_length=77, blank=True)
    # A PSP speaking the Central Bank's API Pix, for charges with due date (cobv); blank: static BR Codes only.
    pix_api_url = models.URLField(_("API Pix base URL"), blank=True)
    pix_token_url = models.URLField(_("API Pix token URL"), blank=True)
    pix_client_id = models.CharField(_("API Pix client id"), max_length=200, blank=True)
    # The client secret itself is never stored: only the name of the environment variable that holds it.
    pix_client_secret_env = models.CharField(
        _("environment variable of the API Pix client secret"),
        max_length=100,
        blank=True,
        help_text=_(
            "The name of the environment variable that holds the PSP's client secret; the secret is not stored."
        ),
    )
    cnab_layout = models.PositiveSmallIntegerField(_("CNAB layout"), choices=CnabLayout.choices, null=True, blank=True)
    registration = models.CharField(
        _("registration"), max_length=12, choices=RegistrationMode.choices, default=RegistrationMode.RETURN_FILE
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")
        ordering = ["entity", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=WalletKind.values), name="wallet_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind="invoice") | ~Q(bank=""), name="wallet_bank_required_for_bank_kind"
            ),
            models.CheckConstraint(condition=Q(fine_percent__gte=0, fine_percent__lte=2), name="wallet_fine_cap"),
            models.CheckConstraint(
                condition=Q(interest_percent_month__gte=0, interest_percent_month__lte=1), name="wallet_interest_cap"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lt=100), name="wallet_discount_range"
            ),
            models.UniqueConstraint(fields=["entity", "name"], name="wallet_unique_name"),
        ]

    def __str__(self) -> str:
        if self.kind == WalletKind.INVOICE:
            return self.name
        return f"{self.name} ({self.bank})"


class BoletoStatus(models.TextChoices):
    AWAITING_REGISTRATION = "awaiting", _("Awaiting registration")
    REGISTERED = "registered", _("Registered")
    REJECTED = "rejected", pgettext_lazy("boleto status", "Rejected")
    PAID = "paid", pgettext_lazy("boleto status", "Paid")
    CANCELLED = "cancelled", pgettext_lazy("boleto status", "Cancelled")
    WRITTEN_OFF = "written_off", _("Written off")


OPEN_BOLETO_STATUSES = (BoletoStatus.AWAITING_REGISTRATION, BoletoStatus.REGISTERED)


class RemittanceAction(models.TextChoices):
    NONE = "", _("Nothing to send")
    ENTRY = "entry", _("Entry (new boleto)")
    CHANGE = "change", _("Change of due date")
    AMOUNT = "amount", _("Change of amount (the invoice's balance)")
    CANCEL = "cancel", _("Cancellation (write-off request)")


class Boleto(models.Model):
    """A boleto issued for an invoice from a bank wallet, with its nosso número, barcode and bank status."""

    # No single-column indexes on entity and wallet: boleto_entity_newest_idx and boleto_unique_our_number start with
    # them, and every index is one more write when a return file marks 100,000 boletos paid.
    entity = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("entity")
    )
    wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, related_name="boletos", db_index=False, verbose_name=_("wallet")
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="boletos", verbose_name=_("invoice"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer"))
    our_number = models.PositiveBigIntegerField(_("nosso número (sequence)"))
    our_number_display = models.CharField(_("nosso número"), max_length=40)
    amount = MoneyField(_("amount"))
    due_date = models.DateField(_("due date"))
    barcode = models.CharField(_("barcode"), max_length=44)
    digitable_line = models.CharField(_("linha digitável"), max_length=54)
    status = models.CharField(
        _("status"), max_length=12, choices=BoletoStatus.choices, default=BoletoStatus.AWAITING_REGISTRATION
    )
    pending_action = models.CharField(
        _("to send in the next remittance"), max_length=8, choices=RemittanceAction.choices, blank=True
    )
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    rejection_code = models.CharField(_("rejection code"), max_length=20, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
        db_constraint=False,  # an audit reference (docs/decisions/0006)
        db_index=False,
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("boleto")
        verbose_name_plural = _("boletos")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["wallet", "our_number"], name="boleto_unique_our_number"),
            models.UniqueConstraint(
                fields=["invoice", "wallet"],
                condition=Q(status__in=["awaiting", "registered"]),
                name="boleto_one_open_per_invoice_wallet",
            ),
            models.CheckConstraint(condition=Q(status__in=BoletoStatus.values), name="boleto_status_valid"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="boleto_amount_positive"),
        ]
        indexes = [
            models.Index(
                fields=["wallet", "pending_action"], condition=~Q(pending_action=""), name="boleto_pending_idx"
            ),
            # The staff list, newest first, whole or of one status: a page is a LIMIT over one of these.
            models.Index(fields=["entity", "-created_at", "-id"], name="boleto_entity_newest_idx"),
            models.Index(fields=["entity", "status", "-created_at", "-id"], name="boleto_status_newest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.our_number_display} ({self.wallet.bank})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_BOLETO_STATUSES


class PixChargeKind(models.TextChoices):
    STATIC = "static", _("Static BR Code")
    DUE = "cobv", _("Charge with due date (cobv)")


class PixChargeStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAID = "paid", pgettext_lazy("pix charge status", "Paid")
    REMOVED = "removed", _("Removed")


class PixCharge(models.Model):
    """A PIX charge for an invoice: a static BR Code or a cobv created at a PSP; `txid` identifies it."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entity"))
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="pix_charges", verbose_name=_("wallet"))
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="pix_charges", verbose_name=_("invoice")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=PixChargeKind.choices)
    txid = models.CharField(_("txid"), max_length=35)
    amount = MoneyField(_("amount"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    payload = models.TextField(_("copia e cola"))
    location = models.CharField(_("location"), max_length=255, blank=True)
    provider = models.CharField(_("provider"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=PixChargeStatus.choices, default=PixChargeStatus.ACTIVE
    )
    # A cobv whose `amount` (the invoice's balance) the PSP has not taken yet: `pix_charges_revise` sends it (after
    # the payment's commit, and again from the `pix revise` job until the PSP answers), keeping the last error.
    revision_pending = models.BooleanField(_("revision pending at the PSP"), default=False)
    revision_error = models.CharField(_("last revision error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("PIX charge")
        verbose_name_plural = _("PIX charges")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["entity", "txid"], name="pix_charge_unique_txid")]
        indexes = [models.Index(fields=["entity"], condition=Q(revision_pending=True), name="pix_charge_revision_idx")]

    def __str__(self) -> str:
        return self.txid


class PixReceipt(models.Model):
    """A received PIX reported by the PSP (webhook or query), applied once: unique by its end-to-end id."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entity"))
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=40)
    txid = models.CharField(_("txid"), max_length=35, blank=True)
    charge = models.ForeignKey(
        PixCharge, null=True, blank=True, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("charge")
    )
    amount = MoneyField(_("amount"))
    paid_at = models.DateTimeField(_("paid at"))
    payer = models.CharField(_("payer"), max_length=200, blank=True)
    payment = models.ForeignKey(
        "payments.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("payment")
    )
    raw = models.JSONField(_("as received"), default=dict)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("PIX received")
        verbose_name_plural = _("PIX received")
        ordering = ["-paid_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["end_to_end_id"], name="pix_receipt_unique_e2e")]

    def __str__(self) -> str:
        return self.end_to_end_id


class Remittance(models.Model):
    """A remittance file (remessa) written for a wallet: new boletos, changes and cancellations."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entity"))
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="remittances", verbose_name=_("wallet"))
    number = models.PositiveIntegerField(_("file number"))
    layout = models.PositiveSmallIntegerField(_("layout"), choices=CnabLayout.choices)
    filename = models.CharField(_("file name"), max_length=80)
    content = models.TextField(_("content"))
    record_count = models.PositiveIntegerField(_("records"))
    total_amount = MoneyField(_("total"))
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
        verbose_name = _("remittance")
        verbose_name_plural = _("remittances")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["wallet", "number"], name="remittance_unique_number")]

    def __str__(self) -> str:
        return self.filename


class RemittanceItem(models.Model):
    """One boleto's instruction inside a remittance."""

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="items")
    boleto = models.ForeignKey(Boleto, on_delete=models.PROTECT, related_name="remittance_items")
    action = models.CharField(_("action"), max_length=8, choices=RemittanceAction.choices)

    class Meta:
        verbose_name = _("remittance item")
        verbose_name_plural = _("remittance items")
        constraints = [models.UniqueConstraint(fields=["remittance", "boleto"], name="remittance_item_unique")]

    def __str__(self) -> str:
        return f"{self.remittance} {self.action} {self.boleto_id}"


class ReturnFile(models.Model):
    """A bank return file (retorno) as imported: kept whole, identified by its SHA-256 per entity."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entity"))
    wallet = models.ForeignKey(
        Wallet, null=True, blank=True, on_delete=models.PROTECT, related_name="return_files", verbose_name=_("wallet")
    )
    bank = models.CharField(_("bank"), max_length=3)
    layout = models.PositiveSmallIntegerField(_("layout"), choices=CnabLayout.choices)
    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.TextField(_("content"))
    record_count = models.PositiveIntegerField(_("records"), default=0)
    applied_count = models.PositiveIntegerField(_("applied"), default=0)
    attention_count = models.PositiveIntegerField(_("needing attention"), default=0)
    errors = models.JSONField(_("rejected lines"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(_("imported at"))

    class Meta:
        verbose_name = _("return file")
        verbose_name_plural = _("return files")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["entity", "sha256"], name="return_file_unique_hash")]

    def __str__(self) -> str:
        return self.filename


class ReturnOccurrence(models.TextChoices):
    ENTRY_CONFIRMED = "entry_confirmed", _("Entry confirmed")
    REJECTED = "rejected", pgettext_lazy("occurrence", "Rejected")
    LIQUIDATED = "liquidated", _("Liquidated (paid)")
    WRITTEN_OFF = "written_off", _("Written off")
    OTHER = "other", _("Other")


class ReturnOutcome(models.TextChoices):
    APPLIED = "applied", _("Applied")
    ATTENTION = "attention", _("Needs attention")
    RECORDED = "recorded", _("Recorded")
    DUPLICATE = "duplicate", _("Already received in another file")


class ReturnRecord(models.Model):
    """One detail record of a return file (a T+U pair in CNAB 240, a type-1 line in CNAB 400), as applied."""

    # A record is written once, in the same transaction as its file and its payment, and never changes: its keys
    # are references kept by the ORM, not enforced by the database (docs/decisions/0033). The file's is indexed by
    # return_record_unique_line (return_file, line_number), which starts with it.
    return_file = models.ForeignKey(
        ReturnFile, on_delete=models.PROTECT, related_name="records", db_index=False, db_constraint=False
    )
    line_number = models.PositiveIntegerField(_("line"))
    boleto = models.ForeignKey(
        Boleto,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="return_records",
        verbose_name=_("boleto"),
        db_constraint=False,
    )
    our_number = models.CharField(_("nosso número"), max_length=40)
    occurrence_code = models.CharField(_("occurrence code"), max_length=4)
    occurrence = models.CharField(_("occurrence"), max_length=16, choices=ReturnOccurrence.choices)
    occurrence_date = models.DateField(_("occurrence date"), null=True, blank=True)
    reason_codes = models.CharField(_("reason codes"), max_length=40, blank=True)
    face_value = MoneyField(_("face value"), default=Decimal("0.00"))
    paid_amount = MoneyField(_("paid amount"), default=Decimal("0.00"))
    fee = MoneyField(_("bank fee"), default=Decimal("0.00"))
    interest = MoneyField(_("interest and fine"), default=Decimal("0.00"))
    discount = MoneyField(_("discount"), default=Decimal("0.00"))
    abatement = MoneyField(_("abatement"), default=Decimal("0.00"))
    credit_amount = MoneyField(_("credited amount"), default=Decimal("0.00"))
    payment_date = models.DateField(_("payment date"), null=True, blank=True)
    credit_date = models.DateField(_("credit date"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=ReturnOutcome.choices)
    payment = models.ForeignKey(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("payment"),
        db_constraint=False,
        db_index=False,  # read from the record to the payment, never the other way
    )
    # bank:wallet:nosso número:occurrence:date — the same event reported again (another file) applies once.
    event_key = models.CharField(_("event key"), max_length=120, null=True, blank=True)

    class Meta:
        verbose_name = _("return record")
        verbose_name_plural = _("return records")
        ordering = ["return_file", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["return_file", "line_number"], name="return_record_unique_line"),
            models.UniqueConstraint(
                fields=["event_key"], condition=Q(event_key__isnull=False), name="return_record_unique_event"
            ),
        ]
        # No index on our_number: records are read by file (return_record_unique_line) and by boleto.

    def __str__(self) -> str:
        return f"{self.our_number} {self.occurrence_code}"


class AttentionReason(models.TextChoices):
    UNKNOWN_OUR_NUMBER = "unknown_our_number", _("Unknown nosso número")
    INVOICE_VOID = "invoice_void", _("Paid a void invoice")
    INVOICE_ALREADY_PAID = "invoice_already_paid", _("Paid an invoice already paid")
    UNKNOWN_TXID = "unknown_txid", _("PIX for an unknown txid")
    REJECTED = "rejected", _("Boleto rejected by the bank")


class AttentionItem(models.Model):
    """Money or a bank event that could not be applied by itself: kept and listed until someone resolves it."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+", verbose_name=_("entity"))
    reason = models.CharField(_("reason"), max_length=24, choices=AttentionReason.choices)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    amount = MoneyField(_("amount"), default=Decimal("0.00"))
    return_record = models.OneToOneField(
        ReturnRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="attention"
    )
    pix_receipt = models.OneToOneField(
        PixReceipt, null=True, blank=True, on_delete=models.PROTECT, related_name="attention"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution = models.CharField(_("resolution"), max_length=255, blank=True)
    # The payment staff made of the item's money (`attention_apply`), when they applied it to an invoice.
    payment = models.OneToOneField(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("payment"),
    )
    # The ledger credit staff wrote of the item's money on a customer's account (`attention_credit`), when the
    # payer had no open invoice. One-to-one: the same money is credited once; never both applied and credited.
    credit = models.OneToOneField(
        "billing.Transaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("credit"),
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("needs attention")
        verbose_name_plural = _("needs attention")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["entity", "created_at"], condition=Q(resolved_at__isnull=True), name="attention_open_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(payment__isnull=True) | Q(credit__isnull=True), name="attention_applied_or_credited"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.detail}"
