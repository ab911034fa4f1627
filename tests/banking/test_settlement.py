"""The bulk settlement of return files writes exactly the rows `payment_apply` writes (field by field)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from quita.banking import settlement
from quita.billing.models import Invoice, Transaction
from quita.core.models import ActivityLog
from quita.payments.models import Payment
from quita.payments.services import payment_apply

PAID_ON = datetime.date(2025, 2, 20)


def _rows(invoice):
    """Everything a payment writes for `invoice` (one payment), with the invoice's number and ids left out."""
    rows = _all_rows(invoice)
    return {**rows, "payment": rows["payments"][0], "log": rows["logs"][0]}


def _all_rows(invoice):
    invoice = Invoice.objects.get(pk=invoice.pk)
    payments = list(Payment.objects.filter(invoice=invoice).order_by("id"))
    lines = Transaction.objects.filter(customer_id=invoice.customer_id, source="payment").order_by("id")
    logs = ActivityLog.objects.filter(object_id=invoice.pk, action="pay").order_by("id")
    number = invoice.number
    payment_ids = [payment.pk for payment in payments]

    def plain(text):
        return str(text).replace(number, "N")

    return {
        "invoice": (
            invoice.status,
            invoice.amount_paid,
            invoice.payment_method,
            invoice.payment_reference,
            invoice.paid_at is not None,
        ),
        "payments": [
            (
                payment.amount,
                payment.applied_amount,
                payment.refunded_amount,
                payment.method,
                payment.reference,
                payment.status,
                payment.gateway,
                payment.received_on,
                payment.created_by_id,
                payment.customer_id == invoice.customer_id,
                payment.entity_id == invoice.entity_id,
                payment.card_id,
                payment.idempotency_key,
                payment.failure_code,
                payment.decline_code,
            )
            for payment in payments
        ],
        "lines": [
            (
                t.kind,
                t.credit_type,
                plain(t.title),
                t.description,
                t.amount,
                t.date,
                t.source,
                t.paid_invoice_id == invoice.pk,
                t.entity_id == invoice.entity_id,
                t.created_by_id,
                t.credit_type,
                t.is_void,
                t.invoice_id,
            )
            for t in lines
        ],
        "logs": [
            (
                plain(log.summary),
                log.entity_id == invoice.entity_id,
                log.customer_id == invoice.customer_id,
                log.actor_id,
                log.content_type_id,
                log.before,
                {k: v for k, v in log.after.items() if k != "payment"},
                log.after["payment"] == payment_ids[index],
            )
            for index, log in enumerate(logs)
        ],
    }


@pytest.mark.parametrize("amount", ["99.90", "50.00", "120.00"], ids=["exact", "partial", "overpaid"])
def test_bulk_settlement_matches_payment_apply(amount, make_invoice, clock):
    by_service, by_bulk = make_invoice("99.90"), make_invoice("99.90")
    locked = Invoice.objects.select_for_update().get(pk=by_service.pk)
    payment_apply(
        invoice=locked,
        actor=None,
        method="boleto",
        amount=Decimal(amount),
        reference="237 09/1-1",
        received_on=PAID_ON,
        gateway="cnab-237",
        external_id="a",
    )
    item = settlement.Settlement(
        invoice_id=by_bulk.pk,
        amount=Decimal(amount),
        method="boleto",
        reference="237 09/1-1",
        received_on=PAID_ON,
        gateway="cnab-237",
        external_id="b",
    )
    settlement.settle([item], actor=None, now=timezone.now())
    assert item.refused is None and item.payment_id
    assert _rows(by_bulk) == _rows(by_service)


def test_bulk_settlement_refuses_void_and_paid(make_invoice, ledger, clock):
    void, paid = make_invoice(), make_invoice()
    ledger.void_invoice(void)
    ledger.pay(paid)
    items = [
        settlement.Settlement(
            invoice_id=inv.pk,
            amount=Decimal("1.00"),
            method="boleto",
            reference="r",
            received_on=PAID_ON,
            gateway="cnab-237",
            external_id=f"x{inv.pk}",
        )
        for inv in (void, paid)
    ]
    settlement.settle(items, actor=None, now=timezone.now())
    assert [i.refused for i in items] == ["void", "paid"]
    assert not Payment.objects.filter(gateway="cnab-237").exists()


def test_two_liquidations_of_one_invoice_in_one_chunk(make_invoice, clock):
    invoice = make_invoice("99.90")
    items = [
        settlement.Settlement(
            invoice_id=invoice.pk,
            amount=Decimal(a),
            method="boleto",
            reference="r",
            received_on=PAID_ON,
            gateway="cnab-237",
            external_id=f"k{a}",
        )
        for a in ("60.00", "39.90", "5.00")
    ]
    settlement.settle(items, actor=None, now=timezone.now())
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.amount_paid == Decimal("99.90")
    assert [i.refused for i in items] == [None, None, "paid"]


@pytest.mark.parametrize(
    "amounts",
    [("60.00", "39.90"), ("30.00", "30.00", "50.00"), ("99.90",)],
    ids=["two-parts", "three-parts-overpaid", "one"],
)
def test_several_liquidations_of_one_invoice_match_payment_apply_in_turn(amounts, make_invoice, clock):
    """Several liquidations of one invoice in one chunk: the same rows as `payment_apply` called once for each,
    in order, while the invoice is unpaid (each log's before/after is the invoice between two payments)."""
    by_service, by_bulk = make_invoice("99.90"), make_invoice("99.90")
    for index, amount in enumerate(amounts):
        locked = Invoice.objects.select_for_update().get(pk=by_service.pk)
        if locked.status != "unpaid":
            break
        payment_apply(
            invoice=locked,
            actor=None,
            method="boleto",
            amount=Decimal(amount),
            reference="237 09/1-1",
            received_on=PAID_ON,
            gateway="cnab-237",
            external_id=f"s{index}",
        )
    items = [
        settlement.Settlement(
            invoice_id=by_bulk.pk,
            amount=Decimal(amount),
            method="boleto",
            reference="237 09/1-1",
            received_on=PAID_ON,
            gateway="cnab-237",
            external_id=f"b{index}",
        )
        for index, amount in enumerate(amounts)
    ]
    settlement.settle(items, actor=None, now=timezone.now())
    assert _all_rows(by_bulk) == _all_rows(by_service)
    assert all(item.payment_id for item in items)
