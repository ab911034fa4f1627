"""State changes of bank billing: wallets, boletos, PIX, remittances and return files. One transaction each, logged."""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from quita.banking import boleto as boleto_math
from quita.banking import notices, settlement
from quita.banking.banks import BANKS
from quita.banking.bulk import Pipeline, any_of, insert_rows, reserve_ids, set_text, update_rows
from quita.banking.cnab import reader as cnab_reader
from quita.banking.cnab import writer as cnab_writer
from quita.banking.cnab.fields import CnabError
from quita.banking.cnab.layouts import LAYOUTS
from quita.banking.models import (
    MAX_FINE_PERCENT,
    MAX_INTEREST_PERCENT_MONTH,
    REGISTRATION_DELAY_MINUTES,
    AttentionItem,
    AttentionReason,
    Boleto,
    BoletoStatus,
    PixCharge,
    PixChargeKind,
    PixChargeStatus,
    PixReceipt,
    RegistrationMode,
    Remittance,
    RemittanceAction,
    RemittanceItem,
    ReturnFile,
    ReturnOccurrence,
    ReturnOutcome,
    ReturnRecord,
    Wallet,
    WalletKind,
)
from quita.billing.models import Invoice, InvoiceStatus, Transaction
from quita.billing.services import bank_receipt_credit, customer_lock
from quita.core.activity import activity_record, logged_update, snapshot
from quita.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from quita.core.models import ActivityAction, Entity
from quita.core.permissions import ensure_permission
from quita.core.selectors import entity_today
from quita.customers.models import Customer
from quita.payments.models import PaymentMethodKind
from quita.payments.services import locked_unpaid_invoice, payment_apply

logger = logging.getLogger(__name__)

WALLET_FIELDS = [
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
]
# The PSP's client secret is not stored anywhere (only the name of its environment variable), so the log can
# hold every field.
LOGGED_WALLET_FIELDS = WALLET_FIELDS
# An environment variable's name: letters, digits and underscores, not starting with a digit.
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
BOLETO_FIELDS = ["status", "pending_action", "our_number_display", "amount", "due_date", "rejection_code"]
# Wallets are bank agreements: the administrator's business (the same role that manages the entity).
WALLET_ACTION = "manage_entity"


