"""Filters of the transaction and invoice lists (the API and the staff screens share them)."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from quita.billing.models import Invoice, InvoiceStatus, Transaction, TransactionKind, TransactionSource
from quita.billing.selectors import UNBILLED
from quita.core.api import visible_entity_ids
from quita.core.filtersets import IdFilter
from quita.core.models import Entity
from quita.core.selectors import entity_today
from quita.customers.filtersets import CategoryFilter


class TransactionFilterSet(filters.FilterSet):
    """`?customer=`, `?billed=`, `?void=`, `?kind=`, `?category=`, `?date_after=`/`?date_before=`, `?search=`..."""

    entity = IdFilter(field_name="entity_id", label=_("Entity"))
    customer = IdFilter(field_name="customer_id", label=_("Customer"))
    kind = filters.ChoiceFilter(choices=TransactionKind.choices, label=_("Kind"))
    source = filters.ChoiceFilter(choices=TransactionSource.choices, label=_("Source"))
    billed = filters.BooleanFilter(
        method="filter_billed",
        label=_("Billed"),
        help_text=_(
            "true: on an invoice (or settling one); false: unbilled, i.e. waiting for an invoice "
            "(void lines are neither)."
        ),
    )
    void = filters.BooleanFilter(field_name="is_void", label=_("Void"))
    invoice = IdFilter(field_name="invoice_id", label=_("Invoice"), help_text=_("Lines billed on this invoice."))
    paid_invoice = IdFilter(field_name="paid_invoice_id", label=_("Paid invoice"))
    service = IdFilter(field_name="service_id", label=_("Service"))
    category = CategoryFilter(field_name="category")
    date = filters.DateFromToRangeFilter(label=_("Date"))
    search = filters.CharFilter(method="filter_search", label=_("Search"), help_text=_("Transaction id or title."))

    class Meta:
        model = Transaction
        fields = [
            "entity",
            "customer",
            "kind",
            "source",
            "billed",
            "void",
            "invoice",
            "paid_invoice",
            "service",
            "category",
            "date",
            "search",
        ]

    def filter_billed(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.exclude(UNBILLED)
        return queryset.filter(UNBILLED, is_void=False)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q(title__icontains=value)
        number = value.lstrip("#")
        if number.isdigit() and len(number) < 19:
            condition |= Q(pk=int(number))
        return queryset.filter(condition)


def overdue_condition(entities, as_of: dict[int, datetime.date] | None = None) -> Q:
    """Unpaid invoices past their due date, "today" taken in each entity's own time zone."""
    entity_ids_by_day: dict[datetime.date, list[int]] = defaultdict(list)
    for entity in entities:
        day = (as_of or {}).get(entity.pk) or entity_today(entity)
        entity_ids_by_day[day].append(entity.pk)
    condition = Q(pk__in=[])
    for day, ids in entity_ids_by_day.items():
        condition |= Q(entity_id__in=ids, due_date__lt=day)
    return Q(status=InvoiceStatus.UNPAID) & condition


class InvoiceFilterSet(filters.FilterSet):
    """`?customer=`, `?status=paid|unpaid|void`, `?overdue=`, `?category=`, `?date_after=`/`?date_before=` (issue)."""

    entity = IdFilter(field_name="entity_id", label=_("Entity"))
    customer = IdFilter(field_name="customer_id", label=_("Customer"))
    status = filters.ChoiceFilter(choices=InvoiceStatus.choices, label=_("Status"))
    overdue = filters.BooleanFilter(
        method="filter_overdue", label=_("Overdue"), help_text=_("Unpaid and past the due date.")
    )
    category = CategoryFilter(field_name="category")
    date = filters.DateFromToRangeFilter(field_name="issue_date", label=_("Issue date"))
    due = filters.DateFromToRangeFilter(field_name="due_date", label=_("Due date"))
    number = filters.CharFilter(label=_("Number"))

    class Meta:
        model = Invoice
        fields = ["entity", "customer", "status", "overdue", "category", "date", "due", "number"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        entities = Entity.objects.filter(pk__in=visible_entity_ids(self.request)) if self.request else []
        condition = overdue_condition(entities)
        return queryset.filter(condition) if value else queryset.exclude(condition)
