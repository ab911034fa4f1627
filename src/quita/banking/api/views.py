"""Banking API: wallets, boletos, PIX charges, remittances, bank return uploads and the needs-attention list."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from quita.banking import services
from quita.banking.api import serializers as s
from quita.banking.models import AttentionItem, Boleto, PixCharge, Remittance, ReturnFile, Wallet
from quita.core.api import EntityScopedMixin, ServiceBackedViewSet, error_responses


def _validated(serializer_class, request, view) -> dict:
    serializer = serializer_class(data=request.data, context=view.get_serializer_context())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    create=extend_schema(
        request=s.WalletWriteSerializer, responses={201: s.WalletSerializer, **error_responses(400, 403, 404)}
    ),
    update=extend_schema(
        request=s.WalletUpdateSerializer, responses={200: s.WalletSerializer, **error_responses(400, 403, 404, 409)}
    ),
    partial_update=extend_schema(
        request=s.WalletUpdateSerializer, responses={200: s.WalletSerializer, **error_responses(400, 403, 404, 409)}
    ),
)
class WalletViewSet(ServiceBackedViewSet):
    """Wallets (carteiras de cobrança): bank, agreement, nosso número sequence, fine, interest, PIX key, layout."""

    queryset = Wallet.objects.all()
    serializer_class = s.WalletSerializer
    create_serializer_class = s.WalletWriteSerializer
    update_serializer_class = s.WalletUpdateSerializer
    filterset_fields = ["kind", "bank", "is_active", "entity"]
    search_fields = ["name", "beneficiary_code"]
    ordering_fields = ["id", "name", "bank"]

    def perform_service_create(self, data: dict) -> Wallet:
        entity = data.pop("entity")
        return services.wallet_create(entity=entity, actor=self.request.user, **data)

    def perform_service_update(self, instance: Wallet, data: dict) -> Wallet:
        return services.wallet_update(wallet=instance, actor=self.request.user, **data)


class BoletoViewSet(EntityScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Boletos. POST issues one for an invoice from a bank wallet (the open one is returned if it exists)."""

    queryset = Boleto.objects.select_related("wallet", "invoice")
    serializer_class = s.BoletoSerializer
    filterset_fields = ["status", "wallet", "invoice", "customer", "entity"]
    ordering_fields = ["id", "due_date", "created_at"]

    @extend_schema(
        request=s.BoletoCreateSerializer, responses={201: s.BoletoSerializer, **error_responses(400, 403, 404, 409)}
    )
    def create(self, request, *args, **kwargs):
        """Issue (or return the open) boleto of an invoice from a bank wallet."""
        data = _validated(s.BoletoCreateSerializer, request, self)
        boleto = services.boleto_issue(invoice_id=data["invoice"].pk, wallet_id=data["wallet"].pk, actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=boleto.pk)).data, status=201)

    @extend_schema(
        request=s.DueDateSerializer, responses={200: s.BoletoSerializer, **error_responses(400, 403, 404, 409)}
    )
    @action(detail=True, methods=["post"], url_path="change-due-date")
    def change_due_date(self, request, pk=None):
        """Move the due date: a new barcode, and a change instruction in the next remittance."""
        boleto = self.get_object()
        data = _validated(s.DueDateSerializer, request, self)
        services.boleto_change_due_date(boleto_id=boleto.pk, due_date=data["due_date"], actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=boleto.pk)).data)

    @extend_schema(
        request=s.CancelSerializer, responses={200: s.BoletoSerializer, **error_responses(400, 403, 404, 409)}
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the boleto by hand (pedido de baixa) with a reason; a boleto the bank has gets the cancellation
        instruction in the next remittance. The invoice stays unpaid. With `notify` (default true) the subscriber is
        e-mailed after the commit that the boleto must not be paid."""
        boleto = self.get_object()
        data = _validated(s.CancelSerializer, request, self)
        services.boleto_cancel(boleto_id=boleto.pk, actor=request.user, reason=data["reason"], notify=data["notify"])
        return Response(self.get_serializer(self.get_queryset().get(pk=boleto.pk)).data)

    @extend_schema(responses={(200, "text/html"): str})
    @action(detail=True, methods=["get"])
    def printable(self, request, pk=None):
        """The printable boleto (HTML) with its ITF barcode and the PIX QR code of the wallet's key."""
        from quita.banking.printing import boleto_html

        return HttpResponse(boleto_html(self.get_object(), request=request))


class PixChargeViewSet(EntityScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """PIX charges of invoices (static BR Codes and cobv at the PSP)."""

    queryset = PixCharge.objects.all()
    serializer_class = s.PixChargeSerializer
    filterset_fields = ["status", "invoice", "kind", "entity"]

    @extend_schema(
        request=s.PixChargeCreateSerializer,
        responses={201: s.PixChargeSerializer, **error_responses(400, 403, 404, 409)},
    )
    def create(self, request, *args, **kwargs):
        """Create (or return the active) PIX charge of an invoice."""
        data = _validated(s.PixChargeCreateSerializer, request, self)
        charge = services.pix_charge_create(
            invoice_id=data["invoice"].pk, wallet_id=data["wallet"].pk, actor=request.user
        )
        return Response(self.get_serializer(charge).data, status=201)


class RemittanceViewSet(EntityScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Remittance files (remessa). POST writes the next one for a wallet; `/file/` downloads it."""

    queryset = Remittance.objects.all()
    serializer_class = s.RemittanceSerializer
    filterset_fields = ["wallet", "entity"]

    @extend_schema(
        request=s.RemittanceCreateSerializer,
        responses={201: s.RemittanceSerializer, **error_responses(400, 403, 404, 409)},
    )
    def create(self, request, *args, **kwargs):
        """Write the wallet's next remittance: new boletos, changes and cancellations."""
        data = _validated(s.RemittanceCreateSerializer, request, self)
        remittance = services.remittance_create(wallet_id=data["wallet"].pk, actor=request.user)
        return Response(self.get_serializer(remittance).data, status=201)

    @extend_schema(responses={(200, "text/plain"): str})
    @action(detail=True, methods=["get"])
    def file(self, request, pk=None):
        """The remittance file as the bank wants it (CRLF line ends)."""
        from quita.banking.web_files import remittance_download

        return remittance_download(self.get_object())


class ReturnFileViewSet(EntityScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Bank return files (retorno). POST multipart `file` imports one; the same file twice changes nothing."""

    queryset = ReturnFile.objects.all()
    serializer_class = s.ReturnFileSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["bank", "wallet", "entity"]
    filter_backends = [OrderingFilter]

    @extend_schema(
        request={"multipart/form-data": s.ReturnFileUploadSerializer},
        responses={201: s.ReturnFileSerializer, 200: s.ReturnFileSerializer, **error_responses(400, 403, 404)},
    )
    def create(self, request, *args, **kwargs):
        """Import a return file: 201 with the counts, or 200 with the earlier import when it is the same file."""
        data = _validated(s.ReturnFileUploadSerializer, request, self)
        upload = data["file"]
        result = services.return_import(
            entity_id=data["entity"].pk, content=upload.read(), filename=upload.name, actor=request.user
        )
        return Response(self.get_serializer(result.return_file).data, status=201 if result.created else 200)

    @extend_schema(responses={200: s.ReturnRecordSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def records(self, request, pk=None):
        """The file's records as applied."""
        return_file = self.get_object()
        return Response(s.ReturnRecordSerializer(return_file.records.all(), many=True).data)


class AttentionViewSet(EntityScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Needs attention: money from the bank or PIX that was kept but could not be applied by itself."""

    queryset = AttentionItem.objects.all()
    serializer_class = s.AttentionItemSerializer
    filterset_fields = ["reason", "entity"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.query_params.get("open") in ("1", "true"):
            queryset = queryset.filter(resolved_at__isnull=True)
        return queryset

    @extend_schema(
        request=s.ResolveSerializer, responses={200: s.AttentionItemSerializer, **error_responses(400, 403, 404, 409)}
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Mark the item dealt with, saying how."""
        item = self.get_object()
        data = _validated(s.ResolveSerializer, request, self)
        item = services.attention_resolve(item_id=item.pk, actor=request.user, resolution=data["resolution"])
        return Response(self.get_serializer(item).data)

    @extend_schema(
        request=s.AttentionApplySerializer,
        responses={200: s.AttentionItemSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Apply the item's money to an open invoice (a payment by boleto or PIX); the item is resolved."""
        item = self.get_object()
        data = _validated(s.AttentionApplySerializer, request, self)
        item = services.attention_apply(item_id=item.pk, invoice_id=data["invoice"].pk, actor=request.user)
        return Response(self.get_serializer(item).data)

    @extend_schema(
        request=s.AttentionCreditSerializer,
        responses={201: s.AttentionItemSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def credit(self, request, pk=None):
        """Credit the item's money to a customer's account (an unbilled ledger credit the next invoice consumes), when
        there is no open invoice to apply it to; the item is resolved and points at the credit."""
        item = self.get_object()
        data = _validated(s.AttentionCreditSerializer, request, self)
        item = services.attention_credit(item_id=item.pk, customer_id=data["customer"].pk, actor=request.user)
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)


class PixWebhookView(APIView):
    """The PSP's webhook of received PIX (`POST …/pix` per the API Pix). The URL carries the entity's secret token
    (`quita.banking.services.pix_webhook_token`); each PIX applies once, by its end-to-end id."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={200: None, 400: None, 404: None})
    def post(self, request, entity_id: int, token: str):
        import hmac

        from quita.banking.pix.provider import PixProviderError, parse_webhook

        if not hmac.compare_digest(token, services.pix_webhook_token(entity_id)):
            return Response({"code": "not_found", "detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        try:
            received = parse_webhook(request.body)
        except PixProviderError as error:
            return Response({"code": "pix_webhook_invalid", "detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        for pix in received:
            services.pix_received(
                entity_id=entity_id,
                end_to_end_id=pix.end_to_end_id,
                txid=pix.txid,
                amount=pix.amount,
                paid_at=pix.paid_at,
                payer=pix.payer,
                raw=pix.raw,
            )
        return Response({"received": len(received)})
