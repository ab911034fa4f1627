"""The staff UI's pages and actions: thin views that read through selectors/filtersets and write through services."""

from __future__ import annotations

import datetime
import uuid

from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quita.billing import selectors as billing_selectors
from quita.billing import services as billing_services
from quita.billing.filtersets import InvoiceFilterSet, TransactionFilterSet
from quita.billing.models import BillingRun, Invoice, InvoiceStatus, Transaction, TransactionKind
from quita.core.errors import DomainError
from quita.core.money import format_money
from quita.core.selectors import activity_for_customer, activity_for_object, entity_today
from quita.customers.models import Customer, Service
from quita.customers.selectors import customers_matching
from quita.notifications import selectors as notification_selectors
from quita.notifications import services as notification_services
from quita.payments import services as payment_services
from quita.payments.models import PaymentStatus
from quita.web.common import done, form_error, modal, paginate, require, scoped_customer, scoped_invoice
from quita.web.context import set_current_entity, staff_view, user_entities
from quita.web.forms import InvoiceEmailForm, PayForm, ProformaForm, RefundForm, TransactionForm, VoidForm

# ---------------------------------------------------------------------------------------------------------------
# Dashboard and entity switcher
# ---------------------------------------------------------------------------------------------------------------


@staff_view
def dashboard(request):
    entity = request.entity
    return render(
        request,
        "web/dashboard.html",
        {
            "transaction_stats": billing_selectors.transaction_statistics(entity=entity),
            "invoice_stats": billing_selectors.invoice_statistics(entity=entity),
            "overdue_count": billing_selectors.invoices_overdue(entity=entity).count(),
            "runs": BillingRun.objects.filter(entity=entity).select_related("created_by")[:5],
        },
    )


@require_POST
@staff_view
def entity_switch(request):
    entity = next((e for e in user_entities(request) if str(e.pk) == request.POST.get("entity")), None)
    if entity is None:
        raise Http404
    set_current_entity(request, entity)
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}) or "/customers/" in next_url:
        # Another entity's customer page would be a 404: land on the lists instead.
        next_url = reverse("web:customers") if "/customers/" in next_url else reverse("web:dashboard")
    return redirect(next_url)


# ---------------------------------------------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------------------------------------------


@staff_view
def customers(request):
    rows = Customer.objects.filter(entity=request.entity)
    search = request.GET.get("q", "").strip()
    rows = customers_matching(rows, search)
    active = request.GET.get("active", "")
    if active in ("true", "false"):
        rows = rows.filter(is_active=active == "true")
    page = paginate(request, rows.order_by("name", "pk"))
    return render(request, "web/customers.html", {"page": page, "search": search, "active": active})


def _customer_context(request, customer, tab: str) -> dict:
    return {"customer": customer, "tab": tab, "today": entity_today(customer.entity)}


@staff_view
def customer_detail(request, pk: int):
    customer = scoped_customer(request, pk)
    contracts = (
        customer.contracts.select_related("wallet")
        .prefetch_related("services__product", "services__category")
        .order_by("-pk")
    )
    context = _customer_context(request, customer, "overview")
    context.update(
        {
            "contracts": contracts,
            "summary": billing_selectors.customer_billing_summary(customer=customer),
            "activity": activity_for_customer(customer.pk).select_related("actor").order_by("-pk")[:15],
        }
    )
    return render(request, "web/customer/overview.html", context)


INVOICE_STATUS_FILTERS = ("paid", "unpaid", "void", "overdue")
# What the proforma and batch forms propose as the due date: ten days after today, as the demo ISP bills.
DEFAULT_DUE_DAYS = datetime.timedelta(days=10)


def invoice_filter_data(value: str) -> dict:
    """The billing tab's status filter as InvoiceFilterSet data: paid / unpaid / void, or overdue."""
    if value == "overdue":
        return {"overdue": "true"}
    if value in InvoiceStatus.values:
        return {"status": value}
    return {}


