"""Recording payments against invoices; cards through Stripe (saved cards, charges, refunds, webhooks, autopay).

Boleto and PIX adapters call `payment_apply` too.
"""

from __future__ import annotations

import calendar
import datetime
import os
from decimal import Decimal

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from quita.billing.models import CreditType, Invoice, InvoiceStatus, Transaction, TransactionKind, TransactionSource
from quita.billing.services import INVOICE_FIELDS, amount_parse, customer_lock
from quita.core.activity import activity_record, snapshot
from quita.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from quita.core.models import ActivityAction, Entity
from quita.core.money import ZERO
from quita.core.permissions import ensure_permission
from quita.core.selectors import entity_today
from quita.customers.models import Contract, ContractStatus, Customer
from quita.payments import selectors
from quita.payments.declines import decline_error_code, decline_message
from quita.payments.gateways import CardDetails, GatewayError, from_cents
from quita.payments.gateways.stripe_gateway import StripeGateway, webhook_event
from quita.payments.models import (
    MANUAL_METHODS,
    AutopayAttempt,
    AutopayEnrollment,
    AutopayOutcome,
    CardExpiryReminder,
    CardStatus,
    GatewayCustomer,
    GatewayMode,
    Payment,
    PaymentMethod,
    PaymentMethodKind,
    PaymentSettings,
    PaymentStatus,
    Refund,
    WebhookEvent,
)


def _actor_or_none(actor):
    return actor if actor is not None and actor.is_authenticated else None


# Apps that keep something in step with an invoice's balance (banking: the open boleto and PIX charge) register
# `hook(*, invoice, actor)` in their AppConfig.ready(); `payment_apply` and a refund that uncovers the invoice call
# each one in their transaction, with the invoice locked and its new balance set (docs/decisions/0045).
_BALANCE_HOOKS: list = []

# Of the invoice's logged fields (billing's INVOICE_FIELDS), those a payment changes: the "pay" activity row logs them
# before and after, with the payment, the amount applied and the excess — not the fields the payment leaves as they
# were (number, total, dates…), which the invoice itself keeps (the row names it). A return file writes 100,000 of
# these rows; the whole snapshot twice was most of their size (docs/decisions/0033).
PAY_LOGGED = ["status", "amount_paid"]


def balance_hook_register(hook) -> None:
    """Call `hook(invoice=..., actor=...)` after every payment applied to an invoice, and after every refund that
    makes it owe money again, inside that transaction."""
    if hook not in _BALANCE_HOOKS:
        _BALANCE_HOOKS.append(hook)


def payment_apply(
    *,
    invoice: Invoice,
    actor,
    method: str,
    amount: Decimal,
    reference: str = "",
    received_on: datetime.date | None = None,
    gateway: str = "manual",
    external_id: str | None = None,
    card: PaymentMethod | None = None,
    idempotency_key: str | None = None,
    pending: Payment | None = None,
) -> Payment:
    """Apply money received to a locked, unpaid invoice. The caller holds the customer and invoice locks.

    Writes the Payment, a negative payment transaction "Payment of invoice #N" settling the invoice,
    and, when the money exceeds the open balance, an unbilled credit with the excess. The invoice
    becomes paid when its payments cover the total. `pending` completes a Payment row that waited for
    the gateway (a card payment confirmed later by the subscriber) instead of writing a new one.
    """
    now = timezone.now()
    received_on = received_on or entity_today(invoice.entity)
    applied = max(min(amount, invoice.balance), ZERO)
    if pending is not None:
        payment = pending
        payment.amount = amount
        payment.status = PaymentStatus.SUCCEEDED
        payment.external_id = external_id or payment.external_id
        payment.reference = reference or payment.reference
        payment.received_on = received_on
        payment.applied_amount = applied
        payment.save(update_fields=["amount", "status", "external_id", "reference", "received_on", "applied_amount"])
    else:
        payment = Payment.objects.create(
            entity_id=invoice.entity_id,
            customer_id=invoice.customer_id,
            invoice=invoice,
            amount=amount,
            applied_amount=applied,
            method=method,
            reference=reference,
            status=PaymentStatus.SUCCEEDED,
            gateway=gateway,
            external_id=external_id,
            card=card,
            idempotency_key=idempotency_key,
            received_on=received_on,
            created_by=_actor_or_none(actor),
            created_at=now,
        )
    common = {
        "entity_id": invoice.entity_id,
        "customer_id": invoice.customer_id,
        "date": received_on,
        "source": TransactionSource.PAYMENT,
        "created_by": _actor_or_none(actor),
        "created_at": now,
    }
    if applied > 0:
        Transaction.objects.create(
            kind=TransactionKind.PAYMENT,
            title=gettext("Payment of invoice #%(number)s") % {"number": invoice.number},
            description=f"{payment.get_method_display()} {reference}".strip(),
            amount=-applied,
            paid_invoice=invoice,
            **common,
        )
    excess = amount - applied
    if excess > 0:
        Transaction.objects.create(
            kind=TransactionKind.CREDIT,
            credit_type=CreditType.OVERPAYMENT,
            title=gettext("Overpayment of invoice #%(number)s") % {"number": invoice.number},
            description=f"{payment.get_method_display()} {reference}".strip(),
            amount=-excess,
            **common,
        )
    before = snapshot(invoice, PAY_LOGGED)
    invoice.amount_paid += applied
    invoice.payment_method = method
    invoice.payment_reference = reference
    if invoice.status == InvoiceStatus.UNPAID and invoice.amount_paid >= invoice.total:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = now
    invoice.save(update_fields=["amount_paid", "payment_method", "payment_reference", "status", "paid_at"])
    activity_record(
        entity_id=invoice.entity_id,
        actor=actor,
        action=ActivityAction.PAY,
        obj=invoice,
        customer_id=invoice.customer_id,
        summary=f"{invoice.number}: {amount:.2f} {method} {reference}",
        before=before,
        after={
            **snapshot(invoice, PAY_LOGGED),
            "payment": payment.pk,
            "applied": f"{applied:.2f}",
            "excess": f"{excess:.2f}",
        },
    )
    for hook in _BALANCE_HOOKS:
        hook(invoice=invoice, actor=actor)
    return payment


