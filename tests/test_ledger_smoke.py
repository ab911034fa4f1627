import datetime
from decimal import Decimal

from quita.billing import services
from quita.billing.models import InvoiceStatus
from quita.payments import services as payments


def test_first_invoice(make_customer, clerk):
    customer = make_customer()
    services.transaction_create(
        customer=customer, actor=clerk, kind="charge", title="Setup fee", amount="50.00", date=datetime.date(2025, 1, 5)
    )
    services.transaction_create(
        customer=customer, actor=clerk, kind="charge", title="January", amount="45.00", date=datetime.date(2025, 1, 5)
    )
    invoice = services.invoice_generate(
        customer=customer,
        actor=clerk,
        start=datetime.date(2025, 1, 1),
        end=datetime.date(2025, 1, 31),
        due_date=datetime.date(2099, 1, 1),
    )
    assert invoice.total == Decimal("95.00")
    assert invoice.number.startswith("INV-")
    assert invoice.transactions.count() == 2
    payments.invoice_pay(invoice_id=invoice.pk, actor=clerk, method="cash", reference="R1")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_bill_run(make_customer, make_service, entity):
    customers = [make_customer(name=f"C{i}") for i in range(3)]
    for c in customers:
        make_service(c, start=datetime.date(2025, 2, 1))
    run = services.billing_run_recurring(entity=entity, run_date=datetime.date(2025, 2, 1))
    assert run.charges_created == 3, run.errors
    assert run.invoices_created == 3
    run2 = services.billing_run_recurring(entity=entity, run_date=datetime.date(2025, 2, 1))
    assert run2.charges_created == 0 and run2.invoices_created == 0