@staff_view
def customer_billing(request, pk: int):
    customer = scoped_customer(request, pk)
    get = request.GET
    transactions = TransactionFilterSet(
        data={"void": get.get("tx_void", ""), "billed": get.get("tx_billed", ""), "search": get.get("tx_q", "")},
        queryset=Transaction.objects.filter(customer=customer).select_related("invoice", "paid_invoice", "category"),
        request=request,
    ).qs
    invoices = InvoiceFilterSet(
        data=invoice_filter_data(get.get("inv_status", "")),
        queryset=Invoice.objects.filter(customer=customer),
        request=request,
    ).qs
    context = _customer_context(request, customer, "billing")
    context.update(
        {
            "summary": billing_selectors.customer_billing_summary(customer=customer),
            "tx_page": paginate(request, transactions.order_by("-date", "-id"), param="tx_page", per_page=20),
            "inv_page": paginate(request, invoices.order_by("-issue_date", "-id"), param="inv_page", per_page=20),
            "tx_void": get.get("tx_void", ""),
            "tx_billed": get.get("tx_billed", ""),
            "tx_q": get.get("tx_q", ""),
            "inv_status": get.get("inv_status", ""),
            "invoice_status_filters": INVOICE_STATUS_FILTERS,
        }
    )
    return render(request, "web/customer/billing.html", context)


# ---------------------------------------------------------------------------------------------------------------
# Actions on the billing tab (modals)
# ---------------------------------------------------------------------------------------------------------------


def _billing_url(customer) -> str:
    return reverse("web:customer-billing", args=[customer.pk])


def _next_url(request, fallback: str) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return next_url
    return fallback


