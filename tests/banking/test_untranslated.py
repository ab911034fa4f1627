"""No banking page (portal, staff, the printable boleto, the invoice PDF's block) shows an untranslated string in
pt-BR: each is rendered in English and in pt-BR with the same data, as tests/portal/test_untranslated.py does."""

from __future__ import annotations

import datetime

from django.test import Client

from quita.banking import services
from quita.banking.models import AttentionItem
from quita.documents.pdf import invoice_html
from quita.portal.models import SubscriberAccount
from quita.portal.services import account_link_customers
from tests.banking.test_round_trip import bank_return
from tests.portal.conftest import PASSWORD, login
from tests.portal.test_untranslated import _cleaned, _data, _texts
from tests.web.test_untranslated import ALLOWED as STAFF_ALLOWED

# Names and codes that are the same in both languages: banks, FEBRABAN's abbreviations, and the Brazilian domain
# terms the English interface keeps in Portuguese (docs/glossary.md).
SHARED = {"Bradesco", "Itaú", "Ita", "DM", "N", "txid", "R", "PIX", "Boleto", "PDF", "Quita", "CPF", "CNPJ", "CEP"}
SHARED |= {
    "CNAB",
    "Linha digitável",
    "Nosso número",
    "Carteira",
    "Copia e cola",
    "PIX copia e cola",
    "ITF",
    "Boleto Bradesco",
    "PIX txid",
    "Boletos",
    "Boletos Quita",
    "Boleto Quita",
}


def _same(pt: str, en: str, data) -> set[str]:
    return (_cleaned(_texts(pt), data) & _cleaned(_texts(en), data)) - SHARED - STAFF_ALLOWED


def test_no_untranslated_string_on_the_banking_pages(entity, make_customer, make_wallet, clerk, ledger, clock):
    chooser = services.wallet_create(entity=entity, actor=None, name="Fatura", kind="invoice")
    bradesco = make_wallet("237", name="Carteira Bradesco")
    make_wallet("341", name="Carteira Itaú")
    maria = make_customer("Maria Silva")
    from quita.customers import services as customer_services

    contract = customer_services.contract_create(
        customer=maria, actor=None, billing_day=1, due_day=10, start_date=datetime.date(2025, 1, 1), wallet=chooser
    )
    ledger.charge(maria, "75.00", title="Fibra 300 Mega")
    invoice = ledger.invoice(maria)
    boleto = services.boleto_choose(invoice_id=invoice.pk, wallet_id=bradesco.pk, customer_id=maria.pk)
    services.pix_received(
        entity_id=entity.pk, end_to_end_id="E1234567890", txid="NOPE", amount="1.00", paid_at=clock.now
    )
    assert AttentionItem.objects.count() == 1
    remittance = services.remittance_create(wallet_id=bradesco.pk, actor=clerk)
    confirmed = bank_return(bradesco, [(boleto, {"occurrence": "02"})])
    return_file = services.return_import(
        entity_id=entity.pk, content=confirmed, filename="CB.RET", actor=clerk
    ).return_file
    account = SubscriberAccount.objects.create(document=maria.document)
    account.set_password(PASSWORD)
    account.save()
    account_link_customers(account)
    data = [
        "clerk",
        *_data(invoice),
        boleto.digitable_line,
        boleto.our_number_display,
        "Fatura",
        "Carteira Bradesco",
        "Carteira Itaú",
        "cobranca@fibrasul.example",
        invoice.pix_charges.get().payload,
        "E1234567890",
        "NOPE",
        remittance.filename,
        "CB.RET",
    ]
    data = sorted(set(data), key=len, reverse=True)

    portal = {}
    for language in ("pt-br", "en"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        login(client, maria.document)
        portal[language] = client
    staff = {}
    for language in ("pt-br", "en"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(clerk)
        staff[language] = client
    pages = [
        (portal, f"/portal/invoices/{invoice.pk}/"),
        (portal, f"/portal/banking/invoices/{invoice.pk}/banks/"),
        (portal, f"/portal/banking/boletos/{boleto.pk}/"),
        (portal, f"/portal/banking/boletos/{boleto.pk}/print/"),
        (staff, f"/billing/invoices/{invoice.pk}/"),
        (staff, f"/billing/invoices/{invoice.pk}/modal/"),
        (staff, "/billing/bank-returns/upload/"),
        (staff, "/billing/boletos/"),
        (staff, f"/billing/boletos/{boleto.pk}/"),
        (staff, "/billing/needs-attention/"),
        (staff, "/billing/remittances/"),
        (staff, "/billing/bank-returns/"),
        (staff, f"/billing/bank-returns/{return_file.pk}/"),
        (staff, f"/billing/needs-attention/{AttentionItem.objects.get().pk}/resolve/"),
        (staff, f"/customers/{maria.pk}/contracts/{contract.pk}/"),
    ]
    untranslated = {}
    for clients, url in pages:
        headers = {"HTTP_HX_REQUEST": "true"} if url.endswith(("/modal/", "/resolve/")) else {}
        pt, en = clients["pt-br"].get(url, **headers), clients["en"].get(url, **headers)
        assert pt.status_code == en.status_code == 200, url
        same = _same(pt.content.decode(), en.content.decode(), data)
        if same:
            untranslated[url] = sorted(same)
    # The card after "Issue boleto" (the open boleto of that wallet again: nothing new is issued).
    issue = f"/billing/invoices/{invoice.pk}/boleto/"
    pt, en = (staff[language].post(issue, {"wallet": bradesco.pk}, HTTP_HX_REQUEST="true") for language in staff)
    assert pt.status_code == en.status_code == 200 and 'role="status"' in pt.content.decode()
    same = _same(pt.content.decode(), en.content.decode(), data)
    if same:
        untranslated[issue] = sorted(same)
    same = _same(invoice_html(invoice, language="pt-br"), invoice_html(invoice, language="en"), data)
    if same:
        untranslated["invoice PDF"] = sorted(same)
    assert untranslated == {}, untranslated
