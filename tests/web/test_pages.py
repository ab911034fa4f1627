"""The staff UI through Django's test client: pages, filters, actions through the services, permissions."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse

from quita.billing.models import Invoice, InvoiceStatus, Transaction
from quita.core.models import ActivityLog, Role
from quita.payments.models import Payment
from tests.conftest import make_user
from tests.web.conftest import client_for, today

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_pages_need_a_login(client):
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_and_login(client, clerk):
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "clerk", "password": "pw-clerk"})
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert b"Fibra Sul" in page.content


def test_logout_and_password_change(web, clerk):
    assert web.get("/password/").status_code == 200
    response = web.post(
        "/password/", {"old_password": "pw-clerk", "new_password1": "n3w-Secret!x", "new_password2": "n3w-Secret!x"}
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password("n3w-Secret!x")
    assert web.post("/logout/").status_code == 302
    assert web.get("/").status_code == 302


def test_dashboard_shows_the_statistics(web, billed):
    page = web.get("/").content.decode()
    assert "R$115.00" in page  # transactions total: 50 + 45 + 20
    assert "R$95.00" in page  # the unpaid invoice


def test_entity_switcher_scopes_every_list(web, clerk, entity, other_entity, make_customer, billed):
    from quita.core.models import Membership

    Membership.objects.create(user=clerk, entity=other_entity, role=Role.BILLING_CLERK)
    make_customer("João do Norte", target=other_entity)
    assert "Maria Silva" in web.get("/customers/").content.decode()
    web.post("/entity/", {"entity": other_entity.pk, "next": "/customers/"})
    page = web.get("/customers/").content.decode()
    assert "João do Norte" in page and "Maria Silva" not in page
    assert billed["invoice"].number not in web.get("/billing/invoices/").content.decode()


def test_other_entities_are_invisible(web, other_entity, make_customer):
    stranger = make_customer("Estranho", target=other_entity)
    assert web.get(f"/customers/{stranger.pk}/").status_code == 404
    assert web.get(f"/customers/{stranger.pk}/billing/").status_code == 404
    assert web.post(f"/customers/{stranger.pk}/transactions/add/", {}).status_code == 404


def test_customers_search_and_paging(web, make_customer):
    for n in range(30):
        make_customer(f"Cliente {n:02d}")
    page = web.get("/customers/?q=Cliente 0").content.decode()
    assert "Cliente 01" in page and "Cliente 11" not in page
    first = web.get("/customers/").content.decode()
    assert "Cliente 24" in first and "Cliente 25" not in first
    second = web.get("/customers/?page=2").content.decode()
    assert "Cliente 25" in second and "Cliente 29" in second


def test_billing_tab_shows_three_cards_and_filters(web, customer, billed):
    url = f"/customers/{customer.pk}/billing/"
    page = web.get(url).content.decode()
    for card in ("payment-methods-card", "transactions-card", "invoices-card"):
        assert f'id="{card}"' in page
    assert "Card payments are not enabled for this company." in page  # the payments app's partial
    assert billed["invoice"].number in page
    unbilled = web.get(url + "?tx_billed=false").content.decode()
    assert "Visita técnica" in unbilled and "Taxa de instalação" not in unbilled
    by_title = web.get(url + "?tx_q=visita").content.decode()
    assert "Visita técnica" in by_title and "Fibra 300 Mega" not in by_title
    setup_fee = Transaction.objects.get(title="Taxa de instalação")
    by_id = web.get(url + f"?tx_q={setup_fee.pk}").content.decode()
    assert "Taxa de instalação" in by_id and "Visita técnica" not in by_id
    paid = web.get(url + "?inv_status=paid").content.decode()
    assert f'data-invoice="{billed["invoice"].pk}"' not in paid
    unpaid = web.get(url + "?inv_status=unpaid").content.decode()
    assert f'data-invoice="{billed["invoice"].pk}"' in unpaid


def test_add_transaction_through_the_modal(web, customer):
    url = f"/customers/{customer.pk}/transactions/add/"
    assert web.get(url, **HTMX).status_code == 200
    response = web.post(
        url,
        {
            "kind": "credit",
            "credit_type": "outage_compensation",
            "title": "Queda de 3 dias",
            "amount": "10,00",
            "date": today(),
        },
        **HTMX,
    )
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    tx = Transaction.objects.get(title="Queda de 3 dias")
    assert tx.amount == Decimal("-10.00") and tx.credit_type == "outage_compensation"
    assert ActivityLog.objects.filter(object_id=tx.pk, action="create").exists()


def test_a_refused_transaction_writes_nothing_and_says_why(web, customer):
    url = f"/customers/{customer.pk}/transactions/add/"
    response = web.post(url, {"kind": "charge", "title": "X", "amount": "1.234", "date": today()}, **HTMX)
    assert response.status_code == 400
    assert "more than two decimals" in response.content.decode()
    assert not Transaction.objects.exists()


def test_void_a_transaction_with_a_reason(web, billed):
    visit = billed["visit"]
    url = f"/transactions/{visit.pk}/void/"
    assert web.post(url, {"reason": ""}, **HTMX).status_code == 422
    assert web.post(url, {"reason": "Lançado por engano"}, **HTMX).status_code == 200
    visit.refresh_from_db()
    assert visit.is_void and visit.void_reason == "Lançado por engano"


def test_generate_proforma_previews_then_confirms(web, customer, billed):
    url = f"/customers/{customer.pk}/invoices/generate/"
    day = today()
    data = {"start": day.replace(day=1), "end": day, "due_date": day + datetime.timedelta(days=10), "category": ""}
    preview = web.post(url, data, **HTMX)
    assert preview.status_code == 200
    assert "Visita técnica" in preview.content.decode()
    assert Invoice.objects.count() == 1
    confirmed = web.post(url, {**data, "confirm": "1"}, **HTMX)
    assert confirmed.status_code == 200 and confirmed["HX-Refresh"] == "true"
    assert Invoice.objects.count() == 2
    assert Invoice.objects.latest("pk").total == Decimal("20.00")


def test_pay_one_invoice(web, billed):
    invoice = billed["invoice"]
    url = f"/billing/invoices/{invoice.pk}/pay/"
    form = web.get(url, **HTMX).content.decode()
    assert 'value="95.00"' in form
    response = web.post(
        url, {"method": "pos", "amount": "95.00", "reference": "NSU 123", "received_on": today()}, **HTMX
    )
    assert response.status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert Payment.objects.get().reference == "NSU 123"
    again = web.post(url, {"method": "cash", "amount": "1.00", "received_on": today()}, **HTMX)
    assert again.status_code == 409 and "already paid" in again.content.decode()


def test_select_several_then_void(web, customer, billed):
    day = today()
    second = Invoice.objects.get(pk=web_generate(web, customer, day).pk)
    url = f"/customers/{customer.pk}/invoices/void/"
    ids = [billed["invoice"].pk, second.pk]
    assert web.get(url, {"ids": ids}, **HTMX).status_code == 200
    response = web.post(url, {"ids": ids, "reason": "Cobrança errada"}, **HTMX)
    assert response.status_code == 200
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.VOID}


def web_generate(web, customer, day):
    url = f"/customers/{customer.pk}/invoices/generate/"
    data = {"start": day.replace(day=1), "end": day, "due_date": day + datetime.timedelta(days=10), "confirm": "1"}
    assert web.post(url, data, **HTMX).status_code == 200
    return Invoice.objects.latest("pk")


def test_invoice_detail_page_and_modal(web, billed):
    invoice = billed["invoice"]
    for url in (f"/billing/invoices/{invoice.pk}/", f"/billing/invoices/{invoice.pk}/modal/"):
        page = web.get(url, **HTMX).content.decode()
        assert invoice.number in page and "Taxa de instalação" in page


def test_read_only_sees_no_buttons_and_gets_403(entity, viewer, customer, billed):
    web = client_for(viewer)
    page = web.get(f"/customers/{customer.pk}/billing/").content.decode()
    for action in ("/transactions/add/", "/invoices/generate/", "/pay/", "/void/", "invoice-check"):
        assert action not in page
    invoice = billed["invoice"]
    posts = [
        (
            f"/customers/{customer.pk}/transactions/add/",
            {"kind": "charge", "title": "x", "amount": "1", "date": today()},
        ),
        (f"/transactions/{billed['visit'].pk}/void/", {"reason": "x"}),
        (f"/billing/invoices/{invoice.pk}/void/", {"reason": "x"}),
        (f"/billing/invoices/{invoice.pk}/pay/", {"method": "cash", "amount": "95.00", "received_on": today()}),
        (f"/customers/{customer.pk}/invoices/void/", {"ids": [invoice.pk], "reason": "x"}),
        (f"/customers/{customer.pk}/invoices/pay/", {"ids": [invoice.pk], "method": "cash", "amount": "95"}),
        ("/billing/invoices/run/", {"start": today(), "end": today(), "due_date": today(), "confirm": "1"}),
    ]
    for url, data in posts:
        assert web.post(url, data).status_code == 403, url
    assert Transaction.objects.count() == 3 and Invoice.objects.get().status == InvoiceStatus.UNPAID


def test_system_lists_filter_sort_and_page(web, customer, billed):
    page = web.get("/billing/transactions/?billed=false").content.decode()
    assert "Visita técnica" in page and "Taxa de instalação" not in page
    by_amount = web.get("/billing/transactions/?sort=-amount").content.decode()
    assert by_amount.index("Taxa de instalação") < by_amount.index("Fibra 300 Mega")
    invoices = web.get("/billing/invoices/?status=unpaid").content.decode()
    assert billed["invoice"].number in invoices
    assert billed["invoice"].number not in web.get("/billing/invoices/?status=paid").content.decode()
    assert web.get("/billing/invoices/?status=overdue").status_code == 200
    assert web.get("/billing/transactions/?date_after=nonsense").status_code == 200


def test_exports_csv_and_xlsx_of_the_filtered_list(web, billed):
    response = web.get("/billing/transactions/?billed=false&export=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Visita técnica" in body and "Taxa de instalação" not in body and "20.00" in body
    response = web.get("/billing/invoices/?export=xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == billed["invoice"].number and Decimal(str(rows[1][7])) == Decimal("95.00")


def test_invoice_run_previews_then_runs(web, settings, customer, make_customer):
    settings.WEB_RUNS_IN_BACKGROUND = False
    from quita.billing import services as billing

    day = today()
    for name in ("Ana", "Bruno"):
        other = make_customer(name)
        billing.transaction_create(
            customer=other, actor=None, kind="charge", title="Mensalidade", amount="45.00", date=day
        )
    data = {"start": day.replace(day=1), "end": day, "due_date": day + datetime.timedelta(days=10)}
    preview = web.post("/billing/invoices/run/", data).content.decode()
    assert "Customers to invoice: 2. Total: R$90.00." in preview
    response = web.post("/billing/invoices/run/", {**data, "confirm": "1"})
    assert response.status_code == 302 and "/billing/runs/" in response["Location"]
    progress = web.get(response["Location"]).content.decode()
    assert "Done" in progress and Invoice.objects.count() == 2


def test_pt_br_is_the_default(clerk, billed):
    web = client_for(clerk, language="pt-br")
    page = web.get(f"/customers/{billed['invoice'].customer_id}/billing/").content.decode()
    assert "Faturas" in page and "R$\xa095,00" in page


def test_unknown_user_role_cannot_open_modals(entity, customer):
    collector = make_user("collector", entity, Role.COLLECTIONS_OPERATOR)
    web = client_for(collector)
    assert web.get(f"/customers/{customer.pk}/transactions/add/", **HTMX).status_code == 403
    assert web.get(reverse("web:invoice-run")).status_code == 403
