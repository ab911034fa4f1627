"""Payments: the list, and the manual pay actions on invoices (cash, POS, bank transfer). Never deleted."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from quita.billing.api.views import InvoiceViewSet
from quita.core.api import ReadOnlyScopedViewSet, error_responses, visible_entity_ids
from quita.payments import services
from quita.payments.api import serializers as s
from quita.payments.filtersets import PaymentFilterSet
from quita.payments.models import Payment


def _invoices(request):
    """The invoices the user may see, shaped for rendering (entity, category and lines fetched up front)."""
    return InvoiceViewSet.queryset.all().filter(entity__in=visible_entity_ids(request))


class PaymentViewSet(ReadOnlyScopedViewSet):
    """Payments received, newest first. Record one with `POST /api/invoices/{id}/pay/`."""

    queryset = Payment.objects.all()
    serializer_class = s.PaymentSerializer
    filterset_class = PaymentFilterSet
    ordering_fields = ["created_at", "received_on", "amount", "id"]


class InvoicePayView(APIView):
    """`POST /api/invoices/{id}/pay/`: pay an invoice by cash, POS or bank transfer."""

    @extend_schema(
        request=s.InvoicePaySerializer,
        responses={201: s.PayResultSerializer, **error_responses(400, 403, 404, 409)},
        tags=["invoices"],
        operation_id="invoices_pay",
    )
    def post(self, request, pk: int):
        """Record a payment; `amount` defaults to the open balance. Returns the payment and the invoice."""
        invoice = get_object_or_404(_invoices(request), pk=pk)
        serializer = s.InvoicePaySerializer(data=request.data, context={"request": request, "view": self})
        serializer.is_valid(raise_exception=True)
        payment = services.invoice_pay(invoice_id=invoice.pk, actor=request.user, **serializer.validated_data)
        context = {"request": request}
        return Response(
            {
                "payment": s.PaymentSerializer(payment, context=context).data,
                "invoice": s.InvoiceSerializer(_invoices(request).get(pk=invoice.pk), context=context).data,
            },
            status=201,
        )


class InvoicesPayManyView(APIView):
    """`POST /api/invoices/pay-many/`: one receipt pays several invoices of one customer, all or nothing."""

    @extend_schema(
        request=s.InvoicesPaySerializer,
        responses={201: s.PayManyResultSerializer, **error_responses(400, 403, 404, 409)},
        tags=["invoices"],
        operation_id="invoices_pay_many",
    )
    def post(self, request):
        """Pay the open balances (or spread `amount`, oldest due date first). Returns the payments and invoices."""
        serializer = s.InvoicesPaySerializer(data=request.data, context={"request": request, "view": self})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        invoice_ids = [invoice.pk for invoice in data.pop("invoices")]
        payments = services.invoices_pay(invoice_ids=invoice_ids, actor=request.user, **data)
        context = {"request": request}
        return Response(
            {
                "payments": s.PaymentSerializer(payments, many=True, context=context).data,
                "invoices": s.InvoiceSerializer(
                    _invoices(request).filter(pk__in=invoice_ids).order_by("due_date", "id"), many=True, context=context
                ).data,
            },
            status=201,
        )
