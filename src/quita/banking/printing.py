"""The printable boleto: HTML with the ITF barcode (python-barcode) and the PIX QR code (segno) on one page, and the
same HTML as a PDF (WeasyPrint). Rendering reads only: nothing here writes to the database."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from quita.banking.models import Boleto

# The bank code's check digit printed beside it in the boleto's header ("237-2").
BANK_CODE_DIGIT = {"001": "9", "033": "7", "104": "0", "237": "2", "341": "7", "748": "X", "756": "0"}


def itf_svg(barcode: str) -> str:
    """The 44 digits as an Interleaved 2 of 5 barcode, inline SVG: narrow bar 0.254 mm, wide 3×, 13 mm high, about
    103 mm long (FEBRABAN's layout). Colours are attributes, which browsers and WeasyPrint both read."""
    from barcode import ITF
    from barcode.writer import SVGWriter

    code = ITF(barcode, writer=SVGWriter(), narrow=1, wide=3)
    svg = code.render(
        writer_options={"module_width": 0.254, "module_height": 13.0, "quiet_zone": 2.0, "write_text": False}
    )
    text = svg.decode() if isinstance(svg, bytes) else svg
    text = text[text.index("<svg") :]
    text = text.replace('style="fill:black;"', 'fill="#000"').replace('style="fill:white"', 'fill="#fff"')
    return text.replace("<svg ", '<svg role="img" aria-label="ITF" class="itf" ', 1)


def qr_svg(payload: str, *, scale: int = 3) -> str:
    """A QR code of a PIX copia-e-cola payload, inline SVG (never a Micro QR: payment apps do not read those)."""
    import segno

    return segno.make(payload, error="m", micro=False).svg_inline(scale=scale)


def boleto_context(boleto: Boleto, *, now=None, purpose: str = "html") -> dict:
    """What the boleto page shows; `purpose` is "html" (the printable page) or "pdf"."""
    from quita.banking import selectors, services
    from quita.banking.banks import BANKS
    from quita.documents.selectors import branding_for

    wallet = boleto.wallet
    charge = selectors.invoice_pix_charge(boleto.invoice)
    pix_payload = charge.payload if charge is not None else ""
    now = now or timezone.now()
    status = services.boleto_display_status(boleto, now=now)
    return {
        "boleto": boleto,
        "bank_name": BANKS[wallet.bank].NAME,
        "bank_code": wallet.bank,
        "bank_code_digit": BANK_CODE_DIGIT.get(wallet.bank, ""),
        "wallet": wallet,
        "invoice": boleto.invoice,
        "customer": boleto.customer,
        "entity": boleto.entity,
        "branding": branding_for(boleto.entity),
        "itf": itf_svg(boleto.barcode),
        "pix_payload": pix_payload,
        "pix_qr": qr_svg(pix_payload) if pix_payload else "",
        "status": status,
        "awaiting": status == "awaiting",
        "payable_at": services.boleto_payable_at(boleto),
        "processed_on": timezone.localdate(boleto.created_at),
        "purpose": purpose,
    }


def boleto_html(boleto: Boleto, *, request=None, purpose: str = "html") -> str:
    """The printable page (or the PDF's source, with purpose "pdf")."""
    return render_to_string("banking/boleto.html", boleto_context(boleto, purpose=purpose), request=request)


def boleto_pdf(boleto: Boleto, *, language: str | None = None) -> bytes:
    """The boleto as a PDF, from the same template as the printable page. Only data: URIs are fetched."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        html = boleto_html(boleto, purpose="pdf")
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


def boleto_pdf_filename(boleto: Boleto) -> str:
    return f"boleto-{boleto.invoice.number}-{boleto.wallet.bank}.pdf"
