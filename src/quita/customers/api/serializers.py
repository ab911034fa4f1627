"""Serializers of customers, products, contracts and services: read shapes, and the input each service takes.

Input serializers only check shapes and types; the rules (valid CPF/CNPJ, non-negative price, end after
start, the role's permission) are the services', so the CLI and the web UI enforce them too.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from quita.banking.models import Wallet
from quita.core.api import (
    CodedChoiceField,
    DateField,
    DefaultEntityMixin,
    MoneyField,
    ScopedPrimaryKeyRelatedField,
    reraise_as_field_error,
)
from quita.core.errors import ValidationFailed
from quita.core.models import Entity
from quita.customers.models import Category, Contract, ContractStatus, Customer, PersonType, Product, Service
from quita.customers.services import CUSTOMER_FIELDS, category_get


@extend_schema_field(
    {"type": "string", "example": "internet", "description": "Category code (internet, mobile, tv, other) or id."}
)
class CategoryField(serializers.Field):
    """A category, written as its code (`mobile`) or id and read back as its code; unknown → `unknown_category`."""

    def to_internal_value(self, data) -> Category:
        if isinstance(data, bool) or not isinstance(data, str | int):
            raise serializers.ValidationError(str(_("Unknown category.")), code="unknown_category")
        try:
            category = category_get(data)
        except ValidationFailed as error:
            raise reraise_as_field_error(error) from None
        if category is None:
            raise serializers.ValidationError(str(_("This field may not be blank.")), code="blank")
        return category

    def to_representation(self, value: Category) -> str:
        return value.code


class CategorySerializer(serializers.ModelSerializer):
    """What a charge is for: Internet, Mobile, TV, Other..."""

    class Meta:
        model = Category
        fields = ["id", "code", "name"]
        read_only_fields = fields


# ---------------------------------------------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------------------------------------------


class CustomerSerializer(serializers.ModelSerializer):
    """A subscriber as read back: CPF/CNPJ as digits."""

    class Meta:
        model = Customer
        fields = ["id", "entity", *CUSTOMER_FIELDS, "created_at"]
        read_only_fields = fields


class CustomerCreateSerializer(DefaultEntityMixin, serializers.Serializer):
    """Input of `customer_create`. `entity` may be left out by a user of a single entity."""

    entity = ScopedPrimaryKeyRelatedField(queryset=Entity.objects.all(), entity_path="pk", required=False)
    person_type = CodedChoiceField(choices=PersonType.choices, invalid_code="invalid_person_type")
    document = serializers.CharField(max_length=20, help_text=_("CPF (PF) or CNPJ (PJ), with or without punctuation."))
    name = serializers.CharField(max_length=200)
    trade_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    emails = serializers.ListField(child=serializers.CharField(max_length=254), required=False)
    phones = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    street = serializers.CharField(max_length=200, required=False, allow_blank=True)
    number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    complement = serializers.CharField(max_length=100, required=False, allow_blank=True)
    district = serializers.CharField(max_length=100, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    state = serializers.CharField(max_length=2, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=9, required=False, allow_blank=True)
    condominium = serializers.CharField(max_length=120, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class CustomerUpdateSerializer(CustomerCreateSerializer):
    """Input of `customer_update`: the same fields but the entity, which never changes."""

    entity = None


# ---------------------------------------------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------------------------------------------


class ProductSerializer(serializers.ModelSerializer):
    """A plan or product with its recurring monthly price."""

    category = CategoryField(read_only=True)
    price = MoneyField(read_only=True)

    class Meta:
        model = Product
        fields = ["id", "entity", "name", "category", "price", "is_active"]
        read_only_fields = fields


class ProductCreateSerializer(DefaultEntityMixin, serializers.Serializer):
    """Input of `product_create`."""

    entity = ScopedPrimaryKeyRelatedField(queryset=Entity.objects.all(), entity_path="pk", required=False)
    name = serializers.CharField(max_length=120)
    category = CategoryField()
    price = MoneyField(sign="not_negative")
    is_active = serializers.BooleanField(required=False)


class ProductUpdateSerializer(ProductCreateSerializer):
    """Input of `product_update`."""

    entity = None


# ---------------------------------------------------------------------------------------------------------------
# Contracts and services
# ---------------------------------------------------------------------------------------------------------------


class ContractSerializer(serializers.ModelSerializer):
    """A customer's contract: billing day, due day, status and dates; `services` are its lines' ids."""

    services = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "entity",
            "customer",
            "description",
            "billing_day",
            "due_day",
            "status",
            "start_date",
            "end_date",
            "wallet",
            "services",
            "created_at",
        ]
        read_only_fields = fields


class ContractCreateSerializer(serializers.Serializer):
    """Input of `contract_create`."""

    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.select_related("entity"))
    billing_day = serializers.IntegerField(help_text=_("1 to 31; 29-31 bill on the last day of shorter months."))
    due_day = serializers.IntegerField(help_text=_("1 to 31."))
    start_date = DateField()
    end_date = DateField(required=False, allow_null=True)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    status = CodedChoiceField(choices=ContractStatus.choices, invalid_code="invalid_status", required=False)
    wallet = ScopedPrimaryKeyRelatedField(
        queryset=Wallet.objects.all(),
        required=False,
        allow_null=True,
        help_text=_('The billing wallet; one of kind "invoice" lets the subscriber choose the bank.'),
    )


class ContractUpdateSerializer(ContractCreateSerializer):
    """Input of `contract_update`: a contract never changes customer."""

    customer = None


class ServiceSerializer(serializers.ModelSerializer):
    """A contract line: product, price and category from a start date to an optional end date."""

    customer = serializers.IntegerField(source="contract.customer_id", read_only=True)
    category = CategoryField(read_only=True)
    price = MoneyField(read_only=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "contract",
            "customer",
            "product",
            "description",
            "price",
            "category",
            "start_date",
            "end_date",
            "created_at",
        ]
        read_only_fields = fields


class ServiceCreateSerializer(serializers.Serializer):
    """Input of `service_create`: price and category default to the product's."""

    contract = ScopedPrimaryKeyRelatedField(queryset=Contract.objects.all())
    product = ScopedPrimaryKeyRelatedField(queryset=Product.objects.select_related("category"))
    start_date = DateField()
    end_date = DateField(required=False, allow_null=True)
    price = MoneyField(sign="not_negative", required=False)
    category = CategoryField(required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ServiceUpdateSerializer(serializers.Serializer):
    """Input of `service_update` (already billed periods keep their charges)."""

    start_date = DateField()
    end_date = DateField(required=False, allow_null=True)
    price = MoneyField(sign="not_negative")
    category = CategoryField()
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
