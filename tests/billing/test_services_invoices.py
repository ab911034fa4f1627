"""invoice_preview, invoice_generate and invoice_void: what is billed, the numbers, and the void rules."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from quita.billing import services
from quita.billing.models import Invoice, InvoiceStatus, Transaction
from quita.core.errors import Conflict, NotFound, ValidationFailed
from quita.core.models import ActivityLog, NumberSequence
from quita.customers import services as customer_services
from tests.billing.ledger import DEFAULT_NOW, DUE, JAN_1, JAN_5, JAN_31

UTC = datetime.UTC


def _written():
    """Counts of everything invoice generation may write."""
    return {
        "invoices": Invoice.objects.count(),
        "logs": ActivityLog.objects.count(),
        "sequences": list(NumberSequence.objects.values_list("series", "last_value")),
        "billed": Transaction.objects.filter(invoice__isnull=False).count(),
    }


@pytest.fixture
def mobile_plan(entity, categories):
    return customer_services.product_create(
        entity=entity, actor=None, name="Chip 10 GB", category=categories["mobile"], price=Decimal("30.00")
    )


# --- generate ---------------------------------------------------------------------------------------------------


def test_generate_bills_every_unbilled_line_of_the_period_on_one_invoice(ledger, make_customer, entity, clerk):
    customer = make_customer()
    setup = ledger.charge(customer, "50.00", title="Setup fee")
    month = ledger.charge(customer, "45.00", title="January")
    invoice = ledger.invoice(customer)
    invoice.refresh_from_db()
    assert invoice.total == Decimal("95.00")
    assert invoice.status == InvoiceStatus.UNPAID
    assert invoice.amount_paid == 0 and invoice.balance == Decimal("95.00")
    assert invoice.number == "INV-2025-000001"
    assert (invoice.year, invoice.sequence) == (2025, 1)
    assert invoice.issue_date == datetime.date(2025, 2, 10)  # today in the entity's zone (fixed clock)
    assert invoice.due_date == DUE
    assert (invoice.period_start, invoice.period_end) == (JAN_1, JAN_31)
    assert invoice.entity == entity and invoice.customer == customer
    assert invoice.created_by == clerk
    assert invoice.category is None
    assert set(invoice.transactions.all()) == {setup, month}
    assert not Transaction.objects.filter(customer=customer, invoice__isnull=True).exists()


def test_preview_returns_what_would_be_billed_and_writes_nothing(ledger, make_customer, clerk):
    customer = make_customer()
    first = ledger.charge(customer, "50.00", date=JAN_5)
    second = ledger.credit(customer, "10.00", date=JAN_31)
    before = _written()
    preview = services.invoice_preview(customer=customer, actor=clerk, start=JAN_1, end=JAN_31, due_date=DUE)
    assert _written() == before
    assert preview.transactions == [first, second]
    assert preview.total == Decimal("40.00")
    assert preview.issue_date == datetime.date(2025, 2, 10)
    # What the preview shows is what generation bills.
    invoice = ledger.invoice(customer)
    assert invoice.total == preview.total
    assert set(invoice.transactions.all()) == set(preview.transactions)


def test_preview_applies_the_same_rules_as_generate(make_customer, clerk, clock):
    customer = make_customer()
    with pytest.raises(ValidationFailed) as error:
        services.invoice_preview(
            customer=customer, actor=clerk, start=JAN_1, end=JAN_31, due_date=datetime.date(2025, 2, 9)
        )
    assert error.value.code == "due_before_issue"


def test_nothing_to_bill_is_an_error_and_leaves_no_invoice_and_no_number(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer, "45.00", date=datetime.date(2025, 2, 1))  # outside January
    before = _written()
    with pytest.raises(Conflict) as error:
        ledger.invoice(customer)
    assert error.value.code == "nothing_to_bill"
    assert _written() == before
    # The number was not consumed: the next invoice is the first.
    assert ledger.invoice(customer, end=datetime.date(2025, 2, 1)).number == "INV-2025-000001"


def test_a_customer_with_only_billed_or_void_lines_has_nothing_to_bill(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer)
    ledger.invoice(customer)
    ledger.void(ledger.charge(customer, "30.00"))
    with pytest.raises(Conflict) as error:
        ledger.invoice(customer)
    assert error.value.code == "nothing_to_bill"


@pytest.mark.parametrize(
    ("day", "billed"),
    [
        (datetime.date(2024, 12, 31), False),
        (JAN_1, True),
        (datetime.date(2025, 1, 15), True),
        (JAN_31, True),
        (datetime.date(2025, 2, 1), False),
    ],
    ids=["day-before-start", "start-day", "inside", "end-day", "day-after-end"],
)
def test_the_date_range_is_inclusive(ledger, make_customer, day, billed):
    customer = make_customer()
    anchor = ledger.charge(customer, "10.00", date=datetime.date(2025, 1, 10))
    probe = ledger.charge(customer, "1.00", date=day)
    invoice = ledger.invoice(customer)
    probe.refresh_from_db()
    assert (probe.invoice == invoice) is billed
    assert invoice.total == (Decimal("11.00") if billed else Decimal("10.00"))
    assert anchor in invoice.transactions.all()


def test_lines_of_other_customers_are_not_billed(ledger, make_customer):
    alice, bob = make_customer("Alice"), make_customer("Bob")
    ledger.charge(alice, "45.00")
    bobs = ledger.charge(bob, "99.00")
    invoice = ledger.invoice(alice)
    assert invoice.total == Decimal("45.00")
    bobs.refresh_from_db()
    assert bobs.invoice is None


def test_category_filter_bills_only_that_category(ledger, make_customer, make_service, mobile_plan, categories):
    customer = make_customer()
    internet = ledger.charge(customer, "45.00", service=make_service(customer))
    mobile = ledger.charge(customer, "30.00", service=make_service(customer, product=mobile_plan))
    loose = ledger.charge(customer, "5.00")  # no service, no category
    invoice = ledger.invoice(customer, category="mobile")
    assert invoice.category == categories["mobile"]
    assert list(invoice.transactions.all()) == [mobile]
    assert invoice.total == Decimal("30.00")
    for line in (internet, loose):
        line.refresh_from_db()
        assert line.invoice is None
    # The rest goes on the next invoice.
    assert ledger.invoice(customer).total == Decimal("50.00")


@pytest.mark.parametrize("category", ["mobile", "by-id"], ids=["by-code", "by-id"])
def test_category_may_be_given_by_code_or_id(ledger, make_customer, make_service, mobile_plan, categories, category):
    customer = make_customer()
    ledger.charge(customer, "30.00", service=make_service(customer, product=mobile_plan))
    value = categories["mobile"].pk if category == "by-id" else category
    assert ledger.invoice(customer, category=value).category == categories["mobile"]


def test_unknown_category_is_refused(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer)
    with pytest.raises(ValidationFailed) as error:
        ledger.invoice(customer, category="satellite")
    assert error.value.code == "unknown_category"
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"due_date": datetime.date(2025, 2, 9)}, "due_before_issue"),
        ({"start": datetime.date(2025, 2, 1), "end": JAN_31}, "end_before_start"),
        ({"due_date": None}, "invalid_date"),
        ({"start": "2025-01-01"}, "invalid_date"),
    ],
    ids=["due-before-issue", "end-before-start", "no-due-date", "date-as-text"],
)
def test_generate_refuses_bad_dates_and_writes_nothing(ledger, make_customer, changes, code):
    customer = make_customer()
    ledger.charge(customer)
    before = _written()
    with pytest.raises(ValidationFailed) as error:
        ledger.invoice(customer, **changes)
    assert error.value.code == code
    assert _written() == before


def test_due_date_on_the_issue_date_is_accepted(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer)
    assert ledger.invoice(customer, due_date=datetime.date(2025, 2, 10)).due_date == datetime.date(2025, 2, 10)


def test_issue_date_is_today_in_the_entity_time_zone(ledger, make_customer, clock):
    # 02:00 UTC on 1 March is still 28 February in São Paulo (UTC-3).
    clock.set(datetime.datetime(2025, 3, 1, 2, 0, tzinfo=UTC))
    customer = make_customer()
    ledger.charge(customer)
    invoice = ledger.invoice(customer, due_date=datetime.date(2025, 2, 28))
    assert invoice.issue_date == datetime.date(2025, 2, 28)


def test_credits_above_the_charges_are_refused_and_stay_on_the_ledger(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer, "10.00")
    credit = ledger.credit(customer, "25.00", credit_type="outage_compensation")
    before = _written()
    with pytest.raises(Conflict) as error:
        ledger.invoice(customer)
    assert error.value.code == "invoice_total_negative"
    assert _written() == before
    credit.refresh_from_db()
    assert credit.invoice is None


def test_zero_total_invoice_is_paid_at_once(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer, "45.00")
    ledger.credit(customer, "45.00", credit_type="outage_compensation")
    invoice = ledger.invoice(customer)
    invoice.refresh_from_db()
    assert invoice.total == 0
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.paid_at == DEFAULT_NOW
    assert invoice.balance == 0
    assert invoice.transactions.count() == 2


def test_zero_total_from_centavos_that_do_not_sum_to_zero_in_floating_point(ledger, make_customer):
    # 0.30 - 0.20 - 0.10 is exactly zero, but -1.4e-17 in binary floating point (SQLite sums decimals as floats).
    customer = make_customer()
    ledger.charge(customer, "0.30")
    ledger.credit(customer, "0.20")
    ledger.credit(customer, "0.10")
    invoice = ledger.invoice(customer)
    assert invoice.total == 0
    assert invoice.status == InvoiceStatus.PAID


def test_invoice_total_is_the_sum_of_many_centavo_lines(ledger, make_customer):
    # Sums that floating point gets wrong: ten lines of 0.10 and one of 0.07.
    customer = make_customer()
    for _ in range(10):
        ledger.charge(customer, "0.10")
    ledger.charge(customer, "0.07")
    ledger.credit(customer, "0.03")
    invoice = ledger.invoice(customer)
    invoice.refresh_from_db()
    assert invoice.total == Decimal("1.04")
    assert sum(invoice.transactions.values_list("amount", flat=True)) == Decimal("1.04")


# --- numbers ----------------------------------------------------------------------------------------------------


def test_numbers_are_consecutive_per_entity_with_its_prefix(ledger, make_customer, entity, other_entity, clerk):
    from tests.conftest import make_user

    rede = make_user("rede-clerk", other_entity)
    customers = [make_customer(f"Fibra {i}") for i in range(3)]
    rede_customer = make_customer("Rede 1", target=other_entity, actor=rede)
    numbers = []
    for customer in customers:
        ledger.charge(customer)
        numbers.append(ledger.invoice(customer).number)
    ledger.charge(rede_customer, actor=rede)
    rede_invoice = ledger.invoice(rede_customer, actor=rede)
    assert numbers == ["INV-2025-000001", "INV-2025-000002", "INV-2025-000003"]
    assert rede_invoice.number == "RN-2025-000001"


DEC_1, DEC_31, JAN_15_2026 = datetime.date(2025, 12, 1), datetime.date(2025, 12, 31), datetime.date(2026, 1, 15)


def test_a_new_year_restarts_at_one(ledger, make_customer, clock):
    customer = make_customer()
    ledger.charge(customer, date=datetime.date(2025, 12, 5))
    clock.set(datetime.datetime(2025, 12, 31, 12, 0, tzinfo=UTC))
    december = ledger.invoice(customer, start=DEC_1, end=DEC_31, due_date=JAN_15_2026)
    ledger.charge(customer, date=datetime.date(2025, 12, 20))
    # 02:00 UTC on 1 January 2026 is still 2025 in São Paulo: the same series goes on.
    clock.set(datetime.datetime(2026, 1, 1, 2, 0, tzinfo=UTC))
    late_december = ledger.invoice(customer, start=DEC_1, end=DEC_31, due_date=JAN_15_2026)
    ledger.charge(customer, date=datetime.date(2026, 1, 5))
    clock.set(datetime.datetime(2026, 1, 10, 12, 0, tzinfo=UTC))
    january = ledger.invoice(
        customer, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31), due_date=JAN_15_2026
    )
    assert [december.number, late_december.number, january.number] == [
        "INV-2025-000001",
        "INV-2025-000002",
        "INV-2026-000001",
    ]
    assert (january.year, january.sequence) == (2026, 1)


def test_a_void_invoice_keeps_its_number_and_numbers_are_never_reused(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer)
    first = ledger.invoice(customer)
    ledger.void_invoice(first)
    second = ledger.invoice(customer)
    first.refresh_from_db()
    assert first.number == "INV-2025-000001" and first.status == InvoiceStatus.VOID
    assert second.number == "INV-2025-000002"
    assert list(Invoice.objects.order_by("sequence").values_list("sequence", flat=True)) == [1, 2]


def test_a_refused_generation_does_not_consume_a_number(ledger, make_customer):
    customer = make_customer()
    ledger.credit(customer, "5.00")
    with pytest.raises(Conflict):
        ledger.invoice(customer)
    other = make_customer("Other")
    ledger.charge(other)
    assert ledger.invoice(other).number == "INV-2025-000001"


# --- void -------------------------------------------------------------------------------------------------------


def test_void_releases_the_lines_and_keeps_the_invoice(ledger, make_customer, clerk):
    customer = make_customer()
    lines = [ledger.charge(customer, "50.00"), ledger.charge(customer, "45.00")]
    invoice = ledger.invoice(customer)
    voided = ledger.void_invoice(invoice, reason="  Wrong plan ")
    voided.refresh_from_db()
    assert voided.status == InvoiceStatus.VOID
    assert voided.void_reason == "Wrong plan"
    assert voided.voided_by == clerk and voided.voided_at == DEFAULT_NOW
    assert voided.total == Decimal("95.00")  # an issued invoice never changes
    assert voided.balance == 0
    assert not voided.transactions.exists()
    for line in lines:
        line.refresh_from_db()
        assert line.invoice is None and not line.is_void
    # Released lines are unbilled again and go on the next invoice.
    again = ledger.invoice(customer)
    assert again.total == Decimal("95.00")
    assert set(again.transactions.all()) == set(lines)


def test_void_and_reinvoice_with_a_category_filter(ledger, make_customer, make_service, mobile_plan):
    customer = make_customer()
    internet = ledger.charge(customer, "45.00", service=make_service(customer))
    mobile = ledger.charge(customer, "30.00", service=make_service(customer, product=mobile_plan))
    wrong = ledger.invoice(customer)
    assert wrong.total == Decimal("75.00")
    ledger.void_invoice(wrong, reason="Mobile is billed separately")
    internet_only = ledger.invoice(customer, category="internet")
    mobile_only = ledger.invoice(customer, category="mobile")
    assert list(internet_only.transactions.all()) == [internet]
    assert list(mobile_only.transactions.all()) == [mobile]
    assert [wrong.number, internet_only.number, mobile_only.number] == [
        "INV-2025-000001",
        "INV-2025-000002",
        "INV-2025-000003",
    ]


def test_void_of_a_partly_paid_invoice_turns_the_payment_into_a_credit(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer, "95.00")
    invoice = ledger.invoice(customer)
    ledger.pay(invoice, amount="40.00")
    ledger.void_invoice(invoice)
    payment_line = Transaction.objects.get(customer=customer, kind="payment")
    assert payment_line.paid_invoice is None and payment_line.invoice is None
    assert payment_line.amount == Decimal("-40.00")
    # The money received is not lost: the next invoice is the charges less what was paid.
    again = ledger.invoice(customer, end=datetime.date(2025, 2, 10))
    assert again.total == Decimal("55.00")


@pytest.mark.parametrize("reason", ["", "  ", None], ids=["empty", "blank", "none"])
def test_void_needs_a_reason(ledger, make_customer, reason):
    customer = make_customer()
    ledger.charge(customer)
    invoice = ledger.invoice(customer)
    with pytest.raises(ValidationFailed) as error:
        ledger.void_invoice(invoice, reason=reason)
    assert error.value.code == "reason_required"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNPAID


def test_a_paid_invoice_cannot_be_voided(ledger, make_customer):
    customer = make_customer()
    line = ledger.charge(customer)
    invoice = ledger.invoice(customer)
    ledger.pay(invoice)
    logs_before = ActivityLog.objects.count()
    with pytest.raises(Conflict) as error:
        ledger.void_invoice(invoice)
    assert error.value.code == "invoice_paid_cannot_void"
    with translation.override("en"):
        assert "add a credit" in str(error.value.detail)
    invoice.refresh_from_db()
    line.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert line.invoice == invoice
    assert ActivityLog.objects.count() == logs_before


def test_a_zero_total_invoice_is_paid_and_cannot_be_voided(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer, "10.00")
    ledger.credit(customer, "10.00")
    with pytest.raises(Conflict) as error:
        ledger.void_invoice(ledger.invoice(customer))
    assert error.value.code == "invoice_paid_cannot_void"


def test_void_twice_is_refused(ledger, make_customer):
    customer = make_customer()
    ledger.charge(customer)
    invoice = ledger.void_invoice(ledger.invoice(customer))
    with pytest.raises(Conflict) as error:
        ledger.void_invoice(invoice)
    assert error.value.code == "invoice_already_void"


def test_void_of_an_unknown_invoice_is_not_found(clerk, db):
    with pytest.raises(NotFound) as error:
        services.invoice_void(invoice_id=999_999, actor=clerk, reason="x")
    assert error.value.code == "invoice_not_found"
