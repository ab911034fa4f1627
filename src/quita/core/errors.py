"""Domain errors: every expected failure has a stable, documented code (see docs/errors.md)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule refused an operation. `code` is stable; `detail` is for people (translated)."""

    status = 400
    code = "invalid"
    default_detail = _("The request is not valid.")

    def __init__(self, detail=None, *, code: str | None = None, fields: dict | None = None):
        self.detail = detail if detail is not None else self.default_detail
        if code:
            self.code = code
        self.fields = fields or {}
        super().__init__(str(self.detail))

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "detail": str(self.detail),
            "fields": {k: [str(m) for m in v] if isinstance(v, list) else str(v) for k, v in self.fields.items()},
        }


class ValidationFailed(DomainError):
    """Input that breaks a field rule (bad CPF, negative price, three decimals...)."""


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_detail = _("Not found.")


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    default_detail = _("You do not have permission to do this.")


class Conflict(DomainError):
    """The object is in a state that forbids the operation (paid, void, already billed...)."""

    status = 409
    code = "conflict"
