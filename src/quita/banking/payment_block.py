"""The invoice documents' boleto/PIX block: what the documents app's payment-block hook shows for an invoice."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from quita.banking import selectors
from quita.banking.printing import itf_svg, qr_svg


def invoice_payment_block(invoice, *, purpose: str) -> SafeString | None:
    """The open boleto (linha digitável, ITF barcode) and the active PIX charge (copia-e-cola, QR) of an invoice.

    For the PDF with the images; for the e-mail as text (mail clients drop inline SVG); none for the portal, whose
    pay area shows boleto and PIX itself (banking/portal/_pay.html).
    """
    if purpose == "portal":
        return None
    boletos = selectors.invoice_open_boletos(invoice)
    boleto = boletos[0] if boletos else None
    charge = selectors.invoice_pix_charge(invoice)
    if boleto is None and charge is None:
        return None
    images = purpose == "pdf"
    html = render_to_string(
        "banking/_invoice_payment_block.html",
        {
            "boleto": boleto,
            "charge": charge,
            "purpose": purpose,
            "itf": itf_svg(boleto.barcode) if boleto is not None and images else "",
            "pix_qr": qr_svg(charge.payload, scale=2) if charge is not None and images else "",
        },
    )
    return mark_safe(html)  # noqa: S308 - our own template, autoescaped
