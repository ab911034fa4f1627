"""Customers, products, contracts and services: lists, details, and writes through `quita.customers.services`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.filters import OrderingFilter, SearchFilter

from quita.core.api import ServiceBackedViewSet, error_responses
from quita.customers import services
from quita.customers.api import serializers as s
from quita.customers.filtersets import ContractFilterSet, CustomerFilterSet, ProductFilterSet, ServiceFilterSet
from quita.customers.models import Category, Contract, Customer, Product, Service


def _writes(read, create, update):
    """The OpenAPI description of a collection whose input and output shapes differ."""
    return extend_schema_view(
        create=extend_schema(request=create, responses={201: read, **error_responses(400, 403, 404, 409)}),
        update=extend_schema(request=update, responses={200: read, **error_responses(400, 403, 404, 409)}),
        partial_update=extend_schema(request=update, responses={200: read, **error_responses(400, 403, 404, 409)}),
    )


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The categories of what is billed (shared by every entity; data, managed in the admin)."""

    queryset = Category.objects.all()
    serializer_class = s.CategorySerializer
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["code", "name"]
    pagination_class = None


@_writes(s.CustomerSerializer, s.CustomerCreateSerializer, s.CustomerUpdateSerializer)
class CustomerViewSet(ServiceBackedViewSet):
    """Subscribers. `?search=` looks in the name, trade name and CPF/CNPJ."""

    queryset = Customer.objects.all()
    serializer_class = s.CustomerSerializer
    create_serializer_class = s.CustomerCreateSerializer
    update_serializer_class = s.CustomerUpdateSerializer
    filterset_class = CustomerFilterSet
    search_fields = ["name", "trade_name", "document"]
    ordering_fields = ["name", "id", "created_at"]

    def perform_service_create(self, data: dict) -> Customer:
        return services.customer_create(actor=self.request.user, **data)

    def perform_service_update(self, instance: Customer, data: dict) -> Customer:
        return services.customer_update(customer=instance, actor=self.request.user, **data)


@_writes(s.ProductSerializer, s.ProductCreateSerializer, s.ProductUpdateSerializer)
class ProductViewSet(ServiceBackedViewSet):
    """Plans and products with their recurring price."""

    queryset = Product.objects.select_related("category")
    serializer_class = s.ProductSerializer
    create_serializer_class = s.ProductCreateSerializer
    update_serializer_class = s.ProductUpdateSerializer
    filterset_class = ProductFilterSet
    search_fields = ["name"]
    ordering_fields = ["name", "id", "price"]

    def perform_service_create(self, data: dict) -> Product:
        return services.product_create(actor=self.request.user, **data)

    def perform_service_update(self, instance: Product, data: dict) -> Product:
        return services.product_update(product=instance, actor=self.request.user, **data)


@_writes(s.ContractSerializer, s.ContractCreateSerializer, s.ContractUpdateSerializer)
class ContractViewSet(ServiceBackedViewSet):
    """Contracts: the days a customer is billed and due, and its status."""

    queryset = Contract.objects.prefetch_related("services")
    serializer_class = s.ContractSerializer
    create_serializer_class = s.ContractCreateSerializer
    update_serializer_class = s.ContractUpdateSerializer
    filterset_class = ContractFilterSet
    search_fields = ["description", "customer__name"]
    ordering_fields = ["id", "start_date", "billing_day"]

    def perform_service_create(self, data: dict) -> Contract:
        return services.contract_create(actor=self.request.user, **data)

    def perform_service_update(self, instance: Contract, data: dict) -> Contract:
        return services.contract_update(contract=instance, actor=self.request.user, **data)


@_writes(s.ServiceSerializer, s.ServiceCreateSerializer, s.ServiceUpdateSerializer)
class ServiceViewSet(ServiceBackedViewSet):
    """Contract lines (services): product, price, category, start and end."""

    entity_path = "contract__entity"
    queryset = Service.objects.select_related("contract", "category")
    serializer_class = s.ServiceSerializer
    create_serializer_class = s.ServiceCreateSerializer
    update_serializer_class = s.ServiceUpdateSerializer
    filterset_class = ServiceFilterSet
    search_fields = ["description", "product__name"]
    ordering_fields = ["id", "start_date", "price"]

    def perform_service_create(self, data: dict) -> Service:
        return services.service_create(actor=self.request.user, **data)

    def perform_service_update(self, instance: Service, data: dict) -> Service:
        return services.service_update(service=instance, actor=self.request.user, **data)
