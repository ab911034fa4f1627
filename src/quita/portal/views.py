"""The subscriber portal ("Central do Assinante") at /portal/. Thin views over portal.services/selectors."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quita.core.errors import ValidationFailed
from quita.documents.selectors import invoice_document_context
from quita.documents.views import pdf_response
from quita.portal import selectors, services
from quita.portal.auth import (
    portal_account,
    portal_login_required,
    portal_session_login,
    portal_session_logout,
    safe_next,
)
from quita.portal.forms import AccessRequestForm, LoginForm, PasswordSetForm

SESSION_ACCESS_TOKEN = "portal_access_token"
TOKEN_PLACEHOLDER = "set-password"


def client_ip(request) -> str:
    """The client's address; behind a reverse proxy set QUITA_PORTAL_TRUST_X_FORWARDED_FOR=1."""
    if getattr(settings, "QUITA_PORTAL_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"


@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if portal_account(request) is not None and request.method == "GET":
        return redirect(next_url or "portal:home")
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            account = services.portal_login(
                document=form.cleaned_data["document"], password=form.cleaned_data["password"], ip=client_ip(request)
            )
        except services.LoginThrottled as error:
            form.add_error(None, str(error.detail))
            status = 429
        except services.LoginRefused as error:
            form.add_error(None, str(error.detail))
        else:
            portal_session_login(request, account)
            return redirect(next_url or "portal:home")
    return render(request, "portal/login.html", {"form": form, "next": next_url or ""}, status=status)


@require_POST
def logout_view(request):
    portal_session_logout(request)
    return redirect("portal:login")


@require_http_methods(["GET", "POST"])
def access_request_view(request):
    form = AccessRequestForm(request.POST or None)
    sent = False
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.portal_access_request(document=form.cleaned_data["document"], ip=client_ip(request))
            sent = True
        except services.LoginThrottled as error:
            form.add_error(None, str(error.detail))
            status = 429
    return render(request, "portal/access_request.html", {"form": form, "sent": sent}, status=status)


@require_http_methods(["GET", "POST"])
def access_view(request, uidb64: str, token: str):
    """The e-mailed link. The token moves into the session and out of the address (Referer leaks), as
    Django's password reset does; then the subscriber chooses a password and is logged in."""
    if token != TOKEN_PLACEHOLDER:
        request.session[SESSION_ACCESS_TOKEN] = token
        return redirect("portal:access", uidb64=uidb64, token=TOKEN_PLACEHOLDER)
    account = services.portal_account_from_token(uidb64, request.session.get(SESSION_ACCESS_TOKEN, ""))
    if account is None:
        return render(request, "portal/access_invalid.html", status=400)
    form = PasswordSetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.portal_password_set(
                account=account,
                password=form.cleaned_data["password"],
                confirmation=form.cleaned_data["confirmation"],
            )
        except ValidationFailed as error:
            for field, messages in error.fields.items():
                for message in messages if isinstance(messages, list) else [messages]:
                    form.add_error(field if field in form.fields else None, str(message))
        else:
            request.session.pop(SESSION_ACCESS_TOKEN, None)
            services.account_link_customers(account)
            portal_session_login(request, account)
            return redirect("portal:home")
    return render(request, "portal/password_set.html", {"form": form, "account": account})


def _render(request, template: str, context: dict):
    """Render a page of the logged-in portal: `today` (for "overdue" badges) added."""
    context.setdefault("today", timezone.localdate())
    return render(request, template, context)


def _page(request, queryset, size: int):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


@require_GET
@portal_login_required
def home_view(request):
    customers = list(request.portal_account.customers.select_related("entity").order_by("pk"))
    ids = [customer.pk for customer in customers]
    return _render(
        request,
        "portal/home.html",
        {
            "section": "invoices",
            "open_invoices": list(selectors.portal_invoices(ids, status="open")[:50]),
            "open_balance": selectors.portal_open_balance(ids),
            "recent_paid": list(selectors.portal_invoices(ids, status="paid")[:5]),
            "customers": customers,
            "greeting_name": customers[0].name.split()[0] if customers else "",
        },
    )


@require_GET
@portal_login_required
def invoices_view(request):
    status = request.GET.get("status", "open")
    if status not in {"open", "paid", "all"}:
        status = "open"
    ids = selectors.portal_customer_ids(request.portal_account)
    page = _page(request, selectors.portal_invoices(ids, status=status), 20)
    return _render(request, "portal/invoices.html", {"section": "invoices", "status": status, "page": page})


def _invoice_or_404(request, pk: int):
    invoice = selectors.portal_invoice(selectors.portal_customer_ids(request.portal_account), pk)
    if invoice is None:
        raise Http404(_("Invoice not found."))
    return invoice


@require_GET
@portal_login_required
def invoice_view(request, pk: int):
    invoice = _invoice_or_404(request, pk)
    context = invoice_document_context(invoice, purpose="portal")
    context["section"] = "invoices"
    return _render(request, "portal/invoice.html", context)


@require_GET
@portal_login_required
def invoice_pdf_view(request, pk: int):
    return pdf_response(_invoice_or_404(request, pk), inline=request.GET.get("inline") == "1")


@require_GET
@portal_login_required
def transactions_view(request):
    ids = selectors.portal_customer_ids(request.portal_account)
    page = _page(request, selectors.portal_transactions(ids), 50)
    return _render(request, "portal/transactions.html", {"section": "transactions", "page": page})


@require_GET
@portal_login_required
def cards_view(request):
    return _render(request, "portal/cards.html", {"section": "cards"})
