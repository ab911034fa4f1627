"""Reads of banking for pages and documents: an invoice's boletos and PIX charge, the wallets staff may choose, what
waits for the next remittance, and the remittance and return files with their counts and totals."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Func, IntegerField, Q, QuerySet, Sum

from quita.banking.banks import BANK_CHOICES
from quita.banking.models import (
    OPEN_BOLETO_STATUSES,
    Boleto,
    BoletoStatus,
    CnabLayout,
    PixCharge,
    PixChargeStatus,
    Remittance,
    RemittanceAction,
    ReturnFile,
    ReturnOutcome,
    ReturnRecord,
    Wallet,
    WalletKind,
)
from quita.billing.models import Invoice, InvoiceStatus
from quita.core.models import ActivityAction, ActivityLog
from quita.customers.models import ContractStatus


def invoice_by_number(entity_id: int, number: str) -> Invoice | None:
    """The entity's invoice with this number (as printed: "FS-2026-000123"; case and surrounding blanks ignored)."""
    number = (number or "").strip()
    if not number:
        return None
    return Invoice.objects.filter(entity_id=entity_id, number__iexact=number).first()


def invoice_boletos(invoice: Invoice) -> list[Boleto]:
    """Every boleto of the invoice, newest first, with its wallet (staff see the closed ones too)."""
    return list(Boleto.objects.filter(invoice=invoice).select_related("wallet").order_by("-created_at", "-id"))


def invoice_open_boletos(invoice: Invoice) -> list[Boleto]:
    """The invoice's boletos that can still be paid (awaiting registration or registered), newest first."""
    return list(
        Boleto.objects.filter(invoice=invoice, status__in=OPEN_BOLETO_STATUSES)
        .select_related("wallet", "entity", "customer", "invoice")
        .order_by("-created_at", "-id")
    )


def entity_boletos(entity_id: int, *, status: str = "", search: str = "") -> QuerySet[Boleto]:
    """An entity's boletos, newest first: optionally of one status, or matching a nosso número, a linha digitável
    (digits) or an invoice number."""
    from django.db.models import Q

    from quita.banking.digits import only_digits

    boletos = Boleto.objects.filter(entity_id=entity_id).select_related("wallet", "invoice", "customer")
    if status in BoletoStatus.values:
        boletos = boletos.filter(status=status)
    if search:
        match = Q(our_number_display__icontains=search) | Q(invoice__number__iexact=search)
        digits = only_digits(search)
        if len(digits) >= 5:
            match |= Q(digitable_line__contains=search) | Q(barcode__contains=digits)
        boletos = boletos.filter(match)
    return boletos.order_by("-created_at", "-id")


def invoice_pix_charge(invoice: Invoice) -> PixCharge | None:
    """The invoice's active PIX charge for its balance (its copia-e-cola is what a payer may pay), or None: a charge
    for another amount (a part was paid since) is not offered until it is made again (`pix_charge_create`)."""
    for charge in PixCharge.objects.filter(invoice=invoice, status=PixChargeStatus.ACTIVE).order_by("-created_at"):
        if charge.amount == invoice.balance:
            return charge
    return None


def entity_bank_wallets(entity_id: int) -> QuerySet[Wallet]:
    """The entity's active bank wallets (those that issue boletos), by bank and name."""
    return Wallet.objects.filter(entity_id=entity_id, kind=WalletKind.BANK, is_active=True).order_by("bank", "name")


def entity_wallets(entity_id: int) -> QuerySet[Wallet]:
    """The wallets a contract may be billed through: the entity's active wallets, bank and "invoice" (chooser)."""
    return Wallet.objects.filter(entity_id=entity_id, is_active=True).order_by("kind", "bank", "name")


def entity_wallet_list(entity_id: int) -> QuerySet[Wallet]:
    """All the entity's wallets for the staff list (inactive too), by name, each with `contract_count`: how many
    contracts not cancelled are billed through it."""
    in_use = Count("contracts", filter=~Q(contracts__status=ContractStatus.CANCELLED))
    return Wallet.objects.filter(entity_id=entity_id).annotate(contract_count=in_use).order_by("name", "id")


def pix_wallet(invoice: Invoice) -> Wallet | None:
    """The wallet whose PIX key a subscriber may pay this invoice with: the contract's bank wallet, else the first
    bank wallet on offer, that has a key."""
    from quita.banking.services import bank_choices

    for wallet in bank_choices(invoice):
        if wallet.pix_key:
            return wallet
    return None


# ---------------------------------------------------------------------------------------------------------------
# Remittance and return files (the staff's /billing/remittances/ and /billing/bank-returns/)
# ---------------------------------------------------------------------------------------------------------------

BANK_LABELS = dict(BANK_CHOICES)


