"""Subscriber pages of banking, on the portal login: pay an invoice by boleto (choosing the bank when the contract's
wallet is of kind "invoice") or PIX; view, print and download the boleto. Thin views over banking.services.

The pay area of the portal's invoice page (`{% portal_pay_boleto_pix invoice %}`) leads here. Only the invoices and
boletos of the logged-in subscriber's customers are found (another's → 404).
"""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quita.banking import selectors, services
from quita.banking.models import Boleto, BoletoStatus, WalletKind
from quita.banking.printing import boleto_html, boleto_pdf, boleto_pdf_filename, qr_svg
from quita.billing.models import Invoice, InvoiceStatus
from quita.core.errors import DomainError
from quita.portal.auth import portal_login_required
from quita.portal.selectors import portal_customer_ids, portal_invoice

SALT = "quita.banking.invoice-pay"


def _invoice(request, pk: int) -> Invoice:
    invoice = portal_invoice(portal_customer_ids(request.portal_account), pk)
    if invoice is None:
        raise Http404
    return invoice


def _boleto(request, pk: int) -> Boleto:
    boleto = (
        Boleto.objects.select_related("wallet", "invoice", "customer", "entity")
        .filter(pk=pk, customer_id__in=portal_customer_ids(request.portal_account))
        .first()
    )
    if boleto is None:
        raise Http404
    return boleto


def _pay_area(invoice: Invoice) -> str:
    return reverse("portal:invoice", args=[invoice.pk]) + "#pay"


@require_POST
@portal_login_required
def boleto_start(request, pk: int):
    """ "Print invoice": a contract with a bank wallet goes straight to that wallet's boleto; a chooser ("invoice"
    wallet) shows the banks."""
    invoice = _invoice(request, pk)
    wallet = services.invoice_wallet(invoice)
    if wallet is None or wallet.kind != WalletKind.BANK:
        return redirect("banking-portal:banks", pk=invoice.pk)
    try:
        boleto = services.boleto_choose(invoice_id=invoice.pk, wallet_id=wallet.pk, customer_id=invoice.customer_id)
    except DomainError as error:
        messages.error(request, str(error.detail))
        return redirect(_pay_area(invoice))
    return redirect("banking-portal:boleto", pk=boleto.pk)


@require_http_methods(["GET", "POST"])
@portal_login_required
def bank_choice(request, pk: int):
    """The banks available for the invoice; the one picked issues the boleto."""
    invoice = _invoice(request, pk)
    if invoice.status != InvoiceStatus.UNPAID:
        return redirect("portal:invoice", pk=invoice.pk)
    banks = services.bank_choices(invoice)
    error, status = None, 200
    if request.method == "POST":
        try:
            boleto = services.boleto_choose(
                invoice_id=invoice.pk, wallet_id=request.POST.get("wallet"), customer_id=invoice.customer_id
            )
        except DomainError as problem:
            error, status = problem.detail, problem.status
        else:
            return redirect("banking-portal:boleto", pk=boleto.pk)
    context = {"section": "invoices", "invoice": invoice, "banks": banks, "error": error}
    return render(request, "banking/portal/banks.html", context, status=status)


@require_POST
@portal_login_required
def pix_create(request, pk: int):
    """Pay with PIX: the invoice's PIX charge from the wallet on offer that has a key (a static BR Code, or a cobv
    when the wallet has a PSP)."""
    invoice = _invoice(request, pk)
    wallet = selectors.pix_wallet(invoice)
    if wallet is None:
        raise Http404
    try:
        services.pix_charge_create(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=None)
    except DomainError as error:
        messages.error(request, str(error.detail))
    return redirect(reverse("portal:invoice", args=[invoice.pk]) + "#pay-pix")


@require_GET
@portal_login_required
def boleto_page(request, pk: int):
    """The boleto in the portal: the 30-minute message while it is being registered, then view, print, PDF, pay."""
    boleto = _boleto(request, pk)
    now = timezone.now()
    status = services.boleto_display_status(boleto, now=now)
    charge = selectors.invoice_pix_charge(boleto.invoice)
    context = {
        "section": "invoices",
        "boleto": boleto,
        "invoice": boleto.invoice,
        "status": status,
        "status_label": BoletoStatus(status).label,
        "awaiting": status == BoletoStatus.AWAITING_REGISTRATION,
        "payable_at": services.boleto_payable_at(boleto),
        "charge": charge,
        "pix_qr": qr_svg(charge.payload, scale=4) if charge is not None else "",
    }
    return render(request, "banking/portal/boleto.html", context)


@require_GET
@portal_login_required
def boleto_print(request, pk: int):
    """The printable boleto (the same page the PDF is made of)."""
    return HttpResponse(boleto_html(_boleto(request, pk), request=request))


@require_GET
@portal_login_required
def boleto_pdf_view(request, pk: int):
    boleto = _boleto(request, pk)
    response = HttpResponse(boleto_pdf(boleto), content_type="application/pdf")
    disposition = "inline" if request.GET.get("inline") == "1" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{boleto_pdf_filename(boleto)}"'
    response["Cache-Control"] = "private, no-store"
    return response


# The signed links of the first, login-less pages ("second copy" links already sent by e-mail): they now lead to
# the same invoice or boleto in the portal, after the login when there is no session.


def invoice_pay_token(invoice: Invoice) -> str:
    """The signed token of the old login-less links (kept so that links already sent can be read and redirected)."""
    return signing.dumps({"i": invoice.pk, "c": invoice.customer_id}, salt=SALT, compress=True)


def _signed_invoice_id(token: str) -> int:
    try:
        data = signing.loads(token, salt=SALT)
        return int(data["i"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Http404 from None


@require_GET
def signed_invoice(request, token: str):
    return redirect("portal:invoice", pk=_signed_invoice_id(token))


@require_GET
def signed_boleto(request, token: str, boleto_id: int):
    _signed_invoice_id(token)
    return redirect("banking-portal:boleto", pk=boleto_id)