@staff_view
def transaction_add(request, pk: int):
    customer = scoped_customer(request, pk)
    require(request, customer.entity, "write_transactions")
    services = list(
        Service.objects.filter(contract__customer=customer).select_related("product").order_by("-start_date", "-pk")
    )
    today = entity_today(customer.entity)
    form = TransactionForm(request.POST or None, services=services, initial={"date": today})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                billing_services.transaction_create(
                    customer=customer,
                    actor=request.user,
                    kind=data["kind"],
                    credit_type=data["credit_type"] if data["kind"] == TransactionKind.CREDIT else "",
                    title=data["title"],
                    description=data["description"],
                    amount=data["amount"].strip().replace(",", "."),
                    date=data["date"],
                    service=form.services.get(data["service"]),
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status
            else:
                return done(request, _("Transaction added."), _billing_url(customer))
        else:
            status = 422
    return modal(request, "web/modals/transaction_add.html", {"customer": customer, "form": form}, status)


@staff_view
def transaction_void(request, pk: int):
    tx = get_object_or_404(
        Transaction.objects.select_related("customer", "invoice"),
        pk=pk,
        entity_id__in=[e.pk for e in user_entities(request)],
    )
    customer = scoped_customer(request, tx.customer_id)
    require(request, customer.entity, "void_transactions")
    form = VoidForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                reason = form.cleaned_data["reason"]
                billing_services.transaction_void(transaction_id=tx.pk, actor=request.user, reason=reason)
            except DomainError as error:
                form_error(form, error)
                status = error.status
            else:
                message = _("Transaction #%(id)s voided.") % {"id": tx.pk}
                return done(request, message, _next_url(request, _billing_url(customer)))
        else:
            status = 422
    return modal(request, "web/modals/transaction_void.html", {"transaction": tx, "form": form}, status)


@staff_view
def invoice_generate(request, pk: int):
    """ "Generate proforma invoice": a preview of the lines and the total, then the confirmation."""
    customer = scoped_customer(request, pk)
    require(request, customer.entity, "generate_invoices")
    today = entity_today(customer.entity)
    first, last = today.replace(day=1), today
    initial = {"start": first, "end": last, "due_date": today + DEFAULT_DUE_DAYS}
    form = ProformaForm(request.POST or None, initial=initial)
    context = {"customer": customer, "form": form, "preview": None}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            arguments = {
                "customer": customer,
                "actor": request.user,
                "start": data["start"],
                "end": data["end"],
                "due_date": data["due_date"],
                "category": data["category"] or None,
            }
            try:
                if request.POST.get("confirm"):
                    invoice = billing_services.invoice_generate(**arguments)
                    return done(
                        request,
                        _("Invoice %(number)s generated: %(total)s.")
                        % {"number": invoice.number, "total": format_money(invoice.total)},
                        _billing_url(customer),
                    )
                context["preview"] = billing_services.invoice_preview(**arguments)
            except DomainError as error:
                form_error(form, error)
                status = error.status
        else:
            status = 422
    return modal(request, "web/modals/invoice_generate.html", context, status)


def _selected_invoices(request, customer) -> list[Invoice]:
    ids = [int(i) for i in (request.POST.getlist("ids") or request.GET.getlist("ids")) if str(i).isdigit()]
    return list(Invoice.objects.filter(customer=customer, pk__in=ids).order_by("due_date", "pk"))


def _pay(request, customer, invoices: list[Invoice], *, single: bool):
    require(request, customer.entity, "record_payments")
    balance = sum((i.balance for i in invoices), start=invoices[0].total * 0) if invoices else None
    today = entity_today(customer.entity)
    initial = {"amount": f"{balance:.2f}" if balance is not None else "", "received_on": today}
    form = PayForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not invoices:
            form.add_error(None, _("Choose at least one invoice."))
            status = 422
        elif form.is_valid():
            data = form.cleaned_data
            arguments = {
                "actor": request.user,
                "method": data["method"],
                "amount": data["amount"].strip().replace(",", "."),
                "reference": data["reference"],
                "received_on": data["received_on"],
            }
            try:
                if single:
                    payment_services.invoice_pay(invoice_id=invoices[0].pk, **arguments)
                else:
                    payment_services.invoices_pay(invoice_ids=[i.pk for i in invoices], **arguments)
            except DomainError as error:
                form_error(form, error)
                status = error.status
            else:
                message = _("Payment recorded. Invoices: %(count)s.") % {"count": len(invoices)}
                return done(request, message, _next_url(request, _billing_url(customer)))
        else:
            status = 422
    context = {"customer": customer, "invoices": invoices, "balance": balance, "form": form, "single": single}
    return modal(request, "web/modals/invoice_pay.html", context, status)


@staff_view
def invoice_pay(request, pk: int):
    invoice = scoped_invoice(request, pk)
    return _pay(request, invoice.customer, [invoice], single=True)


@staff_view
def invoices_pay(request, pk: int):
    customer = scoped_customer(request, pk)
    return _pay(request, customer, _selected_invoices(request, customer), single=False)


def _void(request, customer, invoices: list[Invoice], *, single: bool):
    require(request, customer.entity, "void_invoices")
    form = VoidForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not invoices:
            form.add_error(None, _("Choose at least one invoice."))
            status = 422
        elif form.is_valid():
            reason = form.cleaned_data["reason"]
            try:
                if single:
                    billing_services.invoice_void(invoice_id=invoices[0].pk, actor=request.user, reason=reason)
                else:
                    ids = [i.pk for i in invoices]
                    billing_services.invoices_void(invoice_ids=ids, actor=request.user, reason=reason)
            except DomainError as error:
                form_error(form, error)
                status = error.status
            else:
                message = _("Invoices voided: %(count)s.") % {"count": len(invoices)}
                return done(request, message, _next_url(request, _billing_url(customer)))
        else:
            status = 422
    context = {"customer": customer, "invoices": invoices, "form": form, "single": single}
    return modal(request, "web/modals/invoice_void.html", context, status)


@staff_view
def invoice_void(request, pk: int):
    invoice = scoped_invoice(request, pk)
    return _void(request, invoice.customer, [invoice], single=True)


@staff_view
def invoices_void(request, pk: int):
    customer = scoped_customer(request, pk)
    return _void(request, customer, _selected_invoices(request, customer), single=False)


def _refund_choices(invoice: Invoice) -> list:
    """The invoice's received payments, each labelled with what is left to refund; card payments first."""
    payments = list(
        invoice.payments.filter(status=PaymentStatus.SUCCEEDED).select_related("card").order_by("created_at", "pk")
    )
    for payment in payments:
        payment.refundable = payment.amount - payment.refunded_amount
        method = payment.get_method_display()
        if payment.card_id:
            method = f"{method} {payment.card.brand.title()} •••• {payment.card.last4}".strip()
        payment.label = _("%(date)s · %(method)s · %(amount)s (refundable: %(left)s)") % {
            "date": date_format(payment.received_on, "SHORT_DATE_FORMAT"),
            "method": method,
            "amount": format_money(payment.amount),
            "left": format_money(payment.refundable),
        }
    # The one a clerk most likely means: a card payment with something left to refund.
    payments.sort(key=lambda p: (p.gateway != "stripe", p.refundable <= 0))
    return payments


@staff_view
def invoice_refund(request, pk: int):
    """Refund a card payment of the invoice, in full or in part, through Stripe (payments.payment_refund)."""
    invoice = scoped_invoice(request, pk)
    require(request, invoice.entity, "void_transactions")
    payments = _refund_choices(invoice)
    by_id = {p.pk: p for p in payments}
    chosen = request.POST.get("payment") or request.GET.get("payment") or ""
    selected = by_id.get(int(chosen)) if chosen.isdigit() else None
    selected = selected or (payments[0] if payments else None)
    initial = {"payment": selected.pk, "amount": f"{selected.refundable:.2f}"} if selected else {}
    form = RefundForm(request.POST or None, payments=payments, initial=initial)
    # Choosing another payment reloads the modal with that payment's refundable balance as the amount.
    form.fields["payment"].widget.attrs.update(
        {"hx-get": request.path, "hx-trigger": "change", "hx-target": "#modal-content", "hx-include": "this"}
    )
    status = 200
    if request.method == "POST":
        if not payments:
            form.add_error(None, _("This invoice has no payment to refund."))
            status = 422
        elif form.is_valid():
            data = form.cleaned_data
            try:
                refund = payment_services.payment_refund(
                    payment_id=data["payment"],
                    actor=request.user,
                    amount=data["amount"].strip().replace(",", "."),
                    reason=data["reason"],
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status
            else:
                message = _("Refund of %(amount)s recorded for invoice %(number)s.") % {
                    "amount": format_money(refund.amount),
                    "number": invoice.number,
                }
                return done(request, message, _next_url(request, _billing_url(invoice.customer)))
        else:
            status = 422
    context = {"invoice": invoice, "payments": payments, "selected": selected, "form": form}
    return modal(request, "web/modals/invoice_refund.html", context, status)


@staff_view
def invoice_email(request, pk: int):
    """E-mail the invoice (PDF attached, pay link): one Email row now, sent after the commit."""
    invoice = scoped_invoice(request, pk)
    require(request, invoice.entity, "email_invoices")
    initial = {"to": ", ".join(invoice.customer.emails or []), "key": uuid.uuid4().hex}
    form = InvoiceEmailForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                email = notification_services.invoice_email_send(
                    invoice=invoice.pk,
                    actor=request.user,
                    to=form.addresses(),
                    key=f"web:{form.cleaned_data['key']}",
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status
            else:
                message = _("Invoice %(number)s will be e-mailed to %(to)s.") % {
                    "number": invoice.number,
                    "to": ", ".join(email.to),
                }
                return done(request, message, _next_url(request, _billing_url(invoice.customer)))
        else:
            status = 422
    return modal(request, "web/modals/invoice_email.html", {"invoice": invoice, "form": form}, status)


# ---------------------------------------------------------------------------------------------------------------
# Invoice detail (page and modal)
# ---------------------------------------------------------------------------------------------------------------


def invoice_detail_context(invoice: Invoice) -> dict:
    return {
        "invoice": invoice,
        "lines": invoice.transactions.select_related("category").order_by("date", "id"),
        "settlements": invoice.payment_transactions.order_by("date", "id"),
        "payments": invoice.payments.select_related("created_by").order_by("created_at", "pk"),
        "activity": activity_for_object(invoice).select_related("actor").order_by("-pk"),
        "emails": notification_selectors.emails_for_invoice(invoice.pk),
        "today": entity_today(invoice.entity),
    }


@staff_view
def invoice_detail(request, pk: int):
    invoice = scoped_invoice(request, pk)
    return render(request, "web/billing/invoice_detail.html", invoice_detail_context(invoice))


@staff_view
def invoice_modal(request, pk: int):
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    invoice = scoped_invoice(request, pk)
    return modal(request, "web/modals/invoice_detail.html", invoice_detail_context(invoice))
