"""The seed's workflows, end to end through the API, as a billing clerk does them."""

from __future__ import annotations

from quita.customers import services as customers
from tests.api.conftest import YEAR, charge, day, generate, on, post_charge, post_generate
from tests.conftest import make_cpf


def _summary(api, customer_id) -> dict:
    response = api.get(f"/api/customers/{customer_id}/billing-summary/")
    assert response.status_code == 200
    return response.json()


def test_new_customers_first_invoice(api):
    """Setup fee R$ 50 + first month R$ 45 → one invoice of R$ 95; nothing is left unbilled."""
    response = api.post(
        "/api/customers/",
        {"person_type": "PF", "document": make_cpf(4242), "name": "Carlos Mendes", "city": "Porto Alegre"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    customer_id = response.json()["id"]
    charge(api, customer_id, "50.00", title="Taxa de instalação", date=day(1, 10))
    charge(api, customer_id, "45.00", title="Primeiro mês", date=day(1, 10))
    before = _summary(api, customer_id)["transactions"]["unbilled"]
    assert before == {"amount": "95.00", "count": 2}

    invoice = generate(api, customer_id, start=day(1, 1), end=day(1, 31), due=day(2, 15))

    assert invoice["total"] == "95.00"
    assert invoice["status"] == "unpaid" and invoice["balance"] == "95.00"
    assert sorted(line["amount"] for line in invoice["lines"]) == ["45.00", "50.00"]
    summary = _summary(api, customer_id)
    assert summary["transactions"]["unbilled"] == {"amount": "0.00", "count": 0}
    assert summary["transactions"]["total"] == {"amount": "95.00", "count": 2}
    assert summary["invoices"]["total"] == {"amount": "95.00", "count": 1}
    assert summary["invoices"]["unpaid"] == {"amount": "95.00", "count": 1}
    lines = api.get(f"/api/transactions/?customer={customer_id}").json()["results"]
    assert {line["invoice"] for line in lines} == {invoice["id"]}


def test_monthly_run_for_all_customers(api, make_customer, make_service):
    """January's charges for several customers, one invoice each, all due 15 February."""
    people = [make_customer(name=name) for name in ["Ana", "Bruno", "Clara", "Davi"]]
    prices = ["45.00", "79.90", "99.90", "45.00"]
    for person, price in zip(people, prices, strict=True):
        service = make_service(person, price=price)
        charge(api, person.pk, price, title="Internet janeiro", date=day(1, 1), service=service.pk)

    numbers = []
    for person, price in zip(people, prices, strict=True):
        invoice = generate(api, person.pk, start=day(1, 1), end=day(1, 31), due=day(2, 15))
        assert (invoice["total"], invoice["due_date"], invoice["customer"]) == (price, f"{YEAR}-02-15", person.pk)
        numbers.append(invoice["number"])

    # Gapless numbers in the order the invoices were made.
    sequences = [int(number.rsplit("-", 1)[1]) for number in numbers]
    assert sequences == list(range(sequences[0], sequences[0] + len(people)))
    # Running it again bills nothing twice.
    again = post_generate(api, people[0].pk, start=day(1, 1), end=day(1, 31), due=day(2, 15))
    assert again.status_code == 409 and again.json()["code"] == "nothing_to_bill"
    statistics = api.get("/api/invoices/statistics/").json()
    assert statistics["total"] == {"amount": "269.80", "count": 4}
    assert statistics["unpaid"] == {"amount": "269.80", "count": 4}
    assert api.get("/api/transactions/statistics/").json()["unbilled"] == {"amount": "0.00", "count": 0}


def test_outage_credit_lowers_the_next_invoice(api, customer):
    """A R$ 10 service-outage credit in February → February's invoice is R$ 35."""
    charge(api, customer.pk, "45.00", title="Janeiro", date=day(1, 1))
    generate(api, customer.pk, start=day(1, 1), end=day(1, 31), due=day(2, 15))

    charge(api, customer.pk, "45.00", title="Fevereiro", date=day(2, 1))
    credit = post_charge(
        api,
        customer.pk,
        "10.00",
        kind="credit",
        credit_type="outage_compensation",
        title="Compensação por queda de 3 dias",
        date=day(2, 8),
    )
    assert credit.status_code == 201, credit.json()
    assert (credit.json()["amount"], credit.json()["credit_type"]) == ("-10.00", "outage_compensation")

    invoice = generate(api, customer.pk, start=day(2, 1), end=day(2, 28), due=day(3, 15))
    assert invoice["total"] == "35.00"
    assert sorted(line["amount"] for line in invoice["lines"]) == ["-10.00", "45.00"]


def test_void_a_wrong_invoice_and_reinvoice_only_mobile(api, customer, internet_plan, categories, entity):
    """The invoice should only have billed the Mobile line: void it, bill Mobile alone, Internet stays unbilled."""
    mobile_plan = customers.product_create(
        entity=entity, actor=None, name="Chip 20 GB", category=categories["mobile"], price="29.90"
    )
    contract = customers.contract_create(customer=customer, actor=None, billing_day=1, due_day=15, start_date=on(1, 1))
    internet = customers.service_create(
        contract=contract, actor=None, product=internet_plan, start_date=contract.start_date
    )
    mobile = customers.service_create(
        contract=contract, actor=None, product=mobile_plan, start_date=contract.start_date
    )
    charge(api, customer.pk, "45.00", title="Fibra janeiro", date=day(1, 1), service=internet.pk)
    charge(api, customer.pk, "29.90", title="Chip janeiro", date=day(1, 1), service=mobile.pk)

    wrong = generate(api, customer.pk)
    assert wrong["total"] == "74.90"
    response = api.post(
        f"/api/invoices/{wrong['id']}/void/", {"reason": "Só o móvel deveria ir nesta fatura"}, format="json"
    )
    assert response.status_code == 200, response.json()
    voided = response.json()
    assert (voided["status"], voided["number"], voided["balance"]) == ("void", wrong["number"], "0.00")
    assert voided["void_reason"] == "Só o móvel deveria ir nesta fatura"
    assert api.get(f"/api/transactions/?customer={customer.pk}&billed=false").json()["count"] == 2

    preview = api.post(
        "/api/invoices/preview/",
        {"customer": customer.pk, "start": day(1, 1), "end": day(1, 31), "due_date": day(2, 15), "category": "mobile"},
        format="json",
    ).json()
    assert (preview["total"], [line["title"] for line in preview["transactions"]]) == ("29.90", ["Chip janeiro"])

    mobile_only = generate(api, customer.pk, category="mobile")
    assert (mobile_only["total"], mobile_only["category"]) == ("29.90", "mobile")
    assert mobile_only["number"] != wrong["number"]  # numbers are never reused
    unbilled = api.get(f"/api/transactions/?customer={customer.pk}&billed=false").json()["results"]
    assert [line["title"] for line in unbilled] == ["Fibra janeiro"]
    # The wrong invoice keeps its number and its history.
    actions = [row["action"] for row in api.get(f"/api/activity/?invoice={wrong['id']}").json()["results"]]
    assert actions == ["void", "generate"]


def test_three_invoices_one_cash_receipt(api, customer):
    """One customer pays three invoices in cash with one receipt reference."""
    invoices = []
    for month in (1, 2, 3):
        charge(api, customer.pk, "45.00", title=f"Mês {month}", date=day(month, 1))
        invoices.append(generate(api, customer.pk, start=day(month, 1), end=day(month, 28), due=day(month + 1, 15)))

    response = api.post(
        "/api/invoices/pay-many/",
        {"invoices": [invoice["id"] for invoice in invoices], "method": "cash", "reference": "RECIBO-0042"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [payment["amount"] for payment in body["payments"]] == ["45.00", "45.00", "45.00"]
    assert {payment["reference"] for payment in body["payments"]} == {"RECIBO-0042"}
    assert [invoice["status"] for invoice in body["invoices"]] == ["paid", "paid", "paid"]
    assert api.get("/api/payments/?reference=RECIBO-0042").json()["count"] == 3
    summary = api.get(f"/api/customers/{customer.pk}/billing-summary/").json()
    assert summary["invoices"]["unpaid"] == {"amount": "0.00", "count": 0}
    assert summary["balance"] == "0.00"


def test_three_invoices_paid_one_by_one_with_the_same_receipt(api, customer):
    invoices = []
    for month in (1, 2, 3):
        charge(api, customer.pk, "45.00", title=f"Mês {month}", date=day(month, 1))
        invoices.append(generate(api, customer.pk, start=day(month, 1), end=day(month, 28), due=day(month + 1, 15)))
    for invoice in invoices:
        response = api.post(
            f"/api/invoices/{invoice['id']}/pay/", {"method": "cash", "reference": "RECIBO-0043"}, format="json"
        )
        assert response.status_code == 201, response.json()
        assert response.json()["invoice"]["status"] == "paid"
    payments = api.get("/api/payments/?reference=RECIBO-0043").json()["results"]
    assert sorted(payment["invoice"] for payment in payments) == sorted(invoice["id"] for invoice in invoices)