def _percent(value, field: str, *, maximum: Decimal, code: str, too_high: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except Exception:  # noqa: BLE001 - any unreadable input is the same error
        raise ValidationFailed(
            _("Enter a number."), code="invalid_number", fields={field: [_("Enter a number.")]}
        ) from None
    if isinstance(value, float) or not number.is_finite() or number != number.quantize(Decimal("0.01")) or number < 0:
        raise ValidationFailed(
            _("Enter a percentage with at most two decimals."), code="invalid_percent", fields={field: [_("Invalid.")]}
        )
    if number > maximum:
        message = too_high % {"max": formats.localize(maximum)}
        raise ValidationFailed(message, code=code, fields={field: [message]})
    return number


def wallet_boleto_fields(wallet: Wallet, *, our_number: int | str, amount, due_date: datetime.date, year=None) -> dict:
    """The `quita boleto make` vocabulary for a wallet and one nosso número (each bank module picks its names)."""
    return {
        "bank": wallet.bank,
        "agencia": wallet.agency,
        "agencia_dv": wallet.agency_digit,
        "conta": wallet.account,
        "conta_dv": wallet.account_digit,
        "carteira": wallet.wallet_code,
        "convenio": wallet.beneficiary_code,
        "codigo_beneficiario": wallet.beneficiary_code,
        "codigo_beneficiario_dv": wallet.beneficiary_digit,
        "codigo_cliente": wallet.beneficiary_code,
        "variacao": wallet.variation,
        "modalidade": wallet.variation,
        "posto": wallet.station,
        "nosso_numero": str(our_number),
        "ano": f"{(year or due_date.year) % 100:02d}",
        "valor": str(amount),
        "data_vencimento": due_date.isoformat(),
    }


def _wallet_clean(data: dict, *, entity_id: int, instance: Wallet | None = None) -> dict:
    """Validate a wallet's fields; a bank wallet must make a valid boleto with its data."""
    data = dict(data)
    for name in (
        "name",
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
        "instructions",
        "pix_key",
        "pix_api_url",
        "pix_token_url",
        "pix_client_id",
        "pix_client_secret_env",
    ):
        if name in data:
            data[name] = ("" if data[name] is None else str(data[name])).strip()
            max_length = Wallet._meta.get_field(name).max_length
            if max_length and len(data[name]) > max_length:
                raise ValidationFailed(
                    _("Too long."), code="text_too_long", fields={name: [_("At most %d characters.") % max_length]}
                )
    if data.get("pix_client_secret_env") and not ENV_NAME.fullmatch(data["pix_client_secret_env"]):
        message = _("Enter the name of an environment variable (letters, digits and _), not the secret itself.")
        raise ValidationFailed(message, code="wallet_secret_env_invalid", fields={"pix_client_secret_env": [message]})
    merged = {name: getattr(instance, name) for name in WALLET_FIELDS} if instance else {}
    merged.update(data)
    if not merged.get("name"):
        raise ValidationFailed(_("Name the wallet."), code="wallet_name_required", fields={"name": [_("Required.")]})
    kind = merged.get("kind") or WalletKind.BANK
    if kind not in WalletKind.values:
        raise ValidationFailed(_("Unknown wallet kind."), code="wallet_kind_invalid", fields={"kind": [_("Invalid.")]})
    data["kind"] = merged["kind"] = kind
    for name, maximum, code, too_high in (
        ("fine_percent", MAX_FINE_PERCENT, "wallet_fine_above_cap", _("The fine may not exceed %(max)s%%.")),
        (
            "interest_percent_month",
            MAX_INTEREST_PERCENT_MONTH,
            "wallet_interest_above_cap",
            _("Interest may not exceed %(max)s%% a month."),
        ),
        ("discount_percent", Decimal("99.99"), "wallet_discount_invalid", _("The discount may not exceed %(max)s%%.")),
    ):
        if name in data:
            data[name] = merged[name] = _percent(data[name], name, maximum=maximum, code=code, too_high=too_high)
    if "registration" in data and data["registration"] not in RegistrationMode.values:
        raise ValidationFailed(
            _("Unknown registration mode."),
            code="wallet_registration_invalid",
            fields={"registration": [_("Invalid.")]},
        )
    if kind == WalletKind.BANK:
        bank = merged.get("bank") or ""
        module = BANKS.get(bank)
        if module is None:
            raise ValidationFailed(
                _("Choose one of the supported banks."), code="wallet_bank_invalid", fields={"bank": [_("Invalid.")]}
            )
        layout = merged.get("cnab_layout") or module.LAYOUTS[0]
        try:
            layout = int(layout)
        except (TypeError, ValueError):
            layout = 0
        if layout not in module.LAYOUTS:
            message = _("%(bank)s wallets use CNAB %(layouts)s.") % {
                "bank": module.NAME,
                "layouts": " / ".join(str(x) for x in module.LAYOUTS),
            }
            raise ValidationFailed(message, code="wallet_layout_invalid", fields={"cnab_layout": [message]})
        data["cnab_layout"] = layout
        probe = Wallet(**{k: v for k, v in merged.items() if k in WALLET_FIELDS and k != "cnab_layout"})
        try:
            boleto_math.make(
                wallet_boleto_fields(probe, our_number=1, amount="1.00", due_date=datetime.date(2030, 1, 2))
            )
        except boleto_math.BoletoError as error:
            raise ValidationFailed(
                _("The bank data is incomplete or invalid: %(reason)s") % {"reason": error},
                code="wallet_bank_data_invalid",
            ) from None
    else:
        for name in ("bank", "agency", "account", "wallet_code", "beneficiary_code"):
            data[name] = ""
        data["cnab_layout"] = None
    if "next_our_number" in data:
        try:
            data["next_our_number"] = int(data["next_our_number"])
            assert data["next_our_number"] >= 1
        except (TypeError, ValueError, AssertionError):
            raise ValidationFailed(
                _("Enter a positive whole number."), code="invalid_number", fields={"next_our_number": [_("Invalid.")]}
            ) from None
        if instance and data["next_our_number"] < instance.next_our_number:
            raise ValidationFailed(
                _("The next nosso número cannot go back: numbers already used would repeat."),
                code="wallet_our_number_backwards",
                fields={"next_our_number": [_("Invalid.")]},
            )
    query = Wallet.objects.filter(entity_id=entity_id, name=merged["name"])
    if instance:
        query = query.exclude(pk=instance.pk)
    if query.exists():
        raise ValidationFailed(
            _("Another wallet has this name."), code="wallet_name_taken", fields={"name": [_("Already used.")]}
        )
    return data


@transaction.atomic
def wallet_create(*, entity: Entity | int, actor, **fields) -> Wallet:
    """Create a bank wallet (carteira) or an "invoice" wallet that lets the subscriber choose the bank."""
    entity_id = entity if isinstance(entity, int) else entity.pk
    ensure_permission(actor=actor, entity=entity_id, action=WALLET_ACTION)
    unknown = set(fields) - set(WALLET_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."), code="unknown_fields", fields={k: [_("Unknown.")] for k in unknown}
        )
    data = _wallet_clean(fields, entity_id=entity_id)
    wallet = Wallet.objects.create(entity_id=entity_id, created_at=timezone.now(), **data)
    activity_record(
        entity_id=entity_id,
        actor=actor,
        action=ActivityAction.CREATE,
        obj=wallet,
        summary=f"wallet {wallet}",
        after=snapshot(wallet, LOGGED_WALLET_FIELDS),
    )
    return wallet


@transaction.atomic
def wallet_update(*, wallet: Wallet, actor, **fields) -> Wallet:
    """Change a wallet; the nosso número sequence only moves forward."""
    wallet = Wallet.objects.select_for_update().get(pk=wallet.pk)
    ensure_permission(actor=actor, entity=wallet.entity_id, action=WALLET_ACTION)
    unknown = set(fields) - set(WALLET_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."), code="unknown_fields", fields={k: [_("Unknown.")] for k in unknown}
        )
    if "kind" in fields and fields["kind"] != wallet.kind and wallet.boletos.exists():
        raise Conflict(_("A wallet with boletos cannot change kind."), code="wallet_kind_locked")
    if "bank" in fields and fields["bank"] != wallet.bank and wallet.boletos.exists():
        raise Conflict(_("A wallet with boletos cannot change bank."), code="wallet_bank_locked")
    data = _wallet_clean(fields, entity_id=wallet.entity_id, instance=wallet)
    before = snapshot(wallet, LOGGED_WALLET_FIELDS)
    for name, value in data.items():
        setattr(wallet, name, value)
    wallet.save()
    activity_record(
        entity_id=wallet.entity_id,
        actor=actor,
        action=ActivityAction.UPDATE,
        obj=wallet,
        summary=f"wallet {wallet}",
        before=before,
        after=snapshot(wallet, LOGGED_WALLET_FIELDS),
    )
    return wallet


def wallet_get(*, entity_id: int, wallet_id, kind: str | None = None) -> Wallet:
    """A wallet of the entity (NotFound otherwise, so other entities' wallets are invisible)."""
    try:
        wallet = Wallet.objects.get(pk=int(wallet_id), entity_id=entity_id)
    except (Wallet.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("Wallet not found."), code="wallet_not_found") from None
    if kind and wallet.kind != kind:
        raise ValidationFailed(_("Choose a bank wallet."), code="wallet_not_bank", fields={"wallet": [_("Invalid.")]})
    return wallet


def _reserve_our_number(wallet_id: int) -> tuple[Wallet, int]:
    """Take the wallet's next nosso número under its row lock: no gap (a rollback gives it back), no repeat."""
    wallet = Wallet.objects.select_for_update().get(pk=wallet_id)
    number = wallet.next_our_number
    width = BANKS[wallet.bank].NOSSO_NUMERO_WIDTH
    if number >= 10**width:
        raise Conflict(_("The wallet's nosso número range is exhausted."), code="wallet_our_number_exhausted")
    Wallet.objects.filter(pk=wallet.pk).update(next_our_number=number + 1)
    return wallet, number


def _locked_invoice(invoice_id: int) -> Invoice:
    customer_id = Invoice.objects.filter(pk=invoice_id).values_list("customer_id", flat=True).first()
    if customer_id is None:
        raise NotFound(_("Invoice not found."), code="invoice_not_found")
    customer_lock(customer_id)
    # of=("self",): lock the invoice, not the entity row the join reads (PostgreSQL locks every joined row).
    return Invoice.objects.select_for_update(of=("self",)).select_related("entity").get(pk=invoice_id)


def _issue(*, invoice: Invoice, wallet: Wallet, actor) -> Boleto:
    if wallet.entity_id != invoice.entity_id:
        raise NotFound(_("Wallet not found."), code="wallet_not_found")
    if wallet.kind != WalletKind.BANK:
        raise ValidationFailed(
            _("Boletos are issued from a bank wallet."), code="wallet_not_bank", fields={"wallet": [_("Invalid.")]}
        )
    if not wallet.is_active:
        raise Conflict(_("This wallet is inactive."), code="wallet_inactive")
    if invoice.status == InvoiceStatus.VOID:
        raise Conflict(_("Invoice %(number)s is void.") % {"number": invoice.number}, code="invoice_void")
    if invoice.status == InvoiceStatus.PAID:
        raise Conflict(
            _("Invoice %(number)s is already paid.") % {"number": invoice.number}, code="invoice_already_paid"
        )
    existing = Boleto.objects.filter(
        invoice=invoice, wallet=wallet, status__in=[BoletoStatus.AWAITING_REGISTRATION, BoletoStatus.REGISTERED]
    ).first()
    if existing is not None:
        return existing
    amount = invoice.balance
    if amount <= 0:
        raise Conflict(
            _("Invoice %(number)s has nothing to pay.") % {"number": invoice.number}, code="invoice_nothing_due"
        )
    today = entity_today(invoice.entity)
    due = max(invoice.due_date, today)
    wallet, number = _reserve_our_number(wallet.pk)
    made = boleto_math.make(
        wallet_boleto_fields(wallet, our_number=number, amount=amount, due_date=due, year=today.year)
    )
    boleto = Boleto.objects.create(
        entity_id=invoice.entity_id,
        wallet=wallet,
        invoice=invoice,
        customer_id=invoice.customer_id,
        our_number=number,
        our_number_display=made["nosso_numero"],
        amount=amount,
        due_date=due,
        barcode=made["barcode"],
        digitable_line=made["linha_digitavel"],
        status=BoletoStatus.AWAITING_REGISTRATION,
        pending_action=RemittanceAction.ENTRY,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=timezone.now(),
    )
    activity_record(
        entity_id=invoice.entity_id,
        actor=actor,
        action=ActivityAction.CREATE,
        obj=boleto,
        customer_id=invoice.customer_id,
        summary=f"boleto {boleto.our_number_display} {wallet.bank} {invoice.number} {amount:.2f}",
        after=snapshot(boleto, BOLETO_FIELDS),
    )
    active = PixCharge.objects.filter(invoice=invoice, status=PixChargeStatus.ACTIVE).order_by("-id").first()
    if wallet.pix_key and (active is None or (active.kind == PixChargeKind.STATIC and active.amount != amount)):
        # The printed boleto carries a PIX QR: its txid must be known when the PIX arrives (else "unknown txid").
        # A static code already paid (part of the invoice, by PIX) keeps its txid closed: a new txid is made.
        _static_pix_charge(invoice=invoice, wallet=wallet, actor=actor)
    return boleto


@transaction.atomic
def boleto_issue(*, invoice_id: int, wallet_id: int, actor) -> Boleto:
    """Issue a boleto for an unpaid invoice from a bank wallet; returns the open one if it exists already."""
    invoice = _locked_invoice(invoice_id)
    ensure_permission(actor=actor, entity=invoice.entity_id, action="generate_invoices")
    wallet = wallet_get(entity_id=invoice.entity_id, wallet_id=wallet_id)
    return _issue(invoice=invoice, wallet=wallet, actor=actor)


def invoice_wallet(invoice: Invoice) -> Wallet | None:
    """The wallet the invoice's customer is billed through: the contract's (first contract with one)."""
    return Wallet.objects.filter(contracts__customer_id=invoice.customer_id).order_by("contracts__id").first()


_UNSET = object()


def bank_choices(invoice: Invoice, *, wallet=_UNSET) -> list[Wallet]:
    """The bank wallets a subscriber may choose for an invoice: all active bank wallets of a chooser contract,
    or only the contract's own bank wallet. `wallet`: the invoice's wallet when the caller has read it already."""
    wallet = invoice_wallet(invoice) if wallet is _UNSET else wallet
    if wallet is None:
        return []
    if wallet.kind == WalletKind.BANK:
        return [wallet] if wallet.is_active else []
    return list(
        Wallet.objects.filter(entity_id=invoice.entity_id, kind=WalletKind.BANK, is_active=True).order_by(
            "bank", "name"
        )
    )


@transaction.atomic
def boleto_choose(*, invoice_id: int, wallet_id: int, customer_id: int) -> Boleto:
    """The subscriber picks a bank for an invoice (portal): the boleto is issued from that bank's wallet.

    The portal has checked the subscriber owns `customer_id`; the invoice must be theirs and the wallet one
    of `bank_choices`.
    """
    invoice = _locked_invoice(invoice_id)
    if invoice.customer_id != customer_id:
        raise NotFound(_("Invoice not found."), code="invoice_not_found")
    allowed = {wallet.pk: wallet for wallet in bank_choices(invoice)}
    try:
        wallet = allowed[int(wallet_id)]
    except (KeyError, TypeError, ValueError):
        raise ValidationFailed(
            _("Choose one of the banks offered."), code="wallet_not_offered", fields={"wallet": [_("Invalid.")]}
        ) from None
    return _issue(invoice=invoice, wallet=wallet, actor=None)


@transaction.atomic
def boleto_change_due_date(*, boleto_id: int, due_date: datetime.date, actor) -> Boleto:
    """Move an open boleto's due date: new barcode and linha digitável; the change goes in the next remittance
    (or the entry itself, when it was not sent yet)."""
    boleto = (
        Boleto.objects.select_for_update(of=("self",)).select_related("wallet", "entity").filter(pk=boleto_id).first()
    )
    if boleto is None:
        raise NotFound(_("Boleto not found."), code="boleto_not_found")
    ensure_permission(actor=actor, entity=boleto.entity_id, action="generate_invoices")
    if boleto.status not in (BoletoStatus.AWAITING_REGISTRATION, BoletoStatus.REGISTERED):
        raise Conflict(_("Only an open boleto can change."), code="boleto_not_open")
    if due_date < entity_today(boleto.entity):
        raise ValidationFailed(
            _("The new due date is in the past."), code="due_date_past", fields={"due_date": [_("In the past.")]}
        )
    if boleto.pending_action == RemittanceAction.AMOUNT:
        # One instruction per title and remittance: the change of amount goes first.
        raise Conflict(
            _("A change of amount waits for the next remittance; send it before changing the due date."),
            code="boleto_amount_change_pending",
        )
    _boleto_remake(
        boleto,
        actor=actor,
        action=RemittanceAction.CHANGE,
        due_date=due_date,
        summary=f"boleto {boleto.our_number_display}: due {due_date.isoformat()}",
    )
    return boleto


BOLETO_CANCEL_REASON_MAX = 255


@transaction.atomic
def boleto_cancel(*, boleto_id: int, actor, reason: str, notify: bool = True) -> Boleto:
    """Cancel an open boleto by hand (pedido de baixa), with a reason: one not sent yet is simply cancelled; a sent one
    gets the bank's cancellation instruction in the next remittance. The invoice stays unpaid.

    With `notify` (the default) the subscriber, who may hold the boleto (the portal and the invoice e-mail show every
    open one), is e-mailed after the commit: do not pay it; the invoice's pay link when it is still open. Not for a
    customer without an e-mail address, nor for a paid or void invoice; never twice (decision 0057)."""
    wallet_id = Boleto.objects.filter(pk=boleto_id).values_list("wallet_id", flat=True).first()
    if wallet_id is None:
        raise NotFound(_("Boleto not found."), code="boleto_not_found")
    # Wallet before boleto, the order remittance_create and the balance hooks lock them in (docs/decisions/0045).
    Wallet.objects.select_for_update(of=("self",)).filter(pk=wallet_id).values_list("pk").first()
    boleto = (
        Boleto.objects.select_for_update(of=("self",)).select_related("invoice", "customer", "entity").get(pk=boleto_id)
    )
    ensure_permission(actor=actor, entity=boleto.entity_id, action="generate_invoices")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Give a reason for the cancellation."), code="reason_required", fields={"reason": [_("Required.")]}
        )
    if len(reason) > BOLETO_CANCEL_REASON_MAX:
        limit = {"limit": BOLETO_CANCEL_REASON_MAX}
        raise ValidationFailed(
            _("The reason is longer than %(limit)s characters.") % limit,
            code="reason_too_long",
            fields={"reason": [_("At most %(limit)s characters.") % limit]},
        )
    if boleto.status == BoletoStatus.PAID:
        raise Conflict(_("This boleto is paid; it cannot be cancelled."), code="boleto_already_paid")
    if boleto.status in (BoletoStatus.CANCELLED, BoletoStatus.WRITTEN_OFF):
        raise Conflict(_("This boleto is already cancelled or written off."), code="boleto_already_cancelled")
    if boleto.status not in OPEN_STATUSES:
        raise Conflict(_("Only an open boleto can be cancelled."), code="boleto_not_open")
    # Not sent yet: the bank never heard of it. Sent: the write-off replaces any change still waiting.
    sent = boleto.pending_action != RemittanceAction.ENTRY
    recipients = []
    if notify and boleto.invoice.status == InvoiceStatus.UNPAID:
        recipients = notices.notice_recipients(boleto)
    with logged_update(
        boleto,
        BOLETO_FIELDS,
        actor=actor,
        action=ActivityAction.VOID,
        summary=f"boleto {boleto.our_number_display}: cancelled: {reason}",
        saved=["status", "pending_action", "cancelled_at"],
        extra={"reason": reason, "notify": notify, "notified": recipients},
    ):
        boleto.pending_action = RemittanceAction.CANCEL if sent else RemittanceAction.NONE
        boleto.status = BoletoStatus.CANCELLED
        boleto.cancelled_at = timezone.now()
    if recipients:
        notices.boleto_cancel_notice(boleto=boleto, actor=actor, recipients=recipients)
    return boleto


