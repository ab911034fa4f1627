"""Subscriber pages: pay an invoice by boleto, choosing the bank when the contract's wallet is a chooser.

Reached through a signed link per invoice (`invoice_pay_url`), the "second copy" link an ISP sends by e-mail or
shows in the subscriber portal. The page may be plain here; the web UI styles it.
"""

from __future__ import annotations

from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from quita.banking import services
from quita.banking.models import Boleto, BoletoStatus
from quita.banking.printing import boleto_html
from quita.billing.models import Invoice
from quita.core.errors import DomainError

SALT = "quita.banking.invoice-pay"


def invoice_pay_token(invoice: Invoice) -> str:
    """The signed token of an invoice's payment page."""
    return signing.dumps({"i": invoice.pk, "c": invoice.customer_id}, salt=SALT, compress=True)


def invoice_pay_url(invoice: Invoice) -> str:
    return reverse("banking-portal:invoice-pay", args=[invoice_pay_token(invoice)])


def _invoice(token: str) -> Invoice:
    try:
        data = signing.loads(token, salt=SALT)
        return Invoice.objects.select_related("entity", "customer").get(pk=data["i"], customer_id=data["c"])
    except (signing.BadSignature, KeyError, TypeError, Invoice.DoesNotExist):
        raise Http404 from None


@require_http_methods(["GET", "POST"])
def invoice_pay(request, token: str):
    """Invoice → "Pay invoice" → "Print invoice" → the banks available → pick one → the boleto."""
    invoice = _invoice(token)
    boletos = list(
        Boleto.objects.filter(
            invoice=invoice, status__in=[BoletoStatus.AWAITING_REGISTRATION, BoletoStatus.REGISTERED]
        ).select_related("wallet")
    )
    banks = services.bank_choices(invoice)
    error = None
    if request.method == "POST":
        try:
            boleto = services.boleto_choose(
                invoice_id=invoice.pk, wallet_id=request.POST.get("wallet"), customer_id=invoice.customer_id
            )
            return redirect("banking-portal:boleto", token=token, boleto_id=boleto.pk)
        except DomainError as problem:
            error = problem.detail
    return render(
        request,
        "banking/portal_invoice.html",
        {
            "invoice": invoice,
            "banks": banks,
            "boletos": boletos,
            "token": token,
            "error": error,
            "choosing": request.GET.get("print") == "1" or request.method == "POST",
        },
    )


def boleto_page(request, token: str, boleto_id: int):
    """The boleto chosen: the 30-minute message while it is registered, then view, print and pay."""
    invoice = _invoice(token)
    boleto = (
        Boleto.objects.select_related("wallet", "invoice", "customer", "entity")
        .filter(pk=boleto_id, invoice=invoice)
        .first()
    )
    if boleto is None:
        raise Http404
    return HttpResponse(boleto_html(boleto, request=request))
