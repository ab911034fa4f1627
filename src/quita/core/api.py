"""API plumbing shared by every app: the error format and base classes."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from quita.core.errors import DomainError


def _codes_of(detail) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _codes_of(value)
    if isinstance(detail, list) and detail:
        return _codes_of(detail[0])
    return getattr(detail, "code", None) or "invalid"


def exception_handler(exc, context):
    """Every error as JSON `{"code", "detail", "fields"}` with a 4xx status and a stable code."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        return Response({"code": "not_found", "detail": "Not found.", "fields": {}}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        messages = {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in fields.items()}
        response.data = {"code": _codes_of(exc.detail), "detail": "Invalid input.", "fields": messages}
    else:
        detail = exc.detail if hasattr(exc, "detail") else str(exc)
        response.data = {"code": getattr(detail, "code", None) or exc.default_code, "detail": str(detail), "fields": {}}
    return response