def locked_unpaid_invoice(invoice_id: int, actor) -> Invoice:
    """Lock the invoice's customer, then the invoice, for a payment: NotFound, PermissionDenied (record_payments),
    or Conflict when it is void or already paid."""
    customer_id = Invoice.objects.filter(pk=invoice_id).values_list("customer_id", flat=True).first()
    if customer_id is None:
        raise NotFound(_("Invoice not found."), code="invoice_not_found")
    customer_lock(customer_id)
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related("entity").get(pk=invoice_id)
    # Before the status checks: a user of another entity must not learn whether the invoice is paid or void.
    ensure_permission(actor=actor, entity=invoice.entity_id, action="record_payments")
    if invoice.status == InvoiceStatus.VOID:
        raise Conflict(
            _("Invoice %(number)s is void and cannot be paid.") % {"number": invoice.number},
            code="invoice_void_cannot_pay",
        )
    if invoice.status == InvoiceStatus.PAID:
        raise Conflict(
            _("Invoice %(number)s is already paid.") % {"number": invoice.number}, code="invoice_already_paid"
        )
    return invoice


def _check_method(method: str) -> None:
    if method not in MANUAL_METHODS:
        raise ValidationFailed(
            _("Choose cash, POS or bank transfer."),
            code="invalid_payment_method",
            fields={"method": [_("Must be cash, pos or bank_transfer.")]},
        )


@transaction.atomic
def invoice_pay(
    *, invoice_id: int, actor, method: str, amount=None, reference: str = "", received_on: datetime.date | None = None
) -> Payment:
    """Record a cash, POS or bank-transfer payment; `amount` defaults to the open balance."""
    _check_method(method)
    invoice = locked_unpaid_invoice(invoice_id, actor)
    amount = invoice.balance if amount is None else amount_parse(amount)
    return payment_apply(
        invoice=invoice,
        actor=actor,
        method=method,
        amount=amount,
        reference=(reference or "")[:120],
        received_on=received_on,
    )


@transaction.atomic
def invoices_pay(
    *,
    invoice_ids: list[int],
    actor,
    method: str,
    reference: str = "",
    amount=None,
    received_on: datetime.date | None = None,
) -> list[Payment]:
    """Pay several invoices of one customer with one receipt (e.g. three invoices, one cash receipt).

    Without `amount`, each open balance is paid. With it, the money goes to the oldest due date first;
    what is left after the last invoice stays as a credit. All or nothing: one bad invoice fails the lot.
    """
    _check_method(method)
    if not invoice_ids:
        raise ValidationFailed(_("Choose at least one invoice."), code="invoices_required")
    customers = set(Invoice.objects.filter(pk__in=invoice_ids).values_list("customer_id", flat=True))
    if len(customers) > 1:
        raise ValidationFailed(_("One receipt pays the invoices of one customer."), code="invoices_other_customers")
    invoices = [locked_unpaid_invoice(pk, actor) for pk in sorted(set(invoice_ids))]
    invoices.sort(key=lambda inv: (inv.due_date, inv.pk))
    left = None if amount is None else amount_parse(amount)
    payments = []
    for index, invoice in enumerate(invoices):
        last = index == len(invoices) - 1
        if left is None:
            share = invoice.balance
        else:
            share = left if last else min(left, invoice.balance)
            if share <= 0:
                break
            left -= share
        if share > ZERO:
            payments.append(
                payment_apply(
                    invoice=invoice,
                    actor=actor,
                    method=method,
                    amount=share,
                    reference=(reference or "")[:120],
                    received_on=received_on,
                )
            )
    return payments


# ---------------------------------------------------------------------------------------------------------------
# Card payments (Stripe): errors, the gateway of an entity
# ---------------------------------------------------------------------------------------------------------------


class GatewayFailed(DomainError):
    """The gateway could not be reached, or refused Quita's request: nothing was written."""

    status = 502
    code = "gateway_error"


class CardDeclined(DomainError):
    """A card charge was refused. The failed Payment row keeps the gateway's code and message."""

    status = 402
    code = "card_declined"

    def __init__(self, detail=None, *, code=None, fields=None, payment: Payment | None = None):
        super().__init__(detail, code=code, fields=fields)
        self.payment = payment

    def as_dict(self) -> dict:
        data = super().as_dict()
        if self.payment is not None:
            data["payment"] = self.payment.pk
            data["gateway_code"] = self.payment.failure_code
            data["decline_code"] = self.payment.decline_code
        return data


class NoPaymentMethod(DomainError):
    """The customer has no card that can be charged; the answer says where to add one."""

    status = 409
    code = "no_payment_method"

    def __init__(self, detail=None, *, customer_id: int):
        super().__init__(detail or _("No payment method found. Add a card for this customer, then try again."))
        self.customer_id = customer_id

    def as_dict(self) -> dict:
        return {
            **super().as_dict(),
            "customer": self.customer_id,
            "add_card_url": f"/api/customers/{self.customer_id}/payment-methods/setup/",
        }


def payment_settings_for(entity_id: int) -> PaymentSettings:
    """The entity's card settings; refused with `cards_not_enabled` when card payments are off."""
    row = PaymentSettings.objects.filter(entity_id=entity_id).first()
    if row is None or not row.stripe_enabled:
        raise Conflict(_("Card payments are not enabled for this company."), code="cards_not_enabled")
    return row


def gateway_for(entity_id: int) -> StripeGateway:
    """The Stripe adapter with the entity's key, read from the environment variable its settings name."""
    row = payment_settings_for(entity_id)
    key = os.environ.get(row.stripe_secret_key_env, "").strip()
    if not key:
        raise Conflict(
            _("The Stripe secret key is not configured (environment variable %(name)s).")
            % {"name": row.stripe_secret_key_env},
            code="gateway_key_missing",
        )
    prefixes = ("sk_live_", "rk_live_") if row.stripe_mode == GatewayMode.LIVE else ("sk_test_", "rk_test_")
    if not key.startswith(prefixes):
        raise Conflict(
            _("The Stripe secret key does not match the %(mode)s mode set for this company.")
            % {"mode": row.get_stripe_mode_display()},
            code="gateway_key_mode_mismatch",
        )
    return StripeGateway(secret_key=key, api_base=row.stripe_api_base, currency=row.currency)


