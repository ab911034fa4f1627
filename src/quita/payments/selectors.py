"""Reads of the payments app: a customer's cards as the screens show them."""

from __future__ import annotations

import datetime

from quita.core.selectors import entity_today
from quita.payments.models import CardStatus, PaymentMethod, PaymentSettings


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