def remittance_pending(entity_id: int) -> list[Wallet]:
    """The entity's bank wallets, each with what its next remittance would carry (`entries`, `changes`,
    `cancellations`, `pending`), counted as `services.remittance_create` picks them: the boletos with a pending
    action, and the open boletos whose invoice was voided or paid (cancelled then; one never sent is just dropped).
    Active wallets, and inactive ones that still have something to send."""
    wallets = list(Wallet.objects.filter(entity_id=entity_id, kind=WalletKind.BANK).order_by("bank", "name", "id"))
    counts = {wallet.pk: {"entries": 0, "changes": 0, "cancellations": 0} for wallet in wallets}
    stale = Q(status__in=OPEN_BOLETO_STATUSES, invoice__status__in=[InvoiceStatus.VOID, InvoiceStatus.PAID])
    pending = (
        Boleto.objects.filter(wallet__in=list(counts))
        .exclude(pending_action="")
        .exclude(stale)
        .values_list("wallet_id", "pending_action")
        .annotate(n=Count("id"))
        .order_by()
    )
    for wallet_id, action, n in pending:
        key = {RemittanceAction.ENTRY: "entries", RemittanceAction.CANCEL: "cancellations"}.get(action, "changes")
        counts[wallet_id][key] += n
    # The open boletos of void or paid invoices: cancelled in the next remittance unless never sent (an entry).
    stale_boletos = (
        Boleto.objects.filter(entity_id=entity_id, wallet__in=list(counts))
        .filter(stale)
        .exclude(pending_action=RemittanceAction.ENTRY)
        .values_list("wallet_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for wallet_id, n in stale_boletos:
        counts[wallet_id]["cancellations"] += n
    shown = []
    for wallet in wallets:
        for key, value in counts[wallet.pk].items():
            setattr(wallet, key, value)
        wallet.pending = wallet.entries + wallet.changes + wallet.cancellations
        if wallet.is_active or wallet.pending:
            shown.append(wallet)
    return shown


def entity_remittances(entity_id: int) -> QuerySet[Remittance]:
    """The entity's remittances, newest first, with their wallet and author (without the file's content)."""
    return (
        Remittance.objects.filter(entity_id=entity_id)
        .select_related("wallet", "created_by")
        .defer("content")
        .order_by("-created_at", "-id")
    )


def remittance_bytes(remittance: Remittance) -> bytes:
    """The remittance file as sent to the bank: its stored text in Latin-1 (CNAB files are 8-bit, CRLF ends)."""
    return remittance.content.encode("latin-1", "replace")


class JsonArrayLength(Func):
    """The length of a JSON array column (SQLite's json_array_length, PostgreSQL's jsonb_array_length)."""

    function = "JSON_ARRAY_LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="JSONB_ARRAY_LENGTH", **extra)


def entity_return_files(entity_id: int) -> QuerySet[ReturnFile]:
    """The entity's imported return files, newest first, with `error_count` (lines refused), without the content
    and the refused lines themselves; `return_files_totals` adds the records' counts and money to a page of them."""
    return (
        ReturnFile.objects.filter(entity_id=entity_id)
        .select_related("wallet", "created_by")
        .defer("content", "errors")
        .annotate(error_count=JsonArrayLength("errors"))
        .order_by("-created_at", "-id")
    )


def return_file(entity_ids: list[int], pk: int) -> ReturnFile | None:
    """One return file of these entities (without its content), or None."""
    return (
        ReturnFile.objects.filter(pk=pk, entity__in=entity_ids)
        .select_related("wallet", "created_by", "entity")
        .defer("content")
        .first()
    )


ZERO = Decimal("0.00")


def return_files_totals(files: list[ReturnFile]) -> list[ReturnFile]:
    """Add each file's `duplicate_count`, `paid_total`, `fee_total`, `credit_total` (the sums of what its records
    report; None for CNAB 400, whose return layouts carry no amount credited: only CNAB 240's segment U has it) and
    `bank_label`, in one grouped query over the records of these files."""
    totals = {
        row["return_file_id"]: row
        for row in ReturnRecord.objects.filter(return_file_id__in=[f.pk for f in files])
        .values("return_file_id")
        .annotate(
            duplicates=Count("id", filter=Q(outcome=ReturnOutcome.DUPLICATE)),
            paid=Sum("paid_amount"),
            fee=Sum("fee"),
            credit=Sum("credit_amount"),
        )
        .order_by()
    }
    for f in files:
        row = totals.get(f.pk, {})
        f.duplicate_count = row.get("duplicates", 0)
        f.paid_total = row.get("paid") or ZERO
        f.fee_total = row.get("fee") or ZERO
        f.credit_total = None if f.layout == CnabLayout.CNAB400 else row.get("credit") or ZERO
        f.bank_label = BANK_LABELS.get(f.bank, f.bank)
    return files


def return_file_outcomes(return_file: ReturnFile) -> list[dict]:
    """The file's records by outcome: count, paid, fee and credited, in the order of ReturnOutcome."""
    rows = {
        row["outcome"]: row
        for row in ReturnRecord.objects.filter(return_file=return_file)
        .values("outcome")
        .annotate(count=Count("id"), paid=Sum("paid_amount"), fee=Sum("fee"), credit=Sum("credit_amount"))
        .order_by()
    }
    return [
        {"outcome": value, "label": label, **rows[value]} for value, label in ReturnOutcome.choices if value in rows
    ]


def return_file_records(return_file: ReturnFile, *, outcome: str = "") -> QuerySet[ReturnRecord]:
    """The file's records in line order (page them: a file may have 100,000), optionally of one outcome, with the
    boleto, the payment and its invoice, and the needs-attention item."""
    records = ReturnRecord.objects.filter(return_file=return_file)
    if outcome in ReturnOutcome.values:
        records = records.filter(outcome=outcome)
    return records.select_related("boleto", "payment__invoice", "attention").order_by("line_number")


def boleto_cancel_reason(boleto: Boleto) -> str:
    """Why staff cancelled the boleto by hand (`boleto_cancel` keeps it in the activity row), or "" if they did not."""
    if boleto.status != BoletoStatus.CANCELLED:
        return ""
    row = (
        ActivityLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Boleto), object_id=boleto.pk, action=ActivityAction.VOID
        )
        .order_by("-id")
        .values_list("after", flat=True)
        .first()
    )
    return (row or {}).get("reason", "")


def boleto_cancel_notified(boleto_id: int) -> bool:
    """Whether the subscriber was e-mailed about the boleto's cancellation (its one `Email` row, decision 0057)."""
    from quita.banking.notices import KIND
    from quita.notifications.models import Email

    return Email.objects.filter(key=f"{KIND}:{boleto_id}").exists()
