"""Reads of the payments app: a customer's cards as the screens show them."""

from __future__ import annotations

import datetime

from quita.billing.models import InvoiceStatus
from quita.core.selectors import entity_today
from quita.payments.models import (
    CardStatus,
    Payment,
    PaymentMethod,
    PaymentMethodKind,
    PaymentSettings,
    PaymentStatus,
)


def cards_for_customer(*, customer, today: datetime.date | None = None) -> list[PaymentMethod]:
    """The customer's active cards, the default first, each with `expired` set (expired ones are never pre-selected)."""
    today = today or entity_today(customer.entity)
    cards = list(
        PaymentMethod.objects.filter(customer=customer, status=CardStatus.ACTIVE).order_by(
            "-is_default", "-created_at", "-id"
        )
    )
    for card in cards:
        card.expired = card.is_expired(today)
    return cards


def preselected_card(cards: list[PaymentMethod]) -> PaymentMethod | None:
    """The card a pay form starts on: the default unless it expired, else the newest card not expired."""
    return next((card for card in cards if not card.expired), None)


def cards_enabled(entity_id: int) -> bool:
    return PaymentSettings.objects.filter(entity_id=entity_id, stripe_enabled=True).exists()


# Refusals the cardholder can overcome by confirming the same PaymentIntent on-session (Stripe's `decline_code`
# or `code` for an off-session charge the bank wants authenticated).
CARDHOLDER_CONFIRMS = ("authentication_required",)


def payment_awaits_cardholder(payment: Payment) -> bool:
    """Whether the cardholder can still confirm this card payment in the portal (3-D Secure): pending at the
    gateway, or the invoice's latest card attempt refused off-session with `authentication_required`, while the
    invoice is unpaid."""
    if payment.method != PaymentMethodKind.CARD or not payment.external_id:
        return False
    if payment.invoice.status != InvoiceStatus.UNPAID:
        return False
    if payment.status == PaymentStatus.PENDING:
        return True
    newer = Payment.objects.filter(invoice_id=payment.invoice_id, method=PaymentMethodKind.CARD, pk__gt=payment.pk)
    if newer.exists():
        return False  # only the latest refused attempt may be confirmed: never two PaymentIntents for one balance
    refused_for_authentication = CARDHOLDER_CONFIRMS.count(payment.failure_code) or CARDHOLDER_CONFIRMS.count(
        payment.decline_code
    )
    return payment.status == PaymentStatus.FAILED and bool(refused_for_authentication)


def payment_to_confirm(*, invoice, payment_id) -> Payment | None:
    """The invoice's card payment `payment_id` (a query-string value) if the cardholder can still confirm it."""
    if not str(payment_id or "").isdigit():
        return None
    payment = Payment.objects.filter(pk=int(payment_id), invoice=invoice).select_related("invoice").first()
    return payment if payment is not None and payment_awaits_cardholder(payment) else None
