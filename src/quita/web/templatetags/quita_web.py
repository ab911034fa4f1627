"""Template helpers of the staff UI: money in the user's language, optional links, query strings."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

from quita.core.money import format_money

register = template.Library()


@register.filter
def money(value) -> str:
    """`R$\u00a01.234,56` in pt-BR, `R$1,234.56` in English (`core.money.format_money`, as the documents)."""
    return format_money(value)


@register.simple_tag
def optional_url(name: str, *args) -> str:
    """The URL of a view that another part of Quita may provide (e.g. the invoice PDF), or "" if it is not there."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with some parameters changed (None or "" removes one); paging restarts."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_query(context, field: str) -> str:
    """The link of a sortable column header: ascending first, descending on a second click."""
    current = context["request"].GET.get("sort", "")
    target = f"-{field}" if current == field else field
    return query(context, sort=target)


def _stat_labels():
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    return {
        "transactions": [
            ("total", _("Total")),
            ("unbilled", _("Unbilled")),
            ("this_month", _("This month")),
            ("last_month", _("Last month")),
        ],
        "invoices": [
            ("total", _("Total")),
            ("unpaid", pgettext("statistics", "Unpaid")),
            ("this_month", _("This month")),
            ("last_month", _("Last month")),
        ],
    }


@register.inclusion_tag("web/_stats.html")
def stat_cards(stats: dict, kind: str) -> dict:
    """The four statistics widgets (amount and count) of billing.selectors for transactions or invoices."""
    return {"cards": [(label, stats[key]) for key, label in _stat_labels()[kind]], "kind": kind}


@register.filter
def control(field) -> str:
    """A form field's widget with Bootstrap's classes, marked invalid (and described by its error) when it failed."""
    from django import forms

    widget = field.field.widget
    css = "form-select" if isinstance(widget, forms.Select) else "form-control"
    attrs = {"class": css + (" is-invalid" if field.errors else "")}
    if field.errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.auto_id}_error"
    return field.as_widget(attrs=attrs)


@register.simple_tag(takes_context=True)
def query_page(context, param: str, number) -> str:
    """The current query string pointing at another page of the list whose page parameter is `param`."""
    params = context["request"].GET.copy()
    params[param] = number
    return f"?{params.urlencode()}"


@register.simple_tag
def invoice_badge(invoice, today) -> str:
    """The status badge of an invoice row (a tag, not an include: it is drawn for every row of the lists)."""
    from django.utils.html import format_html
    from django.utils.translation import gettext

    if invoice.status == "paid":
        css, label = "success", invoice.get_status_display()
    elif invoice.status == "void":
        css, label = "secondary", invoice.get_status_display()
    elif invoice.due_date < today:
        css, label = "danger", gettext("Overdue")
    else:
        css, label = "warning", invoice.get_status_display()
    return format_html('<span class="badge text-bg-{}">{}</span>', css, label)


@register.simple_tag
def transaction_invoice(tx) -> str:
    """The invoice a ledger line is on (or settles), as a link to its detail modal; else "Void" or "Unbilled"."""
    from django.urls import reverse
    from django.utils.html import format_html
    from django.utils.translation import gettext

    invoice = tx.invoice or tx.paid_invoice
    if invoice is not None:
        return format_html(
            '<a href="{}" hx-get="{}" hx-target="#modal-content" data-bs-toggle="modal" data-bs-target="#modal">{}</a>',
            reverse("web:invoice", args=[invoice.pk]),
            reverse("web:invoice-modal", args=[invoice.pk]),
            invoice.number,
        )
    if tx.is_void:
        return format_html('<span class="badge text-bg-secondary">{}</span>', gettext("Void"))
    return format_html('<span class="badge text-bg-info">{}</span>', gettext("Unbilled"))
