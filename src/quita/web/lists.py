"""System-wide lists (transactions, invoices) with filters in the query string, sorting, paging and exports;
and the batch "generate the period's invoices for all customers" with its preview and progress."""

from __future__ import annotations

import csv
import datetime
import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Max
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from quita.billing import services as billing_services
from quita.billing.filtersets import InvoiceFilterSet, TransactionFilterSet
from quita.billing.models import BillingRun, BillingRunKind, BillingRunStatus, Invoice, Transaction, TransactionKind
from quita.core.errors import DomainError
from quita.core.selectors import entity_today
from quita.customers.models import Category
from quita.web.common import form_error, require
from quita.web.context import staff_view
from quita.web.forms import InvoiceRunForm
from quita.web.views import DEFAULT_DUE_DAYS, INVOICE_STATUS_FILTERS, invoice_filter_data

logger = logging.getLogger(__name__)

PER_PAGE = 50
TRANSACTION_SORTS = {"id": ["id"], "date": ["date", "id"], "amount": ["amount", "id"], "title": ["title", "id"]}
INVOICE_SORTS = {
    "number": ["year", "sequence"],
    "issue_date": ["issue_date", "id"],
    "due_date": ["due_date", "id"],
    "total": ["total", "id"],
}
# Excel's last row; an export past it would be refused by the spreadsheet anyway.
XLSX_MAX_ROWS = 1_048_575


def _ordering(request, sorts: dict, default: str) -> tuple[str, list[str]]:
    value = request.GET.get("sort") or default
    key = value.lstrip("-")
    if key not in sorts:
        value, key = default, default.lstrip("-")
    prefix = "-" if value.startswith("-") else ""
    return value, [f"{prefix}{field}" for field in sorts[key]]


def _page(request, queryset) -> dict:
    from quita.web.common import paginate

    return paginate(request, queryset, per_page=PER_PAGE)


def _filter_params(request, names: tuple[str, ...]) -> dict:
    return {name: request.GET.get(name, "") for name in names}


TRANSACTION_FILTERS = ("q", "void", "billed", "kind", "category", "date_after", "date_before", "customer")


def _transactions(request):
    params = _filter_params(request, TRANSACTION_FILTERS)
    data = {**params, "search": params["q"]}
    queryset = Transaction.objects.filter(entity_id=request.entity.pk)
    queryset = queryset.select_related("customer", "invoice", "paid_invoice")
    filterset = TransactionFilterSet(data=data, queryset=queryset, request=request)
    return filterset, params


@staff_view
def transactions(request):
    filterset, params = _transactions(request)
    sort, ordering = _ordering(request, TRANSACTION_SORTS, "-date")
    rows = filterset.qs.order_by(*ordering)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        lines = (_transaction_row(t) for t in rows.iterator(2000))
        return _export(export, "transactions", TRANSACTION_COLUMNS(), lines)
    context = {
        "page": _page(request, rows),
        "params": params,
        "sort": sort,
        "errors": filterset.errors,
        "kinds": TransactionKind.choices,
        "categories": Category.objects.order_by("pk"),
    }
    return render(request, "web/billing/transactions.html", context)


INVOICE_FILTERS = ("number", "status", "category", "date_after", "date_before", "due_after", "due_before", "customer")


def _invoices(request):
    params = _filter_params(request, INVOICE_FILTERS)
    data = {key: value for key, value in params.items() if key != "status"}
    data.update(invoice_filter_data(params["status"]))
    queryset = Invoice.objects.filter(entity_id=request.entity.pk).select_related("customer")
    return InvoiceFilterSet(data=data, queryset=queryset, request=request), params


@staff_view
def invoices(request):
    filterset, params = _invoices(request)
    sort, ordering = _ordering(request, INVOICE_SORTS, "-issue_date")
    rows = filterset.qs.order_by(*ordering)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        return _export(export, "invoices", INVOICE_COLUMNS(), (_invoice_row(i) for i in rows.iterator(2000)))
    context = {
        "page": _page(request, rows),
        "params": params,
        "sort": sort,
        "errors": filterset.errors,
        "statuses": INVOICE_STATUS_FILTERS,
        "categories": Category.objects.order_by("pk"),
        "today": entity_today(request.entity),
    }
    return render(request, "web/billing/invoices.html", context)


# ---------------------------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------------------------


def TRANSACTION_COLUMNS():  # noqa: N802 - a constant, translated when called
    return [
        _("Id"),
        _("Date"),
        _("Customer"),
        _("CPF/CNPJ"),
        _("Kind"),
        _("Title"),
        _("Amount"),
        _("Invoice"),
        _("Void"),
        _("Void reason"),
    ]


