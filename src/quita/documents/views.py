"""Staff download of an invoice PDF: `/billing/invoices/<id>/pdf/` (name `documents:invoice-pdf`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from quita.billing.models import Invoice
from quita.core.selectors import entities_for_user
from quita.documents.pdf import invoice_pdf, invoice_pdf_filename


def pdf_response(invoice: Invoice, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{invoice_pdf_filename(invoice)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
def invoice_pdf_view(request, pk: int) -> HttpResponse:
    """Any member of the invoice's entity may download it (reading is every role's right); others get 404."""
    invoice = (
        Invoice.objects.select_related("entity", "customer", "category")
        .filter(pk=pk, entity__in=entities_for_user(request.user))
        .first()
    )
    if invoice is None:
        raise Http404
    return pdf_response(invoice, inline=request.GET.get("inline") == "1")
