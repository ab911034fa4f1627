"""Payments: the list, and the manual pay actions on invoices (cash, POS, bank transfer). Never deleted."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from quita.billing.api.views import InvoiceViewSet
from quita.core.api import ReadOnlyScopedViewSet, error_responses, visible_entity_ids
from quita.customers.models import Customer
from quita.payments import services
from quita.payments.api import serializers as s
from quita.payments.filtersets import AutopayAttemptFilterSet, CardFilterSet, PaymentFilterSet, RefundFilterSet
from quita.payments.models import AutopayAttempt, AutopayEnrollment, Payment, PaymentMethod, PaymentMethodKind, Refund


def _invoices(request):
    """The invoices the user may see, shaped for rendering (entity, category and lines fetched up front)."""
    return InvoiceViewSet.queryset.all().filter(entity__in=visible_entity_ids(request))


def _customers(request):
    return Customer.objects.filter(entity__in=visible_entity_ids(request))


class PaymentViewSet(ReadOnlyScopedViewSet):
    """Payments received, newest first. Record one with `POST /api/invoices/{id}/pay/`; refund a card one."""

    queryset = Payment.objects.all()
    serializer_class = s.PaymentSerializer
    filterset_class = PaymentFilterSet
    ordering_fields = ["created_at", "received_on", "amount", "id"]

    @extend_schema(
        request=s.RefundRequestSerializer,
        responses={201: s.RefundResultSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def refund(self, request, pk=None):
        """Refund a card payment through Stripe, fully (no `amount`) or in part. Manual payments are refused."""
        payment = self.get_object()
        serializer = s.RefundRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refund = services.payment_refund(payment_id=payment.pk, actor=request.user, **serializer.validated_data)
        payment.refresh_from_db()
        context = self.get_serializer_context()
        return Response(
            {
                "refund": s.RefundSerializer(refund, context=context).data,
                "payment": s.PaymentSerializer(payment, context=context).data,
                "invoice": s.InvoiceSerializer(_invoices(request).get(pk=payment.invoice_id), context=context).data,
            },
            status=201,
        )


class RefundViewSet(ReadOnlyScopedViewSet):
    """Refunds of card payments, newest first."""

    queryset = Refund.objects.all()
    serializer_class = s.RefundSerializer
    filterset_class = RefundFilterSet
    ordering_fields = ["created_at", "amount", "id"]


class CardViewSet(ReadOnlyScopedViewSet):
    """Saved cards (`?customer=`, `?status=active`): brand, last 4, expiry, default.

    Add one through `POST /api/customers/{id}/payment-methods/setup/`, Stripe.js, then
    `POST /api/customers/{id}/payment-methods/`.
    """

    queryset = PaymentMethod.objects.select_related("entity")
    serializer_class = s.CardSerializer
    filterset_class = CardFilterSet
    ordering_fields = ["created_at", "id"]

    @extend_schema(
        request=s.CardDefaultSerializer, responses={200: s.CardSerializer, **error_responses(400, 403, 404, 409)}
    )
    @action(detail=True, methods=["post"], url_path="set-default", filter_backends=[], pagination_class=None)
    def set_default(self, request, pk=None):
        """Make this card the default (exactly one per customer); `replace_default` also removes the old one."""
        card = self.get_object()
        serializer = s.CardDefaultSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        card = services.card_set_default(card_id=card.pk, actor=request.user, **serializer.validated_data)
        return Response(s.CardSerializer(card, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: s.CardSerializer, **error_responses(403, 404, 409)})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def remove(self, request, pk=None):
        """Detach the card at Stripe; Quita keeps it (removed) as history."""
        card = self.get_object()
        card = services.card_remove(card_id=card.pk, actor=request.user)
        return Response(s.CardSerializer(card, context=self.get_serializer_context()).data)


class AutopayAttemptViewSet(ReadOnlyScopedViewSet):
    """Every automatic charge attempt (`?invoice=`, `?customer=`, `?outcome=failed`)."""

    queryset = AutopayAttempt.objects.all()
    serializer_class = s.AutopayAttemptSerializer
    filterset_class = AutopayAttemptFilterSet
    ordering_fields = ["created_at", "run_date", "id"]


class CardSetupView(APIView):
    """`POST /api/customers/{id}/payment-methods/setup/`: start adding a card (a SetupIntent for Stripe.js)."""

    @extend_schema(
        request=None,
        responses={201: s.CardSetupSerializer, **error_responses(403, 404, 409, 502)},
        tags=["payment-methods"],
        operation_id="customers_payment_methods_setup",
    )
    def post(self, request, pk: int):
        """The SetupIntent's client secret and the publishable key: the card is typed into Stripe's form."""
        customer = get_object_or_404(_customers(request), pk=pk)
        return Response(services.card_setup_start(customer_id=customer.pk, actor=request.user), status=201)


class CustomerCardsView(APIView):
    """`GET|POST /api/customers/{id}/payment-methods/`: the customer's cards; save the one Stripe.js confirmed."""

    @extend_schema(responses={200: s.CardSerializer(many=True)}, tags=["payment-methods"])
    def get(self, request, pk: int):
        """The customer's active cards, the default first."""
        customer = get_object_or_404(_customers(request), pk=pk)
        cards = PaymentMethod.objects.filter(customer=customer, status="active").select_related("entity")
        return Response(s.CardSerializer(cards, many=True, context={"request": request}).data)

    @extend_schema(
        request=s.CardSaveSerializer,
        responses={201: s.CardSerializer, **error_responses(400, 402, 403, 404, 409, 502)},
        tags=["payment-methods"],
        operation_id="customers_payment_methods_save",
    )
    def post(self, request, pk: int):
        """Record the card of a succeeded SetupIntent: only its id, brand, last 4 and expiry are kept."""
        customer = get_object_or_404(_customers(request), pk=pk)
        serializer = s.CardSaveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        card = services.card_save(customer_id=customer.pk, actor=request.user, **serializer.validated_data)
        return Response(s.CardSerializer(card, context={"request": request}).data, status=201)


