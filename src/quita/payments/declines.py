"""What a card decline means for people: one clear sentence per gateway code, in pt-BR or English.

Stripe answers a refused charge with a `code` (e.g. `card_declined`, `expired_card`, `processing_error`)
and, for `card_declined`, often a `decline_code` from the issuing bank (e.g. `insufficient_funds`). Quita
keeps both on the failed Payment row and shows the sentence below; `decline_error_code` picks the one
stable code the API answers with.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# The codes the API uses for a refused card charge (docs/errors.md); anything else is `card_declined`.
DECLINE_CODES = ("expired_card", "card_declined", "insufficient_funds", "processing_error", "authentication_required")

MESSAGES = {
    "expired_card": _(
        "The card has expired. Add a new card (or choose another one) and set it as the default, then try again."
    ),
    "insufficient_funds": _(
        "The card has insufficient funds. Try again later, or pay with another card, boleto or PIX."
    ),
    "processing_error": _(
        "The card could not be processed because of an error at the card network. Nothing was charged: "
        "try again in a few minutes."
    ),
    "authentication_required": _(
        "The bank asks the cardholder to confirm this payment (3-D Secure). Ask the subscriber to pay this "
        "invoice in the subscriber portal, where they can confirm it."
    ),
    "incorrect_cvc": _("The card's security code is wrong. Add the card again with the right code."),
    "card_declined": _(
        "The card was declined by the bank that issued it. Ask the subscriber to call the bank or to use another card."
    ),
}

# Bank decline codes (Stripe's `decline_code`) worth their own sentence, shown after the main one.
DECLINE_REASONS = {
    "generic_decline": _("The bank gave no reason."),
    "do_not_honor": _("The bank gave no reason."),
    "lost_card": _("The card was reported lost."),
    "stolen_card": _("The card was reported stolen."),
    "fraudulent": _("The bank suspects fraud."),
    "card_velocity_exceeded": _("The card's limit of attempts or amount was exceeded."),
    "withdrawal_count_limit_exceeded": _("The card's limit was exceeded."),
    "pickup_card": _("The bank asks for the card to be retained: it cannot be used."),
    "restricted_card": _("The card cannot be used for this payment."),
    "transaction_not_allowed": _("The card does not allow this kind of payment."),
    "call_issuer": _("The subscriber must call the bank."),
}


def decline_error_code(code: str, decline_code: str = "") -> str:
    """The stable API code for a refused charge: Stripe's code, or its bank decline code where that says more."""
    if decline_code in ("insufficient_funds", "expired_card", "processing_error", "authentication_required"):
        return decline_code
    if code in DECLINE_CODES:
        return code
    if code == "incorrect_cvc":
        return "card_declined"
    return "card_declined"


def decline_message(code: str, decline_code: str = "") -> str:
    """The sentence shown to people for a refused charge (translated into the active language)."""
    main = decline_error_code(code, decline_code)
    if code == "incorrect_cvc":
        return str(MESSAGES["incorrect_cvc"])
    message = str(MESSAGES[main])
    reason = DECLINE_REASONS.get(decline_code)
    if main == "card_declined" and reason:
        message = f"{message} {reason}"
    return message
