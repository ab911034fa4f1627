"""The printable boleto: HTML with the ITF barcode (python-barcode) and the PIX QR code (segno) on one page."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from quita.banking.models import Boleto


def itf_svg(barcode: str) -> str:
    """The 44 digits as an Interleaved 2 of 5 barcode (narrow 1 : wide 3, as FEBRABAN prints it), inline SVG."""
    from barcode import ITF
    from barcode.writer import SVGWriter

    code = ITF(barcode, writer=SVGWriter(), narrow=1, wide=3)
    svg = code.render(
        writer_options={"module_width": 0.33, "module_height": 13.0, "quiet_zone": 2.0, "write_text": False}
    )
    text = svg.decode() if isinstance(svg, bytes) else svg
    return text[text.index("<svg") :]


def qr_svg(payload: str) -> str:
    """A QR code of a PIX copia-e-cola payload, inline SVG."""
    import segno

    return segno.make(payload, error="m").svg_inline(scale=3)


def boleto_context(boleto: Boleto, *, now=None) -> dict:
    from quita.banking import services
    from quita.banking.banks import BANKS
    from quita.banking.pix import brcode

    wallet = boleto.wallet
    pix_payload = ""
    if wallet.pix_key:
        entity = boleto.entity
        pix_payload = brcode.make_static(
            key=wallet.pix_key,
            name=entity.legal_name or entity.name,
            city="BRASIL",
            amount=boleto.amount,
            txid=services.invoice_txid(boleto.invoice, dynamic=False),
        )
    now = now or timezone.now()
    status = services.boleto_display_status(boleto, now=now)
    return {
        "boleto": boleto,
        "bank_name": BANKS[wallet.bank].NAME,
        "bank_code": wallet.bank,
        "wallet": wallet,
        "invoice": boleto.invoice,
        "customer": boleto.customer,
        "entity": boleto.entity,
        "itf": itf_svg(boleto.barcode),
        "pix_payload": pix_payload,
        "pix_qr": qr_svg(pix_payload) if pix_payload else "",
        "awaiting": status == "awaiting",
        "payable_at": services.boleto_payable_at(boleto),
    }


def boleto_html(boleto: Boleto, *, request=None) -> str:
    """The printable page."""
    return render_to_string("banking/boleto.html", boleto_context(boleto), request=request)
