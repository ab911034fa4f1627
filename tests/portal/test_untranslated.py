"""No portal page, nor the invoice PDF or e-mails, shows an untranslated string in pt-BR.

Each page is rendered in English and in pt-BR with the same data; a text that comes out the same in both,
once the data (names, titles, numbers, amounts, dates) is taken out, was not translated — unless it is one
of the few words Portuguese shares with English (`ALLOWED`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.test import Client
from django.utils import translation

from quita.documents.pdf import invoice_html
from quita.documents.selectors import invoice_document_context
from quita.notifications.messages import render_email
from tests.portal.conftest import login

ALLOWED = {"Quita", "CPF", "CNPJ", "CPF CNPJ", "Total", "PDF", "E mail", "R", "PIX", "Boleto", "CEP", "INV"}
ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "title"):
            self._skip += tag != "title"
        attributes = dict(attrs)
        self.texts += [attributes[name] for name in ATTRIBUTES if attributes.get(name)]
        if tag in ("input", "button") and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.texts.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


def _texts(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def _cleaned(texts: list[str], data: list[str]) -> set[str]:
    result = set()
    for text in texts:
        for value in data:
            text = text.replace(value, " ")
        text = re.sub(r"[\W\d_]+", " ", text).strip()
        if re.search(r"[^\W\d_]{2,}", text) and text not in ALLOWED:
            result.add(text)
    return result


def _data(*invoices) -> list[str]:
    """What the pages show that is data, not interface: names, titles (as stored), numbers, addresses."""
    from django.conf import settings

    from quita.billing.models import Transaction

    strings = {"Maria", settings.QUITA_BASE_URL}
    for invoice in invoices:
        strings.update({invoice.number, invoice.entity.name, invoice.entity.legal_name})
        strings.add(f"{settings.QUITA_BASE_URL}/portal/invoices/{invoice.pk}/")
        strings.update({invoice.customer.name, invoice.customer.city})
        strings.update(Transaction.objects.filter(customer=invoice.customer).values_list("title", flat=True))
    return sorted((s for s in strings if s), key=len, reverse=True)


def test_no_untranslated_string_on_any_portal_page(account, maria, invoices):
    urls = [
        "/portal/",
        "/portal/invoices/?status=open",
        "/portal/invoices/?status=paid",
        f"/portal/invoices/{invoices['open'].pk}/",
        f"/portal/invoices/{invoices['paid'].pk}/",
        "/portal/transactions/",
        "/portal/cards/",
    ]
    public = ["/portal/login/", "/portal/access/"]
    data = _data(*invoices.values())
    english, portuguese = Client(HTTP_ACCEPT_LANGUAGE="en"), Client(HTTP_ACCEPT_LANGUAGE="pt-br")
    login(english, maria.document)
    login(portuguese, maria.document)
    untranslated = {}
    for url in urls + public:
        en_client = Client(HTTP_ACCEPT_LANGUAGE="en") if url in public else english
        pt_client = Client(HTTP_ACCEPT_LANGUAGE="pt-br") if url in public else portuguese
        en, pt = en_client.get(url), pt_client.get(url)
        assert en.status_code == pt.status_code == 200, url
        assert 'lang="pt-br"' in pt.content.decode() and 'lang="en"' in en.content.decode()
        same = _cleaned(_texts(pt.content.decode()), data) & _cleaned(_texts(en.content.decode()), data)
        if same:
            untranslated[url] = sorted(same)
    assert untranslated == {}


def test_no_untranslated_string_in_the_pdf_and_the_emails(account, maria, invoices):
    data = _data(*invoices.values())
    for invoice in invoices.values():
        same = _cleaned(_texts(invoice_html(invoice, language="pt-br")), data) & _cleaned(
            _texts(invoice_html(invoice, language="en")), data
        )
        assert same == set(), invoice.number
        context = invoice_document_context(invoice, purpose="email")
        rendered = {}
        for language in ("pt-br", "en"):
            with translation.override(language):
                subject, text, html = render_email(
                    entity=invoice.entity, kind="invoice", language=language, context=context
                )
            rendered[language] = [subject, text] + _texts(html)
        same = _cleaned(rendered["pt-br"], data) & _cleaned(rendered["en"], data)
        assert same == set(), invoice.number
