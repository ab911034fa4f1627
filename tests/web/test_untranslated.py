"""No page of the staff UI shows an untranslated string in pt-BR.

Each page (and each modal) is rendered in English and in pt-BR with the same data. A text that comes out
the same in both languages, once the data (names, titles, numbers, amounts, dates) is taken out, was not
translated — unless it is one of the few words Portuguese shares with English (`ALLOWED`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from quita.billing.models import BillingRun, Invoice, Transaction
from quita.core.models import Entity
from quita.customers.models import Category, Customer, Product
from tests.web.conftest import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# Words that are the same in Portuguese and English (or are names and codes).
ALLOWED = {
    "Quita",
    "Id",
    "CPF CNPJ",
    "Total",
    "CSV",
    "XLSX",
    "E mail",
    "Menu",
    "PDF",
    "B",
    "R",
    "s",
    "English",
    "Português Brasileiro",
    "Status",
    "E mails",
}
ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "value")


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        attributes = dict(attrs)
        for name in ATTRIBUTES:
            if attributes.get(name) and not (name == "value" and attributes.get("type") not in ("submit", "button")):
                self.texts.append(attributes[name])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


def _data_strings() -> list[str]:
    strings = set()
    for model, fields in (
        (Customer, ("name", "trade_name", "city", "street", "district", "condominium", "document")),
        (Transaction, ("title", "description", "void_reason")),
        (Invoice, ("number", "void_reason")),
        (Entity, ("name",)),
        (Product, ("name",)),
        (Category, ("name",)),
    ):
        for row in model.objects.values_list(*fields):
            strings.update(value for value in row if value)
    from django.contrib.auth import get_user_model

    strings.update(get_user_model().objects.values_list("username", flat=True))
    for emails, phones in Customer.objects.values_list("emails", "phones"):
        strings.update(emails + phones)
    return sorted(strings, key=len, reverse=True)


def _cleaned(texts: list[str], data: list[str]) -> set[str]:
    result = set()
    for text in texts:
        for value in data:
            text = text.replace(value, " ")
        text = re.sub(r"[\W\d_]+", " ", text).strip()
        if re.search(r"[^\W\d_]{2,}", text) and text not in ALLOWED:
            result.add(text)
    return result


def _texts(client, url) -> list[str]:
    modal = any(part in url for part in ("/modal/", "/add/", "/void/", "/pay/", "/generate/"))
    response = client.get(url, **HTMX) if modal else client.get(url)
    assert response.status_code == 200, url
    parser = _Texts()
    parser.feed(response.content.decode())
    return parser.texts


def test_no_untranslated_string_on_any_page(clerk, billed, customer):
    run = BillingRun.objects.create(
        entity=customer.entity,
        kind="invoice_run",
        run_date=billed["invoice"].issue_date,
        started_at=billed["invoice"].created_at,
    )
    invoice, visit = billed["invoice"], billed["visit"]
    urls = [
        "/",
        "/customers/",
        f"/customers/{customer.pk}/",
        f"/customers/{customer.pk}/billing/",
        "/billing/transactions/",
        "/billing/invoices/",
        f"/billing/invoices/{invoice.pk}/",
        "/billing/invoices/run/",
        f"/billing/runs/{run.pk}/",
        "/password/",
        f"/customers/{customer.pk}/transactions/add/",
        f"/transactions/{visit.pk}/void/",
        f"/customers/{customer.pk}/invoices/generate/",
        f"/billing/invoices/{invoice.pk}/pay/",
        f"/billing/invoices/{invoice.pk}/void/",
        f"/billing/invoices/{invoice.pk}/modal/",
        f"/customers/{customer.pk}/invoices/pay/?ids={invoice.pk}",
        f"/customers/{customer.pk}/invoices/void/?ids={invoice.pk}",
    ]
    english, portuguese = client_for(clerk, "en"), client_for(clerk, "pt-br")
    data = _data_strings()
    untranslated = {}
    for url in urls:
        same = _cleaned(_texts(portuguese, url), data) & _cleaned(_texts(english, url), data)
        if same:
            untranslated[url] = sorted(same)
    assert untranslated == {}


def test_the_login_page_is_translated():
    from django.test import Client

    english = _cleaned(_texts(Client(HTTP_ACCEPT_LANGUAGE="en"), "/login/"), [])
    portuguese = _cleaned(_texts(Client(HTTP_ACCEPT_LANGUAGE="pt-br"), "/login/"), [])
    assert english & portuguese == set()
