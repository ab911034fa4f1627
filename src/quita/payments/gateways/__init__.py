"""Payment gateways: one small interface (`PaymentGateway`), a Stripe adapter and a manual one.

Adapters return the dataclasses below so nothing else in Quita sees a gateway's raw objects. Errors the
customer or staff can act on are `GatewayDeclined` (a charge refused, with the gateway's code) and
`GatewayUnavailable` (the gateway could not be reached or refused our credentials).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Protocol


@dataclasses.dataclass(frozen=True)
class CardDetails:
    """What Quita keeps of a card: never its number or security code."""

    external_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    customer_external_id: str | None


@dataclasses.dataclass(frozen=True)
class SetupSession:
    """A SetupIntent for the browser: Stripe.js confirms it with the card the person types."""

    external_id: str
    client_secret: str
    status: str
    payment_method: str | None = None
    customer_external_id: str | None = None


@dataclasses.dataclass(frozen=True)
class ChargeResult:
    """The outcome of one charge: succeeded, failed (with the gateway's codes) or requires_action (3-D Secure)."""

    status: str
    intent_id: str | None
    amount: Decimal
    failure_code: str = ""
    decline_code: str = ""
    failure_message: str = ""


@dataclasses.dataclass(frozen=True)
class RefundResult:
    external_id: str
    amount: Decimal
    status: str


class GatewayError(Exception):
    """The gateway could not do what was asked (network, credentials, a refused request)."""

    def __init__(self, message: str, *, code: str = "", decline_code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code
        self.decline_code = decline_code


class PaymentGateway(Protocol):
    """What Quita asks of a payment gateway."""

    name: str

    def customer_create(self, *, name: str, email: str, metadata: dict) -> str: ...

    def setup_start(self, *, customer_external_id: str) -> SetupSession: ...

    def setup_retrieve(self, *, setup_id: str) -> SetupSession: ...

    def card_retrieve(self, *, payment_method_id: str) -> CardDetails: ...

    def card_attach(self, *, payment_method_id: str, customer_external_id: str) -> CardDetails: ...

    def card_detach(self, *, payment_method_id: str) -> None: ...

    def charge(
        self,
        *,
        amount: Decimal,
        customer_external_id: str | None,
        payment_method_id: str | None,
        idempotency_key: str,
        metadata: dict,
    ) -> ChargeResult: ...

    def refund(self, *, intent_id: str, amount: Decimal, idempotency_key: str) -> RefundResult: ...


def to_cents(amount: Decimal) -> int:
    """Reais with two decimals → integer centavos, exactly (the gateways count in the smallest unit)."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has more than two decimals")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))