def _boleto_remake(boleto: Boleto, *, actor, action: str, summary: str, amount=None, due_date=None) -> None:
    """A new amount or due date for an open boleto: same nosso número, a new barcode and linha digitável (both
    are in it), and `action` for the next remittance unless the entry itself was not sent yet. Logged."""
    saved = ["amount", "due_date", "barcode", "digitable_line", "pending_action"]
    with logged_update(boleto, BOLETO_FIELDS, actor=actor, summary=summary, saved=saved):
        boleto.amount = boleto.amount if amount is None else amount
        boleto.due_date = boleto.due_date if due_date is None else due_date
        made = boleto_math.make(
            wallet_boleto_fields(
                boleto.wallet,
                our_number=boleto.our_number,
                amount=boleto.amount,
                due_date=boleto.due_date,
                year=boleto.created_at.year,
            )
        )
        boleto.barcode = made["barcode"]
        boleto.digitable_line = made["linha_digitavel"]
        if boleto.pending_action != RemittanceAction.ENTRY:
            boleto.pending_action = action


# ---------------------------------------------------------------------------------------------------------------
# An invoice's open boleto and PIX charge follow its balance (docs/decisions/0045)
# ---------------------------------------------------------------------------------------------------------------

OPEN_STATUSES = [BoletoStatus.AWAITING_REGISTRATION, BoletoStatus.REGISTERED]
PIX_REVISION_FIELDS = ["amount", "revision_pending", "revision_error"]


def invoice_charges_follow_balance(*, invoice: Invoice, actor) -> None:
    """After a partial payment, bring the invoice's open boletos and active PIX charges to its balance.

    Called by `payment_apply` in the payment's transaction (the caller holds the customer and invoice locks). A boleto
    not yet sent changes in place; a sent one gets the bank's "change amount" instruction in the next remittance, or,
    where the bank and layout have none (or a due-date change is waiting), is cancelled there and a new boleto issued
    for the balance. A static BR Code is made again; a cobv is marked for revision and PATCHed at the PSP after the
    commit (`pix_charges_revise`). A paid or void invoice is left alone: the next remittance cancels its boletos.
    Safe to run twice: what already has the balance is not touched.
    """
    balance = invoice.balance
    if invoice.status != InvoiceStatus.UNPAID or balance <= 0:
        return
    stale = list(
        Boleto.objects.filter(invoice=invoice, status__in=OPEN_STATUSES)
        .exclude(amount=balance)
        .values_list("pk", "wallet_id")
    )
    if stale:
        # The wallets first, in id order, as remittance_create and _issue lock them, then the boletos.
        list(Wallet.objects.select_for_update().filter(pk__in={w for _, w in stale}).order_by("pk").values_list("pk"))
        boletos = (
            Boleto.objects.select_for_update(of=("self",))
            .select_related("wallet")
            .filter(pk__in=[pk for pk, _ in stale], status__in=OPEN_STATUSES)
            .order_by("pk")
        )
        for boleto in boletos:
            if boleto.amount != balance:
                _boleto_follow(boleto, invoice, balance, actor)
    _pix_follow(invoice, balance, actor)


@transaction.atomic
def invoices_charges_follow_balance(*, invoice_ids: list[int], actor) -> int:
    """`invoice_charges_follow_balance` for invoices paid outside `payment_apply` (a return file's bulk settlement):
    locks their customers, then the invoices, in id order. Safe to run twice. Returns how many invoices it saw."""
    rows = set(Invoice.objects.filter(pk__in=list(invoice_ids)).values_list("customer_id", "pk"))
    for customer_id in sorted({row[0] for row in rows}):
        customer_lock(customer_id)
    invoices = Invoice.objects.select_for_update(of=("self",)).select_related("entity")
    for invoice in invoices.filter(pk__in=[row[1] for row in rows]).order_by("pk"):
        invoice_charges_follow_balance(invoice=invoice, actor=actor)
    return len(rows)


def _boleto_follow(boleto: Boleto, invoice: Invoice, balance: Decimal, actor) -> None:
    wallet = boleto.wallet
    layout = LAYOUTS.get((wallet.bank, wallet.cnab_layout))
    instruction = layout is not None and bool(layout.amount_change_code)
    if boleto.pending_action in (RemittanceAction.ENTRY, RemittanceAction.AMOUNT) or (
        instruction and boleto.pending_action == RemittanceAction.NONE
    ):
        # Not sent yet (the entry carries the new amount), or the bank changes a title's amount: same nosso número,
        # a new barcode (the amount is in it).
        _boleto_remake(
            boleto,
            actor=actor,
            action=RemittanceAction.AMOUNT,
            amount=balance,
            summary=f"boleto {boleto.our_number_display}: amount {balance:.2f}, the balance of {invoice.number}",
        )
        notices.boleto_balance_notice(boleto=boleto, actor=actor)
        return
    # No instruction for this bank and layout, or a due-date change waiting: the bank writes this boleto off and a
    # new one is issued for the balance; both go in the next remittance.
    summary = f"boleto {boleto.our_number_display}: cancelled, {invoice.number} is reissued for {balance:.2f}"
    saved = ["status", "pending_action", "cancelled_at"]
    with logged_update(boleto, BOLETO_FIELDS, actor=actor, summary=summary, saved=saved):
        boleto.status = BoletoStatus.CANCELLED
        boleto.pending_action = RemittanceAction.CANCEL
        boleto.cancelled_at = timezone.now()
    if not wallet.is_active:
        return
    try:
        with transaction.atomic():
            reissued = _issue(invoice=invoice, wallet=wallet, actor=actor)
    except Conflict as error:
        # No nosso número left: the payment stands and the stale boleto is cancelled all the same; staff issue one.
        activity_record(
            entity_id=boleto.entity_id,
            actor=actor,
            action=ActivityAction.UPDATE,
            obj=boleto,
            customer_id=boleto.customer_id,
            summary=f"boleto {boleto.our_number_display}: no new boleto for {invoice.number} ({error.code})",
        )
    else:
        notices.boleto_balance_notice(boleto=reissued, actor=actor)


def _pix_follow(invoice: Invoice, balance: Decimal, actor) -> None:
    charges = list(
        PixCharge.objects.select_for_update(of=("self",))
        .select_related("wallet")
        .filter(invoice=invoice, status=PixChargeStatus.ACTIVE)
        .exclude(amount=balance)
        .order_by("pk")
    )
    revise = []
    for charge in charges:
        if charge.kind == PixChargeKind.STATIC:
            _static_pix_charge(invoice=invoice, wallet=charge.wallet, actor=actor)
            continue
        summary = f"PIX {charge.txid}: amount {balance:.2f}, the balance of {invoice.number}, to revise at the PSP"
        with logged_update(charge, PIX_REVISION_FIELDS, actor=actor, summary=summary, customer_id=invoice.customer_id):
            charge.amount = balance
            charge.revision_pending = True
            charge.revision_error = ""
        revise.append(charge.pk)
    if revise:
        # robust: an unexpected error is logged, never raised into the committed payment's request.
        transaction.on_commit(lambda: pix_charges_revise(charge_ids=revise), robust=True)


