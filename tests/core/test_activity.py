"""The activity log: one row per create, void, pay and generate, in the change's transaction."""

from __future__ import annotations

import datetime

import pytest

from quita.billing.models import Invoice, Transaction
from quita.core.activity import activity_record, snapshot
from quita.core.errors import Conflict
from quita.core.models import ActivityAction, ActivityLog
from quita.core.selectors import activity_for_customer, activity_for_object
from quita.payments.models import Payment
from tests.billing.ledger import DEFAULT_NOW


def rows(queryset):
    return [(log.action, log.content_type.model, log.object_id) for log in queryset.order_by("created_at", "id")]


def test_each_change_writes_one_row_readable_per_customer(ledger, make_customer, clerk):
    customer = make_customer(actor=clerk)
    charge = ledger.charge(customer, "95.00")
    voided = ledger.void(ledger.charge(customer, "10.00"))
    invoice = ledger.invoice(customer)
    ledger.pay(invoice, reference="R-1")
    assert rows(activity_for_customer(customer.pk)) == [
        (ActivityAction.CREATE, "customer", customer.pk),
        (ActivityAction.CREATE, "transaction", charge.pk),
        (ActivityAction.CREATE, "transaction", voided.pk),
        (ActivityAction.VOID, "transaction", voided.pk),
        (ActivityAction.GENERATE, "invoice", invoice.pk),
        (ActivityAction.PAY, "invoice", invoice.pk),
    ]
    for log in activity_for_customer(customer.pk):
        assert log.actor == clerk
        assert log.entity_id == customer.entity_id
        assert log.created_at == DEFAULT_NOW


def test_the_log_of_an_invoice_reads_generate_pay_and_void(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer, "95.00")
    invoice = ledger.invoice(customer)
    ledger.pay(invoice, amount="20.00")
    ledger.void_invoice(invoice, reason="Wrong customer")
    assert [log[0] for log in rows(activity_for_object(invoice))] == [
        ActivityAction.GENERATE,
        ActivityAction.PAY,
        ActivityAction.VOID,
    ]


def test_a_transaction_create_logs_its_values(ledger, make_customer):
    customer = make_customer()
    tx = ledger.credit(customer, "10.00", credit_type="outage_compensation", title="Outage 12/01")
    log = activity_for_object(tx).get()
    assert log.before is None
    assert log.after["amount"] == "-10.00"
    assert log.after["kind"] == "credit"
    assert log.after["credit_type"] == "outage_compensation"
    assert log.after["date"] == "2025-01-05"
    assert log.summary == "Outage 12/01"


def test_a_void_logs_before_and_after(ledger, make_customer):
    tx = ledger.charge(make_customer(), "45.00")
    ledger.void(tx, reason="Duplicate")
    log = activity_for_object(tx).get(action=ActivityAction.VOID)
    assert (log.before["is_void"], log.after["is_void"]) == (False, True)
    assert log.after["void_reason"] == "Duplicate"


def test_generate_logs_the_invoice_as_issued(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer, "95.00")
    invoice = ledger.invoice(customer)
    log = activity_for_object(invoice).get()
    assert log.action == ActivityAction.GENERATE
    assert log.customer_id == customer.pk
    assert log.after["number"] == invoice.number
    assert log.after["total"] == "95.00"
    assert log.after["status"] == "unpaid"


def test_pay_logs_the_invoice_before_and_after(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer, "95.00")
    invoice = ledger.invoice(customer)
    payment = ledger.pay(invoice, amount="100.00", reference="R-7")
    log = activity_for_object(invoice).get(action=ActivityAction.PAY)
    # What the payment changed, and nothing it left as it was (the row names the invoice; its summary, the number).
    assert log.before == {"status": "unpaid", "amount_paid": "0.00"}
    assert log.after == {
        "status": "paid",
        "amount_paid": "95.00",
        "payment": payment.pk,
        "applied": "95.00",
        "excess": "5.00",
    }
    assert log.summary.startswith(f"{invoice.number}: 100.00 ")


