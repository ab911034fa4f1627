"""Manual payments: full, partial, overpaid, several invoices with one receipt; all or nothing."""

from __future__ import annotations

from quita.billing.models import Transaction
from quita.core.models import ActivityLog
from quita.payments.models import Payment
from tests.api.conftest import billed_invoice, charge, day, generate


def _invoice(api, customer, amount="45.00", month=1) -> dict:
    charge(api, customer.pk, amount, title=f"Mês {month}", date=day(month, 1))
    return generate(api, customer.pk, start=day(month, 1), end=day(month, 28), due=day(month + 1, 15))


def test_pay_the_open_balance_by_default(api, customer):
    invoice = _invoice(api, customer)
    response = api.post(f"/api/invoices/{invoice['id']}/pay/", {"method": "pos", "reference": "NSU 123"}, format="json")
    assert response.status_code == 201, response.json()
    payment, paid = response.json()["payment"], response.json()["invoice"]
    assert (payment["amount"], payment["method"], payment["reference"]) == ("45.00", "pos", "NSU 123")
    assert (paid["status"], paid["amount_paid"], paid["balance"]) == ("paid", "45.00", "0.00")
    line = Transaction.objects.get(paid_invoice_id=invoice["id"])
    assert line.kind == "payment" and str(line.amount) == "-45.00"
    assert invoice["number"] in line.title


def test_the_day_the_money_was_received_may_be_given(api, customer):
    invoice = _invoice(api, customer)
    response = api.post(
        f"/api/invoices/{invoice['id']}/pay/", {"method": "bank_transfer", "received_on": day(2, 10)}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["payment"]["received_on"] == day(2, 10)
    assert api.get(f"/api/payments/?date_after={day(2, 10)}&date_before={day(2, 10)}").json()["count"] == 1


def test_partial_payment_keeps_the_invoice_unpaid_with_its_balance(api, customer):
    invoice = _invoice(api, customer, "95.00")
    response = api.post(f"/api/invoices/{invoice['id']}/pay/", {"method": "cash", "amount": "40.00"}, format="json")
    assert response.status_code == 201, response.json()
    after = response.json()["invoice"]
    assert (after["status"], after["amount_paid"], after["balance"]) == ("unpaid", "40.00", "55.00")
    # The rest, later: the default amount is what is still open.
    response = api.post(f"/api/invoices/{invoice['id']}/pay/", {"method": "bank_transfer"}, format="json")
    assert response.json()["payment"]["amount"] == "55.00"
    assert response.json()["invoice"]["status"] == "paid"


def test_overpayment_leaves_a_credit_on_the_ledger(api, customer):
    invoice = _invoice(api, customer, "45.00")
    response = api.post(f"/api/invoices/{invoice['id']}/pay/", {"method": "cash", "amount": "50.00"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["payment"]["amount"] == "50.00"
    assert response.json()["invoice"]["status"] == "paid"
    credits = api.get(f"/api/transactions/?customer={customer.pk}&kind=credit&billed=false").json()["results"]
    assert [(c["amount"], c["credit_type"]) for c in credits] == [("-5.00", "overpayment")]
    # The next invoice takes the credit off.
    charge(api, customer.pk, "45.00", date=day(2, 1))
    credit_date = credits[0]["date"]
    start = min(credit_date, day(2, 1))
    nxt = generate(api, customer.pk, start=start, end=day(2, 28), due=day(3, 15))
    assert nxt["total"] == "40.00"


def test_paying_a_paid_invoice_is_a_conflict(api, customer):
    invoice = _invoice(api, customer)
    api.post(f"/api/invoices/{invoice['id']}/pay/", {"method": "cash"}, format="json")
    response = api.post(f"/api/invoices/{invoice['id']}/pay/", {"method": "cash"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invoice_already_paid")


def test_pay_many_spreads_an_amount_oldest_due_date_first(api, customer):
    first, second = _invoice(api, customer, "45.00", 1), _invoice(api, customer, "45.00", 2)
    response = api.post(
        "/api/invoices/pay-many/",
        {"invoices": [second["id"], first["id"]], "method": "cash", "amount": "60.00", "reference": "R-9"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    by_id = {invoice["id"]: invoice for invoice in response.json()["invoices"]}
    assert (by_id[first["id"]]["status"], by_id[first["id"]]["balance"]) == ("paid", "0.00")
    assert (by_id[second["id"]]["status"], by_id[second["id"]]["balance"]) == ("unpaid", "30.00")


def test_pay_many_with_one_void_invoice_writes_nothing(api, customer):
    """All or nothing: the void invoice fails the request, and the good ones are not paid either."""
    good, bad = _invoice(api, customer, month=1), _invoice(api, customer, month=2)
    api.post(f"/api/invoices/{bad['id']}/void/", {"reason": "Errada"}, format="json")
    before = (Payment.objects.count(), Transaction.objects.count(), ActivityLog.objects.count())

    response = api.post(
        "/api/invoices/pay-many/",
        {"invoices": [good["id"], bad["id"]], "method": "cash", "reference": "R-1"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "invoice_void_cannot_pay"
    assert (Payment.objects.count(), Transaction.objects.count(), ActivityLog.objects.count()) == before
    assert api.get(f"/api/invoices/{good['id']}/").json()["status"] == "unpaid"


def test_pay_many_with_another_entitys_invoice_is_not_found(api, customer, other_customer):
    mine = _invoice(api, customer)
    theirs = billed_invoice(other_customer, "9.00")
    response = api.post(
        "/api/invoices/pay-many/", {"invoices": [mine["id"], theirs.pk], "method": "cash"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert "invoices" in response.json()["fields"]
    assert api.post(f"/api/invoices/{theirs.pk}/pay/", {"method": "cash"}, format="json").status_code == 404
    assert not Payment.objects.exists()


def test_pay_many_needs_invoices_of_one_customer(api, customer, make_customer):
    other = make_customer(name="Outra pessoa")
    response = api.post(
        "/api/invoices/pay-many/",
        {"invoices": [_invoice(api, customer)["id"], _invoice(api, other)["id"]], "method": "cash"},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (400, "invoices_other_customers")


def test_a_collections_operator_may_record_payments_only(collector_api, api, customer):
    invoice = _invoice(api, customer)
    assert (
        collector_api.post(f"/api/invoices/{invoice['id']}/pay/", {"method": "cash"}, format="json").status_code == 201
    )
    response = collector_api.post(
        "/api/transactions/",
        {"customer": customer.pk, "kind": "charge", "title": "X", "amount": "1.00", "date": day(1, 1)},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
