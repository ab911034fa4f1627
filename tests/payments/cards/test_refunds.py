"""Refunds of card payments through Stripe: full, partial, several up to the amount paid (Quita guards the limit,
since localstripe does not); the invoice goes back to unpaid; manual payments are refused with a clear error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from quita.billing.models import InvoiceStatus, Transaction, TransactionKind
from quita.core.errors import Conflict, PermissionDenied, ValidationFailed
from quita.core.models import ActivityLog, Role
from quita.payments import services
from quita.payments.models import Refund
from tests.conftest import make_user


@pytest.fixture
def paid_by_card(invoice_of, add_card, clerk):
    invoice = invoice_of("95.00")
    add_card(invoice.customer)
    payment = services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    return invoice, payment


def _written():
    return (Refund.objects.count(), Transaction.objects.count(), ActivityLog.objects.count())


def test_full_refund(paid_by_card, clerk, browser):
    invoice, payment = paid_by_card
    refund = services.payment_refund(payment_id=payment.pk, actor=clerk, reason="Cancelled")
    assert refund.amount == Decimal("95.00") and refund.external_id.startswith("re_")
    assert browser.v1.refunds.retrieve(refund.external_id).amount == 9500
    line = refund.transaction
    assert (line.kind, line.amount, line.paid_invoice_id) == (TransactionKind.REFUND, Decimal("95.00"), invoice.pk)
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNPAID and invoice.amount_paid == 0 and invoice.paid_at is None
    assert payment.refunded_amount == Decimal("95.00")
    with pytest.raises(Conflict) as error:
        services.payment_refund(payment_id=payment.pk, actor=clerk)
    assert error.value.code == "payment_fully_refunded"


def test_several_partial_refunds_up_to_the_amount_paid(paid_by_card, clerk):
    invoice, payment = paid_by_card
    services.payment_refund(payment_id=payment.pk, actor=clerk, amount="30.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNPAID and invoice.balance == Decimal("30.00")
    services.payment_refund(payment_id=payment.pk, actor=clerk, amount="60.00")
    before = _written()
    with pytest.raises(ValidationFailed) as error:  # localstripe would accept it: Quita refuses
        services.payment_refund(payment_id=payment.pk, actor=clerk, amount="5.01")
    assert error.value.code == "refund_exceeds_payment"
    assert _written() == before
    last = services.payment_refund(payment_id=payment.pk, actor=clerk)  # what is left: 5.00
    assert last.amount == Decimal("5.00")
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.refunded_amount == payment.amount
    assert invoice.amount_paid == 0 and invoice.balance == Decimal("95.00")
    assert Refund.objects.filter(payment=payment).count() == 3
    assert len({r.idempotency_key for r in Refund.objects.all()}) == 3


def test_a_manual_payment_is_not_refunded_through_stripe(invoice_of, ledger, clerk):
    invoice = invoice_of("95.00")
    payment = ledger.pay(invoice, method="cash", reference="REC-9")
    before = _written()
    with translation.override("en"):
        with pytest.raises(Conflict) as error:
            services.payment_refund(payment_id=payment.pk, actor=clerk)
        assert "manual credit" in str(error.value.detail)
    assert error.value.code == "refund_manual_payment"
    assert _written() == before


def test_a_collections_operator_cannot_refund(paid_by_card, entity):
    _invoice, payment = paid_by_card
    operator = make_user("operator", entity, Role.COLLECTIONS_OPERATOR)
    with pytest.raises(PermissionDenied):
        services.payment_refund(payment_id=payment.pk, actor=operator)


def test_a_partial_refund_brings_the_open_boleto_to_the_balance(paid_by_card_with_boleto, clerk):
    """Paid by card while its boleto was still at the bank: a partial refund makes the invoice owe 30.00 again, and
    the boleto (not cancelled yet: the next remittance would have done it) is changed to 30.00, not left at 95.00."""
    invoice, payment, boleto = paid_by_card_with_boleto
    services.payment_refund(payment_id=payment.pk, actor=clerk, amount="30.00")
    boleto.refresh_from_db()
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("30.00")
    assert (boleto.status, boleto.amount, boleto.pending_action) == ("awaiting", Decimal("30.00"), "amount")
    assert ActivityLog.objects.filter(content_type__model="boleto", object_id=boleto.pk).latest("pk").summary == (
        f"boleto {boleto.our_number_display}: amount 30.00, the balance of {invoice.number}"
    )


def test_a_full_refund_leaves_the_open_boleto_as_it_was(paid_by_card_with_boleto, clerk):
    invoice, payment, boleto = paid_by_card_with_boleto
    barcode = boleto.barcode
    services.payment_refund(payment_id=payment.pk, actor=clerk)
    boleto.refresh_from_db()
    assert (boleto.amount, boleto.barcode, boleto.pending_action) == (Decimal("95.00"), barcode, "")


@pytest.fixture
def paid_by_card_with_boleto(invoice_of, add_card, clerk):
    from quita.banking import services as banking

    invoice = invoice_of("95.00")
    wallet = banking.wallet_create(
        entity=invoice.entity_id, actor=None, name="Bradesco", bank="237", agency="1234", account="56789",
        wallet_code="09",
    )  # fmt: skip
    boleto = banking.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    banking.remittance_create(wallet_id=wallet.pk, actor=clerk)  # the boleto is at the bank
    add_card(invoice.customer)
    payment = services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    boleto.refresh_from_db()
    assert (boleto.status, boleto.pending_action) == ("awaiting", "")
    return invoice, payment, boleto