def _gateway_call(function, **kwargs):
    try:
        return function(**kwargs)
    except GatewayError as error:
        if error.code == "card_declined" or error.decline_code:
            raise CardDeclined(decline_message(error.code, error.decline_code), code="card_declined") from None
        raise GatewayFailed(
            _("The card gateway did not complete the request: %(reason)s") % {"reason": error.message}
        ) from None


def _gateway_customer_id(customer: Customer, gateway, actor) -> str:
    """Stripe's customer for ours, made on first use. The caller holds the customer lock."""
    link = GatewayCustomer.objects.filter(customer=customer, gateway=gateway.name).first()
    if link is not None:
        return link.external_id
    external_id = _gateway_call(
        gateway.customer_create,
        name=customer.name,
        email=(customer.emails or [""])[0],
        metadata={"quita_customer": str(customer.pk), "quita_entity": str(customer.entity_id)},
    )
    link = GatewayCustomer.objects.create(
        entity_id=customer.entity_id,
        customer=customer,
        gateway=gateway.name,
        external_id=external_id,
        created_at=timezone.now(),
    )
    activity_record(
        entity_id=customer.entity_id,
        actor=actor,
        action=ActivityAction.CREATE,
        obj=link,
        customer_id=customer.pk,
        summary=f"{gateway.name} customer {external_id}",
    )
    return external_id


def _locked_customer(customer_id: int, actor, action: str) -> Customer:
    customer = customer_lock(customer_id)
    ensure_permission(actor=actor, entity=customer.entity_id, action=action)
    return customer


# ---------------------------------------------------------------------------------------------------------------
# Saved cards
# ---------------------------------------------------------------------------------------------------------------

CARD_FIELDS = ["brand", "last4", "exp_month", "exp_year", "is_default", "status", "external_id"]


@transaction.atomic
def card_setup_start(*, customer_id: int, actor) -> dict:
    """Start adding a card: Stripe's customer (made on first use) and a SetupIntent for Stripe.js to confirm.

    Returns the SetupIntent id and client secret and the entity's publishable key; the card is typed into
    Stripe's own form, so its number never reaches Quita.
    """
    customer = _locked_customer(customer_id, actor, "manage_customers")
    gateway = gateway_for(customer.entity_id)
    external_customer = _gateway_customer_id(customer, gateway, actor)
    session = _gateway_call(gateway.setup_start, customer_external_id=external_customer)
    return {
        "setup_intent": session.external_id,
        "client_secret": session.client_secret,
        "publishable_key": payment_settings_for(customer.entity_id).stripe_publishable_key,
        "customer": customer.pk,
    }


def _card_make_default(card: PaymentMethod, actor) -> None:
    """Move the default flag to `card` (one UPDATE clears the old one first: the unique index never sees two)."""
    previous = PaymentMethod.objects.filter(customer_id=card.customer_id, is_default=True).exclude(pk=card.pk).first()
    if previous is not None:
        previous.is_default = False
        previous.save(update_fields=["is_default"])
    card.is_default = True
    card.save(update_fields=["is_default"])
    activity_record(
        entity_id=card.entity_id,
        actor=actor,
        action=ActivityAction.UPDATE,
        obj=card,
        customer_id=card.customer_id,
        summary=gettext("Default card: %(card)s") % {"card": card},
        before={"default_card": previous.pk if previous else None},
        after={"default_card": card.pk},
    )


def _card_mark_removed(card: PaymentMethod, actor, *, why: str) -> None:
    """Flag a card removed (history kept) and, if it was the default, promote the newest usable card."""
    before = snapshot(card, CARD_FIELDS)
    was_default = card.is_default
    card.status = CardStatus.REMOVED
    card.is_default = False
    card.removed_at = timezone.now()
    card.removed_by = _actor_or_none(actor)
    card.save(update_fields=["status", "is_default", "removed_at", "removed_by"])
    activity_record(
        entity_id=card.entity_id,
        actor=actor,
        action=ActivityAction.VOID,
        obj=card,
        customer_id=card.customer_id,
        summary=f"{card} {why}",
        before=before,
        after=snapshot(card, CARD_FIELDS),
    )
    if was_default:
        today = entity_today(card.entity)
        candidates = PaymentMethod.objects.filter(customer_id=card.customer_id, status=CardStatus.ACTIVE).order_by(
            "-created_at", "-id"
        )
        usable = [c for c in candidates if not c.is_expired(today)] or list(candidates)
        if usable:
            _card_make_default(usable[0], actor)


def _card_record(
    *, customer: Customer, details: CardDetails, gateway_name: str, actor, make_default: bool, replace_default: bool
) -> PaymentMethod:
    """Keep a card Stripe saved: id, brand, last 4 and expiry. The customer's first card becomes the default."""
    existing = PaymentMethod.objects.filter(gateway=gateway_name, external_id=details.external_id).first()
    if existing is not None:
        if existing.customer_id != customer.pk:
            raise Conflict(_("This card belongs to another customer."), code="card_other_customer")
        return existing
    previous_default = PaymentMethod.objects.filter(customer=customer, is_default=True).first()
    card = PaymentMethod.objects.create(
        entity_id=customer.entity_id,
        customer=customer,
        gateway=gateway_name,
        external_id=details.external_id,
        brand=details.brand[:32],
        last4=details.last4[-4:],
        exp_month=details.exp_month,
        exp_year=details.exp_year,
        is_default=False,
        created_at=timezone.now(),
        created_by=_actor_or_none(actor),
    )
    activity_record(
        entity_id=customer.entity_id,
        actor=actor,
        action=ActivityAction.CREATE,
        obj=card,
        customer_id=customer.pk,
        summary=gettext("Card saved: %(card)s") % {"card": card},
        after=snapshot(card, CARD_FIELDS),
    )
    if previous_default is None or make_default or replace_default:
        _card_make_default(card, actor)
    if replace_default and previous_default is not None:
        _card_detach_and_remove(previous_default, actor, why=gettext("replaced by the new default card"))
    return card


def _card_detach_and_remove(card: PaymentMethod, actor, *, why: str) -> None:
    gateway = gateway_for(card.entity_id)
    _gateway_call(gateway.card_detach, payment_method_id=card.external_id)
    _card_mark_removed(card, actor, why=why)