def _transaction_row(tx: Transaction) -> list:
    invoice = tx.invoice or tx.paid_invoice
    return [
        tx.pk,
        tx.date,
        tx.customer.name,
        tx.customer.document,
        tx.get_kind_display(),
        tx.title,
        tx.amount,
        invoice.number if invoice else "",
        _("yes") if tx.is_void else _("no"),
        tx.void_reason,
    ]


def INVOICE_COLUMNS():  # noqa: N802
    return [
        _("Number"),
        _("Customer"),
        _("CPF/CNPJ"),
        _("Issue date"),
        _("Due date"),
        _("Period start"),
        _("Period end"),
        _("Total"),
        _("Amount paid"),
        _("Balance"),
        _("Status"),
    ]


def _invoice_row(invoice: Invoice) -> list:
    return [
        invoice.number,
        invoice.customer.name,
        invoice.customer.document,
        invoice.issue_date,
        invoice.due_date,
        invoice.period_start,
        invoice.period_end,
        invoice.total,
        invoice.amount_paid,
        invoice.balance,
        invoice.get_status_display(),
    ]


class _Echo:
    def write(self, value):
        return value


def _plain(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _export(kind: str, name: str, header: list, rows) -> HttpResponse:
    """The filtered list as CSV (streamed; amounts as 95.00, dates as ISO) or as an XLSX workbook (openpyxl)."""
    if kind == "csv":
        writer = csv.writer(_Echo())

        def lines():
            yield "\ufeff" + writer.writerow(header)  # the BOM lets spreadsheets read the accents as UTF-8
            for row in rows:
                yield writer.writerow([_plain(v) for v in row])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    from io import BytesIO

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=name)
    sheet.append(header)
    for count, row in enumerate(rows, start=1):
        if count > XLSX_MAX_ROWS:
            break
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


# ---------------------------------------------------------------------------------------------------------------
# The batch: the period's invoices for all customers
# ---------------------------------------------------------------------------------------------------------------


def _run_in_background(**arguments) -> None:
    close_old_connections()
    try:
        billing_services.billing_run_invoices(**arguments)
    except DomainError:
        logger.exception("invoice run refused")
    except Exception:
        logger.exception("invoice run failed")
    finally:
        connection.close()


@staff_view
def invoice_run(request):
    entity = request.entity
    require(request, entity, "run_billing")
    today = entity_today(entity)
    initial = {"start": today.replace(day=1), "end": today, "due_date": today + DEFAULT_DUE_DAYS}
    form = InvoiceRunForm(request.POST or None, initial=initial)
    runs = BillingRun.objects.filter(entity=entity).select_related("created_by")[:10]
    context = {"form": form, "preview": None, "runs": runs}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            arguments = {
                "entity": entity,
                "start": data["start"],
                "end": data["end"],
                "due_date": data["due_date"],
                "category": data["category"] or None,
            }
            try:
                if data["end"] < data["start"]:
                    raise DomainError(_("The end date is before the start date."), code="end_before_start")
                if data["due_date"] < today:
                    message = _("The due date is before the issue date (%(date)s).") % {"date": today}
                    raise DomainError(message, code="due_before_issue")
                if request.POST.get("confirm"):
                    return _start_run(request, arguments)
                context["preview"] = billing_services.billing_run_preview(
                    entity=entity, start=data["start"], end=data["end"], category=data["category"] or None
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status
        else:
            status = 422
    return render(request, "web/billing/invoice_run.html", context, status=status)


def _start_run(request, arguments: dict):
    """Start the run beside the request (settings.WEB_RUNS_IN_BACKGROUND) and show its progress page."""
    entity = arguments["entity"]
    if not getattr(settings, "WEB_RUNS_IN_BACKGROUND", True):
        run = billing_services.billing_run_invoices(actor=request.user, **arguments)
        return redirect("web:run", pk=run.pk)
    last = BillingRun.objects.filter(entity=entity).aggregate(last=Max("pk"))["last"] or 0
    worker = threading.Thread(
        target=_run_in_background, kwargs={"actor": request.user, **arguments}, daemon=True, name="quita-invoice-run"
    )
    worker.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        run = (
            BillingRun.objects.filter(entity=entity, kind=BillingRunKind.INVOICE_RUN, pk__gt=last)
            .filter(created_by=request.user)
            .order_by("pk")
            .first()
        )
        if run is not None:
            return redirect("web:run", pk=run.pk)
        if not worker.is_alive():
            break
        time.sleep(0.1)
    return redirect(reverse("web:invoice-run"))


@staff_view
def run_detail(request, pk: int):
    run = get_object_or_404(BillingRun.objects.select_related("created_by"), pk=pk, entity=request.entity)
    template = "web/billing/_run_progress.html" if request.headers.get("HX-Request") else "web/billing/run.html"
    percent = int(100 * run.chunks_done / run.chunks_total) if run.chunks_total else 100
    context = {"run": run, "running": run.status == BillingRunStatus.RUNNING, "percent": percent}
    return render(request, template, context)
