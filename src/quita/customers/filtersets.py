"""Filters of the customer, product, contract and service lists (the API and the staff screens share them)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from quita.core.filtersets import IdFilter
from quita.customers.models import Contract, ContractStatus, Customer, PersonType, Product, Service
from quita.customers.services import category_get


def filter_by_category(queryset, field_name: str, value: str):
    """Keep the rows of a category given by code (`mobile`) or id; an unknown one is 400 `unknown_category`."""
    category = category_get(value)
    return queryset if category is None else queryset.filter(**{f"{field_name}_id": category.pk})


class CategoryFilter(filters.CharFilter):
    """`?category=mobile` or `?category=2`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Category"))
        kwargs.setdefault("help_text", _("Category code (e.g. mobile) or id."))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        return filter_by_category(qs, self.field_name, value)


class CustomerFilterSet(filters.FilterSet):
    """`?entity=`, `?is_active=`, `?person_type=PF|PJ`, `?document=`, `?city=`, `?condominium=`."""

    entity = IdFilter(field_name="entity_id", label=_("Entity"))
    person_type = filters.ChoiceFilter(choices=PersonType.choices, label=_("Person type"))
    document = filters.CharFilter(label=_("CPF/CNPJ"), help_text=_("Digits only."))
    city = filters.CharFilter(lookup_expr="iexact", label=_("City"))
    condominium = filters.CharFilter(lookup_expr="icontains", label=_("Condominium"))

    class Meta:
        model = Customer
        fields = ["entity", "is_active", "person_type", "document", "city", "condominium"]


class ProductFilterSet(filters.FilterSet):
    """`?entity=`, `?category=` (code or id), `?is_active=`."""

    entity = IdFilter(field_name="entity_id", label=_("Entity"))
    category = CategoryFilter(field_name="category")

    class Meta:
        model = Product
        fields = ["entity", "category", "is_active"]


class ContractFilterSet(filters.FilterSet):
    """`?entity=`, `?customer=`, `?status=`, `?billing_day=`."""

    entity = IdFilter(field_name="entity_id", label=_("Entity"))
    customer = IdFilter(field_name="customer_id", label=_("Customer"))
    status = filters.ChoiceFilter(choices=ContractStatus.choices, label=_("Status"))

    class Meta:
        model = Contract
        fields = ["entity", "customer", "status", "billing_day", "due_day"]


class ServiceFilterSet(filters.FilterSet):
    """`?contract=`, `?customer=`, `?product=`, `?category=` (code or id)."""

    contract = IdFilter(field_name="contract_id", label=_("Contract"))
    customer = IdFilter(field_name="contract__customer_id", label=_("Customer"))
    product = IdFilter(field_name="product_id", label=_("Product"))
    category = CategoryFilter(field_name="category")

    class Meta:
        model = Service
        fields = ["contract", "customer", "product", "category"]