@transaction.atomic
def card_save(
    *,
    customer_id: int,
    actor,
    setup_intent: str = "",
    payment_method: str = "",
    make_default: bool = False,
    replace_default: bool = False,
) -> PaymentMethod:
    """Record the card Stripe.js saved, from the confirmed SetupIntent (or a PaymentMethod id).

    Checks at Stripe that the SetupIntent succeeded for this customer, attaches the card to Stripe's
    customer when the server has not, and stores only id, brand, last 4 and expiry. Saving the same card
    twice returns the card already saved. `replace_default` makes it the default and removes the old one.
    """
    customer = _locked_customer(customer_id, actor, "manage_customers")
    gateway = gateway_for(customer.entity_id)
    external_customer = _gateway_customer_id(customer, gateway, actor)
    if setup_intent:
        session = _gateway_call(gateway.setup_retrieve, setup_id=setup_intent)
        if session.customer_external_id != external_customer:
            raise ValidationFailed(
                _("This card setup belongs to another customer."),
                code="setup_other_customer",
                fields={"setup_intent": [_("Not this customer's.")]},
            )
        if session.status != "succeeded" or not session.payment_method:
            raise Conflict(
                _("The card was not confirmed yet (status: %(status)s).") % {"status": session.status},
                code="setup_not_succeeded",
            )
        payment_method = session.payment_method
    if not payment_method:
        raise ValidationFailed(
            _("Give the confirmed SetupIntent."), code="required", fields={"setup_intent": [_("Required.")]}
        )
    details = _gateway_call(gateway.card_retrieve, payment_method_id=payment_method)
    if details.customer_external_id is None:
        # Stripe attaches the card when the SetupIntent succeeds; a server that does not gets it attached here.
        details = _gateway_call(
            gateway.card_attach, payment_method_id=payment_method, customer_external_id=external_customer
        )
    elif details.customer_external_id != external_customer:
        raise Conflict(_("This card belongs to another customer."), code="card_other_customer")
    return _card_record(
        customer=customer,
        details=details,
        gateway_name=gateway.name,
        actor=actor,
        make_default=make_default,
        replace_default=replace_default,
    )


def _locked_card(card_id: int, actor) -> PaymentMethod:
    customer_id = PaymentMethod.objects.filter(pk=card_id).values_list("customer_id", flat=True).first()
    if customer_id is None:
        raise NotFound(_("Card not found."), code="card_not_found")
    _locked_customer(customer_id, actor, "manage_customers")
    return PaymentMethod.objects.select_for_update(of=("self",)).select_related("entity").get(pk=card_id)


@transaction.atomic
def card_set_default(*, card_id: int, actor, replace_default: bool = False) -> PaymentMethod:
    """Make a card the customer's default (and, with `replace_default`, remove the previous default)."""
    card = _locked_card(card_id, actor)
    if card.status != CardStatus.ACTIVE:
        raise Conflict(_("This card was removed."), code="card_removed")
    if card.is_default:
        return card
    previous = PaymentMethod.objects.filter(customer_id=card.customer_id, is_default=True).first()
    _card_make_default(card, actor)
    if replace_default and previous is not None:
        _card_detach_and_remove(previous, actor, why=gettext("replaced by the new default card"))
    return card


@transaction.atomic
def card_remove(*, card_id: int, actor) -> PaymentMethod:
    """Remove a card: detached from Stripe's customer, kept in Quita as history (payments point at it)."""
    card = _locked_card(card_id, actor)
    if card.status != CardStatus.ACTIVE:
        raise Conflict(_("This card was already removed."), code="card_removed")
    _card_detach_and_remove(card, actor, why=gettext("removed"))
    return card


# ---------------------------------------------------------------------------------------------------------------
# Paying an invoice by card
# ---------------------------------------------------------------------------------------------------------------


def card_for_charge(*, customer_id: int, card_id: int | None, today: datetime.date) -> PaymentMethod:
    """The card to charge: the one asked for (active, this customer's), else the default, else the newest
    card that has not expired. None at all → `no_payment_method`."""
    cards = PaymentMethod.objects.filter(customer_id=customer_id, status=CardStatus.ACTIVE)
    if card_id is not None:
        card = cards.filter(pk=card_id).first()
        if card is None:
            raise NotFound(
                _("Card %(id)s not found for this customer.") % {"id": card_id},
                code="card_not_found",
                fields={"payment_method": [_("Not found.")]},
            )
        return card
    usable = [card for card in cards.order_by("-is_default", "-created_at", "-id") if not card.is_expired(today)]
    if not usable:
        raise NoPaymentMethod(customer_id=customer_id)
    return usable[0]


def _record_unsettled(*, invoice: Invoice, card: PaymentMethod, result, key: str, actor, status: str) -> Payment:
    payment = Payment.objects.create(
        entity_id=invoice.entity_id,
        customer_id=invoice.customer_id,
        invoice=invoice,
        amount=result.amount,
        method=PaymentMethodKind.CARD,
        reference=result.intent_id or "",
        status=status,
        gateway="stripe",
        external_id=result.intent_id,
        card=card,
        idempotency_key=key,
        failure_code=result.failure_code[:64],
        decline_code=result.decline_code[:64],
        failure_message=result.failure_message[:255],
        received_on=entity_today(invoice.entity),
        created_by=_actor_or_none(actor),
        created_at=timezone.now(),
    )
    activity_record(
        entity_id=invoice.entity_id,
        actor=actor,
        action=ActivityAction.CREATE,
        obj=payment,
        customer_id=invoice.customer_id,
        summary=f"{invoice.number}: {gettext('card payment')} {status} {result.failure_code}".strip(),
        after={"status": status, "failure_code": result.failure_code, "decline_code": result.decline_code},
    )
    return payment