class CustomerAutopayView(APIView):
    """`GET|POST /api/customers/{id}/autopay/`: whether invoices are charged to the default card on the due date."""

    @extend_schema(responses={200: s.AutopaySerializer}, tags=["payment-methods"])
    def get(self, request, pk: int):
        customer = get_object_or_404(_customers(request), pk=pk)
        enrollment = AutopayEnrollment.objects.filter(customer=customer).first()
        return Response(
            {"customer": customer.pk, "enabled": bool(enrollment and enrollment.enabled), "changed_at": None}
            if enrollment is None
            else s.AutopaySerializer(enrollment).data
        )

    @extend_schema(
        request=s.AutopaySerializer,
        responses={200: s.AutopaySerializer, **error_responses(400, 403, 404)},
        tags=["payment-methods"],
        operation_id="customers_autopay_set",
    )
    def post(self, request, pk: int):
        """Opt in (`{"enabled": true}`) or out."""
        customer = get_object_or_404(_customers(request), pk=pk)
        serializer = s.AutopaySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enrollment = services.autopay_set(
            customer_id=customer.pk, actor=request.user, enabled=serializer.validated_data.get("enabled", True)
        )
        return Response(s.AutopaySerializer(enrollment).data)


@method_decorator(csrf_exempt, name="dispatch")
class StripeWebhookView(APIView):
    """`POST /api/webhooks/stripe/`: Stripe's events, verified with the endpoint secret and applied once."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={200: None, **error_responses(400, 409)}, tags=["webhooks"])
    def post(self, request):
        """400 and nothing changes when the `Stripe-Signature` header does not verify."""
        record = services.webhook_receive(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
        return Response({"received": record.event_id, "outcome": record.outcome})


class InvoicePayView(APIView):
    """`POST /api/invoices/{id}/pay/`: pay an invoice by cash, POS, bank transfer or a saved card."""

    @extend_schema(
        request=s.InvoicePaySerializer,
        responses={201: s.PayResultSerializer, **error_responses(400, 402, 403, 404, 409, 502)},
        tags=["invoices"],
        operation_id="invoices_pay",
    )
    def post(self, request, pk: int):
        """Record a payment (`amount` defaults to the open balance) or charge a saved card (`method: card`).

        A refused card answers 402 with the decline's code and a sentence saying what to do; a card that
        needs 3-D Secure answers 201 with a pending payment the subscriber confirms in the portal.
        """
        invoice = get_object_or_404(_invoices(request), pk=pk)
        serializer = s.InvoicePaySerializer(data=request.data, context={"request": request, "view": self})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        card = data.pop("payment_method", None)
        if data["method"] == PaymentMethodKind.CARD:
            payment = services.invoice_pay_card(invoice_id=invoice.pk, actor=request.user, payment_method=card)
        else:
            payment = services.invoice_pay(invoice_id=invoice.pk, actor=request.user, **data)
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
