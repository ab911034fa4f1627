"""The Stripe adapter, on the official `stripe` SDK (`StripeClient`, one per entity: keys per entity).

Only ids, brand, last four digits and expiry come back from here; the secret key is handed to the SDK and is
never logged, stored or put in an error message. `api_base` points the SDK at another Stripe-compatible
server (the tests' localstripe); blank means Stripe itself.
"""

from __future__ import annotations

import logging
from decimal import Decimal

import stripe

from quita.payments.gateways import (
    CardDetails,
    ChargeResult,
    GatewayError,
    RefundResult,
    SetupSession,
    from_cents,
    to_cents,
)

logger = logging.getLogger(__name__)


def _id(value) -> str | None:
    """An expandable field: either the id itself or the expanded object."""
    if value is None or isinstance(value, str):
        return value
    return getattr(value, "id", None)


def _card(pm) -> CardDetails:
    card = pm.card
    return CardDetails(
        external_id=pm.id,
        brand=str(card.brand or ""),
        last4=str(card.last4),
        exp_month=int(card.exp_month),
        exp_year=int(card.exp_year),
        customer_external_id=_id(pm.customer),
    )


def _error(error: stripe.StripeError) -> GatewayError:
    """A gateway error without anything secret: Stripe's code and its own message for people."""
    detail = getattr(error, "error", None)
    code = getattr(detail, "code", None) or getattr(error, "code", None) or ""
    decline_code = getattr(detail, "decline_code", None) or ""
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        return GatewayError("the gateway refused Quita's credentials", code="gateway_credentials")
    if isinstance(error, stripe.APIConnectionError):
        return GatewayError("the gateway could not be reached", code="gateway_unreachable")
    return GatewayError(error.user_message or type(error).__name__, code=str(code), decline_code=str(decline_code))


class StripeGateway:
    """Cards through Stripe: customers, SetupIntents, PaymentMethods, off-session PaymentIntents, refunds."""

    name = "stripe"

    def __init__(self, *, secret_key: str, api_base: str = "", currency: str = "brl", timeout: int = 30):
        addresses = {"api": api_base.rstrip("/")} if api_base else None
        self.currency = currency
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses=addresses,
            max_network_retries=2,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    def __repr__(self) -> str:  # never show the key
        return "<StripeGateway>"

    def customer_create(self, *, name: str, email: str, metadata: dict) -> str:
        params = {"name": name, "metadata": metadata}
        if email:
            params["email"] = email
        try:
            return self.client.v1.customers.create(params=params).id
        except stripe.StripeError as error:
            raise _error(error) from None

    def _session(self, intent) -> SetupSession:
        return SetupSession(
            external_id=intent.id,
            client_secret=intent.client_secret,
            status=intent.status,
            payment_method=_id(intent.payment_method),
            customer_external_id=_id(intent.customer),
        )

    def setup_start(self, *, customer_external_id: str) -> SetupSession:
        try:
            intent = self.client.v1.setup_intents.create(
                params={"customer": customer_external_id, "usage": "off_session", "payment_method_types": ["card"]}
            )
        except stripe.StripeError as error:
            raise _error(error) from None
        return self._session(intent)

    def setup_retrieve(self, *, setup_id: str) -> SetupSession:
        try:
            return self._session(self.client.v1.setup_intents.retrieve(setup_id))
        except stripe.StripeError as error:
            raise _error(error) from None

    def card_retrieve(self, *, payment_method_id: str) -> CardDetails:
        try:
            return _card(self.client.v1.payment_methods.retrieve(payment_method_id))
        except stripe.StripeError as error:
            raise _error(error) from None

    def card_attach(self, *, payment_method_id: str, customer_external_id: str) -> CardDetails:
        try:
            pm = self.client.v1.payment_methods.attach(payment_method_id, params={"customer": customer_external_id})
        except stripe.StripeError as error:
            raise _error(error) from None
        return _card(pm)

    def card_detach(self, *, payment_method_id: str) -> None:
        try:
            self.client.v1.payment_methods.detach(payment_method_id)
        except stripe.InvalidRequestError as error:
            # Already detached at Stripe (e.g. removed in its dashboard): the wanted state is reached.
            if getattr(error, "http_status", None) in (400, 404):
                logger.info("payment method already detached at Stripe")
                return
            raise _error(error) from None
        except stripe.StripeError as error:
            raise _error(error) from None

    def cards_list(self, *, customer_external_id: str) -> list[CardDetails]:
        """The cards attached to a Stripe customer (`PaymentMethod.list`, which every Stripe server has)."""
        try:
            page = self.client.v1.payment_methods.list(params={"customer": customer_external_id, "type": "card"})
        except stripe.StripeError as error:
            raise _error(error) from None
        return [_card(pm) for pm in page.data]

    def charge(
        self,
        *,
        amount: Decimal,
        customer_external_id: str | None,
        payment_method_id: str | None,
        idempotency_key: str,
        metadata: dict,
    ) -> ChargeResult:
        """Create and confirm a PaymentIntent off-session in one call (the customer is not at the keyboard)."""
        params = {
            "amount": to_cents(amount),
            "currency": self.currency,
            "customer": customer_external_id,
            "payment_method": payment_method_id,
            "confirm": True,
            "off_session": True,
            "metadata": metadata,
        }
        try:
            intent = self.client.v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})
        except stripe.CardError as error:
            detail = error.error
            intent = getattr(detail, "payment_intent", None)
            code = getattr(detail, "code", None) or error.code or "card_declined"
            # `authentication_required` too is a refused off-session charge: Stripe keeps its PaymentIntent in
            # `requires_payment_method`, which the cardholder can confirm later, on-session, in the portal.
            return ChargeResult(
                status="failed",
                intent_id=_id(intent),
                amount=amount,
                failure_code=str(code),
                decline_code=str(getattr(detail, "decline_code", None) or ""),
                failure_message=str(error.user_message or "")[:255],
            )
        except stripe.StripeError as error:
            raise _error(error) from None
        if intent.status == "succeeded":
            return ChargeResult(status="succeeded", intent_id=intent.id, amount=from_cents(intent.amount))
        if intent.status in ("requires_action", "processing"):
            return ChargeResult(status=intent.status, intent_id=intent.id, amount=amount)
        last = getattr(intent, "last_payment_error", None)
        return ChargeResult(
            status="failed",
            intent_id=intent.id,
            amount=amount,
            failure_code=str(getattr(last, "code", None) or intent.status),
            decline_code=str(getattr(last, "decline_code", None) or ""),
            failure_message=str(getattr(last, "message", None) or "")[:255],
        )

    def intent_client_secret(self, *, intent_id: str) -> str:
        """The PaymentIntent's client secret, for Stripe.js to finish a 3-D Secure authentication in the portal."""
        try:
            return self.client.v1.payment_intents.retrieve(intent_id).client_secret
        except stripe.StripeError as error:
            raise _error(error) from None

    def refund(self, *, intent_id: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": intent_id, "amount": to_cents(amount)},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise _error(error) from None
        return RefundResult(external_id=refund.id, amount=from_cents(refund.amount), status=refund.status)


def webhook_event(*, payload: bytes, signature: str, secret: str) -> dict:
    """Check the `Stripe-Signature` header with the endpoint secret; the verified event as a plain dict.

    Raises ValueError when the signature or the payload is not valid.
    """
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except stripe.SignatureVerificationError as error:
        raise ValueError("bad signature") from error
    return event.to_dict()
