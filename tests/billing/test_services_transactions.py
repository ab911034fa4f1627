"""transaction_create and transaction_void: signs, credit types, input rules, and the void rules."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from quita.billing import services
from quita.billing.models import CreditType, Transaction, TransactionKind, TransactionSource
from quita.core.errors import Conflict, NotFound, ValidationFailed
from quita.core.models import ActivityLog
from quita.customers import services as customer_services
from tests.billing.ledger import DEFAULT_NOW, JAN_5


def test_charge_is_stored_positive_with_who_and_when(ledger, make_customer, clerk):
    customer = make_customer()
    tx = ledger.charge(customer, "45.00", title="  Setup fee  ", description="Installation")
    tx.refresh_from_db()
    assert tx.kind == TransactionKind.CHARGE
    assert tx.amount == Decimal("45.00")
    assert tx.title == "Setup fee"
    assert tx.description == "Installation"
    assert tx.credit_type == ""
    assert tx.source == TransactionSource.MANUAL
    assert tx.entity_id == customer.entity_id
    assert tx.created_by == clerk
    assert tx.created_at == DEFAULT_NOW
    assert tx.invoice is None and tx.paid_invoice is None and not tx.is_billed


@pytest.mark.parametrize(
    "credit_type",
    [CreditType.CASH_PAYMENT, CreditType.DISCOUNT, CreditType.OUTAGE_COMPENSATION, CreditType.OTHER],
    ids=lambda c: c.value,
)
def test_credit_is_stored_negative_with_its_type(ledger, make_customer, credit_type):
    tx = ledger.credit(make_customer(), "10.00", credit_type=credit_type)
    tx.refresh_from_db()
    assert tx.kind == TransactionKind.CREDIT
    assert tx.amount == Decimal("-10.00")
    assert tx.credit_type == credit_type


def test_credit_type_defaults_to_other(ledger, make_customer):
    tx = ledger.credit(make_customer(), "5.00", credit_type="")
    assert tx.credit_type == CreditType.OTHER


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"kind": "payment"}, "invalid_kind"),
        ({"kind": "refund"}, "invalid_kind"),
        ({"kind": "bonus"}, "invalid_kind"),
        ({"amount": "0.00"}, "amount_not_positive"),
        ({"amount": "-45.00"}, "amount_not_positive"),
        ({"amount": 45.0}, "amount_is_float"),
        ({"amount": "45.001"}, "amount_too_many_decimals"),
        ({"amount": "forty"}, "amount_invalid"),
        ({"amount": "1000000000000.00"}, "amount_too_large"),
        ({"amount": "1e30"}, "amount_too_large"),
        ({"title": "   "}, "title_required"),
        ({"title": "x" * 201}, "max_length"),
        ({"date": "2025-01-05"}, "invalid_date"),
        ({"credit_type": "discount"}, "credit_type_on_charge"),
        ({"kind": "credit", "credit_type": "gift"}, "invalid_credit_type"),
    ],
    ids=[
        "payment-by-hand",
        "refund-by-hand",
        "unknown-kind",
        "zero",
        "negative",
        "float",
        "three-decimals",
        "not-a-number",
        "beyond-the-column",
        "beyond-decimal-precision",
        "blank-title",
        "title-too-long",
        "date-as-text",
        "credit-type-on-charge",
        "unknown-credit-type",
    ],
)
def test_transaction_create_refuses_bad_input_and_writes_nothing(make_customer, clerk, changes, code):
    customer = make_customer()
    arguments = {"kind": "charge", "title": "Monthly fee", "amount": "45.00", "date": JAN_5, **changes}
    logs_before = ActivityLog.objects.count()
    with pytest.raises(ValidationFailed) as error:
        services.transaction_create(customer=customer, actor=clerk, **arguments)
    assert error.value.code == code
    assert not Transaction.objects.exists()
    assert ActivityLog.objects.count() == logs_before


def test_the_largest_amount_the_column_holds_is_accepted(ledger, make_customer):
    tx = ledger.charge(make_customer(), "999999999999.99")
    tx.refresh_from_db()
    assert tx.amount == Decimal("999999999999.99")


def test_service_link_sets_the_category(ledger, make_customer, make_service, categories):
    customer = make_customer()
    service = make_service(customer)
    tx = ledger.charge(customer, "20.00", service=service)
    assert tx.service == service
    assert tx.category == categories["internet"]


def test_service_of_another_customer_is_refused(ledger, make_customer, make_service):
    owner, other = make_customer("Owner"), make_customer("Other")
    service = make_service(owner)
    with pytest.raises(ValidationFailed) as error:
        ledger.charge(other, "20.00", service=service)
    assert error.value.code == "service_other_customer"
    assert not Transaction.objects.exists()


# --- void -------------------------------------------------------------------------------------------------------


def test_void_keeps_the_line_with_reason_who_and_when(ledger, make_customer, clerk):
    tx = ledger.charge(make_customer(), "45.00")
    voided = ledger.void(tx, reason="  Charged twice ")
    voided.refresh_from_db()
    assert voided.is_void
    assert voided.void_reason == "Charged twice"
    assert voided.voided_by == clerk
    assert voided.voided_at == DEFAULT_NOW
    assert voided.amount == Decimal("45.00")  # nothing financial is rewritten or deleted


@pytest.mark.parametrize("reason", ["", "   ", None], ids=["empty", "blank", "none"])
def test_void_needs_a_reason(ledger, make_customer, reason):
    tx = ledger.charge(make_customer())
    with pytest.raises(ValidationFailed) as error:
        ledger.void(tx, reason=reason)
    assert error.value.code == "reason_required"
    tx.refresh_from_db()
    assert not tx.is_void


def test_void_twice_is_refused(ledger, make_customer):
    tx = ledger.void(ledger.charge(make_customer()))
    with pytest.raises(Conflict) as error:
        ledger.void(tx, reason="again")
    assert error.value.code == "transaction_already_void"


def test_void_of_a_billed_line_says_to_void_the_invoice_first(ledger, make_customer):
    customer = make_customer()
    tx = ledger.charge(customer)
    invoice = ledger.invoice(customer)
    with pytest.raises(Conflict) as error:
        ledger.void(tx)
    assert error.value.code == "transaction_on_invoice"
    assert invoice.number in str(error.value.detail)
    tx.refresh_from_db()
    assert not tx.is_void and tx.invoice == invoice


def test_void_of_a_payment_settling_an_invoice_is_refused(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer, "45.00")
    invoice = ledger.invoice(customer)
    ledger.pay(invoice, amount="20.00")
    payment_line = Transaction.objects.get(paid_invoice=invoice)
    with pytest.raises(Conflict) as error:
        ledger.void(payment_line)
    assert error.value.code == "transaction_on_invoice"


def test_a_line_released_by_an_invoice_void_can_be_voided(ledger, make_customer):
    customer = make_customer()
    tx = ledger.charge(customer)
    ledger.void_invoice(ledger.invoice(customer))
    assert ledger.void(tx).is_void


def test_void_of_an_unknown_transaction_is_not_found(clerk, db):
    with pytest.raises(NotFound) as error:
        services.transaction_void(transaction_id=999_999, actor=clerk, reason="x")
    assert error.value.code == "transaction_not_found"


def test_a_void_line_is_never_billed(ledger, make_customer):
    customer = make_customer()
    kept = ledger.charge(customer, "45.00")
    ledger.void(ledger.charge(customer, "50.00"))
    invoice = ledger.invoice(customer)
    assert invoice.total == Decimal("45.00")
    assert list(invoice.transactions.all()) == [kept]


def test_transaction_create_for_an_unknown_customer_is_not_found(ledger, make_customer):
    customer = make_customer()
    customer.pk = 999_999
    with pytest.raises(NotFound) as error:
        ledger.charge(customer)
    assert error.value.code == "customer_not_found"


def test_inactive_customer_still_has_a_ledger(ledger, make_customer, clerk):
    customer = make_customer()
    customer_services.customer_update(customer=customer, actor=clerk, is_active=False)
    assert ledger.charge(customer, "45.00", date=datetime.date(2025, 1, 31)).amount == Decimal("45.00")


def test_a_payment_released_by_an_invoice_void_cannot_be_voided(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer, "45.00")
    invoice = ledger.invoice(customer)
    ledger.pay(invoice, amount="20.00")
    ledger.void_invoice(invoice)
    payment_line = Transaction.objects.get(kind="payment", customer=customer)
    assert payment_line.paid_invoice is None  # released: the money received is now an unbilled credit
    with pytest.raises(Conflict) as error:
        ledger.void(payment_line)
    assert error.value.code == "payment_cannot_void"


def test_overpayment_credits_are_not_typed_by_hand(ledger, make_customer):
    with pytest.raises(ValidationFailed) as error:
        ledger.credit(make_customer(), "5.00", credit_type="overpayment")
    assert error.value.code == "invalid_credit_type"