def pix_charges_revise(*, charge_ids: list[int] | None = None, provider=None) -> dict:
    """Send the PSP each active cobv's new amount (`PATCH /cobv/{txid}`); a job, and the payment's after-commit step.

    A charge the PSP took stops being pending; one it refused (or could not be reached for) stays pending with the
    error, for the next run (`quita pix revise`). The amount is read again at the end: a later payment's newer amount
    stays pending. Returns {"revised": n, "failed": m}.
    """
    from quita.banking.pix.provider import PixProviderError

    pending = PixCharge.objects.filter(
        revision_pending=True, status=PixChargeStatus.ACTIVE, kind=PixChargeKind.DUE
    ).select_related("wallet", "invoice")
    if charge_ids is not None:
        pending = pending.filter(pk__in=charge_ids)
    revised = failed = 0
    for charge in pending.order_by("pk"):
        try:
            psp = provider or wallet_pix_provider(charge.wallet)
            if psp is None:
                raise PixProviderError("the wallet has no API Pix configured")
            psp.revise_due_charge(
                txid=charge.txid,
                amount=charge.amount,
                fine_percent=charge.wallet.fine_percent,
                interest_percent_month=charge.wallet.interest_percent_month,
            )
        except (PixProviderError, Conflict, ValueError) as error:  # ValueError: an answer that is not JSON
            failed += 1
            PixCharge.objects.filter(pk=charge.pk, revision_pending=True).update(revision_error=str(error)[:255])
            continue
        with transaction.atomic():
            done = PixCharge.objects.filter(pk=charge.pk, amount=charge.amount, revision_pending=True).update(
                revision_pending=False, revision_error=""
            )
            if done:
                revised += 1
                activity_record(
                    entity_id=charge.entity_id,
                    actor=None,
                    action=ActivityAction.UPDATE,
                    obj=charge,
                    customer_id=charge.invoice.customer_id,
                    summary=f"PIX {charge.txid}: revised at the PSP to {charge.amount:.2f}",
                    after={"amount": f"{charge.amount:.2f}", "revision_pending": False},
                )
    return {"revised": revised, "failed": failed}


def boleto_payable_at(boleto: Boleto) -> datetime.datetime | None:
    """When the boleto may be paid: registered now, or 30 minutes after issue when the wallet assumes registration."""
    if boleto.status == BoletoStatus.REGISTERED:
        return boleto.registered_at or boleto.created_at
    if boleto.status != BoletoStatus.AWAITING_REGISTRATION:
        return None
    return boleto.created_at + datetime.timedelta(minutes=REGISTRATION_DELAY_MINUTES)


@transaction.atomic
def boletos_assume_registered(*, now: datetime.datetime | None = None) -> int:
    """Mark registered the boletos of "assumed" wallets that have waited 30 minutes (a job; safe to run twice)."""
    now = now or timezone.now()
    limit = now - datetime.timedelta(minutes=REGISTRATION_DELAY_MINUTES)
    return Boleto.objects.filter(
        status=BoletoStatus.AWAITING_REGISTRATION,
        wallet__registration=RegistrationMode.ASSUMED,
        created_at__lte=limit,
    ).update(status=BoletoStatus.REGISTERED, registered_at=now)


def boleto_display_status(boleto: Boleto, *, now: datetime.datetime | None = None) -> str:
    """The status as shown: an "assumed" boleto past its 30 minutes is registered even before the job ran."""
    now = now or timezone.now()
    if (
        boleto.status == BoletoStatus.AWAITING_REGISTRATION
        and boleto.wallet.registration == RegistrationMode.ASSUMED
        and now >= boleto_payable_at(boleto)
    ):
        return BoletoStatus.REGISTERED
    return boleto.status


# ---------------------------------------------------------------------------------------------------------------
# Remittances
# ---------------------------------------------------------------------------------------------------------------


def _payer(customer) -> dict:
    from stdnum.br import cnpj as cnpj_module

    document = "".join(ch for ch in (customer.document or "") if ch.isdigit())
    return {
        "payer_doc_type": "2" if len(document) == 14 and cnpj_module.is_valid(document) else "1",
        "payer_doc": document,
        "payer_name": customer.name,
        "payer_address": " ".join(x for x in (customer.street, customer.number, customer.complement) if x),
        "payer_district": customer.district,
        "payer_postcode": customer.postal_code,
        "payer_city": customer.city,
        "payer_state": customer.state,
    }


def _title_values(boleto: Boleto, wallet: Wallet, layout, action: str, today: datetime.date) -> dict:
    amount = boleto.amount
    code_digits = "".join(ch for ch in wallet.wallet_code if ch.isdigit()) or "1"
    if layout.width == 240:
        wallet_code = "1"  # FEBRABAN: 1 = cobrança simples
    else:
        size = next((f.size for f in layout.records["remittance"] if f.name == "wallet_code"), 2)
        wallet_code = code_digits[-size:]
    interest_day = (amount * wallet.interest_percent_month / Decimal(100) / 30).quantize(Decimal("0.01"))
    discount = (amount * wallet.discount_percent / Decimal(100)).quantize(Decimal("0.01"))
    values = {
        "action": action,
        "agency": wallet.agency,
        "agency_digit": wallet.agency_digit,
        "account": wallet.account,
        "account_digit": wallet.account_digit,
        "agreement": wallet.beneficiary_code,
        "beneficiary": wallet.beneficiary_code,
        "wallet_code": wallet_code,
        "wallet_number": wallet.wallet_code,
        "variation": wallet.variation,
        "our_number": layout.our_number_out(boleto),
        "document_number": boleto.invoice.number[-10:],
        "company_use": f"Q{boleto.pk}",
        "due_date": boleto.due_date,
        "amount": amount,
        "issue_date": boleto.created_at.date(),
        "interest_code": "1" if interest_day else "3",
        "interest_date": boleto.due_date + datetime.timedelta(days=1) if interest_day else None,
        "interest": interest_day,
        "fine_code": "2" if wallet.fine_percent else "0",
        "fine_date": boleto.due_date + datetime.timedelta(days=1) if wallet.fine_percent else None,
        "fine": wallet.fine_percent,
        "fine_percent": wallet.fine_percent,
        "discount_code": "1" if discount and wallet.discount_days else "0",
        "discount_date": boleto.due_date - datetime.timedelta(days=wallet.discount_days)
        if discount and wallet.discount_days
        else None,
        "discount": discount if wallet.discount_days else Decimal("0.00"),
        **_payer(boleto.customer),
    }
    return values


@transaction.atomic
def remittance_create(*, wallet_id: int, actor) -> Remittance:
    """Write the wallet's next remittance: pending entries and changes, and cancellations of boletos whose
    invoice was voided or paid by other means. Refused when there is nothing to send."""
    # Only the wallet row: a payment holds the entity's (customer_lock) and then takes this wallet's (0045).
    wallet = Wallet.objects.select_for_update(of=("self",)).select_related("entity").get(pk=wallet_id)
    ensure_permission(actor=actor, entity=wallet.entity_id, action="generate_invoices")
    if wallet.kind != WalletKind.BANK:
        raise ValidationFailed(_("Choose a bank wallet."), code="wallet_not_bank", fields={"wallet": [_("Invalid.")]})
    layout = LAYOUTS.get((wallet.bank, wallet.cnab_layout))
    if layout is None:
        raise Conflict(_("This wallet's bank and layout cannot write remittances."), code="wallet_layout_invalid")
    # An open boleto whose invoice is no longer payable is cancelled in this remittance.
    stale = Boleto.objects.filter(
        wallet=wallet,
        status__in=[BoletoStatus.AWAITING_REGISTRATION, BoletoStatus.REGISTERED],
        invoice__status__in=[InvoiceStatus.VOID, InvoiceStatus.PAID],
    )
    now = timezone.now()
    # of=("self",) here and below: PostgreSQL would also lock the joined invoices and customers, which a payment
    # holds before it takes this wallet (docs/decisions/0045).
    for boleto in stale.select_for_update(of=("self",)):
        boleto.pending_action = RemittanceAction.CANCEL if boleto.pending_action != RemittanceAction.ENTRY else ""
        boleto.status = BoletoStatus.CANCELLED
        boleto.cancelled_at = now
        boleto.save(update_fields=["pending_action", "status", "cancelled_at"])
    boletos = list(
        Boleto.objects.select_for_update(of=("self",))
        .filter(wallet=wallet)
        .exclude(pending_action="")
        .select_related("invoice", "customer")
        .order_by("id")
    )
    if not boletos:
        raise Conflict(_("There is nothing to send to the bank."), code="remittance_empty")
    if not layout.amount_change_code and any(b.pending_action == RemittanceAction.AMOUNT for b in boletos):
        # Only when the wallet's bank or layout changed after the change of amount was decided.
        raise Conflict(
            _("This wallet's bank and layout cannot change a boleto's amount; cancel and issue the boleto again."),
            code="remittance_amount_change_unsupported",
        )
    today = entity_today(wallet.entity)
    number = wallet.next_remittance_number
    header = cnab_writer.FileHeader(
        bank=wallet.bank,
        company_doc=wallet.entity.cnpj,
        company_name=wallet.entity.legal_name or wallet.entity.name,
        agency=wallet.agency,
        agency_digit=wallet.agency_digit,
        account=wallet.account,
        account_digit=wallet.account_digit,
        agreement=wallet.beneficiary_code,
        file_number=number,
        created=timezone.localtime(now),
        bank_name=BANKS[wallet.bank].NAME,
    )
    titles = [_title_values(b, wallet, layout, b.pending_action, today) for b in boletos]
    content = cnab_writer.write_remittance(layout, header, titles)
    remittance = Remittance.objects.create(
        entity_id=wallet.entity_id,
        wallet=wallet,
        number=number,
        layout=wallet.cnab_layout,
        filename=f"REM{wallet.bank}{number:06d}.{'rem' if wallet.cnab_layout == 400 else 'REM'}",
        content=content,
        record_count=len(boletos),
        total_amount=sum((b.amount for b in boletos), Decimal("0.00")),
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
    )
    RemittanceItem.objects.bulk_create(
        [RemittanceItem(remittance=remittance, boleto=b, action=b.pending_action) for b in boletos]
    )
    Boleto.objects.filter(pk__in=[b.pk for b in boletos]).update(pending_action="")
    Wallet.objects.filter(pk=wallet.pk).update(next_remittance_number=number + 1)
    activity_record(
        entity_id=wallet.entity_id,
        actor=actor,
        action=ActivityAction.GENERATE,
        obj=remittance,
        summary=f"remittance {remittance.filename}: {len(boletos)} boletos",
        after={"boletos": [b.pk for b in boletos], "total": f"{remittance.total_amount:.2f}"},
    )
    return remittance


