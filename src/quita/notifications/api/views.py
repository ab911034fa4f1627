"""E-mail: the list of e-mails (filter by invoice, customer, status), and `POST /api/invoices/{id}/email/`."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from quita.billing.models import Invoice
from quita.core.api import ReadOnlyScopedViewSet, error_responses, visible_entity_ids
from quita.notifications import services
from quita.notifications.api import serializers as s
from quita.notifications.models import Email, EmailKind, EmailStatus


class EmailFilterSet(django_filters.FilterSet):
    invoice = django_filters.NumberFilter(field_name="invoice_id")
    customer = django_filters.NumberFilter(field_name="customer_id")
    status = django_filters.ChoiceFilter(choices=EmailStatus.choices)
    kind = django_filters.ChoiceFilter(choices=EmailKind.choices)

    class Meta:
        model = Email
        fields = ["invoice", "customer", "status", "kind"]


class EmailViewSet(ReadOnlyScopedViewSet):
    """E-mails asked for and sent, newest first, with their status, provider message id and error."""

    queryset = Email.objects.all()
    serializer_class = s.EmailSerializer
    filterset_class = EmailFilterSet
    ordering_fields = ["created_at", "sent_at", "id"]


class InvoiceEmailView(APIView):
    """`POST /api/invoices/{id}/email/`: e-mail the invoice (PDF attached, pay link) after the commit."""

    @extend_schema(
        request=s.InvoiceEmailSerializer,
        responses={202: s.EmailSerializer, **error_responses(400, 403, 404, 409)},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="The same key for the same invoice returns the first request's e-mail and sends once.",
            )
        ],
        tags=["invoices"],
        operation_id="invoices_email",
    )
    def post(self, request, pk: int):
        invoice = get_object_or_404(Invoice.objects.filter(entity__in=visible_entity_ids(request)), pk=pk)
        serializer = s.InvoiceEmailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = (request.headers.get("Idempotency-Key") or "").strip()[:120] or None
        email = services.invoice_email_send(
            invoice=invoice.pk, actor=request.user, to=serializer.validated_data.get("to") or None, key=key
        )
        return Response(s.EmailSerializer(email).data, status=202)
