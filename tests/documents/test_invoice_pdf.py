"""The invoice PDF: WeasyPrint from the entity's template, pt-BR formats, the payment block hook, the download."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.safestring import mark_safe

from quita.documents import formats
from quita.documents.models import EntityBranding
from quita.documents.pdf import invoice_html, invoice_pdf
from quita.documents.selectors import payment_block_register, payment_block_unregister
from tests.conftest import make_user
from tests.documents.conftest import pdf_text


def test_pdf_holds_number_total_lines_and_entity(invoice):
    assert invoice.total == Decimal("1324.56")
    content = invoice_pdf(invoice)
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert invoice.number in text
    assert "R$\xa01.324,56" in text
    assert "R$\xa01.234,56" in text
    assert "-R$\xa010,00" in text
    assert "25/02/2025" in text  # the due date, pt-BR
    assert "Fibra Sul Telecom Ltda" in text
    assert "Maria Silva" in text
    assert f"Fatura {invoice.number}" in text  # pt-BR by default
    assert "VENCIMENTO" in text


def test_branding_shows_address_footer_and_colours(invoice, entity):
    EntityBranding.objects.create(
        entity=entity,
        street="Rua dos Andradas",
        number="1001",
        city="Porto Alegre",
        state="RS",
        postal_code="90020007",
        footer="SAC 0800 000 0000",
        primary_colour="#aa0000",
    )
    invoice.refresh_from_db()
    html = invoice_html(invoice)
    assert "#aa0000" in html
    text = pdf_text(invoice_pdf(invoice))
    assert "Rua dos Andradas, 1001" in text
    assert "CEP 90020-007" in text
    assert "SAC 0800 000 0000" in text


def test_entity_template_kept_as_data_overrides_blocks(invoice, entity):
    EntityBranding.objects.create(
        entity=entity,
        invoice_template='{% extends "documents/invoice.html" %}{% block notes %}<p>Obrigado, {{ customer.name }}!</p>'
        "{% endblock %}",
    )
    invoice.refresh_from_db()
    text = pdf_text(invoice_pdf(invoice))
    assert "Obrigado, Maria Silva!" in text
    assert invoice.number in text


def test_a_template_cannot_read_local_files(invoice, entity, tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("body::before { content: 'SECRET-FILE-CONTENT'; }")
    EntityBranding.objects.create(
        entity=entity,
        invoice_template='{% extends "documents/invoice.html" %}{% block notes %}'
        f'<link rel="stylesheet" href="file://{secret}">{{% endblock %}}',
    )
    invoice.refresh_from_db()
    assert "SECRET-FILE-CONTENT" not in pdf_text(invoice_pdf(invoice))


def test_payment_block_hook_fills_the_block(invoice):
    def boleto(inv, *, purpose):
        return mark_safe(f"<p>Linha digitável do boleto {inv.number} ({purpose})</p>")

    payment_block_register(boleto)
    try:
        text = pdf_text(invoice_pdf(invoice))
    finally:
        payment_block_unregister(boleto)
    assert f"Linha digitável do boleto {invoice.number} (pdf)" in text


def test_english_on_request(invoice):
    text = pdf_text(invoice_pdf(invoice, language="en"))
    assert f"Invoice {invoice.number}" in text
    assert "DUE DATE" in text
    assert "R$1,324.56" in text


@pytest.mark.parametrize(
    ("value", "pt", "en"),
    [
        (Decimal("1234.56"), "R$\xa01.234,56", "R$1,234.56"),
        (Decimal("0"), "R$\xa00,00", "R$0.00"),
        (Decimal("-10"), "-R$\xa010,00", "-R$10.00"),
        (Decimal("1234567.8"), "R$\xa01.234.567,80", "R$1,234,567.80"),
        (Decimal("999.995"), "R$\xa01.000,00", "R$1,000.00"),
    ],
)
def test_money_format(value, pt, en):
    with translation.override("pt-br"):
        assert formats.money_format(value) == pt
    with translation.override("en"):
        assert formats.money_format(value) == en


def test_date_and_document_formats():
    with translation.override("pt-br"):
        assert formats.date_format(datetime.date(2025, 2, 15)) == "15/02/2025"
    assert formats.document_format("12345678909") == "123.456.789-09"
    assert formats.document_format("11222333000181") == "11.222.333/0001-81"


def test_staff_download_checks_the_entity(client, invoice, other_entity):
    url = f"/billing/invoices/{invoice.pk}/pdf/"
    assert client.get(url).status_code == 302  # to the login
    client.force_login(make_user("reader", invoice.entity, "read_only"))
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{invoice.number}.pdf"' in response["Content-Disposition"]
    assert invoice.number in pdf_text(response.content)
    client.force_login(make_user("stranger", other_entity, "administrator"))
    assert client.get(url).status_code == 404


def test_url_name(invoice):
    from django.urls import reverse

    assert reverse("documents:invoice-pdf", args=[invoice.pk]) == f"/billing/invoices/{invoice.pk}/pdf/"
