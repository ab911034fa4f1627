"""The invoice as HTML and as PDF (WeasyPrint). Rendering reads only: nothing here writes to the database."""

from __future__ import annotations

from django.conf import settings
from django.template import engines
from django.template.loader import get_template
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from quita.billing.models import Invoice
from quita.documents.selectors import branding_for, invoice_document_context

DEFAULT_TEMPLATE = "documents/invoice.html"


def invoice_template(invoice: Invoice):
    """The entity's own template (data, see docs/decisions/0015) or the default file."""
    source = branding_for(invoice.entity).invoice_template.strip()
    if source:
        return engines["django"].from_string(source)
    return get_template(DEFAULT_TEMPLATE)


def invoice_html(invoice: Invoice, *, language: str | None = None, purpose: str = "pdf") -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return invoice_template(invoice).render(invoice_document_context(invoice, purpose=purpose))


def invoice_pdf(invoice: Invoice, *, language: str | None = None) -> bytes:
    """The invoice PDF. Only data: URIs are fetched: a template kept as data can read no file and no URL."""
    html = invoice_html(invoice, language=language)
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


def invoice_pdf_filename(invoice: Invoice) -> str:
    return f"{invoice.number}.pdf"