# ---------------------------------------------------------------------------------------------------------------
# Return files
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """The return file as imported (or as imported before, when `created` is False)."""

    return_file: ReturnFile
    created: bool


OCCURRENCE_OF = {
    "entry_confirmed": ReturnOccurrence.ENTRY_CONFIRMED.value,
    "rejected": ReturnOccurrence.REJECTED.value,
    "liquidated": ReturnOccurrence.LIQUIDATED.value,
    "written_off": ReturnOccurrence.WRITTEN_OFF.value,
    "other": ReturnOccurrence.OTHER.value,
}
# Plain strings for the 100,000-record loop (an enum member's `.value` is a descriptor call each time).
DUPLICATE, RECORDED = ReturnOutcome.DUPLICATE.value, ReturnOutcome.RECORDED.value
APPLIED, ATTENTION = ReturnOutcome.APPLIED.value, ReturnOutcome.ATTENTION.value
BOLETO_METHOD = PaymentMethodKind.BOLETO.value


def _return_wallet(entity_id: int, parsed) -> Wallet | None:
    wallets = list(Wallet.objects.filter(entity_id=entity_id, kind=WalletKind.BANK, bank=parsed.bank))
    if len(wallets) == 1:
        return wallets[0]
    agreement = str(parsed.header.get("agreement") or "").strip().lstrip("0")
    account = str(parsed.header.get("account") or "").strip().lstrip("0")
    for wallet in wallets:
        if agreement and wallet.beneficiary_code.lstrip("0") and wallet.beneficiary_code.lstrip("0") in agreement:
            return wallet
        if account and wallet.account.lstrip("0") == account:
            return wallet
    return None


def return_import(*, entity_id: int, content: bytes, filename: str, actor) -> ImportResult:
    """Import a bank return file. The same file again changes nothing; a malformed file is refused whole
    (line and reason); bad records are listed and the good ones applied; money that cannot be applied by
    itself is kept in "needs attention"."""
    ensure_permission(actor=actor, entity=entity_id, action="record_payments")
    digest = hashlib.sha256(content).hexdigest()
    # Without the file's text: the caller has it, and a 100,000-record file is 40 MB to read back and decompress.
    known = ReturnFile.objects.filter(entity_id=entity_id, sha256=digest).defer("content")
    existing = known.first()
    if existing is not None:
        return ImportResult(existing, False)
    try:
        parsed = cnab_reader.read(content)
    except CnabError as error:
        raise ValidationFailed(
            _("The file was refused: %(reason)s") % {"reason": str(error)},
            code=error.code if error.code != "cnab_invalid" else "cnab_file_invalid",
            fields={"file": [str(error)], "line": [str(error.line or "")]},
        ) from None
    if parsed.direction != "return":
        raise ValidationFailed(
            _("This is a remittance file, not a return file."),
            code="cnab_not_a_return",
            fields={"file": [_("A remittance (remessa) file.")]},
        )
    try:
        with transaction.atomic():
            return_file = _apply_return(entity_id, parsed, content, digest, filename, actor)
    except IntegrityError:
        existing = known.first()
        if existing is None:
            raise
        return ImportResult(existing, False)
    return ImportResult(return_file, True)


CHUNK = 10000


def _chunks(count: int):
    """(start, end) of each chunk: the first one small, so that the database starts writing early, then each twice
    the one before up to CHUNK. Deciding a chunk here takes about half the time the database takes to write it:
    a chunk at most twice its predecessor is ready before the queue runs dry, so the server never waits."""
    start, size = 0, min(CHUNK, 1000)
    while start < count:
        yield start, min(start + size, count)
        start, size = start + size, min(size * 2, CHUNK)


BOLETO_EVENT_FIELDS = ["status", "registered_at", "paid_at", "pending_action", "rejection_code"]


def _apply_return(entity_id, parsed, content, digest, filename, actor) -> ReturnFile:
    wallet = _return_wallet(entity_id, parsed)
    now = timezone.now()
    return_file = ReturnFile.objects.create(
        entity_id=entity_id,
        wallet=wallet,
        bank=parsed.bank,
        layout=parsed.width,
        filename=(filename or "retorno")[:255],
        sha256=digest,
        content="",
        record_count=len(parsed.titles),
        errors=parsed.errors,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
    )
    with Pipeline(immediate_keys=True) as via:
        applied, attention, settler = _apply_titles(entity_id, parsed, content, wallet, return_file, actor, now, via)
    # A liquidation for less than the balance: the invoice's other open boletos and PIX charges follow the balance,
    # as after any partial payment (`payment_apply` does the same through its balance hook).
    for invoice in Invoice.objects.filter(pk__in=any_of(settler.partly_paid())).order_by("pk"):
        invoice_charges_follow_balance(invoice=invoice, actor=actor)
    ReturnFile.objects.filter(pk=return_file.pk).update(applied_count=applied, attention_count=attention)
    return_file.applied_count, return_file.attention_count = applied, attention
    activity_record(
        entity_id=entity_id,
        actor=actor,
        action=ActivityAction.CREATE,
        obj=return_file,
        summary=f"return {return_file.filename}: {len(parsed.titles)} records, {applied} applied, "
        f"{attention} need attention, {len(parsed.errors)} refused",
        after={"sha256": digest, "errors": parsed.errors[:50]},
    )
    return return_file


def _apply_titles(entity_id, parsed, content, wallet, return_file, actor, now, via):
    """Apply the file's titles chunk by chunk, the writes queued in `via` (docs/decisions/0033).

    Everything the file needs from the database is read (and locked) first; then this thread only decides, in
    memory, and queues each chunk's writes while the pipeline's thread sends the previous ones. The boletos and
    invoices read here are changed here as their writes are queued, so a later line sees what an earlier one
    did. Returns (applied, attention, the settler)."""
    set_text(ReturnFile, return_file.pk, "content", content.decode("latin-1"), via=via)
    if via.threaded:
        # The ledger lines' title search index (GIN, decision 0007) takes this transaction's entries into its
        # pending list and leaves the merge to autovacuum, instead of merging every 4 MB during the import.
        via.submit(lambda cursor: cursor.execute("SET LOCAL gin_pending_list_limit = '128MB'"))
    titles = parsed.titles
    boletos = Boleto.objects.filter(entity_id=entity_id, wallet__bank=parsed.bank)
    if wallet is not None:
        boletos = boletos.filter(wallet=wallet)
    by_number: dict[int, dict | None] = {}
    numbers = any_of({t.our_number for t in titles if t.our_number is not None})
    # Unordered: the model's newest-first ordering would sort every boleto of the file for nothing.
    for b in (
        boletos.filter(our_number__in=numbers)
        .order_by()
        .values("id", "invoice_id", "customer_id", "status", "our_number", "our_number_display")
    ):
        # Without the file's wallet, a number two wallets of the bank share is ambiguous: never guess.
        by_number[b["our_number"]] = None if b["our_number"] in by_number else b
    keys = [_event_key(entity_id, parsed.bank, wallet, t) for t in titles]
    known = set(ReturnRecord.objects.filter(event_key__in=any_of(set(keys))).values_list("event_key", flat=True))
    # The locks, in the order every writer takes them: the boletos events change, then customers and invoices.
    events = _lock_boletos(
        {b["id"] for t in titles if t.occurrence != "liquidated" and (b := by_number.get(t.our_number)) is not None}
    )
    liquidated = [b for t in titles if t.occurrence == "liquidated" and (b := by_number.get(t.our_number))]
    settler = settlement.Settler(actor=actor, now=now, via=via)
    settler.lock({b["invoice_id"] for b in liquidated}, customer_ids={b["customer_id"] for b in liquidated})
    settler.reserve(len(liquidated))
    record_ids = iter(reserve_ids(ReturnRecord, len(titles)))
    applied = attention = 0
    seen: set[str] = set()
    for start, end in _chunks(len(titles)):
        chunk = titles[start:end]
        records: list[dict] = []
        reasons: list[str | None] = []
        settlements: list[tuple[int, dict, settlement.Settlement]] = []
        boleto_changes: list[tuple[int, dict]] = []  # (boleto id, fields to set), in line order
        for title, key in zip(chunk, keys[start:end], strict=True):
            duplicate = key in known or key in seen
            seen.add(key)
            boleto = by_number.get(title.our_number)
            record = {
                "id": next(record_ids),
                "return_file_id": return_file.pk,
                "line_number": title.line,
                "boleto_id": boleto["id"] if boleto else None,
                "our_number": title.our_number_text[:40],
                "occurrence_code": title.occurrence_code[:4],
                "occurrence": OCCURRENCE_OF[title.occurrence],
                "occurrence_date": title.occurrence_date,
                "reason_codes": title.reasons[:40],
                "face_value": title.amount,
                "paid_amount": title.paid_amount,
                "fee": title.fee,
                "interest": title.interest,
                "discount": title.discount,
                "abatement": title.abatement,
                "credit_amount": title.credit_amount,
                "payment_date": title.occurrence_date,
                "credit_date": title.credit_date,
                "event_key": None if duplicate else key,
                "outcome": DUPLICATE if duplicate else RECORDED,
                "payment_id": None,
            }
            records.append(record)
            reasons.append(None)
            if duplicate:
                continue
            index = len(records) - 1
            if title.occurrence == "liquidated":
                item, reason = _liquidation(key, title, boleto, parsed.bank, now)
                if item is None:
                    record["outcome"], reasons[index] = ATTENTION, reason
                else:
                    settlements.append((index, boleto, item))
            else:
                outcome, reasons[index], change = _apply_event(title, boleto, now)
                if outcome:
                    record["outcome"] = outcome
                if change:
                    boleto_changes.append((boleto["id"], change))
        _change_boletos(boleto_changes, events, via)
        settler.settle([item for _, _, item in settlements])
        paid_boletos = {}
        paid_status = BoletoStatus.PAID.value
        for index, boleto, item in settlements:
            if item.refused:
                records[index]["outcome"] = ATTENTION
                reasons[index] = (
                    AttentionReason.INVOICE_VOID if item.refused == "void" else AttentionReason.INVOICE_ALREADY_PAID
                )
            else:
                records[index]["payment_id"] = item.payment_id
                records[index]["outcome"] = APPLIED
                paid_boletos[boleto["id"]] = {
                    "id": boleto["id"],
                    "status": paid_status,
                    "paid_at": now,
                    "pending_action": "",
                    "registered_at": now,  # only where the boleto was not registered yet (`keep`)
                }
                boleto["status"] = paid_status
        update_rows(
            Boleto,
            list(paid_boletos.values()),
            fields=["status", "paid_at", "pending_action", "registered_at"],
            keep=("registered_at",),
            via=via,
        )
        for record, record_id in zip(records, insert_rows(ReturnRecord, records, via=via), strict=False):
            record["id"] = record_id  # numbered by the database where ids cannot be reserved (SQLite)
        items = []
        for record, reason in zip(records, reasons, strict=True):
            if record["outcome"] == APPLIED:
                applied += 1
            if reason:
                attention += 1
                items.append(
                    {
                        "entity_id": entity_id,
                        "reason": reason,
                        "detail": f"{parsed.bank} {record['our_number']} {record['occurrence_code']} "
                        f"{record['reason_codes']}".strip()[:255],
                        "amount": record["paid_amount"],
                        "return_record_id": record["id"],
                        "created_at": now,
                    }
                )
        insert_rows(AttentionItem, items, returning_ids=False, via=via)
    return applied, attention, settler


