"""Roles: what each may do, enforced by the services (so the API, web UI and CLI agree), per entity."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from quita.billing import services as billing
from quita.billing.models import Invoice, Transaction
from quita.core.errors import PermissionDenied
from quita.core.models import ActivityLog, Role
from quita.core.permissions import ROLE_ACTIONS, ensure_permission, user_can, user_role
from quita.core.selectors import entities_for_user
from quita.customers import services as customers
from quita.payments import services as payments
from quita.payments.models import Payment
from tests.billing.ledger import DUE, JAN_1, JAN_5, JAN_31
from tests.conftest import make_cpf, make_user

ACTIONS = sorted(set().union(*ROLE_ACTIONS.values()))


def test_the_table_gives_administrators_everything_and_read_only_nothing():
    assert ROLE_ACTIONS[Role.ADMINISTRATOR] == frozenset(ACTIONS)
    assert ROLE_ACTIONS[Role.READ_ONLY] == frozenset()
    assert ROLE_ACTIONS[Role.COLLECTIONS_OPERATOR] == frozenset({"record_payments", "email_invoices"})
    assert set(ROLE_ACTIONS) == set(Role.values)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("action", ACTIONS)
def test_user_can_follows_the_table_in_the_users_entity_only(entity, other_entity, role, action):
    user = make_user(f"u-{role}", entity, role)
    assert user_role(user, entity) == role
    assert user_can(user, entity, action) is (action in ROLE_ACTIONS[role])
    assert user_can(user, other_entity, action) is False  # no membership there


def test_the_system_and_superusers_may_do_anything(entity):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    assert user_can(None, entity, "run_billing")
    assert user_can(root, entity, "manage_entity")
    assert not user_can(AnonymousUser(), entity, "record_payments")


def test_unknown_actions_are_refused(entity):
    admin = make_user("admin", entity, Role.ADMINISTRATOR)
    with pytest.raises(PermissionDenied) as error:
        ensure_permission(actor=admin, entity=entity, action="launch_rockets")
    assert error.value.code == "permission_denied"
    assert error.value.status == 403


def test_users_see_only_their_entities(entity, other_entity):
    user = make_user("fibra-only", entity, Role.READ_ONLY)
    assert list(entities_for_user(user)) == [entity]
    assert set(entities_for_user(None)) == {entity, other_entity}
    assert list(entities_for_user(AnonymousUser())) == []


# --- enforced by the services ------------------------------------------------------------------------------------


@pytest.fixture
def world(entity, clerk, internet_plan, clock):
    """A customer with one unbilled charge and one unpaid invoice, made by the clerk."""
    customer = customers.customer_create(
        entity=entity, actor=clerk, person_type="PF", document=make_cpf(9001), name="Ana"
    )
    charge = billing.transaction_create(
        customer=customer, actor=clerk, kind="charge", title="Setup", amount="50.00", date=JAN_5
    )
    invoice = billing.invoice_generate(customer=customer, actor=clerk, start=JAN_1, end=JAN_5, due_date=DUE)
    unbilled = billing.transaction_create(
        customer=customer, actor=clerk, kind="charge", title="January", amount="45.00", date=JAN_31
    )
    contract = customers.contract_create(customer=customer, actor=clerk, billing_day=1, due_day=10, start_date=JAN_1)
    return {
        "entity": entity,
        "customer": customer,
        "charge": charge,
        "invoice": invoice,
        "unbilled": unbilled,
        "contract": contract,
        "plan": internet_plan,
    }


OPERATIONS = {
    "customer_create": lambda w, actor: customers.customer_create(
        entity=w["entity"], actor=actor, person_type="PF", document=make_cpf(9002), name="Bia"
    ),
    "customer_update": lambda w, actor: customers.customer_update(customer=w["customer"], actor=actor, city="X"),
    "product_create": lambda w, actor: customers.product_create(
        entity=w["entity"], actor=actor, name="TV", category="tv", price="20.00"
    ),
    "contract_create": lambda w, actor: customers.contract_create(
        customer=w["customer"], actor=actor, billing_day=5, due_day=15, start_date=JAN_1
    ),
    "service_create": lambda w, actor: customers.service_create(
        contract=w["contract"], actor=actor, product=w["plan"], start_date=JAN_1
    ),
    "transaction_create": lambda w, actor: billing.transaction_create(
        customer=w["customer"], actor=actor, kind="credit", title="Discount", amount="5.00", date=JAN_31
    ),
    "transaction_void": lambda w, actor: billing.transaction_void(
        transaction_id=w["unbilled"].pk, actor=actor, reason="wrong"
    ),
    "invoice_preview": lambda w, actor: billing.invoice_preview(
        customer=w["customer"], actor=actor, start=JAN_1, end=JAN_31, due_date=DUE
    ),
    "invoice_generate": lambda w, actor: billing.invoice_generate(
        customer=w["customer"], actor=actor, start=JAN_1, end=JAN_31, due_date=DUE
    ),
    "invoice_void": lambda w, actor: billing.invoice_void(invoice_id=w["invoice"].pk, actor=actor, reason="wrong"),
    "invoice_pay": lambda w, actor: payments.invoice_pay(invoice_id=w["invoice"].pk, actor=actor, method="cash"),
    "invoices_pay": lambda w, actor: payments.invoices_pay(invoice_ids=[w["invoice"].pk], actor=actor, method="pos"),
    "billing_run_recurring": lambda w, actor: billing.billing_run_recurring(
        entity=w["entity"], actor=actor, run_date=datetime.date(2025, 2, 1)
    ),
}

# What the table in core/permissions.py allows each role among the operations above.
ALLOWED = {
    Role.ADMINISTRATOR: set(OPERATIONS),
    Role.MANAGER: set(OPERATIONS),
    Role.BILLING_CLERK: set(OPERATIONS) - {"product_create"},
    Role.COLLECTIONS_OPERATOR: {"invoice_pay", "invoices_pay"},
    Role.READ_ONLY: set(),
}


def _footprint():
    return (
        ActivityLog.objects.count(),
        Transaction.objects.count(),
        Invoice.objects.count(),
        Payment.objects.count(),
        list(Transaction.objects.order_by("pk").values_list("is_void", "invoice_id")),
        list(Invoice.objects.order_by("pk").values_list("status", "amount_paid")),
    )


def _cases():
    for role in Role.values:
        for name in OPERATIONS:
            yield pytest.param(role, name, name in ALLOWED[role], id=f"{role}-{name}")


@pytest.mark.parametrize(("role", "operation", "allowed"), list(_cases()))
def test_services_enforce_the_role_table(world, role, operation, allowed):
    actor = make_user(f"user-{role}", world["entity"], role)
    if allowed:
        OPERATIONS[operation](world, actor)
        return
    before = _footprint()
    with pytest.raises(PermissionDenied) as error:
        OPERATIONS[operation](world, actor)
    assert error.value.code == "permission_denied"
    assert _footprint() == before


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_an_administrator_of_another_entity_is_refused_everything(world, other_entity, operation):
    outsider = make_user("outsider", other_entity, Role.ADMINISTRATOR)
    before = _footprint()
    with pytest.raises(PermissionDenied):
        OPERATIONS[operation](world, outsider)
    assert _footprint() == before


def test_a_user_without_any_membership_is_refused(world):
    nobody = make_user("nobody")
    with pytest.raises(PermissionDenied):
        OPERATIONS["transaction_create"](world, nobody)


@pytest.mark.parametrize("state", ["paid", "void"])
def test_an_outsider_learns_nothing_about_the_state_of_an_invoice(world, other_entity, state):
    """A user of another entity is refused before the invoice's state is looked at (403, not 409)."""
    clerk = world["invoice"].created_by
    if state == "paid":
        payments.invoice_pay(invoice_id=world["invoice"].pk, actor=clerk, method="cash")
    else:
        billing.invoice_void(invoice_id=world["invoice"].pk, actor=clerk, reason="wrong")
    outsider = make_user("outsider", other_entity, Role.ADMINISTRATOR)
    for operation in ("invoice_pay", "invoices_pay", "invoice_void"):
        with pytest.raises(PermissionDenied):
            OPERATIONS[operation](world, outsider)