def _card_charge_locked(*, invoice: Invoice, actor, card_id: int | None, autopay_attempt: int | None = None):
    """Charge the open balance of a locked, unpaid invoice. Returns (payment, card); the locks stay held
    through the gateway call, so a second pay or a void of the same invoice waits and then sees the result."""
    if Payment.objects.filter(invoice=invoice, method=PaymentMethodKind.CARD, status=PaymentStatus.PENDING).exists():
        raise Conflict(
            _("A card payment of this invoice is waiting for the subscriber to confirm it in the portal."),
            code="payment_pending_authentication",
        )
    card = card_for_charge(customer_id=invoice.customer_id, card_id=card_id, today=entity_today(invoice.entity))
    gateway = gateway_for(invoice.entity_id)
    external_customer = GatewayCustomer.objects.get(customer_id=invoice.customer_id, gateway=card.gateway).external_id
    attempt = Payment.objects.filter(invoice=invoice, method=PaymentMethodKind.CARD).count() + 1
    # The same invoice and attempt always give the same key: if Quita dies after Stripe charged and before
    # this transaction commits, the retry repeats the key and Stripe returns the first PaymentIntent.
    key = f"quita-e{invoice.entity_id}-invoice-{invoice.pk}-attempt-{attempt}"
    metadata = {"quita_invoice": str(invoice.pk), "quita_entity": str(invoice.entity_id), "quita_attempt": str(attempt)}
    if autopay_attempt is not None:
        metadata["quita_autopay_attempt"] = str(autopay_attempt)
    result = _gateway_call(
        gateway.charge,
        amount=invoice.balance,
        customer_external_id=external_customer,
        payment_method_id=card.external_id,
        idempotency_key=key,
        metadata=metadata,
    )
    if result.status == "succeeded":
        payment = payment_apply(
            invoice=invoice,
            actor=actor,
            method=PaymentMethodKind.CARD,
            amount=result.amount,
            reference=result.intent_id,
            gateway="stripe",
            external_id=result.intent_id,
            card=card,
            idempotency_key=key,
        )
    elif result.status in ("requires_action", "processing"):
        payment = _record_unsettled(
            invoice=invoice, card=card, result=result, key=key, actor=actor, status=PaymentStatus.PENDING
        )
    else:
        payment = _record_unsettled(
            invoice=invoice, card=card, result=result, key=key, actor=actor, status=PaymentStatus.FAILED
        )
    return payment, card


def _declined(payment: Payment) -> CardDeclined:
    return CardDeclined(
        decline_message(payment.failure_code, payment.decline_code),
        code=decline_error_code(payment.failure_code, payment.decline_code),
        payment=payment,
    )


def invoice_pay_card(*, invoice_id: int, actor, payment_method: int | None = None) -> Payment:
    """Pay an invoice's open balance with a saved card (the default unless `payment_method` names one).

    One PaymentIntent, created and confirmed off-session with a key derived from the invoice and the
    attempt. Succeeded → a Payment and the invoice paid (`payment_reference` = the PaymentIntent id).
    3-D Secure needed → a pending Payment the subscriber finishes in the portal (the webhook settles it).
    Refused → a failed Payment with Stripe's code and message is kept, and `CardDeclined` is raised
    with a sentence that says what to do.
    """
    with transaction.atomic():
        invoice = locked_unpaid_invoice(invoice_id, actor)
        payment, _card = _card_charge_locked(invoice=invoice, actor=actor, card_id=payment_method)
    if payment.status == PaymentStatus.FAILED:
        raise _declined(payment)
    return payment


def card_payment_client_secret(*, payment_id: int) -> dict:
    """For the portal: what Stripe.js needs to let the cardholder confirm a card payment their bank wants
    authenticated (3-D Secure): the PaymentIntent's client secret, and, for a charge refused off-session with
    `authentication_required` (its PaymentIntent waits for a payment method), the saved card to confirm it with."""
    payment = Payment.objects.select_related("card", "invoice").get(pk=payment_id, method=PaymentMethodKind.CARD)
    if not selectors.payment_awaits_cardholder(payment):
        raise Conflict(_("This card payment does not wait for a confirmation."), code="payment_not_confirmable")
    secret = _gateway_call(gateway_for(payment.entity_id).intent_client_secret, intent_id=payment.external_id)
    answer = {"client_secret": secret, "payment_method": None}
    if payment.status == PaymentStatus.FAILED and payment.card is not None:
        answer["payment_method"] = payment.card.external_id
    return answer


# ---------------------------------------------------------------------------------------------------------------
# Refunds
# ---------------------------------------------------------------------------------------------------------------


def _refund_record(
    *, payment: Payment, invoice: Invoice, amount: Decimal, external_id: str, key: str | None, actor, reason: str
) -> Refund:
    """The ledger side of a refund: a refund line, the invoice uncovered (back to unpaid), a Refund row."""
    now = timezone.now()
    applied = payment.applied_amount if payment.applied_amount is not None else payment.amount
    applied_left = max(applied - payment.refunded_amount, ZERO)
    uncovered = min(amount, applied_left) if invoice.status != InvoiceStatus.VOID else ZERO
    common = {
        "entity_id": payment.entity_id,
        "customer_id": payment.customer_id,
        "kind": TransactionKind.REFUND,
        "date": entity_today(invoice.entity),
        "source": TransactionSource.PAYMENT,
        "description": f"{payment.get_method_display()} {payment.reference} {external_id}".strip(),
        "created_by": _actor_or_none(actor),
        "created_at": now,
    }
    title = gettext("Refund of invoice #%(number)s") % {"number": invoice.number}
    line = None
    if uncovered > 0:
        line = Transaction.objects.create(title=title, amount=uncovered, paid_invoice=invoice, **common)
    if amount - uncovered > 0:
        # Money that had become a credit (or was released by a void) is taken back as an unbilled line.
        line = Transaction.objects.create(title=title, amount=amount - uncovered, **common)
    refund = Refund.objects.create(
        entity_id=payment.entity_id,
        customer_id=payment.customer_id,
        payment=payment,
        amount=amount,
        reason=(reason or "")[:255],
        gateway=payment.gateway,
        external_id=external_id,
        idempotency_key=key,
        transaction=line,
        created_by=_actor_or_none(actor),
        created_at=now,
    )
    payment.refunded_amount += amount
    payment.save(update_fields=["refunded_amount"])
    before = snapshot(invoice, INVOICE_FIELDS)
    if uncovered > 0:
        invoice.amount_paid -= uncovered
        if invoice.status == InvoiceStatus.PAID and invoice.amount_paid < invoice.total:
            invoice.status = InvoiceStatus.UNPAID
            invoice.paid_at = None
        invoice.save(update_fields=["amount_paid", "status", "paid_at"])
    activity_record(
        entity_id=invoice.entity_id,
        actor=actor,
        action=ActivityAction.UPDATE,
        obj=invoice,
        customer_id=invoice.customer_id,
        summary=f"{invoice.number}: {gettext('refund')} {amount:.2f} {external_id}",
        before=before,
        after={**snapshot(invoice, INVOICE_FIELDS), "refund": refund.pk, "payment": payment.pk},
    )
    if uncovered > 0:
        # The invoice owes money again: its open boleto and PIX charge follow the new balance (docs/decisions/0045).
        for hook in _BALANCE_HOOKS:
            hook(invoice=invoice, actor=actor)
    return refund