def _lock_boletos(ids: set[int]) -> dict[int, dict]:
    """Lock the boletos entry confirmations, rejections and write-offs change; their fields as read."""
    if not ids:
        return {}
    return {
        b["id"]: b
        for b in Boleto.objects.select_for_update()
        .filter(pk__in=any_of(sorted(ids)))
        .order_by("pk")
        .values("id", *BOLETO_EVENT_FIELDS)
    }


def _change_boletos(changes: list[tuple[int, dict]], events: dict[int, dict], via) -> None:
    """Apply the boleto changes of entry confirmations, rejections and write-offs, as if one by one in line order:
    each boleto's changes merged over its locked row (`events`, kept as changed), then one set-based update."""
    if not changes:
        return
    merged: dict[int, dict] = {}
    for boleto_id, change in changes:
        row = events[boleto_id]
        row.update(change)
        merged[boleto_id] = row
    update_rows(Boleto, [dict(row) for row in merged.values()], fields=BOLETO_EVENT_FIELDS, via=via)


def _event_key(entity_id: int, bank: str, wallet: Wallet | None, title) -> str:
    """The same bank event reported twice (in another file) has the same key; the unique index applies it once."""
    our = title.our_number if title.our_number is not None else title.our_number_text.strip()
    date = title.occurrence_date.isoformat() if title.occurrence_date else ""
    return f"{entity_id}:{bank}:{wallet.pk if wallet else '-'}:{our}:{title.occurrence_code}:{date}"[:120]


def _liquidation(key: str, title, boleto: dict | None, bank: str, now):
    """(the settlement a liquidation asks for, None) or (None, the needs-attention reason)."""
    if boleto is None:
        return None, AttentionReason.UNKNOWN_OUR_NUMBER
    # The amount that settles the invoice: what was paid, less the late charges, plus the discount the wallet
    # granted. Interest, discount and the bank's fee stay on the return record (docs/decisions/0021).
    settled = title.paid_amount - title.interest + title.discount
    if settled <= 0:
        return None, AttentionReason.UNKNOWN_OUR_NUMBER
    item = settlement.Settlement(
        invoice_id=boleto["invoice_id"],
        amount=settled,
        method=BOLETO_METHOD,
        reference=f"{bank} {boleto['our_number_display']}"[:120],
        received_on=title.occurrence_date or title.credit_date or timezone.localdate(now),
        gateway=f"cnab-{bank}",
        external_id=key,
    )
    return item, None


def _apply_event(title, boleto: dict | None, now) -> tuple[str | None, str | None, dict | None]:
    """Entry confirmed → registered; rejection → rejected with the bank's reason (and listed); write-off.

    Returns (outcome, needs-attention reason, the boleto's fields to change)."""
    if boleto is None:
        return None, None, None
    occurrence = title.occurrence
    open_statuses = (BoletoStatus.AWAITING_REGISTRATION, BoletoStatus.REGISTERED)
    if occurrence == "entry_confirmed":
        change = None
        if boleto["status"] == BoletoStatus.AWAITING_REGISTRATION:
            change = {"status": BoletoStatus.REGISTERED.value, "registered_at": now}
        return ReturnOutcome.APPLIED.value, None, change
    if occurrence == "rejected":
        change = None
        if boleto["status"] in open_statuses:
            change = {"status": BoletoStatus.REJECTED.value, "rejection_code": title.reasons[:20], "pending_action": ""}
        return ReturnOutcome.APPLIED.value, AttentionReason.REJECTED, change
    if occurrence == "written_off":
        change = None
        if boleto["status"] in open_statuses:
            change = {"status": BoletoStatus.WRITTEN_OFF.value, "pending_action": ""}
        return ReturnOutcome.APPLIED.value, None, change
    return None, None, None


def _attention_mark(
    item: AttentionItem,
    *,
    actor,
    resolution: str,
    summary: str,
    customer_id: int | None = None,
    links: dict | None = None,
    logged: dict | None = None,
) -> None:
    """Set a needs-attention item's resolution — resolved now by `actor`, or open again when it is "" — and its
    `links` (payment, credit), save, and log it: one activity row with the resolution and the links before and after
    (`logged` added to the after side)."""
    links = links or {}
    before = {"resolution": item.resolution, **{name: getattr(item, f"{name}_id") for name in links}}
    item.resolved_at = timezone.now() if resolution else None
    item.resolved_by = actor if resolution and actor is not None and actor.is_authenticated else None
    item.resolution = resolution[:255]
    for name, value in links.items():
        setattr(item, name, value)
    item.save(update_fields=["resolved_at", "resolved_by", "resolution", *links])
    activity_record(
        entity_id=item.entity_id,
        actor=actor,
        action=ActivityAction.UPDATE,
        obj=item,
        customer_id=customer_id,
        summary=summary,
        before=before,
        after={
            "resolution": item.resolution,
            **{name: getattr(item, f"{name}_id") for name in links},
            **(logged or {}),
        },
    )


@transaction.atomic
def attention_resolve(*, item_id: int, actor, resolution: str) -> AttentionItem:
    """Mark a needs-attention item dealt with (a refund, a manual payment elsewhere…), saying how."""
    item = AttentionItem.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("Not found."), code="attention_not_found")
    ensure_permission(actor=actor, entity=item.entity_id, action="record_payments")
    if item.resolved_at is not None:
        raise Conflict(_("This item is already resolved."), code="attention_already_resolved")
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationFailed(
            _("Say how it was resolved."), code="resolution_required", fields={"resolution": [_("Required.")]}
        )
    _attention_mark(item, actor=actor, resolution=resolution, summary=f"needs attention resolved: {resolution[:255]}")
    return item


# Needs-attention items that carry money a person can apply to an invoice.
MONEY_REASONS = (
    AttentionReason.UNKNOWN_OUR_NUMBER,
    AttentionReason.INVOICE_VOID,
    AttentionReason.INVOICE_ALREADY_PAID,
    AttentionReason.UNKNOWN_TXID,
)


def attention_can_apply(item: AttentionItem) -> bool:
    """Whether the item's money can still be applied to an invoice (`attention_apply`)."""
    return (
        item.resolved_at is None
        and item.reason in MONEY_REASONS
        and item.amount > 0
        and (item.return_record_id is not None or item.pix_receipt_id is not None)
    )


def _attention_applicable(item: AttentionItem) -> None:
    if item.resolved_at is not None:
        raise Conflict(_("This item is already resolved."), code="attention_already_resolved")
    if not attention_can_apply(item):
        raise Conflict(_("This item carries no money to apply."), code="attention_no_money")


def _attention_amount(item: AttentionItem) -> Decimal:
    """The money an item carries, as the automatic path would have counted it: a liquidation pays `paid − interest +
    discount` (decision 0021), a PIX its amount. Refused with `attention_no_money` when that is not positive."""
    record, receipt = item.return_record, item.pix_receipt
    amount = record.paid_amount - record.interest + record.discount if record is not None else receipt.amount
    if amount <= 0:
        raise Conflict(_("This item carries no money to apply."), code="attention_no_money")
    return amount


