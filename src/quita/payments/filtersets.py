"""Filters of the payment list (the API and the staff screens share them)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from quita.core.filtersets import IdFilter
from quita.payments.models import (
    AutopayAttempt,
    AutopayOutcome,
    CardStatus,
    Payment,
    PaymentMethod,
    PaymentMethodKind,
    PaymentStatus,
    Refund,
)


class PaymentFilterSet(filters.FilterSet):
    """`?customer=`, `?invoice=`, `?method=`, `?status=`, `?reference=`, `?date_after=`/`?date_before=` (received)."""

    entity = IdFilter(field_name="entity_id", label=_("Entity"))
    customer = IdFilter(field_name="customer_id", label=_("Customer"))
    invoice = IdFilter(field_name="invoice_id", label=_("Invoice"))
    method = filters.ChoiceFilter(choices=PaymentMethodKind.choices, label=_("Method"))
    status = filters.ChoiceFilter(choices=PaymentStatus.choices, label=_("Status"))
    reference = filters.CharFilter(label=_("Reference"), help_text=_("The receipt or bank reference, exactly."))
    date = filters.DateFromToRangeFilter(field_name="received_on", label=_("Received on"))

    class Meta:
        model = Payment
        fields = ["entity", "customer", "invoice", "method", "status", "reference", "date"]


class CardFilterSet(filters.FilterSet):
    """`?customer=`, `?status=active|removed`."""

    entity = IdFilter(field_name="entity_id", label=_("Entity"))
    customer = IdFilter(field_name="customer_id", label=_("Customer"))
    status = filters.ChoiceFilter(choices=CardStatus.choices, label=_("Status"))

    class Meta:
        model = PaymentMethod
        fields = ["entity", "customer", "status"]


class RefundFilterSet(filters.FilterSet):
    """`?customer=`, `?payment=`."""

    entity = IdFilter(field_name="entity_id", label=_("Entity"))
    customer = IdFilter(field_name="customer_id", label=_("Customer"))
    payment = IdFilter(field_name="payment_id", label=_("Payment"))

    class Meta:
        model = Refund
        fields = ["entity", "customer", "payment"]


class AutopayAttemptFilterSet(filters.FilterSet):
    """`?customer=`, `?invoice=`, `?outcome=`."""

    entity = IdFilter(field_name="entity_id", label=_("Entity"))
    customer = IdFilter(field_name="customer_id", label=_("Customer"))
    invoice = IdFilter(field_name="invoice_id", label=_("Invoice"))
    outcome = filters.ChoiceFilter(choices=AutopayOutcome.choices, label=_("Outcome"))

    class Meta:
        model = AutopayAttempt
        fields = ["entity", "customer", "invoice", "outcome"]
