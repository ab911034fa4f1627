"""Invoice actions: preview, generate, void, statistics; and voiding transactions."""

from __future__ import annotations

from quita.billing import services as billing
from quita.billing.models import Invoice, Transaction
from quita.core.models import ActivityLog
from quita.payments import services as payments
from tests.api.conftest import charge, day, generate, on, post_generate


def test_preview_returns_the_lines_and_writes_nothing(api, customer):
    charge(api, customer.pk, "50.00", title="Instalação", date=day(1, 2))
    charge(api, customer.pk, "45.00", title="Janeiro", date=day(1, 31))
    charge(api, customer.pk, "45.00", title="Fevereiro", date=day(2, 1))  # outside the range
    counts = (
        Invoice.objects.count(),
        ActivityLog.objects.count(),
        Transaction.objects.filter(invoice__isnull=False).count(),
    )

    response = post_generate(api, customer.pk, path="preview")

    assert response.status_code == 200, response.json()
    preview = response.json()
    assert preview["total"] == "95.00"
    assert [line["title"] for line in preview["transactions"]] == ["Instalação", "Janeiro"]  # the range is inclusive
    assert (preview["customer"], preview["start"], preview["end"], preview["due_date"]) == (
        customer.pk,
        day(1, 1),
        day(1, 31),
        day(2, 15),
    )
    assert counts == (
        Invoice.objects.count(),
        ActivityLog.objects.count(),
        Transaction.objects.filter(invoice__isnull=False).count(),
    )


def test_generate_bills_every_unbilled_line_in_range(api, customer):
    first = charge(api, customer.pk, "50.00", date=day(1, 2))
    charge(api, customer.pk, "45.00", date=day(2, 1))
    invoice = generate(api, customer.pk)
    assert [line["id"] for line in invoice["lines"]] == [first["id"]]
    assert invoice["number"].startswith("INV-")
    assert (invoice["period_start"], invoice["period_end"]) == (day(1, 1), day(1, 31))
    assert api.get(f"/api/transactions/{first['id']}/").json()["invoice"] == invoice["id"]


def test_nothing_to_bill_is_a_conflict_and_no_empty_invoice(api, customer):
    response = post_generate(api, customer.pk)
    assert response.status_code == 409
    assert response.json()["code"] == "nothing_to_bill"
    assert not Invoice.objects.exists()


def test_credits_larger_than_charges_make_no_invoice(api, customer):
    charge(api, customer.pk, "10.00", date=day(1, 2))
    charge(api, customer.pk, "30.00", kind="credit", credit_type="discount", date=day(1, 3))
    response = post_generate(api, customer.pk)
    assert response.status_code == 409
    assert response.json()["code"] == "invoice_total_negative"


def test_void_releases_the_lines_and_keeps_the_number(api, customer):
    line = charge(api, customer.pk, "45.00", date=day(1, 2))
    invoice = generate(api, customer.pk)
    response = api.post(f"/api/invoices/{invoice['id']}/void/", {"reason": "Valor errado"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "void"
    assert response.json()["number"] == invoice["number"]
    assert api.get(f"/api/transactions/{line['id']}/").json()["invoice"] is None


def test_a_paid_invoice_cannot_be_voided(api, customer):
    charge(api, customer.pk, "45.00", date=day(1, 2))
    invoice = generate(api, customer.pk)
    payments.invoice_pay(invoice_id=invoice["id"], actor=None, method="cash")
    response = api.post(f"/api/invoices/{invoice['id']}/void/", {"reason": "Tarde demais"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invoice_paid_cannot_void"
    assert api.get(f"/api/invoices/{invoice['id']}/").json()["status"] == "paid"


def test_voiding_twice_is_a_conflict(api, customer):
    charge(api, customer.pk, "45.00", date=day(1, 2))
    invoice = generate(api, customer.pk)
    api.post(f"/api/invoices/{invoice['id']}/void/", {"reason": "Errada"}, format="json")
    response = api.post(f"/api/invoices/{invoice['id']}/void/", {"reason": "De novo"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invoice_already_void")


def test_void_a_transaction(api, customer, clerk):
    line = charge(api, customer.pk, "45.00", date=day(1, 2))
    response = api.post(f"/api/transactions/{line['id']}/void/", {"reason": "Lançada em duplicidade"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["void"], body["void_reason"], body["voided_by"]) == (
        True,
        "Lançada em duplicidade",
        clerk.pk,
    )
    assert body["voided_at"] is not None
    # Void lines are neither billed nor unbilled, and never counted.
    summary = api.get(f"/api/customers/{customer.pk}/billing-summary/").json()
    assert summary["transactions"]["total"] == {"amount": "0.00", "count": 0}
    assert post_generate(api, customer.pk).json()["code"] == "nothing_to_bill"


def test_a_billed_transaction_cannot_be_voided_before_its_invoice(api, customer):
    line = charge(api, customer.pk, "45.00", date=day(1, 2))
    invoice = generate(api, customer.pk)
    response = api.post(f"/api/transactions/{line['id']}/void/", {"reason": "Errada"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "transaction_on_invoice"
    assert invoice["number"] in response.json()["detail"]  # the error says which invoice to void first


def test_statistics_system_wide_and_per_entity(api, customer, other_customer, entity, other_entity):
    charge(api, customer.pk, "45.00", date=day(1, 2))
    billing.transaction_create(
        customer=other_customer, actor=None, kind="charge", title="X", amount="99.00", date=on(1, 2)
    )
    mine = api.get("/api/transactions/statistics/").json()
    assert set(mine) == {"total", "unbilled", "this_month", "last_month"}
    assert mine["total"] == {"amount": "45.00", "count": 1}  # the other entity's line is not the clerk's
    assert api.get(f"/api/transactions/statistics/?entity={entity.pk}").json() == mine
    assert api.get(f"/api/transactions/statistics/?entity={other_entity.pk}").status_code == 404
    assert api.get("/api/transactions/statistics/?entity=abc").json()["code"] == "invalid"
    invoices = api.get("/api/invoices/statistics/").json()
    assert set(invoices) == {"total", "unpaid", "this_month", "last_month"}
    assert invoices["total"] == {"amount": "0.00", "count": 0}


def test_billing_summary_of_another_entitys_customer_is_not_found(api, other_customer):
    response = api.get(f"/api/customers/{other_customer.pk}/billing-summary/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
