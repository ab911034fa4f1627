"""invoice_pay and invoices_pay: manual payments, partial payments, overpayments, one receipt for several invoices."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from quita.billing import services as billing_services
from quita.billing.models import CreditType, Invoice, InvoiceStatus, Transaction, TransactionKind, TransactionSource
from quita.core.errors import Conflict, NotFound, ValidationFailed
from quita.core.models import ActivityLog
from quita.payments import services
from quita.payments.models import Payment, PaymentStatus
from tests.billing.ledger import DEFAULT_NOW

TODAY = datetime.date(2025, 2, 10)  # the fixed clock's date in São Paulo


def _written():
    return {
        "payments": Payment.objects.count(),
        "transactions": Transaction.objects.count(),
        "logs": ActivityLog.objects.count(),
        "invoices": list(Invoice.objects.order_by("pk").values_list("status", "amount_paid")),
    }


@pytest.fixture
def invoice_of(ledger, make_customer):
    """An unpaid invoice of `amount` for a new customer (or for `customer`)."""

    def build(amount="95.00", customer=None, due_date=datetime.date(2025, 2, 25), day=datetime.date(2025, 1, 5)):
        customer = customer or make_customer()
        ledger.charge(customer, amount, date=day)
        return ledger.invoice(customer, due_date=due_date)

    return build


@pytest.mark.parametrize("method", ["cash", "pos", "bank_transfer"])
def test_full_payment_by_each_manual_method(ledger, invoice_of, clerk, method):
    invoice = invoice_of("95.00")
    payment = ledger.pay(invoice, method=method, reference="REC-1")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.amount_paid == Decimal("95.00") and invoice.balance == 0
    assert invoice.paid_at == DEFAULT_NOW
    assert (invoice.payment_method, invoice.payment_reference) == (method, "REC-1")
    assert payment.method == method and payment.reference == "REC-1"
    assert payment.amount == Decimal("95.00")
    assert payment.status == PaymentStatus.SUCCEEDED and payment.gateway == "manual"
    assert payment.invoice == invoice and payment.customer_id == invoice.customer_id
    assert payment.received_on == TODAY
    assert payment.created_by == clerk
    line = Transaction.objects.get(kind=TransactionKind.PAYMENT)
    assert line.amount == Decimal("-95.00")
    assert line.paid_invoice == invoice and line.invoice is None
    assert line.source == TransactionSource.PAYMENT
    assert invoice.number in line.title
    assert line.date == TODAY


def test_amount_defaults_to_the_open_balance(ledger, invoice_of):
    invoice = invoice_of("95.00")
    ledger.pay(invoice, amount="30.00")
    payment = ledger.pay(invoice)
    assert payment.amount == Decimal("65.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_partial_payment_keeps_the_invoice_unpaid_with_its_balance(ledger, invoice_of):
    invoice = invoice_of("95.00")
    ledger.pay(invoice, amount="40.00", reference="A")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNPAID
    assert invoice.amount_paid == Decimal("40.00")
    assert invoice.balance == Decimal("55.00")
    assert invoice.paid_at is None
    ledger.pay(invoice, amount="55.00", reference="B")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.balance == 0
    assert list(invoice.payments.order_by("pk").values_list("amount", flat=True)) == [
        Decimal("40.00"),
        Decimal("55.00"),
    ]
    assert sum(invoice.payment_transactions.values_list("amount", flat=True)) == Decimal("-95.00")


def test_overpayment_leaves_an_unbilled_credit_that_lands_on_the_next_invoice(ledger, invoice_of, make_customer):
    customer = make_customer()
    invoice = invoice_of("95.00", customer=customer)
    payment = ledger.pay(invoice, amount="100.00", reference="R-9")
    invoice.refresh_from_db()
    assert payment.amount == Decimal("100.00")
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.amount_paid == Decimal("95.00")  # what the invoice took; the rest is the customer's credit
    settled = Transaction.objects.get(kind=TransactionKind.PAYMENT)
    assert settled.amount == Decimal("-95.00") and settled.paid_invoice == invoice
    excess = Transaction.objects.get(kind=TransactionKind.CREDIT)
    assert excess.amount == Decimal("-5.00")
    assert excess.credit_type == CreditType.OVERPAYMENT
    assert excess.invoice is None and excess.paid_invoice is None and not excess.is_void
    assert excess.date == TODAY
    # February's fee: 45.00 less the 5.00 left over.
    ledger.charge(customer, "45.00", date=datetime.date(2025, 2, 5))
    february = ledger.invoice(customer, start=datetime.date(2025, 2, 1), end=datetime.date(2025, 2, 28))
    assert february.total == Decimal("40.00")
    excess.refresh_from_db()
    assert excess.invoice == february


def test_an_overpayment_credit_cannot_be_voided(ledger, invoice_of, make_customer, clerk):
    """The company holds that money: voiding the credit would take it off the books. It waits for the next invoice."""
    invoice = invoice_of("95.00", customer=make_customer())
    ledger.pay(invoice, amount="100.00", reference="R-9")
    excess = Transaction.objects.get(kind=TransactionKind.CREDIT)
    written = ActivityLog.objects.count()
    with pytest.raises(Conflict) as error:
        billing_services.transaction_void(transaction_id=excess.pk, actor=clerk, reason="engano")
    assert error.value.code == "received_credit_cannot_void"
    assert "Overpayment" in str(error.value) or "Pagamento a maior" in str(error.value)
    excess.refresh_from_db()
    assert not excess.is_void and ActivityLog.objects.count() == written


def test_one_reference_pays_three_invoices(ledger, make_customer, clerk):
    customer = make_customer()
    invoices = []
    for month, amount in ((1, "45.00"), (2, "45.00"), (3, "50.00")):
        ledger.charge(customer, amount, date=datetime.date(2025, month, 5))
        invoices.append(
            ledger.invoice(
                customer,
                start=datetime.date(2025, month, 1),
                end=datetime.date(2025, month, 28),
                due_date=datetime.date(2025, 3, month),
            )
        )
    payments = services.invoices_pay(
        invoice_ids=[i.pk for i in invoices], actor=clerk, method="cash", reference="RECIBO-0042"
    )
    assert [p.invoice_id for p in payments] == [i.pk for i in invoices]
    assert [p.amount for p in payments] == [Decimal("45.00"), Decimal("45.00"), Decimal("50.00")]
    assert {p.reference for p in payments} == {"RECIBO-0042"}
    assert set(Payment.objects.filter(reference="RECIBO-0042").values_list("invoice_id", flat=True)) == {
        i.pk for i in invoices
    }
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
        assert invoice.payment_reference == "RECIBO-0042"
    assert not Transaction.objects.filter(kind=TransactionKind.CREDIT).exists()


def test_one_amount_over_several_invoices_pays_the_oldest_due_first(ledger, invoice_of, make_customer, clerk):
    customer = make_customer()
    late = invoice_of("50.00", customer=customer, due_date=datetime.date(2025, 3, 20))
    early = invoice_of("45.00", customer=customer, due_date=datetime.date(2025, 2, 20), day=datetime.date(2025, 1, 6))
    services.invoices_pay(invoice_ids=[late.pk, early.pk], actor=clerk, method="pos", amount="60.00")
    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.status, early.amount_paid) == (InvoiceStatus.PAID, Decimal("45.00"))
    assert (late.status, late.amount_paid, late.balance) == (InvoiceStatus.UNPAID, Decimal("15.00"), Decimal("35.00"))


def test_one_amount_above_all_balances_leaves_the_excess_as_credit(ledger, invoice_of, make_customer, clerk):
    customer = make_customer()
    first = invoice_of("45.00", customer=customer)
    second = invoice_of("45.00", customer=customer, day=datetime.date(2025, 1, 6))
    services.invoices_pay(invoice_ids=[first.pk, second.pk], actor=clerk, method="cash", amount="100.00")
    for invoice in (first, second):
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
    credit = Transaction.objects.get(kind=TransactionKind.CREDIT)
    assert credit.amount == Decimal("-10.00") and credit.credit_type == CreditType.OVERPAYMENT


def test_one_amount_that_runs_out_pays_nothing_on_the_last_invoices(ledger, invoice_of, make_customer, clerk):
    customer = make_customer()
    first = invoice_of("45.00", customer=customer, due_date=datetime.date(2025, 2, 20))
    second = invoice_of("45.00", customer=customer, due_date=datetime.date(2025, 2, 21), day=datetime.date(2025, 1, 6))
    third = invoice_of("45.00", customer=customer, due_date=datetime.date(2025, 2, 22), day=datetime.date(2025, 1, 7))
    payments = services.invoices_pay(
        invoice_ids=[first.pk, second.pk, third.pk], actor=clerk, method="cash", amount="45.00"
    )
    assert [p.invoice_id for p in payments] == [first.pk]
    for invoice, status in ((second, InvoiceStatus.UNPAID), (third, InvoiceStatus.UNPAID)):
        invoice.refresh_from_db()
        assert invoice.status == status and invoice.amount_paid == 0


@pytest.mark.parametrize(
    ("state", "code"),
    [("void", "invoice_void_cannot_pay"), ("paid", "invoice_already_paid")],
    ids=["void", "paid"],
)
def test_a_void_or_paid_invoice_cannot_be_paid(ledger, invoice_of, state, code):
    invoice = invoice_of("95.00")
    if state == "void":
        ledger.void_invoice(invoice)
    else:
        ledger.pay(invoice)
    before = _written()
    with pytest.raises(Conflict) as error:
        ledger.pay(invoice, amount="10.00")
    assert error.value.code == code
    assert invoice.number in str(error.value.detail)
    assert _written() == before


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"method": "card"}, "invalid_payment_method"),
        ({"method": "pix"}, "invalid_payment_method"),
        ({"method": "cheque"}, "invalid_payment_method"),
        ({"amount": "0.00"}, "amount_not_positive"),
        ({"amount": "-5.00"}, "amount_not_positive"),
        ({"amount": 10.5}, "amount_is_float"),
        ({"amount": "10.505"}, "amount_too_many_decimals"),
        ({"amount": "1e30"}, "amount_too_large"),
    ],
    ids=["card", "pix", "unknown-method", "zero", "negative", "float", "three-decimals", "beyond-decimal-precision"],
)
def test_bad_payment_input_is_refused_and_writes_nothing(ledger, invoice_of, arguments, code):
    invoice = invoice_of("95.00")
    before = _written()
    with pytest.raises(ValidationFailed) as error:
        ledger.pay(invoice, **{"method": "cash", **arguments})
    assert error.value.code == code
    assert _written() == before


def test_paying_an_unknown_invoice_is_not_found(clerk, db):
    with pytest.raises(NotFound) as error:
        services.invoice_pay(invoice_id=999_999, actor=clerk, method="cash")
    assert error.value.code == "invoice_not_found"


def test_long_references_are_cut_to_fit(ledger, invoice_of):
    payment = ledger.pay(invoice_of("95.00"), reference="R" * 500)
    assert payment.reference == "R" * 120


# --- several invoices, all or nothing ----------------------------------------------------------------------------


def test_a_multi_invoice_payment_with_one_paid_invoice_writes_nothing(ledger, invoice_of, make_customer, clerk):
    customer = make_customer()
    open_one = invoice_of("45.00", customer=customer)
    paid_one = invoice_of("50.00", customer=customer, day=datetime.date(2025, 1, 6))
    ledger.pay(paid_one)
    before = _written()
    with pytest.raises(Conflict) as error:
        services.invoices_pay(invoice_ids=[open_one.pk, paid_one.pk], actor=clerk, method="cash", reference="X")
    assert error.value.code == "invoice_already_paid"
    assert _written() == before


def test_a_multi_invoice_payment_failing_half_way_writes_nothing(ledger, invoice_of, make_customer, clerk, monkeypatch):
    customer = make_customer()
    first = invoice_of("45.00", customer=customer, due_date=datetime.date(2025, 2, 20))
    second = invoice_of("50.00", customer=customer, due_date=datetime.date(2025, 2, 21), day=datetime.date(2025, 1, 6))
    real_apply = services.payment_apply
    calls = []

    def fail_on_second(**kwargs):
        calls.append(kwargs["invoice"].pk)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real_apply(**kwargs)

    monkeypatch.setattr(services, "payment_apply", fail_on_second)
    before = _written()
    with pytest.raises(RuntimeError):
        services.invoices_pay(invoice_ids=[first.pk, second.pk], actor=clerk, method="cash", reference="X")
    assert calls == [first.pk, second.pk]  # the first invoice had been paid when the second failed
    assert _written() == before


def test_invoices_of_two_customers_cannot_share_a_receipt(invoice_of, clerk):
    first, second = invoice_of("45.00"), invoice_of("50.00")
    with pytest.raises(ValidationFailed) as error:
        services.invoices_pay(invoice_ids=[first.pk, second.pk], actor=clerk, method="cash")
    assert error.value.code == "invoices_other_customers"
    assert not Payment.objects.exists()


def test_a_receipt_needs_at_least_one_invoice(clerk, db):
    with pytest.raises(ValidationFailed) as error:
        services.invoices_pay(invoice_ids=[], actor=clerk, method="cash")
    assert error.value.code == "invoices_required"


def test_a_repeated_invoice_id_is_paid_once(invoice_of, clerk):
    invoice = invoice_of("45.00")
    payments = services.invoices_pay(invoice_ids=[invoice.pk, invoice.pk], actor=clerk, method="cash")
    assert len(payments) == 1
    assert Payment.objects.count() == 1
