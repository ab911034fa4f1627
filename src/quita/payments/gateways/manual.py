"""The manual gateway: cash, POS (card machine) and bank transfer, recorded by a person.

The money has already changed hands when it is recorded, so a charge always succeeds at once and its
reference is the receipt's. Nothing can be refunded through it: a manual payment is given back by hand and
recorded as a credit.
"""

from __future__ import annotations

from decimal import Decimal

from quita.payments.gateways import ChargeResult, GatewayError, RefundResult


class ManualGateway:
    """Cash, POS and bank transfer: no outside system."""

    name = "manual"

    def charge(self, *, amount: Decimal, reference: str = "", **_ignored) -> ChargeResult:
        return ChargeResult(status="succeeded", intent_id=None, amount=amount)

    def refund(self, **_ignored) -> RefundResult:
        raise GatewayError("manual payments are not refunded through a gateway", code="refund_not_supported")
