"""The ledger: transactions, the invoices that bill them, and the record of each billing run."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from quita.core.models import Entity
from quita.core.money import MoneyField
from quita.customers.models import Category, Customer, Service


class TransactionKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    CREDIT = "credit", _("Credit")
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")
    FEE = "fee", _("Fee")


# Kinds that raise what the customer owes are stored positive, the others negative.
POSITIVE_KINDS = (TransactionKind.CHARGE, TransactionKind.FEE, TransactionKind.REFUND)
NEGATIVE_KINDS = (TransactionKind.CREDIT, TransactionKind.PAYMENT)


class CreditType(models.TextChoices):
    CASH_PAYMENT = "cash_payment", _("Cash payment")
    DISCOUNT = "discount", _("Discount")
    OUTAGE_COMPENSATION = "outage_compensation", _("Service-outage compensation")
    OVERPAYMENT = "overpayment", _("Overpayment")
    # Money the bank or the PSP received for no open invoice, kept on the payer's account (banking.attention_credit).
    BANK_RECEIPT = "bank_receipt", _("Payment received by the bank")
    OTHER = "other", _("Other")


class TransactionSource(models.TextChoices):
    MANUAL = "manual", _("Manual")
    RECURRING = "recurring", _("Recurring billing")
    PAYMENT = "payment", _("Payment")


class LedgerRecord(models.Model):
    """What every ledger record keeps besides its own fields: who made it, when, in which run, and its void."""

    void_reason = models.CharField(_("void reason"), max_length=255, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("voided by"),
    )
    billing_run = models.ForeignKey(
        "BillingRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("billing run"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        abstract = True


class Transaction(LedgerRecord):
    """One line of a customer's ledger. Amounts are signed: charges positive, credits and payments negative.

    Foreign keys carry no index of their own (`db_index=False`): the composite indexes in Meta serve the
    queries, and every index is one more write per line in the billing run. Only the keys that carry
    money (customer, invoice, paid_invoice) are enforced by the database; the others point at reference
    data that is never deleted (entity, service, category: PROTECT in the ORM, no delete anywhere) or are
    audit references (users, runs). The billing run writes millions of rows and each database-level
    foreign key is one more check per row at commit. See docs/decisions/0006.
    """

    entity = models.ForeignKey(
        Entity,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("entity"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="transactions", db_index=False, verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=TransactionKind.choices)
    credit_type = models.CharField(_("credit type"), max_length=24, choices=CreditType.choices, blank=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    amount = MoneyField(_("amount"))
    date = models.DateField(_("date"))
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transactions",
        db_index=False,
        db_constraint=False,
        verbose_name=_("service"),
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("category"),
    )
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=TransactionSource.choices, default=TransactionSource.MANUAL
    )
    invoice = models.ForeignKey(
        "Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transactions",
        help_text=_("The invoice that billed this line."),
        db_index=False,
        verbose_name=_("invoice"),
    )
    paid_invoice = models.ForeignKey(
        "Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment_transactions",
        help_text=_("For payments and refunds: the invoice they settle."),
        db_index=False,
        verbose_name=_("paid invoice"),
    )
    is_void = models.BooleanField(_("void"), default=False)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TransactionKind.values), name="transaction_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind__in=POSITIVE_KINDS, amount__gt=0) | Q(kind__in=NEGATIVE_KINDS, amount__lt=0)),
                name="transaction_amount_sign",
            ),
            models.CheckConstraint(
                condition=Q(is_void=False) | Q(invoice__isnull=True, paid_invoice__isnull=True),
                name="transaction_void_not_billed",
            ),
            models.CheckConstraint(
                condition=Q(invoice__isnull=True) | Q(paid_invoice__isnull=True), name="transaction_billed_or_settling"
            ),
            # At most one recurring charge per service and period: the billing run's idempotency key. A
            # service belongs to one customer, so adding the customer changes nothing about uniqueness, and
            # in this order the index answers "this period's charges of customers a..b" with one range scan.
            models.UniqueConstraint(
                fields=["period_start", "customer", "service"],
                condition=Q(source="recurring"),
                name="transaction_one_recurring_charge_per_period",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-date", "-id"], name="tx_customer_date_idx"),
            models.Index(fields=["entity", "-date", "-id"], name="tx_entity_date_idx"),
            models.Index(
                fields=["customer", "date"],
                condition=Q(invoice__isnull=True, paid_invoice__isnull=True, is_void=False),
                name="tx_unbilled_idx",
            ),
            # Only lines on an invoice: payments and unbilled lines write no entry.
            models.Index(fields=["invoice"], condition=Q(invoice__isnull=False), name="tx_invoice_lines_idx"),
            models.Index(fields=["paid_invoice"], condition=Q(paid_invoice__isnull=False), name="tx_paid_invoice_idx"),
            # The staff lists (decision 0007): "unbilled" of the whole entity, newest first, and sort by amount.
            # New recurring charges are inserted already on their invoice, so the billing run writes nothing
            # into the partial index. Title search has a trigram index on PostgreSQL only (migration 0003).
            models.Index(
                fields=["entity", "-date", "-id"],
                condition=Q(invoice__isnull=True, paid_invoice__isnull=True, is_void=False),
                name="tx_entity_unbilled_idx",
            ),
            models.Index(fields=["entity", "amount", "id"], name="tx_entity_amount_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title} {self.amount}"

    @property
    def is_billed(self) -> bool:
        """Billed: on an invoice as a line, or settling one (payments, refunds). Unbilled lines await an invoice."""
        return self.invoice_id is not None or self.paid_invoice_id is not None


class InvoiceStatus(models.TextChoices):
    UNPAID = "unpaid", pgettext_lazy("invoice status", "Unpaid")
    PAID = "paid", pgettext_lazy("invoice status", "Paid")
    VOID = "void", pgettext_lazy("invoice status", "Void")


class Invoice(LedgerRecord):
    """A bill: unbilled transactions of one customer gathered under a gapless number. Never edited once issued."""

    entity = models.ForeignKey(
        Entity,
        on_delete=models.PROTECT,
        related_name="invoices",
        db_constraint=False,
        db_index=False,
        verbose_name=_("entity"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="invoices", db_index=False, verbose_name=_("customer")
    )
    number = models.CharField(_("number"), max_length=40)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Only transactions of this category were billed."),
        db_index=False,
        db_constraint=False,
        verbose_name=_("category"),
    )
    total = MoneyField(_("total"))
    amount_paid = MoneyField(_("amount paid"), default=0)
    status = models.CharField(_("status"), max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.UNPAID)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=24, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "year", "sequence"], name="invoice_unique_sequence"),
            models.UniqueConstraint(fields=["entity", "number"], name="invoice_unique_number"),
            models.CheckConstraint(condition=Q(status__in=InvoiceStatus.values), name="invoice_status_valid"),
            models.CheckConstraint(condition=Q(due_date__gte=F("issue_date")), name="invoice_due_after_issue"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="invoice_period_valid"),
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_not_negative"),
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="invoice_amount_paid_not_negative"),
        ]
        indexes = [
            models.Index(fields=["customer", "-issue_date", "-id"], name="invoice_customer_idx"),
            models.Index(fields=["entity", "-issue_date", "-id"], name="invoice_entity_idx"),
            # Ends in id: "unpaid by due date" pages through it in order (many invoices share a due date).
            models.Index(fields=["entity", "status", "due_date", "id"], name="invoice_status_due_id_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def balance(self):
        """What is still open: total minus payments (never below zero)."""
        if self.status == InvoiceStatus.VOID:
            return self.total * 0
        return max(self.total - self.amount_paid, self.total * 0)


class BillingRunKind(models.TextChoices):
    RECURRING = "recurring", _("Recurring billing")
    INVOICE_RUN = "invoice_run", _("Invoice run")


class BillingRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    DONE_WITH_ERRORS = "done_with_errors", _("Done with errors")
    FAILED = "failed", _("Failed")


class BillingRun(models.Model):
    """What one billing run did: counts, totals, errors and how long it took."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="billing_runs", verbose_name=_("entity"))
    kind = models.CharField(_("kind"), max_length=16, choices=BillingRunKind.choices)
    run_date = models.DateField(_("billing date"))
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=BillingRunStatus.choices, default=BillingRunStatus.RUNNING
    )
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    charges_created = models.PositiveIntegerField(_("charges created"), default=0)
    charges_total = MoneyField(_("charges total"), default=0)
    invoices_created = models.PositiveIntegerField(_("invoices created"), default=0)
    invoices_total = MoneyField(_("invoices total"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_seconds = models.DecimalField(_("duration (s)"), max_digits=10, decimal_places=3, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.run_date} ({self.get_status_display()})"


class TransactionSummary(models.Model):
    """Non-void transactions of an entity per month of their date (count and cents; the unbilled part apart).

    Written only by database triggers on billing_transaction (decision 0008), so every writer, the set-based
    billing run and bulk SQL included, keeps it exact. On PostgreSQL each backend adds into its own row (`slot` is
    its process id), so concurrent writers never wait for each other; `summaries_compact` folds those rows into
    slot 0. Read by `selectors.transaction_statistics` for a whole entity.
    """

    entity = models.ForeignKey(
        Entity, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    month = models.DateField()
    slot = models.IntegerField(default=0)
    count = models.BigIntegerField(default=0)
    cents = models.BigIntegerField(default=0)
    unbilled_count = models.BigIntegerField(default=0)
    unbilled_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "month", "slot"], name="transaction_summary_unique_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.entity_id} {self.month:%Y-%m} #{self.slot}: {self.count}"


class InvoiceSummary(models.Model):
    """Non-void invoices of an entity per month of their issue date (count, total in cents; unpaid count and open
    balance apart). Kept by triggers on billing_invoice like TransactionSummary (decision 0008)."""

    entity = models.ForeignKey(
        Entity, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    month = models.DateField()
    slot = models.IntegerField(default=0)
    count = models.BigIntegerField(default=0)
    cents = models.BigIntegerField(default=0)
    unpaid_count = models.BigIntegerField(default=0)
    unpaid_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "month", "slot"], name="invoice_summary_unique_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.entity_id} {self.month:%Y-%m} #{self.slot}: {self.count}"