def _locked_payment(payment_id: int, actor, action: str) -> tuple[Payment, Invoice]:
    row = Payment.objects.filter(pk=payment_id).values_list("customer_id", "invoice_id").first()
    if row is None:
        raise NotFound(_("Payment not found."), code="payment_not_found")
    customer_lock(row[0])
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related("entity").get(pk=row[1])
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    ensure_permission(actor=actor, entity=payment.entity_id, action=action)
    return payment, invoice


@transaction.atomic
def payment_refund(*, payment_id: int, actor, amount=None, reason: str = "") -> Refund:
    """Refund a card payment through Stripe, fully or in part; several refunds add up to at most what was paid.

    A cash, POS or bank-transfer payment cannot be refunded this way (`refund_manual_payment`): give the
    money back by hand and record a credit.
    """
    payment, invoice = _locked_payment(payment_id, actor, "void_transactions")
    if payment.method != PaymentMethodKind.CARD or payment.gateway != "stripe":
        raise Conflict(
            _(
                "This payment was not made by card through Stripe, so it cannot be refunded here. Give the money "
                "back by hand and record a manual credit for the customer instead."
            ),
            code="refund_manual_payment",
        )
    if payment.status != PaymentStatus.SUCCEEDED:
        raise Conflict(_("Only a succeeded payment can be refunded."), code="refund_payment_not_succeeded")
    refundable = payment.amount - payment.refunded_amount
    if refundable <= 0:
        raise Conflict(_("This payment was already refunded in full."), code="payment_fully_refunded")
    amount = refundable if amount is None else amount_parse(amount)
    if amount > refundable:
        raise ValidationFailed(
            _("At most %(left)s can still be refunded from this payment.") % {"left": f"{refundable:.2f}"},
            code="refund_exceeds_payment",
            fields={"amount": [_("More than what is left to refund.")]},
        )
    number = payment.refunds.count() + 1
    key = f"quita-e{payment.entity_id}-payment-{payment.pk}-refund-{number}"
    result = _gateway_call(
        gateway_for(payment.entity_id).refund, intent_id=payment.external_id, amount=amount, idempotency_key=key
    )
    return _refund_record(
        payment=payment,
        invoice=invoice,
        amount=amount,
        external_id=result.external_id,
        key=key,
        actor=actor,
        reason=reason,
    )


# ---------------------------------------------------------------------------------------------------------------
# Webhooks
# ---------------------------------------------------------------------------------------------------------------


class WebhookNotYet(DomainError):
    """An event that cannot be applied yet (e.g. a refund of a payment Quita has not seen): not recorded, so
    Stripe delivers it again later, when the event it depends on has arrived."""

    status = 409
    code = "webhook_out_of_order"


def _webhook_verify(*, payload: bytes, signature: str) -> tuple[int, dict]:
    """The entity whose endpoint secret signed the payload, and the verified event."""
    for row in PaymentSettings.objects.filter(stripe_enabled=True).order_by("entity_id"):
        secret = os.environ.get(row.stripe_webhook_secret_env, "").strip()
        if not secret:
            continue
        try:
            return row.entity_id, webhook_event(payload=payload, signature=signature, secret=secret)
        except ValueError:
            continue
    raise ValidationFailed(_("The Stripe-Signature header is missing or not valid."), code="webhook_signature_invalid")


def webhook_receive(*, payload: bytes, signature: str) -> WebhookEvent:
    """Verify and apply one Stripe event, once: its id is a unique key, so a repeat changes nothing.

    Handles payment_intent.succeeded / payment_failed, charge.refunded, payment_method.detached and
    setup_intent.succeeded; other types are recorded and ignored. Events out of order never move an
    invoice backwards: a failure after a success is ignored, a success pays at most the open balance
    (the rest becomes a credit).
    """
    entity_id, event = _webhook_verify(payload=payload, signature=signature)
    with transaction.atomic():
        existing = WebhookEvent.objects.select_for_update().filter(gateway="stripe", event_id=event["id"]).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(
                    entity_id=entity_id,
                    gateway="stripe",
                    event_id=event["id"],
                    type=str(event.get("type", ""))[:80],
                    object_id=str((event.get("data") or {}).get("object", {}).get("id", ""))[:120],
                    received_at=timezone.now(),
                )
        except IntegrityError:
            # The same event delivered twice at the same moment: the other delivery applied it.
            return WebhookEvent.objects.get(gateway="stripe", event_id=event["id"])
        handler = WEBHOOK_HANDLERS.get(record.type)
        outcome = handler(entity_id, event["data"]["object"]) if handler else "ignored"
        record.outcome = str(outcome)[:255]
        record.save(update_fields=["outcome"])
    return record


def _invoice_locked(invoice_id: int) -> Invoice:
    customer_id = Invoice.objects.filter(pk=invoice_id).values_list("customer_id", flat=True).first()
    customer_lock(customer_id)
    return Invoice.objects.select_for_update(of=("self",)).select_related("entity").get(pk=invoice_id)


def _on_intent_succeeded(entity_id: int, intent: dict) -> str:
    payment = Payment.objects.filter(gateway="stripe", external_id=intent["id"]).first()
    if payment is not None and payment.status == PaymentStatus.SUCCEEDED:
        return "already recorded"
    invoice_id = payment.invoice_id if payment else (intent.get("metadata") or {}).get("quita_invoice")
    if not invoice_id or not Invoice.objects.filter(pk=invoice_id, entity_id=entity_id).exists():
        return "no invoice of this entity"
    invoice = _invoice_locked(int(invoice_id))
    if payment is not None:
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == PaymentStatus.SUCCEEDED:
            return "already recorded"
    amount = from_cents(intent.get("amount_received") or intent["amount"])
    card = payment.card if payment else PaymentMethod.objects.filter(external_id=intent.get("payment_method")).first()
    payment_apply(
        invoice=invoice,
        actor=None,
        method=PaymentMethodKind.CARD,
        amount=amount,
        reference=intent["id"],
        gateway="stripe",
        external_id=intent["id"],
        card=card,
        pending=payment,
    )
    return "payment applied"