def test_invoice_void_logs_the_lines_it_released(ledger, make_customer):
    customer = make_customer()
    lines = [ledger.charge(customer, "50.00"), ledger.charge(customer, "45.00")]
    invoice = ledger.invoice(customer)
    ledger.pay(invoice, amount="20.00")
    payment_line = Transaction.objects.get(paid_invoice=invoice)
    invoice = ledger.void_invoice(invoice, reason="Wrong plan")
    log = activity_for_object(invoice).get(action=ActivityAction.VOID)
    assert (log.before["status"], log.after["status"]) == ("unpaid", "void")
    assert log.after["released_transactions"] == 3
    assert sorted(log.after["released_transaction_ids"]) == sorted([*(t.pk for t in lines), payment_line.pk])
    assert "Wrong plan" in log.summary


def test_a_refused_operation_leaves_no_row(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer, "95.00")
    invoice = ledger.invoice(customer)
    ledger.pay(invoice)
    before = ActivityLog.objects.count()
    with pytest.raises(Conflict):
        ledger.void_invoice(invoice)
    with pytest.raises(Conflict):
        ledger.pay(invoice)
    with pytest.raises(Conflict):
        ledger.invoice(customer)  # nothing left to bill
    assert ActivityLog.objects.count() == before


@pytest.mark.parametrize(
    ("module", "operation"),
    [
        ("quita.billing.services", "transaction_create"),
        ("quita.billing.services", "transaction_void"),
        ("quita.billing.services", "invoice_void"),
        ("quita.payments.services", "invoice_pay"),
    ],
    ids=["transaction-create", "transaction-void", "invoice-void", "invoice-pay"],
)
def test_a_failure_after_the_change_rolls_back_the_change_and_the_log(
    ledger, make_customer, monkeypatch, module, operation
):
    """The log row is written in the change's transaction: when it cannot be written, the change is undone."""
    customer = make_customer()
    ledger.charge(customer, "95.00")
    open_invoice = ledger.invoice(customer)
    unbilled = ledger.charge(customer, "45.00", date=datetime.date(2025, 2, 5))

    def broken_log(**kwargs):
        raise RuntimeError("the log table is full")

    monkeypatch.setattr(f"{module}.activity_record", broken_log)
    state = (
        ActivityLog.objects.count(),
        list(Transaction.objects.order_by("pk").values_list("pk", "is_void", "invoice_id", "paid_invoice_id")),
        list(Invoice.objects.order_by("pk").values_list("status", "amount_paid")),
        Payment.objects.count(),
    )
    with pytest.raises(RuntimeError):
        if operation == "transaction_create":
            ledger.charge(customer, "1.00")
        elif operation == "transaction_void":
            ledger.void(unbilled)
        elif operation == "invoice_void":
            ledger.void_invoice(open_invoice)
        else:
            ledger.pay(open_invoice, amount="100.00")
    assert state == (
        ActivityLog.objects.count(),
        list(Transaction.objects.order_by("pk").values_list("pk", "is_void", "invoice_id", "paid_invoice_id")),
        list(Invoice.objects.order_by("pk").values_list("status", "amount_paid")),
        Payment.objects.count(),
    )


def test_activity_record_keeps_values_json_ready(ledger, make_customer, entity):
    customer = make_customer()
    tx = ledger.charge(customer, "45.5")
    data = snapshot(tx, ["amount", "date", "customer", "title", "is_void"])
    assert data == {
        "amount": "45.50",
        "date": "2025-01-05",
        "customer": customer.pk,
        "title": "Monthly fee",
        "is_void": False,
    }
    log = activity_record(entity_id=entity.pk, actor=None, action=ActivityAction.UPDATE, obj=tx, summary="x" * 300)
    assert log.actor is None
    assert len(log.summary) == 255
