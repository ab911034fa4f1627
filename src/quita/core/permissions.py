"""What each role may do. Services check it, so the API, the web UI and the CLI enforce the same rules."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from quita.core.errors import PermissionDenied
from quita.core.models import Entity, Membership, Role

# Actions are verbs on the ledger; the CLI and jobs act as the system (actor=None) and may do all.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: frozenset(
        {
            "manage_entity",
            "manage_customers",
            "manage_catalog",
            "write_transactions",
            "void_transactions",
            "generate_invoices",
            "void_invoices",
            "record_payments",
            "run_billing",
            "email_invoices",
        }
    ),
    Role.MANAGER: frozenset(
        {
            "manage_customers",
            "manage_catalog",
            "write_transactions",
            "void_transactions",
            "generate_invoices",
            "void_invoices",
            "record_payments",
            "run_billing",
            "email_invoices",
        }
    ),
    Role.BILLING_CLERK: frozenset(
        {
            "manage_customers",
            "write_transactions",
            "void_transactions",
            "generate_invoices",
            "void_invoices",
            "record_payments",
            "run_billing",
            "email_invoices",
        }
    ),
    Role.COLLECTIONS_OPERATOR: frozenset({"record_payments", "email_invoices"}),
    Role.READ_ONLY: frozenset(),
}


def user_role(user, entity: Entity | int) -> str | None:
    entity_id = entity if isinstance(entity, int) else entity.pk
    return Membership.objects.filter(user=user, entity_id=entity_id).values_list("role", flat=True).first()


def user_can(user, entity: Entity | int, action: str) -> bool:
    """Whether `user` may do `action` in `entity`. None is the system (jobs, the CLI) and may do anything."""
    if user is None or getattr(user, "is_superuser", False):
        return True
    if not user.is_authenticated:
        return False
    role = user_role(user, entity)
    return role is not None and action in ROLE_ACTIONS.get(role, frozenset())


def ensure_permission(*, actor, entity: Entity | int, action: str) -> None:
    """Raise PermissionDenied unless `actor` may do `action` in `entity`."""
    if not user_can(actor, entity, action):
        raise PermissionDenied(_("Your role does not allow this action."), code="permission_denied")
