"""Transactions and invoices: lists, details and business actions, each calling one service or selector.

Financial records are never deleted or edited through the API: there is no PUT, PATCH or DELETE here (405).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from quita.billing import selectors, services
from quita.billing.api import serializers as s
from quita.billing.filtersets import InvoiceFilterSet, TransactionFilterSet
from quita.billing.models import Invoice, Transaction
from quita.core.api import EntityScopedMixin, error_responses, visible_entity_ids
from quita.core.models import Entity
from quita.customers.models import Customer

ENTITY_PARAMETER = OpenApiParameter("entity", OpenApiTypes.INT, description="Only this entity (default: all yours).")


def _entities_of(request):
    """The user's entities, or only `?entity=` when given (one the user cannot see is a 404)."""
    entities = Entity.objects.filter(pk__in=visible_entity_ids(request))
    value = request.query_params.get("entity")
    if value:
        if not value.strip().isdigit():
            raise serializers.ValidationError({"entity": [_("Enter a whole number.")]}, code="invalid")
        return [get_object_or_404(entities, pk=int(value))]
    return list(entities)


def _validated(serializer_class, request, view) -> dict:
    """The request body checked by `serializer_class` (400 with the first field's code if it is not valid)."""
    serializer = serializer_class(data=request.data, context=view.get_serializer_context())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class TransactionViewSet(EntityScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The ledger's lines. Add a charge or a credit with POST; void one with `/void/`; never delete."""

    queryset = Transaction.objects.select_related("category")
    serializer_class = s.TransactionSerializer
    filterset_class = TransactionFilterSet
    # `?search=` (id or title) is the filterset's, so DRF's SearchFilter is left out.
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["date", "id", "amount", "created_at"]

    @extend_schema(
        request=s.TransactionCreateSerializer,
        responses={201: s.TransactionSerializer, **error_responses(400, 403, 404, 409)},
    )
    def create(self, request, *args, **kwargs):
        """Add a charge or a credit by hand (`amount` positive; credits are stored negative)."""
        data = _validated(s.TransactionCreateSerializer, request, self)
        line = services.transaction_create(actor=request.user, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=line.pk)).data, status=201)

    @extend_schema(
        request=s.ReasonSerializer, responses={200: s.TransactionSerializer, **error_responses(400, 403, 404, 409)}
    )
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        """Void a line with a reason; a line on a non-void invoice needs that invoice voided first (409)."""
        line = self.get_object()
        data = _validated(s.ReasonSerializer, request, self)
        services.transaction_void(transaction_id=line.pk, actor=request.user, reason=data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=line.pk)).data)

    @extend_schema(parameters=[ENTITY_PARAMETER], responses={200: s.TransactionStatisticsSerializer})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def statistics(self, request):
        """Total, Unbilled, This month, Last month over all your entities (or `?entity=`)."""
        return Response(selectors.statistics_for_entities(_entities_of(request), "transactions"))


class InvoiceViewSet(EntityScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Invoices with their lines. Preview and generate one per customer; void an unpaid one; never delete.

    Paying an invoice is the payments app's: `POST /api/invoices/{id}/pay/` and `/api/invoices/pay-many/`.
    """

    queryset = Invoice.objects.select_related("entity", "category").prefetch_related(
        Prefetch("transactions", queryset=Transaction.objects.select_related("category").order_by("date", "id"))
    )
    serializer_class = s.InvoiceSerializer
    filterset_class = InvoiceFilterSet
    search_fields = ["number", "customer__name"]
    filter_backends = [DjangoFilterBackend, SearchFilter, OrderingFilter]
    ordering_fields = ["issue_date", "due_date", "number", "total", "id"]

    @extend_schema(
        request=s.InvoiceRequestSerializer,
        responses={200: s.InvoicePreviewSerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def preview(self, request):
        """What "generate" would bill now: the lines and the total. Writes nothing."""
        data = _validated(s.InvoiceRequestSerializer, request, self)
        preview = services.invoice_preview(actor=request.user, **data)
        return Response(s.InvoicePreviewSerializer(preview, context=self.get_serializer_context()).data)

    @extend_schema(
        request=s.InvoiceRequestSerializer, responses={201: s.InvoiceSerializer, **error_responses(400, 403, 404, 409)}
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def generate(self, request):
        """Generate a proforma invoice: every unbilled, non-void line of the customer dated start..end."""
        data = _validated(s.InvoiceRequestSerializer, request, self)
        invoice = services.invoice_generate(actor=request.user, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=invoice.pk)).data, status=201)

    @extend_schema(
        request=s.ReasonSerializer, responses={200: s.InvoiceSerializer, **error_responses(400, 403, 404, 409)}
    )
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        """Void an unpaid invoice: it keeps its number and its lines become unbilled again. Paid → 409."""
        invoice = self.get_object()
        data = _validated(s.ReasonSerializer, request, self)
        services.invoice_void(invoice_id=invoice.pk, actor=request.user, reason=data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=invoice.pk)).data)

    @extend_schema(parameters=[ENTITY_PARAMETER], responses={200: s.InvoiceStatisticsSerializer})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def statistics(self, request):
        """Total, Unpaid, This month, Last month over all your entities (or `?entity=`)."""
        return Response(selectors.statistics_for_entities(_entities_of(request), "invoices"))


class CustomerBillingSummaryView(APIView):
    """`GET /api/customers/{id}/billing-summary/`: the customer's billing tab figures.

    It lives here, not in the customers app, because the figures are the ledger's (apps depend downward).
    """

    @extend_schema(responses={200: s.BillingSummarySerializer, **error_responses(404)}, tags=["customers"])
    def get(self, request, pk: int):
        customer = get_object_or_404(
            Customer.objects.select_related("entity").filter(entity__in=visible_entity_ids(request)), pk=pk
        )
        return Response(selectors.customer_billing_summary(customer=customer))
