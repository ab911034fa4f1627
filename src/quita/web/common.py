"""Helpers shared by the staff views: HTMX answers, domain errors on forms, paging, scoped lookups."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from quita.billing.models import Invoice
from quita.core.errors import DomainError
from quita.customers.models import Customer
from quita.web.context import set_current_entity, user_actions, user_entities


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def require(request, entity, action: str) -> None:
    """403 before anything else when the user's role in `entity` does not allow `action` (the service checks again)."""
    if action not in user_actions(request, entity):
        raise PermissionDenied


def scoped_customer(request, pk: int) -> Customer:
    """A customer of one of the user's entities (404 otherwise); its entity becomes the current one."""
    customer = get_object_or_404(
        Customer.objects.select_related("entity"), pk=pk, entity__in=[e.pk for e in user_entities(request)]
    )
    if request.entity.pk != customer.entity_id:
        set_current_entity(request, customer.entity)
        request.entity = customer.entity
    return customer


def scoped_invoice(request, pk: int) -> Invoice:
    invoice = get_object_or_404(
        Invoice.objects.select_related("customer", "entity", "category"),
        pk=pk,
        entity__in=[e.pk for e in user_entities(request)],
    )
    if request.entity.pk != invoice.entity_id:
        set_current_entity(request, invoice.entity)
        request.entity = invoice.entity
    return invoice


def form_error(form, error: DomainError) -> None:
    """Put a service's refusal on the form: on the fields it names, else above the form."""
    placed = False
    for name, field_messages in (error.fields or {}).items():
        if name in form.fields:
            for message in field_messages if isinstance(field_messages, list) else [field_messages]:
                form.add_error(name, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(error.detail))


def modal(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    """A modal's content for HTMX, or the same content on a page of its own without JavaScript."""
    if is_htmx(request):
        return render(request, template, context, status=status)
    return render(request, "web/modal_page.html", {**context, "modal_template": template}, status=status)


def done(request, message: str, next_url: str) -> HttpResponse:
    """After a successful action: a message, then the page again (HTMX refreshes it; plain forms redirect)."""
    messages.success(request, message)
    if is_htmx(request):
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    return redirect(next_url)


def paginate(request, queryset, *, param: str = "page", per_page: int = 25) -> dict:
    """A page of rows without counting them all: one row more than the page tells whether a next page exists."""
    try:
        page = max(1, int(request.GET.get(param) or 1))
    except ValueError:
        page = 1
    offset = (page - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    return {
        "rows": rows[:per_page],
        "number": page,
        "param": param,
        "has_next": len(rows) > per_page,
        "has_previous": page > 1,
        "first": offset + 1 if rows else 0,
        "last": offset + min(len(rows), per_page),
    }
