"""Template tags of the card screens: `{% customer_cards customer as cards %}` for the partials."""

from __future__ import annotations

from django import template
from django.conf import settings

from quita.payments import selectors

register = template.Library()


@register.simple_tag
def customer_cards(customer) -> dict:
    """The customer's cards for a partial: the list, the pre-selected one, and whether cards are on."""
    cards = selectors.cards_for_customer(customer=customer)
    return {
        "list": cards,
        "preselected": selectors.preselected_card(cards),
        "default": next((card for card in cards if card.is_default), None),
        "enabled": selectors.cards_enabled(customer.entity_id),
    }


@register.simple_tag
def stripe_js_url() -> str:
    """Where the card pages load Stripe.js from (`QUITA_STRIPE_JS_URL`; js.stripe.com unless a test says otherwise)."""
    return settings.STRIPE_JS_URL


@register.simple_tag
def payment_to_confirm(invoice, payment_id):
    """`{% payment_to_confirm invoice request.GET.confirm as payment %}`: the payment the cardholder can confirm."""
    return selectors.payment_to_confirm(invoice=invoice, payment_id=payment_id)
