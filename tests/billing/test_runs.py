"""The recurring billing run (`quita bill`) and the invoice run (`quita invoice-run`)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from quita.billing import engine, services
from quita.billing.models import BillingRun, BillingRunStatus, Invoice, InvoiceStatus, Transaction
from quita.core.errors import ValidationFailed
from quita.customers import services as customer_services
from quita.payments import services as payments

D = datetime.date


@pytest.mark.parametrize(
    ("billing_day", "month", "expected"),
    [
        pytest.param(15, (2025, 2), D(2025, 2, 15), id="ordinary-day"),
        pytest.param(31, (2025, 2), D(2025, 2, 28), id="31-in-february"),
        pytest.param(29, (2024, 2), D(2024, 2, 29), id="29-in-leap-february"),
        pytest.param(30, (2025, 4), D(2025, 4, 30), id="30-in-april"),
        pytest.param(31, (2025, 4), D(2025, 4, 30), id="31-in-april"),
    ],
)
def test_billing_day_falls_on_the_last_day_of_shorter_months(billing_day, month, expected):
    assert engine.billing_date(*month, billing_day) == expected


def test_days_billed_on_a_month_end_include_every_larger_day():
    assert engine.billing_days_on(D(2025, 2, 28)) == [28, 29, 30, 31]
    assert engine.billing_days_on(D(2025, 2, 27)) == [27]
    assert engine.billing_days_on(D(2025, 1, 31)) == [31]


@pytest.mark.parametrize(
    ("run_date", "billing_day", "period_end"),
    [
        pytest.param(D(2025, 1, 1), 1, D(2025, 1, 31), id="calendar-month"),
        pytest.param(D(2025, 1, 31), 31, D(2025, 2, 27), id="31st-to-february-end"),
        pytest.param(D(2025, 2, 28), 31, D(2025, 3, 30), id="feb-28-for-day-31"),
        pytest.param(D(2025, 2, 28), 28, D(2025, 3, 27), id="feb-28-for-day-28"),
    ],
)
def test_billing_period_runs_to_the_day_before_the_next_billing_date(run_date, billing_day, period_end):
    assert engine.billing_period(run_date, billing_day) == (run_date, period_end)


@pytest.mark.parametrize(
    ("issue", "due_day", "due"),
    [
        pytest.param(D(2025, 2, 1), 15, D(2025, 2, 15), id="later-this-month"),
        pytest.param(D(2025, 2, 20), 10, D(2025, 3, 10), id="next-month"),
        pytest.param(D(2025, 1, 31), 31, D(2025, 1, 31), id="same-day"),
        pytest.param(D(2025, 2, 1), 31, D(2025, 2, 28), id="clamped"),
    ],
)
def test_due_date_is_the_next_due_day_on_or_after_the_issue_date(issue, due_day, due):
    assert engine.due_date_for(issue, due_day) == due


def _lines(customer):
    return Transaction.objects.filter(customer=customer, source="recurring").order_by("period_start", "id")


def test_bill_creates_one_charge_per_service_and_one_invoice_per_customer(entity, make_customer, make_service):
    first, second = make_customer(name="Ana"), make_customer(name="Bruno")
    make_service(first, start=D(2025, 1, 1))
    make_service(first, start=D(2024, 12, 1), price=Decimal("30.00"))
    make_service(second, start=D(2024, 6, 1))
    services.billing_run_recurring(entity=entity, run_date=D(2025, 1, 1))

    run = services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1))

    assert run.status == BillingRunStatus.DONE
    assert (run.charges_created, run.charges_total) == (3, Decimal("120.00"))
    assert (run.invoices_created, run.invoices_total) == (2, Decimal("120.00"))
    invoice = Invoice.objects.get(customer=first, issue_date=D(2025, 2, 1))
    assert invoice.total == Decimal("75.00")
    assert invoice.due_date == D(2025, 2, 15)
    assert (invoice.period_start, invoice.period_end) == (D(2025, 2, 1), D(2025, 2, 28))
    assert sorted(invoice.transactions.values_list("amount", flat=True)) == [Decimal("30.00"), Decimal("45.00")]


def test_running_the_same_date_again_bills_nothing(entity, make_customer, make_service):
    make_service(make_customer(), start=D(2025, 2, 1))
    services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1))
    before = (Transaction.objects.count(), Invoice.objects.count())

    again = services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1))

    assert (again.charges_created, again.invoices_created) == (0, 0)
    assert (Transaction.objects.count(), Invoice.objects.count()) == before
    assert BillingRun.objects.count() == 2  # each run is recorded, even one that had nothing to do


def test_a_repeated_run_works_only_on_the_customers_left_to_bill(entity, make_customer, make_service, clerk):
    for _ in range(4):
        make_service(make_customer(), start=D(2025, 2, 1))
    services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1), chunk_size=1)
    late = make_customer(name="Signed up late")
    make_service(late, start=D(2025, 2, 1))
    billed = Invoice.objects.order_by("id").first().customer
    services.transaction_create(
        customer=billed, actor=clerk, kind="charge", title="Router", amount="120.00", date=D(2025, 2, 1)
    )

    again = services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1), chunk_size=1)

    assert again.chunks_total == 2  # the new customer's charge and the other's unbilled line, nobody else
    assert (again.charges_created, again.invoices_created) == (1, 2)
    assert set(Invoice.objects.filter(billing_run=again).values_list("customer_id", flat=True)) == {
        late.pk,
        billed.pk,
    }


def test_a_voided_recurring_charge_is_not_billed_again(entity, make_customer, make_service, clerk):
    customer = make_customer()
    make_service(customer, start=D(2025, 2, 1))
    services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1))
    invoice = Invoice.objects.get(customer=customer)
    services.invoice_void(invoice_id=invoice.pk, actor=clerk, reason="wrong plan")
    charge = _lines(customer).get()
    services.transaction_void(transaction_id=charge.pk, actor=clerk, reason="wrong plan")

    again = services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1))

    assert again.charges_created == 0
    assert _lines(customer).count() == 1


def test_first_period_is_prorated_by_days(entity, make_customer, make_service):
    customer = make_customer()
    make_service(customer, start=D(2025, 2, 8))  # 21 of February's 28 days, billed in advance on the 1st

    services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1))

    charge = _lines(customer).get()
    assert charge.amount == Decimal("33.75")  # 45.00 × 21 / 28
    assert (charge.period_start, charge.period_end) == (D(2025, 2, 1), D(2025, 2, 28))


def test_a_service_started_after_its_first_run_is_caught_up_at_the_next(entity, make_customer, make_service):
    customer = make_customer()
    services.billing_run_recurring(entity=entity, run_date=D(2025, 1, 1))
    make_service(customer, start=D(2025, 1, 11))  # signed up after the January run: 21 of 31 days

    services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1))

    amounts = list(_lines(customer).values_list("period_start", "amount"))
    assert amounts == [(D(2025, 1, 1), Decimal("30.48")), (D(2025, 2, 1), Decimal("45.00"))]
    assert Invoice.objects.get(customer=customer).total == Decimal("75.48")


def test_a_service_ending_mid_period_is_prorated(entity, make_customer, make_service):
    customer = make_customer()
    make_service(customer, start=D(2024, 1, 1), end=D(2025, 2, 10))  # 10 of 28 days

    services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1))

    assert _lines(customer).get().amount == Decimal("16.07")  # 45.00 × 10 / 28 = 16.071...


def test_an_ended_service_is_not_billed(entity, make_customer, make_service):
    customer = make_customer()
    make_service(customer, start=D(2024, 1, 1), end=D(2025, 1, 31))
    run = services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1))
    assert run.charges_created == 0
    assert not _lines(customer).exists()


def test_only_active_contracts_are_billed(entity, make_customer, make_service):
    customer = make_customer()
    service = make_service(customer, start=D(2024, 1, 1))
    customer_services.contract_update(contract=service.contract, actor=None, status="suspended_debt")
    assert services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1)).charges_created == 0


def test_billing_day_31_bills_on_february_28(entity, make_customer, make_service):
    customer = make_customer()
    make_service(customer, billing_day=31, due_day=10, start=D(2024, 1, 1))

    assert services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 27)).charges_created == 0
    run = services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 28))

    assert run.charges_created == 1
    charge = _lines(customer).get()
    assert (charge.period_start, charge.period_end) == (D(2025, 2, 28), D(2025, 3, 30))
    assert Invoice.objects.get(customer=customer).due_date == D(2025, 3, 10)


def test_unbilled_manual_lines_and_credits_join_the_run_invoice(entity, make_customer, make_service, clerk):
    customer = make_customer()
    make_service(customer, start=D(2024, 1, 1))
    services.transaction_create(
        customer=customer,
        actor=clerk,
        kind="credit",
        credit_type="outage_compensation",
        title="Outage 3 days",
        amount="10.00",
        date=D(2025, 1, 20),
    )
    services.transaction_create(
        customer=customer, actor=clerk, kind="charge", title="Next month's visit", amount="80.00", date=D(2025, 2, 20)
    )  # dated after the run: stays unbilled

    services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1))

    invoice = Invoice.objects.get(customer=customer)
    assert invoice.total == Decimal("35.00")
    assert Transaction.objects.get(title="Next month's visit").invoice is None


def test_a_customer_in_credit_gets_no_invoice_and_keeps_the_credit(entity, make_customer, make_service, clerk):
    customer = make_customer()
    make_service(customer, start=D(2024, 1, 1))
    services.transaction_create(
        customer=customer, actor=clerk, kind="credit", title="Goodwill", amount="100.00", date=D(2025, 1, 20)
    )

    run = services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1))

    assert (run.charges_created, run.invoices_created) == (1, 0)
    assert Transaction.objects.filter(customer=customer, invoice__isnull=True).aggregate(s=Sum("amount"))["s"] == (
        Decimal("-55.00")
    )


def test_run_invoices_are_numbered_without_gaps_after_earlier_ones(entity, make_customer, make_service, clerk):
    customers = [make_customer(name=f"Cliente {i}") for i in range(5)]
    services.transaction_create(
        customer=customers[0], actor=clerk, kind="charge", title="Setup", amount="50.00", date=D(2025, 1, 5)
    )
    services.billing_run_invoices(
        entity=entity, start=D(2025, 1, 1), end=D(2025, 1, 31), due_date=D(2025, 2, 15), issue_date=D(2025, 1, 31)
    )
    for customer in customers:
        make_service(customer, start=D(2024, 1, 1))

    services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1), chunk_size=2)

    numbers = list(Invoice.objects.filter(year=2025).order_by("sequence").values_list("sequence", flat=True))
    assert numbers == list(range(1, 7))
    assert Invoice.objects.get(year=2025, sequence=6).number == "INV-2025-000006"


def test_run_invoice_totals_equal_their_lines(entity, make_customer, make_service):
    for i in range(7):
        make_service(make_customer(name=f"C{i}"), start=D(2025, 1, 1 + i))
    services.billing_run_recurring(entity=entity, run_date=D(2025, 1, 1))
    services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1), chunk_size=3)
    for invoice in Invoice.objects.all():
        assert invoice.total == invoice.transactions.aggregate(s=Sum("amount"))["s"]
    assert not Transaction.objects.filter(invoice__isnull=True, is_void=False).exists()


def test_run_activity_log_has_a_row_per_charge_and_per_invoice(entity, make_customer, make_service):
    from quita.core.selectors import activity_for_customer, activity_for_object

    customer = make_customer()
    make_service(customer, start=D(2024, 1, 1))
    services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1))
    invoice = Invoice.objects.get(customer=customer)
    charge = _lines(customer).get()
    assert activity_for_object(invoice).get().action == "generate"
    assert activity_for_object(charge).get().after["amount"] == "45.00"
    assert set(activity_for_customer(customer.pk).values_list("action", flat=True)) >= {"create", "bill", "generate"}


def test_a_failing_chunk_is_recorded_and_the_others_complete(entity, make_customer, make_service, monkeypatch):
    customers = [make_customer(name=f"C{i}") for i in range(4)]
    for customer in customers:
        make_service(customer, start=D(2024, 1, 1))
    real = engine.invoices_generate

    def fail_on_the_first_chunk(*, selection, **kwargs):
        if selection.chunk.first_customer_id == customers[0].pk:
            raise RuntimeError("disk full")
        return real(selection=selection, **kwargs)

    monkeypatch.setattr(engine, "invoices_generate", fail_on_the_first_chunk)
    run = services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1), chunk_size=2)

    assert run.status == BillingRunStatus.DONE_WITH_ERRORS
    assert run.chunks_done == 1 and run.chunks_total == 2
    assert run.errors == [{"customers": [customers[0].pk, customers[1].pk], "error": "RuntimeError: disk full"}]
    assert not Transaction.objects.filter(customer__in=customers[:2]).exists()  # the failed chunk left nothing
    monkeypatch.setattr(engine, "invoices_generate", real)
    assert services.billing_run_recurring(entity=entity, run_date=D(2025, 2, 1)).invoices_created == 2


def test_invoice_run_invoices_every_customer_of_the_period(entity, make_customer, clerk, categories):
    mobile = customer_services.product_create(
        entity=entity, actor=None, name="Chip 20 GB", category=categories["mobile"], price=Decimal("39.90")
    )
    internet_customer, mixed_customer = make_customer(name="A"), make_customer(name="B")
    for customer in (internet_customer, mixed_customer):
        services.transaction_create(
            customer=customer, actor=clerk, kind="charge", title="January", amount="45.00", date=D(2025, 1, 1)
        )
    contract = customer_services.contract_create(
        customer=mixed_customer, actor=None, billing_day=1, due_day=15, start_date=D(2025, 1, 1)
    )
    line = customer_services.service_create(contract=contract, actor=None, product=mobile, start_date=D(2025, 1, 1))
    services.transaction_create(
        customer=mixed_customer,
        actor=clerk,
        kind="charge",
        title="Chip",
        amount="39.90",
        date=D(2025, 1, 10),
        service=line,
    )

    preview = services.billing_run_preview(entity=entity, start=D(2025, 1, 1), end=D(2025, 1, 31), category="mobile")
    assert preview == {"customers": 1, "total": Decimal("39.90")}
    run = services.billing_run_invoices(
        entity=entity,
        start=D(2025, 1, 1),
        end=D(2025, 1, 31),
        category="mobile",
        due_date=D(2025, 2, 15),
        issue_date=D(2025, 2, 1),
    )
    assert (run.invoices_created, run.invoices_total) == (1, Decimal("39.90"))
    run = services.billing_run_invoices(
        entity=entity, start=D(2025, 1, 1), end=D(2025, 1, 31), due_date=D(2025, 2, 15), issue_date=D(2025, 2, 1)
    )
    assert (run.invoices_created, run.invoices_total) == (2, Decimal("90.00"))
    assert Invoice.objects.filter(due_date=D(2025, 2, 15), status=InvoiceStatus.UNPAID).count() == 3


def test_invoice_run_refuses_a_due_date_before_the_issue_date(entity):
    with pytest.raises(ValidationFailed) as error:
        services.billing_run_invoices(
            entity=entity, start=D(2025, 1, 1), end=D(2025, 1, 31), due_date=D(2025, 1, 15), issue_date=D(2025, 2, 1)
        )
    assert error.value.code == "due_before_issue"


def test_quita_bill_command(entity, make_customer, make_service, capsys):
    make_service(make_customer(), start=D(2024, 1, 1))
    call_command("bill", "--date", "2025-02-01", "--entity", entity.cnpj)
    out = capsys.readouterr().out
    assert "charges 1 (R$45.00)" in out and "invoices 1 (R$45.00)" in out
    call_command("bill", "--date", "2025-02-01", "--entity", str(entity.pk))
    assert "charges 0" in capsys.readouterr().out


def test_quita_bill_refuses_a_bad_date_and_an_unknown_entity(entity):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("bill", "--date", "01/02/2025")
    with pytest.raises(CommandError, match="no entity"):
        call_command("bill", "--date", "2025-02-01", "--entity", "Nowhere Telecom")


def test_quita_invoice_run_command(entity, make_customer, clerk, capsys):
    customer = make_customer()
    services.transaction_create(
        customer=customer, actor=clerk, kind="charge", title="January", amount="45.00", date=D(2025, 1, 1)
    )
    call_command(
        "invoice-run",
        "--start",
        "2025-01-01",
        "--end",
        "2025-01-31",
        "--due-date",
        "2025-02-15",
        "--issue-date",
        "2025-02-01",
    )
    assert "invoices 1 (R$45.00)" in capsys.readouterr().out
    invoice = Invoice.objects.get(customer=customer)
    payments.invoice_pay(invoice_id=invoice.pk, actor=clerk, method="cash")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
