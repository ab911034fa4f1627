"""The boleto PDF and the invoice PDF's boleto/PIX block: text read back with pypdf, images decoded back with
zxing-cpp from the page rendered by PDFium (an independent reader of the ITF barcode and the QR code)."""

from __future__ import annotations

import io

import pypdf
import pytest

from quita.banking import services
from quita.banking.pix import brcode
from quita.banking.printing import boleto_pdf
from quita.documents.pdf import invoice_pdf


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def decoded_codes(content: bytes) -> dict[str, list[str]]:
    """Every barcode and QR code on the PDF's pages, by format ("ITF", "QRCode"), read from a 300 dpi rendering."""
    import pypdfium2
    import zxingcpp

    found: dict[str, list[str]] = {}
    document = pypdfium2.PdfDocument(content)
    try:
        for index in range(len(document)):
            image = document[index].render(scale=300 / 72).to_pil()
            for result in zxingcpp.read_barcodes(image):
                found.setdefault(result.format.name, []).append(result.text)
    finally:
        document.close()
    return found


@pytest.fixture
def issued(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")
    invoice = make_invoice("1234.56")
    boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    return boleto


def test_boleto_pdf_holds_the_line_the_amount_and_readable_codes(issued):
    content = boleto_pdf(issued, language="pt-br")
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert issued.digitable_line in text
    assert "R$\xa01.234,56" in text
    assert issued.our_number_display in text and issued.invoice.number in text
    assert "237-2" in text and "Ficha de compensação" in text
    codes = decoded_codes(content)
    assert codes["ITF"] == [issued.barcode]
    (payload,) = codes["QRCode"]
    decoded = brcode.parse(payload)
    assert decoded["crc_ok"] and decoded["key"] == "cobranca@fibrasul.example" and decoded["amount"] == "1234.56"
    assert decoded["txid"] == services.invoice_txid(issued.invoice, dynamic=False)


def test_boleto_pdf_in_english_says_awaiting_registration(issued):
    text = pdf_text(boleto_pdf(issued, language="en"))
    assert "awaiting registration" in text and "Compensation slip" in text


def test_issuing_a_boleto_records_the_pix_charge_of_its_qr(issued):
    """A PIX paid through the boleto's QR is matched by its txid (no "unknown txid" in needs attention)."""
    charge = issued.invoice.pix_charges.get()
    assert charge.kind == "static" and charge.amount == issued.amount and charge.status == "active"
    again = services.boleto_issue(invoice_id=issued.invoice_id, wallet_id=issued.wallet_id, actor=None)
    assert again == issued and issued.invoice.pix_charges.count() == 1


def test_invoice_pdf_shows_the_boleto_and_pix_block(issued):
    content = invoice_pdf(issued.invoice, language="pt-br")
    text = pdf_text(content)
    assert issued.digitable_line in text
    assert "Linha digitável" in text and "PIX" in text
    charge = issued.invoice.pix_charges.get()
    assert charge.payload[:30] in text.replace("\n", "")
    codes = decoded_codes(content)
    assert codes["ITF"] == [issued.barcode]
    assert codes["QRCode"] == [charge.payload]


def test_invoice_pdf_without_boleto_keeps_the_portal_link(make_invoice, clock):
    text = pdf_text(invoice_pdf(make_invoice("10.00"), language="pt-br"))
    assert "Linha digitável" not in text and "/portal/invoices/" in text


def test_paid_invoice_pdf_has_no_payment_block(issued, ledger):
    ledger.pay(issued.invoice, method="cash")
    issued.invoice.refresh_from_db()
    text = pdf_text(invoice_pdf(issued.invoice, language="pt-br"))
    assert issued.digitable_line not in text


def test_invoice_email_carries_the_line_and_the_pix_as_text(issued):
    from django.utils import translation

    from quita.documents.selectors import invoice_document_context
    from quita.notifications.messages import render_email

    context = invoice_document_context(issued.invoice, purpose="email")
    with translation.override("pt-br"):
        _subject, _text, html = render_email(entity=issued.entity, kind="invoice", language="pt-br", context=context)
    assert issued.digitable_line in html and issued.invoice.pix_charges.get().payload in html
    assert "<svg" not in html  # mail clients drop inline SVG: the e-mail has the codes as text
