"""Reads of banking for pages and documents: an invoice's boletos and PIX charge, the wallets staff may choose."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from quita.banking.models import (
    OPEN_BOLETO_STATUSES,
    Boleto,
    BoletoStatus,
    PixCharge,
    PixChargeStatus,
    Wallet,
    WalletKind,
)
from quita.billing.models import Invoice
from quita.customers.models import ContractStatus


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