@transaction.atomic
def attention_apply(*, item_id: int, invoice_id: int, actor) -> AttentionItem:
    """Apply the money of a needs-attention item to an open invoice the person found (the payer's), as if the bank
    or the PSP had paid that invoice: a Payment by boleto or PIX, dated when the money was received, with what
    exceeds the balance left as a credit (`payment_apply`); the item is resolved and points at the payment.

    A liquidation settles what `_liquidation` would have (paid, less interest, plus discount; docs/decisions/0021),
    and the Payment carries the record's event key (a PIX, its end-to-end id). The item is locked after the invoice
    and checked again: two people applying it at once are served in turn, and the second is told it is resolved
    (the payment's unique `(gateway, external_id)` would refuse a second payment of the same money anyway).
    """
    item = AttentionItem.objects.filter(pk=item_id).first()  # read first: the item's refusals come before the invoice's
    if item is None:
        raise NotFound(_("Not found."), code="attention_not_found")
    ensure_permission(actor=actor, entity=item.entity_id, action="record_payments")
    _attention_applicable(item)
    invoice = locked_unpaid_invoice(invoice_id, actor)  # customer, then invoice: the lock order of every payment
    if invoice.entity_id != item.entity_id:  # another company's invoice never takes this company's money
        raise NotFound(_("Invoice not found."), code="invoice_not_found")
    item = (
        AttentionItem.objects.select_for_update(of=("self",))
        .select_related("return_record__return_file", "pix_receipt")
        .get(pk=item_id)
    )
    _attention_applicable(item)  # again, locked: someone may have resolved it meanwhile
    record, receipt = item.return_record, item.pix_receipt
    amount = _attention_amount(item)
    if record is not None:
        bank = record.return_file.bank
        payment = payment_apply(
            invoice=invoice,
            actor=actor,
            method=BOLETO_METHOD,
            amount=amount,
            reference=f"{bank} {record.our_number}".strip()[:120],
            received_on=record.payment_date or record.credit_date or entity_today(invoice.entity),
            gateway=f"cnab-{bank}",
            external_id=record.event_key or f"return-record-{record.pk}",
        )
    else:
        payment = payment_apply(
            invoice=invoice,
            actor=actor,
            method=PaymentMethodKind.PIX,
            amount=amount,
            reference=receipt.end_to_end_id[:120],
            received_on=timezone.localtime(receipt.paid_at).date(),
            gateway="pix",
            external_id=receipt.end_to_end_id,
        )
        receipt.payment = payment
        receipt.save(update_fields=["payment"])
    _attention_mark(
        item,
        actor=actor,
        resolution=str(_("Applied to invoice %(number)s") % {"number": invoice.number}),
        summary=f"needs attention: {payment.amount:.2f} applied to {invoice.number} (payment {payment.pk})",
        customer_id=invoice.customer_id,
        links={"payment": payment},
        logged={"invoice": invoice.pk},
    )
    return item


@transaction.atomic
def attention_credit(*, item_id: int, customer_id: int, actor) -> AttentionItem:
    """Keep the money of a needs-attention item on a customer's account when there is no open invoice to apply it to
    (crédito em conta; docs/decisions/0059): an unbilled ledger credit of type "Payment received by the bank", of
    the amount `attention_apply` would have paid, dated when the money was received, naming the bank's record. The
    customer's next invoice consumes it like any other credit. The item is resolved and points at the credit.

    Locks as `attention_apply`: the item is read and checked first, then the customer is locked (the ledger's lock),
    then the item, locked, is checked again, so two people crediting it at once are served in turn and the second
    is told it is resolved; the item's one-to-one `credit` (and its check against `payment`) stands behind that.
    A customer of another company is not found.
    """
    item = AttentionItem.objects.filter(pk=item_id).first()  # read first: its refusals come before the customer's
    if item is None:
        raise NotFound(_("Not found."), code="attention_not_found")
    ensure_permission(actor=actor, entity=item.entity_id, action="record_payments")
    _attention_applicable(item)
    not_found = NotFound(
        _("Customer not found."), code="customer_not_found", fields={"customer": [_("No customer of this company.")]}
    )
    entity_id = Customer.objects.filter(pk=customer_id).values_list("entity_id", flat=True).first()
    if entity_id is None or entity_id != item.entity_id:  # another company's customer never takes this money
        raise not_found
    customer = customer_lock(customer_id)
    item = (
        AttentionItem.objects.select_for_update(of=("self",))
        .select_related("entity", "return_record__return_file", "pix_receipt")
        .get(pk=item_id)
    )
    _attention_applicable(item)  # again, locked: someone may have applied, credited or resolved it meanwhile
    amount = _attention_amount(item)
    record, receipt = item.return_record, item.pix_receipt
    if record is not None:
        return_file = record.return_file
        bank = f"{BANKS[return_file.bank].NAME} ({return_file.bank})" if return_file.bank in BANKS else return_file.bank
        received_on = record.payment_date or record.credit_date or entity_today(item.entity)
        title = _("Boleto paid at the bank: nosso número %(number)s") % {"number": record.our_number}
        description = _("%(bank)s return file %(file)s, line %(line)s, nosso número %(number)s (%(key)s)") % {
            "bank": bank,
            "file": return_file.filename,
            "line": record.line_number,
            "number": record.our_number,
            "key": record.event_key or f"return-record-{record.pk}",
        }
    else:
        received_on = timezone.localtime(receipt.paid_at).date()
        title = _("PIX received: %(id)s") % {"id": receipt.end_to_end_id}
        description = _("PIX end-to-end id %(id)s, txid %(txid)s, payer %(payer)s") % {
            "id": receipt.end_to_end_id,
            "txid": receipt.txid or "—",
            "payer": receipt.payer or "—",
        }
    credit = bank_receipt_credit(
        customer=customer,
        actor=actor,
        amount=amount,
        date=received_on,
        title=str(title),
        description=str(description),
    )
    _attention_mark(
        item,
        actor=actor,
        resolution=str(_("Credited to %(customer)s's account") % {"customer": customer.name}),
        summary=f"needs attention: {amount:.2f} credited to customer {customer.pk} (transaction {credit.pk})",
        customer_id=customer.pk,
        links={"credit": credit},
        logged={"customer": customer.pk},
    )
    return item


def attention_credit_voided(*, tx: Transaction, actor) -> bool:
    """The void hook of `billing.services.transaction_void` (decision 0059): a credit written by `attention_credit`
    can be voided — credited to the wrong customer, say — because its money goes back to "needs attention": the
    item is open again, without its credit, to be credited to the right customer or applied. Called with the
    customer and the line locked (the item is locked after them, as `attention_credit` does); False for any other
    line."""
    item = AttentionItem.objects.select_for_update().filter(credit_id=tx.pk).first()
    if item is None:
        return False
    _attention_mark(
        item,
        actor=actor,
        resolution="",
        summary=f"needs attention: open again, its credit (transaction {tx.pk}) voided",
        customer_id=tx.customer_id,
        links={"credit": None},
    )
    return True


# ---------------------------------------------------------------------------------------------------------------
# PIX
# ---------------------------------------------------------------------------------------------------------------


def invoice_txid(invoice: Invoice, *, dynamic: bool, sequence: int = 1) -> str:
    """The txid of an invoice's PIX charge: letters and digits; at most 25 in a static BR Code, 26-35 in a cobv.

    The first charge of each kind has `sequence` 1 (the txid without a suffix); a charge made after one was closed by
    a partial PIX takes the next sequence after a "P" (a letter the base never holds): `QUITA1X12P2` (static),
    `QUITA1X12P0000000000000002` (cobv, zeros between the "P" and the number up to 26 characters). Decision 0046.
    """
    base = f"QUITA{invoice.entity_id}X{invoice.pk}"
    if sequence == 1:
        return base.ljust(26, "0")[:35] if dynamic else base[:25]
    if dynamic:
        head = base[: 34 - len(str(sequence))]
        return head + "P" + str(sequence).rjust(25 - len(head), "0")
    suffix = f"P{sequence}"
    return base[: 25 - len(suffix)] + suffix


def _new_pix_txid(invoice: Invoice, *, dynamic: bool) -> str:
    """The first txid of the invoice's sequence that no charge of its entity holds (never reuse a closed one)."""
    sequence = 1
    while PixCharge.objects.filter(
        entity_id=invoice.entity_id, txid=(txid := invoice_txid(invoice, dynamic=dynamic, sequence=sequence))
    ).exists():
        sequence += 1
    return txid


@transaction.atomic
def pix_charge_create(*, invoice_id: int, wallet_id: int, actor, provider=None) -> PixCharge:
    """A PIX charge for an unpaid invoice: a cobv at the PSP when a provider is given, a static BR Code otherwise.

    Returns the invoice's active charge of that kind when it exists; one closed by a partial PIX is followed by a
    new one with the next txid (decision 0046).
    """
    from quita.banking.pix import brcode

    invoice = _locked_invoice(invoice_id)
    ensure_permission(actor=actor, entity=invoice.entity_id, action="generate_invoices")
    wallet = wallet_get(entity_id=invoice.entity_id, wallet_id=wallet_id)
    if not wallet.pix_key:
        raise ValidationFailed(
            _("The wallet has no PIX key."), code="wallet_pix_key_missing", fields={"wallet": [_("No PIX key.")]}
        )
    if invoice.status != InvoiceStatus.UNPAID:
        raise Conflict(_("Invoice %(number)s is not open.") % {"number": invoice.number}, code="invoice_not_open")
    provider = provider or wallet_pix_provider(wallet)
    kind = PixChargeKind.STATIC if provider is None else PixChargeKind.DUE
    charge = PixCharge.objects.filter(invoice=invoice, kind=kind, status=PixChargeStatus.ACTIVE).order_by("-pk").first()
    if charge is not None and (charge.kind == PixChargeKind.DUE or charge.amount == invoice.balance):
        return charge
    if provider is None:
        return _static_pix_charge(invoice=invoice, wallet=wallet, actor=actor)
    from quita.banking.pix.provider import PixProviderError

    # The invoice's first cobv, or (its cobv closed by a partial PIX) a new txid for the balance: decision 0046.
    txid = _new_pix_txid(invoice, dynamic=True)
    entity = invoice.entity
    try:
        created = _create_at_psp(provider, txid, wallet, invoice, entity)
    except PixProviderError as error:
        raise Conflict(
            _("The PIX provider refused the charge: %(reason)s") % {"reason": error}, code="pix_provider_error"
        ) from None
    payload = created.payload or brcode.make_dynamic(
        location=created.location, name=entity.legal_name or entity.name, city=_pix_city(entity)
    )
    return _record_pix_charge(
        invoice=invoice,
        wallet=wallet,
        actor=actor,
        kind=PixChargeKind.DUE,
        txid=txid,
        payload=payload,
        location=created.location,
        provider_name=provider.name,
    )


