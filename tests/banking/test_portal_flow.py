"""The subscriber's boleto and PIX on the portal login (seed "Como vincular um cliente à carteira de cobrança do tipo
fatura"): Invoices → an invoice → pay → "Print invoice" → the banks → one → the boleto, awaiting registration →
later view, print, PDF; a contract with a bank wallet goes straight to its boleto; another subscriber's → 404."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client

from quita.banking import services
from quita.banking.models import Boleto
from quita.banking.pix import brcode
from quita.banking.portal_views import invoice_pay_token
from quita.customers import services as customer_services
from quita.portal import services as portal_services
from quita.portal.models import SubscriberAccount
from tests.banking.test_boleto_pdf import pdf_text
from tests.portal.conftest import PASSWORD, login


def subscriber(customer) -> SubscriberAccount:
    account = SubscriberAccount.objects.create(document=customer.document)
    account.set_password(PASSWORD)
    account.save()
    portal_services.account_link_customers(account)
    return account


def portal_client(customer, language="pt-br") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    subscriber(customer)
    assert login(client, customer.document).status_code == 302
    return client


def contract(customer, wallet):
    return customer_services.contract_create(
        customer=customer, actor=None, billing_day=1, due_day=10, start_date=datetime.date(2025, 1, 1), wallet=wallet
    )


@pytest.fixture
def chooser(entity):
    return services.wallet_create(entity=entity, actor=None, name="Fatura", kind="invoice")


@pytest.fixture
def banks(make_wallet):
    """Bradesco confirms registration by return file; Itaú's is assumed after 30 minutes."""
    return {"237": make_wallet("237"), "341": make_wallet("341", registration="assumed")}


@pytest.fixture
def maria_invoice(make_customer, chooser, banks, ledger):
    maria = make_customer("Maria Silva")
    contract(maria, chooser)
    ledger.charge(maria, "75.00")
    return ledger.invoice(maria)


