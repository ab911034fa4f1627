"""API plumbing shared by every app: the error format, money and date fields, entity scoping, base views.

Also the core app's own collections: `/api/entities/` and `/api/activity/`.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from quita.core.errors import DomainError, NotFound
from quita.core.filtersets import ActivityFilterSet
from quita.core.models import ActivityLog, Entity
from quita.core.money import INPUT_ERROR_CODES, parse_money
from quita.core.selectors import entities_for_user

# ---------------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------------


def _first_code(detail) -> str:
    """The code of the first error in a (possibly nested) DRF error detail."""
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_code(value)
    if isinstance(detail, list) and detail:
        return _first_code(detail[0])
    return getattr(detail, "code", None) or "invalid"


def _messages(detail) -> list[str]:
    """Every message in a (possibly nested) DRF error detail, flattened to a list of strings."""
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _messages(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _messages(value)]
    return [str(detail)]


def exception_handler(exc, context):
    """Every error as JSON `{"code", "detail", "fields"}` with a 4xx status and a stable code (docs/errors.md)."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        return Response(
            {"code": "not_found", "detail": str(_("Not found.")), "fields": {}}, status=status.HTTP_404_NOT_FOUND
        )
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        messages = {key: _messages(value) for key, value in fields.items()}
        first = next((m for ms in messages.values() for m in ms), str(_("Invalid input.")))
        response.data = {"code": _first_code(exc.detail), "detail": first, "fields": messages}
    else:
        detail = exc.detail if hasattr(exc, "detail") else str(exc)
        response.data = {"code": getattr(detail, "code", None) or exc.default_code, "detail": str(detail), "fields": {}}
    return response


def page_not_found(request, exception):
    """Django's 404 for a URL no view matches (e.g. `/api/invoices/abc/`): JSON under /api/, HTML elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": str(_("Not found.")), "fields": {}}, status=404)
    return defaults.page_not_found(request, exception)


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer."""

    code = serializers.CharField(help_text=_("Stable error code (see docs/errors.md)."))
    detail = serializers.CharField(help_text=_("Message for people, translated."))
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text=_("Messages per input field.")
    )


def reraise_as_field_error(error: DomainError) -> serializers.ValidationError:
    """A service's validation error as a serializer field error, keeping its code."""
    return serializers.ValidationError(str(error.detail), code=error.code)


# ---------------------------------------------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------------------------------------------

MONEY_SCHEMA = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^-?\d{1,12}(\.\d{1,2})?$",
    "example": "95.00",
    "description": "Amount in reais as a string with at most two decimals. JSON numbers with a fraction are refused.",
}


@extend_schema_field(MONEY_SCHEMA)
class MoneyField(serializers.Field):
    """An amount of money: read back as a string with two decimals ("95.00").

    Written as a string ("95.00", "95.5", "95") or a JSON integer (95); a JSON number with a fraction
    (95.5) is refused with `amount_is_float`, because a float may already have lost centavos before
    Quita sees it. `sign` picks the rule: "positive" (> 0, `amount_not_positive`), "not_negative"
    (≥ 0, `negative_price`) or None (any sign).
    """

    default_error_messages = {
        "amount_is_float": _('Send the amount as a string ("95.00"), not as a floating-point number.'),
        "amount_too_many_decimals": _("The amount has more than two decimals."),
        "amount_invalid": _("The amount is not a number."),
        "amount_too_large": _("The amount is too large."),
        "amount_not_positive": _("The amount must be greater than zero."),
        "negative_price": _("The price cannot be negative."),
    }

    def __init__(self, *, sign: str | None = None, **kwargs):
        if sign not in (None, "positive", "not_negative"):
            raise ValueError(f"unknown sign rule {sign!r}")
        self.sign = sign
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, str | int | float | Decimal):
            self.fail("amount_invalid")
        try:
            amount = parse_money(data.strip() if isinstance(data, str) else data)
        except ValueError as error:
            self.fail(INPUT_ERROR_CODES.get(str(error), "amount_invalid"))
        if self.sign == "positive" and amount <= 0:
            self.fail("amount_not_positive")
        if self.sign == "not_negative" and amount < 0:
            self.fail("negative_price")
        return amount

    def to_representation(self, value) -> str:
        return f"{value:.2f}"


class DateField(serializers.DateField):
    """An ISO date (`2025-01-31`); anything else is refused with the code `invalid_date`."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except serializers.ValidationError as error:
            raise serializers.ValidationError(str(error.detail[0]), code="invalid_date") from None


class CodedChoiceField(serializers.ChoiceField):
    """A choice whose invalid values are refused with a specific code (e.g. `invalid_kind`)."""

    def __init__(self, *args, invalid_code: str, **kwargs):
        self.invalid_code = invalid_code
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            raise serializers.ValidationError(str(error.detail[0]), code=self.invalid_code) from None


class DefaultEntityMixin:
    """For serializers with an optional `entity` field: a user of a single entity may leave it out."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "entity" in self.fields and attrs.get("entity") is None and not self.partial:
            ids = visible_entity_ids(self.context["request"])
            if len(ids) != 1:
                raise serializers.ValidationError(
                    {"entity": [serializers.ErrorDetail(str(_("Choose the entity.")), code="required")]}
                )
            attrs["entity"] = Entity.objects.get(pk=ids[0])
        return attrs


def error_responses(*statuses: int) -> dict:
    """OpenAPI answers for the given error statuses, all with the `{code, detail, fields}` body."""
    return {code: ErrorSerializer for code in statuses}