def _pix_city(entity) -> str:
    return getattr(entity, "city", "") or "BRASIL"


def _static_pix_charge(*, invoice: Invoice, wallet: Wallet, actor) -> PixCharge:
    """The invoice's static BR Code (the wallet's key, the invoice's txid, its balance), recorded as a charge so that
    the PIX it brings is matched by its txid."""
    from quita.banking.pix import brcode

    entity = invoice.entity
    existing = (
        PixCharge.objects.select_for_update(of=("self",))
        .select_related("wallet")
        .filter(invoice=invoice, kind=PixChargeKind.STATIC, status=PixChargeStatus.ACTIVE)
        .order_by("-pk")
        .first()
    )
    if existing is not None:
        txid = existing.txid
        if existing.amount == invoice.balance:
            return existing
        # A part of the invoice was paid since: the static code (only a string, unknown to the PSP) is made again
        # for the balance, with the same key and txid, so that nobody is asked to pay the old amount.
        summary = f"PIX {txid} {invoice.number} {invoice.balance:.2f}"
        with logged_update(
            existing, ["amount", "payload"], actor=actor, summary=summary, customer_id=invoice.customer_id
        ):
            existing.amount = invoice.balance
            existing.payload = brcode.make_static(
                key=existing.wallet.pix_key,
                name=entity.legal_name or entity.name,
                city=_pix_city(entity),
                amount=invoice.balance,
                txid=txid,
            )
        return existing
    # The invoice's first static code, or (the last one closed by a partial PIX) a new txid: decision 0046.
    txid = _new_pix_txid(invoice, dynamic=False)
    payload = brcode.make_static(
        key=wallet.pix_key,
        name=entity.legal_name or entity.name,
        city=_pix_city(entity),
        amount=invoice.balance,
        txid=txid,
    )
    return _record_pix_charge(
        invoice=invoice, wallet=wallet, actor=actor, kind=PixChargeKind.STATIC, txid=txid, payload=payload
    )


def _record_pix_charge(
    *, invoice: Invoice, wallet: Wallet, actor, kind: str, txid: str, payload: str, location="", provider_name=""
) -> PixCharge:
    charge = PixCharge.objects.create(
        entity_id=invoice.entity_id,
        wallet=wallet,
        invoice=invoice,
        kind=kind,
        txid=txid,
        amount=invoice.balance,
        due_date=invoice.due_date,
        payload=payload,
        location=location,
        provider=provider_name,
        created_at=timezone.now(),
    )
    activity_record(
        entity_id=invoice.entity_id,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=ActivityAction.CREATE,
        obj=charge,
        customer_id=invoice.customer_id,
        summary=f"PIX {kind} {txid} {invoice.number} {charge.amount:.2f}",
    )
    return charge


def _create_at_psp(provider, txid, wallet, invoice, entity):
    return provider.create_due_charge(
        txid=txid,
        key=wallet.pix_key,
        amount=invoice.balance,
        due_date=max(invoice.due_date, entity_today(entity)),
        payer_name=invoice.customer.name,
        payer_document=invoice.customer.document,
        fine_percent=wallet.fine_percent,
        interest_percent_month=wallet.interest_percent_month,
    )


def pix_received(
    *,
    entity_id: int,
    end_to_end_id: str,
    txid: str,
    amount,
    paid_at: datetime.datetime,
    payer: str = "",
    raw: dict | None = None,
) -> PixReceipt:
    """A PIX arrived (webhook or query): pay the charge's invoice at once; once per end-to-end id.

    Money for an unknown txid, or for a void or already-paid invoice, is kept in "needs attention".
    """
    from quita.banking.models import PixReceipt

    existing = PixReceipt.objects.filter(end_to_end_id=end_to_end_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _pix_apply(entity_id, end_to_end_id, txid, amount, paid_at, payer, raw or {})
    except IntegrityError:
        existing = PixReceipt.objects.filter(end_to_end_id=end_to_end_id).first()
        if existing is None:
            raise
        return existing


def _pix_apply(entity_id, end_to_end_id, txid, amount, paid_at, payer, raw):
    from quita.banking.models import PixReceipt

    amount = Decimal(str(amount))
    now = timezone.now()
    charge = PixCharge.objects.filter(entity_id=entity_id, txid=txid).first() if txid else None
    receipt = PixReceipt.objects.create(
        entity_id=entity_id,
        end_to_end_id=end_to_end_id,
        txid=txid or "",
        charge=charge,
        amount=amount,
        paid_at=paid_at,
        payer=payer[:200],
        raw=raw,
        created_at=now,
    )
    reason = None
    if charge is None:
        reason = AttentionReason.UNKNOWN_TXID
    else:
        invoice = _locked_invoice(charge.invoice_id)
        if invoice.status == InvoiceStatus.VOID:
            reason = AttentionReason.INVOICE_VOID
        elif invoice.status == InvoiceStatus.PAID:
            reason = AttentionReason.INVOICE_ALREADY_PAID
        else:
            # Closed before the payment: its balance hook then revises the invoice's other charges, not this one.
            if (
                PixCharge.objects.filter(pk=charge.pk)
                .exclude(status=PixChargeStatus.PAID)
                .update(status=PixChargeStatus.PAID, revision_pending=False)
            ):
                activity_record(
                    entity_id=entity_id,
                    actor=None,
                    action=ActivityAction.UPDATE,
                    obj=charge,
                    customer_id=invoice.customer_id,
                    summary=f"PIX {charge.txid}: paid, {amount:.2f} received ({end_to_end_id})",
                    before={"status": charge.status},
                    after={"status": PixChargeStatus.PAID},
                )
            receipt.payment = payment_apply(
                invoice=invoice,
                actor=None,
                method=PaymentMethodKind.PIX,
                amount=amount,
                reference=end_to_end_id[:120],
                received_on=timezone.localtime(paid_at).date(),
                gateway="pix",
                external_id=end_to_end_id,
            )
            receipt.save(update_fields=["payment"])
            _pix_for_the_balance(invoice, charge)
    if reason:
        AttentionItem.objects.create(
            entity_id=entity_id,
            reason=reason,
            detail=f"PIX {end_to_end_id} txid {txid}"[:255],
            amount=amount,
            pix_receipt=receipt,
            created_at=now,
        )
    return receipt


def _pix_for_the_balance(invoice: Invoice, charge: PixCharge) -> None:
    """A PIX paid part of the invoice and closed its charge: the balance gets a new charge of the same kind, with a
    new txid (decision 0046). A static BR Code now, in the PIX's transaction; a cobv at the PSP after the commit (a
    PSP that refuses or is down leaves the invoice without a PIX charge until staff or the subscriber create one)."""
    if invoice.status != InvoiceStatus.UNPAID or invoice.balance <= 0:
        return
    if PixCharge.objects.filter(invoice=invoice, status=PixChargeStatus.ACTIVE).exists():
        return  # another charge is open; the balance hook has brought it to the balance
    if charge.kind == PixChargeKind.STATIC:
        _static_pix_charge(invoice=invoice, wallet=charge.wallet, actor=None)
        return
    invoice_id, wallet_id = invoice.pk, charge.wallet_id
    transaction.on_commit(lambda: _pix_due_charge_for_the_balance(invoice_id, wallet_id), robust=True)


def _pix_due_charge_for_the_balance(invoice_id: int, wallet_id: int) -> None:
    try:
        pix_charge_create(invoice_id=invoice_id, wallet_id=wallet_id, actor=None)
    except DomainError as error:
        logger.warning("no PIX charge for the balance of invoice %s: %s (%s)", invoice_id, error.detail, error.code)


def wallet_pix_provider(wallet: Wallet):
    """The wallet's PSP (API Pix) when configured, else None (static BR Codes only)."""
    from quita.banking.pix.provider import ApiPixProvider

    if not (wallet.pix_api_url and wallet.pix_token_url and wallet.pix_client_id):
        return None
    secret = os.environ.get(wallet.pix_client_secret_env, "").strip() if wallet.pix_client_secret_env else ""
    if not secret:
        raise Conflict(
            _("The API Pix client secret is not configured (environment variable %(name)s).")
            % {"name": wallet.pix_client_secret_env or "—"},
            code="pix_secret_missing",
        )
    return ApiPixProvider(
        base_url=wallet.pix_api_url,
        token_url=wallet.pix_token_url,
        client_id=wallet.pix_client_id,
        client_secret=secret,
    )


def pix_webhook_token(entity_id: int) -> str:
    """The secret path segment of an entity's PIX webhook URL (an HMAC of the entity with SECRET_KEY)."""
    import hmac

    from django.conf import settings

    return hmac.new(settings.SECRET_KEY.encode(), f"pix-webhook:{entity_id}".encode(), "sha256").hexdigest()[:40]