def test_choose_a_bank_then_view_print_and_pay(maria_invoice, banks, clock):
    client = portal_client(maria_invoice.customer)
    invoices = client.get("/portal/invoices/").content.decode()
    assert f"/portal/invoices/{maria_invoice.pk}/" in invoices
    page = client.get(f"/portal/invoices/{maria_invoice.pk}/").content.decode()
    assert 'href="/static/portal/portal.css"' in page  # the portal's own frame
    assert "Imprimir fatura" in page and f'href="/portal/banking/invoices/{maria_invoice.pk}/banks/"' in page
    chooser_page = client.get(f"/portal/banking/invoices/{maria_invoice.pk}/banks/").content.decode()
    assert "Bradesco" in chooser_page and "Itaú" in chooser_page and "Escolha o banco" in chooser_page
    chosen = client.post(f"/portal/banking/invoices/{maria_invoice.pk}/banks/", {"wallet": banks["341"].pk})
    assert chosen.status_code == 302
    boleto = Boleto.objects.get(invoice=maria_invoice)
    assert boleto.wallet == banks["341"] and chosen["Location"] == f"/portal/banking/boletos/{boleto.pk}/"
    shown = client.get(chosen["Location"]).content.decode()
    assert "aguardando registro" in shown and "30 minutos" in shown
    assert boleto.digitable_line in shown and "R$\xa075,00" in shown
    # Later: the invoice page shows the boleto (no new choice), print and PDF work, and PIX is there to pay.
    clock.set(clock.now + datetime.timedelta(minutes=31))
    later = client.get(f"/portal/invoices/{maria_invoice.pk}/").content.decode()
    assert boleto.digitable_line in later and "Registrado" in later and "aguardando registro" not in later
    assert f"/portal/banking/boletos/{boleto.pk}/" in later
    printed = client.get(f"/portal/banking/boletos/{boleto.pk}/print/")
    assert printed.status_code == 200 and boleto.barcode not in printed.content.decode()  # digits only as bars
    assert boleto.digitable_line in printed.content.decode() and "<svg" in printed.content.decode()
    pdf = client.get(f"/portal/banking/boletos/{boleto.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and boleto.digitable_line in pdf_text(pdf.content)
    charge = maria_invoice.pix_charges.get()
    assert charge.payload in later and brcode.parse(charge.payload)["amount"] == "75.00"
    # Choosing again returns the same boleto: one per bank and invoice.
    client.post(f"/portal/banking/invoices/{maria_invoice.pk}/banks/", {"wallet": banks["341"].pk})
    assert Boleto.objects.filter(invoice=maria_invoice).count() == 1


def test_a_bank_not_offered_is_refused(maria_invoice, entity, other_entity, make_wallet, clock):
    client = portal_client(maria_invoice.customer, "en")
    foreign = make_wallet("001", target=other_entity)
    refused = client.post(f"/portal/banking/invoices/{maria_invoice.pk}/banks/", {"wallet": foreign.pk})
    assert refused.status_code == 400 and "Choose one of the banks offered." in refused.content.decode()
    assert not Boleto.objects.exists()


def test_a_contract_with_a_bank_wallet_goes_straight_to_its_boleto(make_customer, banks, ledger, clock):
    joao = make_customer("João Souza")
    contract(joao, banks["237"])
    ledger.charge(joao, "45.00")
    invoice = ledger.invoice(joao)
    client = portal_client(joao, "en")
    page = client.get(f"/portal/invoices/{invoice.pk}/").content.decode()
    assert f'action="/portal/banking/invoices/{invoice.pk}/boleto/"' in page and "Print invoice" in page
    response = client.post(f"/portal/banking/invoices/{invoice.pk}/boleto/")
    boleto = Boleto.objects.get(invoice=invoice)
    assert boleto.wallet == banks["237"] and response["Location"] == f"/portal/banking/boletos/{boleto.pk}/"
    assert "awaiting registration" in client.get(response["Location"]).content.decode()


def test_a_chooser_contract_start_leads_to_the_banks(maria_invoice, clock):
    client = portal_client(maria_invoice.customer)
    response = client.post(f"/portal/banking/invoices/{maria_invoice.pk}/boleto/")
    assert response["Location"] == f"/portal/banking/invoices/{maria_invoice.pk}/banks/"
    assert not Boleto.objects.exists()


def test_pay_with_pix_before_any_boleto(maria_invoice, clock):
    client = portal_client(maria_invoice.customer, "en")
    page = client.get(f"/portal/invoices/{maria_invoice.pk}/").content.decode()
    assert f'action="/portal/banking/invoices/{maria_invoice.pk}/pix/"' in page
    response = client.post(f"/portal/banking/invoices/{maria_invoice.pk}/pix/")
    assert response["Location"].endswith("#pay-pix")
    charge = maria_invoice.pix_charges.get()
    shown = client.get(f"/portal/invoices/{maria_invoice.pk}/").content.decode()
    assert charge.payload in shown and "<svg" in shown and "PIX copia e cola" in shown


def test_another_subscribers_invoice_and_boleto_are_404(maria_invoice, banks, make_customer, ledger, clock):
    boleto = services.boleto_choose(
        invoice_id=maria_invoice.pk, wallet_id=banks["237"].pk, customer_id=maria_invoice.customer_id
    )
    other = make_customer("Ana Lima")
    client = portal_client(other)
    for url in (
        f"/portal/banking/invoices/{maria_invoice.pk}/banks/",
        f"/portal/banking/boletos/{boleto.pk}/",
        f"/portal/banking/boletos/{boleto.pk}/print/",
        f"/portal/banking/boletos/{boleto.pk}/pdf/",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/portal/banking/invoices/{maria_invoice.pk}/banks/", {"wallet": banks["237"].pk}).status_code
        == 404
    )
    assert client.post(f"/portal/banking/invoices/{maria_invoice.pk}/boleto/").status_code == 404
    assert client.post(f"/portal/banking/invoices/{maria_invoice.pk}/pix/").status_code == 404
    assert Boleto.objects.count() == 1


def test_without_login_the_pages_ask_for_it_and_land_after(maria_invoice, clock):
    client = Client()
    response = client.get(f"/portal/banking/invoices/{maria_invoice.pk}/banks/")
    assert response.status_code == 302 and response["Location"].startswith("/portal/login/?next=")
    # The old signed link (already sent by e-mail) leads to the invoice, after the login.
    token = invoice_pay_token(maria_invoice)
    old = client.get(f"/portal/banking/invoice/{token}/")
    assert old["Location"] == f"/portal/invoices/{maria_invoice.pk}/"
    to_login = client.get(old["Location"])
    assert to_login.status_code == 302
    next_url = re.search(r"next=([^&]+)", to_login["Location"]).group(1)
    subscriber(maria_invoice.customer)
    from urllib.parse import unquote

    landed = login(client, maria_invoice.customer.document, next_url=unquote(next_url))
    assert landed["Location"] == f"/portal/invoices/{maria_invoice.pk}/"
    assert client.get("/portal/banking/invoice/forged/").status_code == 404


def test_portal_pages_in_english(maria_invoice, banks, clock):
    client = portal_client(maria_invoice.customer, "en")
    page = client.get(f"/portal/banking/invoices/{maria_invoice.pk}/banks/").content.decode()
    assert "Choose the bank" in page and "Generate boleto" in page
    assert 'name="viewport"' in page


def test_after_a_partial_payment_the_pix_is_made_again_for_the_balance(maria_invoice, banks, ledger, clock):
    """A PIX code for the old amount is not offered: paying it would overpay the invoice. The payment itself makes
    the code again (docs/decisions/0045); asking for it in the portal gives the same one."""
    services.boleto_choose(
        invoice_id=maria_invoice.pk, wallet_id=banks["237"].pk, customer_id=maria_invoice.customer_id
    )
    old = maria_invoice.pix_charges.get()
    assert brcode.parse(old.payload)["amount"] == "75.00"
    ledger.pay(maria_invoice, method="cash", amount="25.00")
    client = portal_client(maria_invoice.customer, "en")
    page = client.get(f"/portal/invoices/{maria_invoice.pk}/").content.decode()
    assert old.payload not in page
    client.post(f"/portal/banking/invoices/{maria_invoice.pk}/pix/")
    charge = maria_invoice.pix_charges.get()  # the same charge (same txid), made again
    assert charge.pk == old.pk and charge.amount == Decimal("50.00")
    assert brcode.parse(charge.payload)["amount"] == "50.00" and brcode.parse(charge.payload)[
        "txid"
    ] == services.invoice_txid(maria_invoice, dynamic=False)
    assert charge.payload in client.get(f"/portal/invoices/{maria_invoice.pk}/").content.decode()