def visible_entity_ids(request) -> list[int]:
    """The ids of the entities the request's user may see (their memberships), computed once per request."""
    cached = getattr(request, "_quita_entity_ids", None)
    if cached is None:
        cached = list(entities_for_user(request.user).order_by().values_list("pk", flat=True))
        request._quita_entity_ids = cached
    return cached


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id to an object of one of the user's entities.

    An unknown id and another entity's id are the same answer: 404 `not_found`, naming the field.
    `entity_path` is the lookup from the model to its entity (e.g. `contract__entity` for a service).
    """

    def __init__(self, *, entity_path: str = "entity", **kwargs):
        self.entity_path = entity_path
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return queryset.filter(**{f"{self.entity_path}__in": visible_entity_ids(request)})

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if error.detail[0].code != "does_not_exist":
                raise
            # In a list of ids (many=True) the name is the list's.
            name = self.field_name or getattr(self.parent, "field_name", "") or "id"
            raise NotFound(
                _("%(field)s %(id)s not found.") % {"field": name, "id": data}, fields={name: [_("Not found.")]}
            ) from None


# ---------------------------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------------------------


class EntityScopedMixin:
    """Limit a view's queryset to the entities of the user's memberships: anything else is a 404."""

    entity_path = "entity"
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.filter(**{f"{self.entity_path}__in": visible_entity_ids(self.request)})


class ReadOnlyScopedViewSet(EntityScopedMixin, viewsets.ReadOnlyModelViewSet):
    """A read-only collection (list and detail) scoped to the user's entities."""

    filter_backends = [DjangoFilterBackend, OrderingFilter]


class ServiceBackedViewSet(
    EntityScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """A collection whose writes go through services, never through `serializer.save()`.

    `create_serializer_class` and `update_serializer_class` validate the input; `perform_service_create`
    and `perform_service_update` call the app's service with `actor=request.user`; the answer is
    rendered with `serializer_class`. There is no DELETE: deactivate instead.
    """

    filter_backends = [DjangoFilterBackend, SearchFilter, OrderingFilter]
    create_serializer_class: type[serializers.Serializer]
    update_serializer_class: type[serializers.Serializer]

    def perform_service_create(self, data: dict):
        raise NotImplementedError

    def perform_service_update(self, instance, data: dict):
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        """Validate the input and create the object through its service."""
        write = self.create_serializer_class(data=request.data, context=self.get_serializer_context())
        write.is_valid(raise_exception=True)
        instance = self.perform_service_create(write.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=instance.pk)).data, status=201)

    def update(self, request, *args, partial: bool = False, **kwargs):
        """Validate the input and change the object through its service (PUT: every field; PATCH: some)."""
        instance = self.get_object()
        write = self.update_serializer_class(data=request.data, partial=partial, context=self.get_serializer_context())
        write.is_valid(raise_exception=True)
        instance = self.perform_service_update(instance, write.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=instance.pk)).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)


class InvalidCredentialsTokenSerializer(AuthTokenSerializer):
    """DRF's username/password check, with the stable code `invalid_credentials` when it fails."""

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except serializers.ValidationError as error:
            raise serializers.ValidationError(str(error.detail[0]), code="invalid_credentials") from None


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenView(ObtainAuthToken):
    """`POST /api/token/` with username and password → `{"token": "..."}`; send it as `Authorization: Token <token>`."""

    serializer_class = InvalidCredentialsTokenSerializer

    @extend_schema(
        request=InvalidCredentialsTokenSerializer,
        responses={200: TokenResponseSerializer, 400: ErrorSerializer},
        auth=[],
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# Entities and the activity log
# ---------------------------------------------------------------------------------------------------------------


class EntitySerializer(serializers.ModelSerializer):
    """A billing company the user belongs to."""

    class Meta:
        model = Entity
        fields = ["id", "name", "legal_name", "cnpj", "time_zone", "invoice_prefix", "is_active", "created_at"]
        read_only_fields = fields


class EntityViewSet(EntityScopedMixin, viewsets.ReadOnlyModelViewSet):
    """The entities of the user's memberships (read-only; entities are set up in the admin)."""

    entity_path = "pk"
    queryset = Entity.objects.all()
    serializer_class = EntitySerializer
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["name", "legal_name", "cnpj"]
    ordering_fields = ["name", "id"]


class ActivitySerializer(serializers.ModelSerializer):
    """One row of the activity log: who did what to which object, with the values before and after."""

    actor_username = serializers.CharField(source="actor.username", read_only=True, default=None, allow_null=True)
    object_type = serializers.SerializerMethodField(
        help_text=_("`app_label.model` of the object, e.g. billing.invoice.")
    )
    customer = serializers.IntegerField(source="customer_id", read_only=True, allow_null=True)

    class Meta:
        model = ActivityLog
        fields = [
            "id",
            "entity",
            "created_at",
            "actor",
            "actor_username",
            "action",
            "object_type",
            "object_id",
            "customer",
            "summary",
            "before",
            "after",
        ]
        read_only_fields = fields

    def get_object_type(self, row: ActivityLog) -> str:
        return f"{row.content_type.app_label}.{row.content_type.model}"


class ActivityViewSet(ReadOnlyScopedViewSet):
    """The activity log, newest first: `?customer=` for one customer, `?invoice=` for one invoice."""

    queryset = ActivityLog.objects.select_related("content_type", "actor")
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilterSet
    ordering_fields = ["created_at", "id"]