def _on_intent_failed(entity_id: int, intent: dict) -> str:
    payment = Payment.objects.filter(gateway="stripe", external_id=intent["id"], entity_id=entity_id).first()
    if payment is None:
        return "no payment"
    _invoice_locked(payment.invoice_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != PaymentStatus.PENDING:
        return f"kept {payment.status}"  # never backwards: a success (or a failure already recorded) stays
    error = intent.get("last_payment_error") or {}
    payment.status = PaymentStatus.FAILED
    payment.failure_code = str(error.get("code") or "card_declined")[:64]
    payment.decline_code = str(error.get("decline_code") or "")[:64]
    payment.failure_message = str(error.get("message") or "")[:255]
    payment.save(update_fields=["status", "failure_code", "decline_code", "failure_message"])
    activity_record(
        entity_id=payment.entity_id,
        actor=None,
        action=ActivityAction.UPDATE,
        obj=payment,
        customer_id=payment.customer_id,
        summary=f"{gettext('card payment')} failed {payment.failure_code}",
        before={"status": PaymentStatus.PENDING},
        after={"status": PaymentStatus.FAILED, "failure_code": payment.failure_code},
    )
    return "payment failed"


def _on_charge_refunded(entity_id: int, charge: dict) -> str:
    intent_id = charge.get("payment_intent")
    intent_id = intent_id.get("id") if isinstance(intent_id, dict) else intent_id
    payment = Payment.objects.filter(gateway="stripe", external_id=intent_id, entity_id=entity_id).first()
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        raise WebhookNotYet(_("The payment of this refund is not recorded yet; deliver the event again later."))
    payment, invoice = _locked_payment(payment.pk, None, "void_transactions")
    refunds = ((charge.get("refunds") or {}).get("data")) or []
    applied = 0
    for item in sorted(refunds, key=lambda r: (r.get("created") or 0, r["id"])):
        if item.get("status") not in (None, "succeeded", "pending"):
            continue
        if Refund.objects.filter(gateway="stripe", external_id=item["id"]).exists():
            continue
        amount = min(from_cents(item["amount"]), payment.amount - payment.refunded_amount)
        if amount > 0:
            _refund_record(
                payment=payment,
                invoice=invoice,
                amount=amount,
                external_id=item["id"],
                key=None,
                actor=None,
                reason=gettext("Refunded at Stripe"),
            )
            applied += 1
    if not refunds:
        # A charge without its refund list: the total refunded tells what is still missing in Quita.
        total = min(from_cents(charge.get("amount_refunded") or 0), payment.amount)
        missing = total - payment.refunded_amount
        if missing > 0:
            _refund_record(
                payment=payment,
                invoice=invoice,
                amount=missing,
                external_id=f"{charge['id']}:{charge.get('amount_refunded')}",
                key=None,
                actor=None,
                reason=gettext("Refunded at Stripe"),
            )
            applied += 1
    return f"{applied} refund(s) recorded"


def _on_card_detached(entity_id: int, method: dict) -> str:
    card = PaymentMethod.objects.filter(gateway="stripe", external_id=method["id"], entity_id=entity_id).first()
    if card is None:
        return "unknown card"
    customer_lock(card.customer_id)
    card = PaymentMethod.objects.select_for_update(of=("self",)).select_related("entity").get(pk=card.pk)
    if card.status != CardStatus.ACTIVE:
        return "already removed"
    _card_mark_removed(card, None, why=gettext("detached at Stripe"))
    return "card removed"


def _on_setup_succeeded(entity_id: int, intent: dict) -> str:
    customer_ref = intent.get("customer")
    method_ref = intent.get("payment_method")
    customer_ref = customer_ref.get("id") if isinstance(customer_ref, dict) else customer_ref
    method_ref = method_ref.get("id") if isinstance(method_ref, dict) else method_ref
    link = GatewayCustomer.objects.filter(gateway="stripe", external_id=customer_ref, entity_id=entity_id).first()
    if link is None or not method_ref:
        return "unknown customer"
    if PaymentMethod.objects.filter(gateway="stripe", external_id=method_ref).exists():
        return "card already saved"
    card_save(customer_id=link.customer_id, actor=None, payment_method=method_ref)
    return "card saved"


WEBHOOK_HANDLERS = {
    "payment_intent.succeeded": _on_intent_succeeded,
    "payment_intent.payment_failed": _on_intent_failed,
    "charge.refunded": _on_charge_refunded,
    "payment_method.detached": _on_card_detached,
    "setup_intent.succeeded": _on_setup_succeeded,
}


# ---------------------------------------------------------------------------------------------------------------
# Autopay
# ---------------------------------------------------------------------------------------------------------------


@transaction.atomic
def autopay_set(*, customer_id: int, actor, enabled: bool) -> AutopayEnrollment:
    """Opt a customer in to (or out of) automatic card charges on the due date."""
    customer = _locked_customer(customer_id, actor, "manage_customers")
    enrollment = AutopayEnrollment.objects.filter(customer=customer).first()
    before = {"autopay": enrollment.enabled if enrollment else False}
    if enrollment is None:
        enrollment = AutopayEnrollment.objects.create(
            entity_id=customer.entity_id,
            customer=customer,
            enabled=enabled,
            changed_at=timezone.now(),
            changed_by=_actor_or_none(actor),
        )
    else:
        enrollment.enabled = enabled
        enrollment.changed_at = timezone.now()
        enrollment.changed_by = _actor_or_none(actor)
        enrollment.save(update_fields=["enabled", "changed_at", "changed_by"])
    activity_record(
        entity_id=customer.entity_id,
        actor=actor,
        action=ActivityAction.UPDATE,
        obj=enrollment,
        customer_id=customer.pk,
        summary=gettext("Autopay on") if enabled else gettext("Autopay off"),
        before=before,
        after={"autopay": enabled},
    )
    return enrollment


def autopay_offsets(row: PaymentSettings) -> list[int]:
    """Days after the due date of each attempt: 0 (the due date), then the entity's retry days."""
    retries = sorted({int(day) for day in (row.autopay_retry_days or []) if 0 < int(day) <= 60})
    return [0, *retries]


def _autopay_attempt(*, invoice_id: int, attempt: int, run_date: datetime.date) -> AutopayAttempt | None:
    """One automatic charge of one invoice, once: the (invoice, attempt) row is written in the same transaction."""
    with transaction.atomic():
        invoice = _invoice_locked(invoice_id)
        if AutopayAttempt.objects.filter(invoice=invoice, attempt=attempt).exists():
            return None
        base = {
            "entity_id": invoice.entity_id,
            "customer_id": invoice.customer_id,
            "invoice": invoice,
            "attempt": attempt,
            "run_date": run_date,
            "created_at": timezone.now(),
        }
        if invoice.status != InvoiceStatus.UNPAID:
            return None
        try:
            with transaction.atomic():
                payment, _card = _card_charge_locked(invoice=invoice, actor=None, card_id=None, autopay_attempt=attempt)
        except DomainError as error:
            row = AutopayAttempt.objects.create(
                outcome=AutopayOutcome.SKIPPED if error.status != 502 else AutopayOutcome.FAILED,
                failure_code=error.code,
                message=str(error.detail)[:255],
                **base,
            )
        else:
            outcome = {
                PaymentStatus.SUCCEEDED: AutopayOutcome.SUCCEEDED,
                PaymentStatus.PENDING: AutopayOutcome.PENDING,
            }.get(payment.status, AutopayOutcome.FAILED)
            message = (
                decline_message(payment.failure_code, payment.decline_code) if outcome == AutopayOutcome.FAILED else ""
            )
            row = AutopayAttempt.objects.create(
                outcome=outcome,
                payment=payment,
                failure_code=payment.failure_code,
                message=message[:255],
                **base,
            )
        activity_record(
            entity_id=invoice.entity_id,
            actor=None,
            action=ActivityAction.PAY,
            obj=row,
            customer_id=invoice.customer_id,
            summary=f"{invoice.number}: autopay #{attempt} {row.outcome} {row.failure_code}".strip(),
        )
        return row


def _next_due_date(customer_id: int, today: datetime.date) -> datetime.date | None:
    """The next due date of the customer: the earliest open invoice still ahead, else the contracts' due day."""
    upcoming = (
        Invoice.objects.filter(customer_id=customer_id, status=InvoiceStatus.UNPAID, due_date__gte=today)
        .order_by("due_date")
        .values_list("due_date", flat=True)
        .first()
    )
    if upcoming:
        return upcoming
    days = list(
        Contract.objects.filter(customer_id=customer_id, status=ContractStatus.ACTIVE).values_list("due_day", flat=True)
    )
    candidates = []
    for day in days:
        for months_ahead in (0, 1):
            year, month = today.year + (today.month + months_ahead - 1) // 12, (today.month + months_ahead - 1) % 12 + 1
            date = datetime.date(year, month, min(day, calendar.monthrange(year, month)[1]))
            if date > today:
                candidates.append(date)
                break
    return min(candidates) if candidates else None


def _expiry_reminders(*, entity_id: int, today: datetime.date) -> int:
    """E-mail subscribers on autopay whose default card expires before their next due date (once per card)."""
    sent = 0
    cards = PaymentMethod.objects.filter(
        entity_id=entity_id,
        is_default=True,
        customer__autopay__enabled=True,
        expiry_reminder__isnull=True,
    ).select_related("customer", "entity")
    for card in cards:
        due = _next_due_date(card.customer_id, today)
        emails = card.customer.emails or []
        if due is None or card.expires_on >= due or not emails:
            continue
        with transaction.atomic():
            try:
                with transaction.atomic():
                    reminder = CardExpiryReminder.objects.create(
                        entity_id=entity_id, card=card, next_due_date=due, sent_to=emails[0], sent_at=timezone.now()
                    )
            except IntegrityError:
                continue
            subject = gettext("Your card ending in %(last4)s expires soon") % {"last4": card.last4}
            body = gettext(
                "Hello, %(name)s.\n\nThe card %(card)s that pays your invoices from %(company)s automatically "
                "expires on %(expiry)s, before your next due date (%(due)s). Add a new card in the subscriber "
                "portal and set it as the default so that your next invoice is paid without interruption.\n"
            ) % {
                "name": card.customer.name,
                "card": str(card),
                "company": card.entity.name,
                "expiry": f"{card.exp_month:02d}/{card.exp_year}",
                "due": due.strftime("%d/%m/%Y"),
            }
            activity_record(
                entity_id=entity_id,
                actor=None,
                action=ActivityAction.CREATE,
                obj=reminder,
                customer_id=card.customer_id,
                summary=subject,
            )
            transaction.on_commit(
                lambda subject=subject, body=body, to=emails[0]: send_mail(
                    subject, body, None, [to], fail_silently=False
                )
            )
            sent += 1
    return sent


def autopay_run(*, run_date: datetime.date | None = None, entity: Entity | None = None) -> dict:
    """The autopay job: charge the default card of opted-in customers on the due date, retry on the entity's
    schedule, and send expiring-card reminders. Safe to run twice (a unique row per invoice and attempt)."""
    rows = PaymentSettings.objects.filter(stripe_enabled=True).select_related("entity")
    if entity is not None:
        rows = rows.filter(entity=entity)
    totals = {"charged": 0, "failed": 0, "pending": 0, "skipped": 0, "already_done": 0, "reminders": 0}
    for row in rows:
        today = run_date or entity_today(row.entity)
        offsets = autopay_offsets(row)
        invoices = Invoice.objects.filter(
            entity_id=row.entity_id,
            status=InvoiceStatus.UNPAID,
            customer__autopay__enabled=True,
            due_date__lte=today,
            due_date__gte=today - datetime.timedelta(days=offsets[-1]),
        ).order_by("due_date", "pk")
        for invoice_id, due_date in invoices.values_list("pk", "due_date"):
            days = (today - due_date).days
            attempt = max(index for index, offset in enumerate(offsets) if offset <= days)
            result = _autopay_attempt(invoice_id=invoice_id, attempt=attempt, run_date=today)
            if result is None:
                totals["already_done"] += 1
            else:
                key = {
                    AutopayOutcome.SUCCEEDED: "charged",
                    AutopayOutcome.FAILED: "failed",
                    AutopayOutcome.PENDING: "pending",
                }.get(result.outcome, "skipped")
                totals[key] += 1
        if row.card_expiry_reminders:
            totals["reminders"] += _expiry_reminders(entity_id=row.entity_id, today=today)
    return totals
