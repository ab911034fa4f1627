"""Filters of the core app's lists (the API and the staff screens share them), and filter helpers for other apps."""

from __future__ import annotations

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from quita.core.models import ActivityAction, ActivityLog


class IdFilter(filters.NumberFilter):
    """An object id (a whole number). An id the user cannot see simply matches nothing."""

    field_class = forms.IntegerField


def _content_type_id(app_label: str, model: str) -> int | None:
    try:
        return ContentType.objects.get_by_natural_key(app_label, model).pk
    except ContentType.DoesNotExist:
        return None


class ActivityFilterSet(filters.FilterSet):
    """`?customer=`, `?invoice=`, `?object_type=billing.invoice&object_id=`, `?action=`, `?date_after=`..."""

    entity = IdFilter(field_name="entity_id", label=_("Entity"))
    customer = IdFilter(field_name="customer_id", label=_("Customer"))
    invoice = IdFilter(method="filter_invoice", label=_("Invoice"), help_text=_("The activity of one invoice."))
    object_type = filters.CharFilter(
        method="filter_object_type", label=_("Object type"), help_text=_("`app_label.model`, e.g. billing.invoice.")
    )
    object_id = IdFilter(label=_("Object id"))
    action = filters.ChoiceFilter(choices=ActivityAction.choices, label=_("Action"))
    date = filters.DateFromToRangeFilter(field_name="created_at__date", label=_("Date"))

    class Meta:
        model = ActivityLog
        fields = ["entity", "customer", "invoice", "object_type", "object_id", "action", "date"]

    def filter_invoice(self, queryset, name, value):
        # By natural key, so core does not import the billing app that sits above it.
        return queryset.filter(content_type_id=_content_type_id("billing", "invoice"), object_id=value)

    def filter_object_type(self, queryset, name, value):
        app_label, _dot, model = value.lower().partition(".")
        return queryset.filter(content_type_id=_content_type_id(app_label, model))
