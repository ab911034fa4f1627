"""Shared fixtures: an entity, a clerk, customers with contracts, and builders for ledger lines."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from quita.core.models import Entity, Membership, Role
from quita.customers import services as customer_services
from quita.customers.models import Category

_documents = itertools.count(1)


def make_cpf(seed: int) -> str:
    """A valid CPF built from a number (check digits computed with python-stdnum)."""
    from stdnum.br import cpf

    digits = [int(d) for d in f"{(seed * 7919 + 100000000) % 1000000000:09d}"]
    for length in (9, 10):
        total = sum(d * w for d, w in zip(digits, range(length + 1, 1, -1), strict=True))
        digits.append(total * 10 % 11 % 10)
    number = "".join(map(str, digits))
    assert cpf.is_valid(number), number
    return number


def make_cnpj(seed: int) -> str:
    from stdnum.br import cnpj

    base = f"{(seed * 7919 + 10000000) % 100000000:08d}0001"
    return base + cnpj.calc_check_digits(base)


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language (pt-BR), as each request and each `quita` job does: the test
    client's LocaleMiddleware leaves the last request's language active in the thread, and a later test's job
    would otherwise write its messages in English."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def entity(db) -> Entity:
    return Entity.objects.create(
        name="Fibra Sul",
        legal_name="Fibra Sul Telecom Ltda",
        cnpj=make_cnpj(1),
        time_zone="America/Sao_Paulo",
        invoice_prefix="INV",
    )


@pytest.fixture
def other_entity(db) -> Entity:
    return Entity.objects.create(
        name="Rede Norte",
        legal_name="Rede Norte Internet SA",
        cnpj=make_cnpj(2),
        time_zone="America/Manaus",
        invoice_prefix="RN",
    )


def make_user(username: str, entity: Entity | None = None, role: str = Role.BILLING_CLERK):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username)
    if entity is not None:
        Membership.objects.create(user=user, entity=entity, role=role)
    return user


@pytest.fixture
def clerk(entity):
    return make_user("clerk", entity, Role.BILLING_CLERK)


@pytest.fixture
def categories(db) -> dict[str, Category]:
    return {c.code: c for c in Category.objects.all()}


@pytest.fixture
def make_customer(entity, clerk):
    def build(name: str = "Maria Silva", target: Entity | None = None, actor=None, **fields):
        target = target or entity
        return customer_services.customer_create(
            entity=target,
            actor=actor,
            person_type="PF",
            document=make_cpf(next(_documents)),
            name=name,
            emails=["maria@example.com"],
            city="Porto Alegre",
            **fields,
        )

    return build


@pytest.fixture
def internet_plan(entity, categories):
    return customer_services.product_create(
        entity=entity, actor=None, name="Fibra 300 Mega", category=categories["internet"], price=Decimal("45.00")
    )


@pytest.fixture
def make_service(internet_plan):
    def build(
        customer, *, billing_day=1, due_day=15, start=datetime.date(2025, 1, 1), end=None, price=None, product=None
    ):
        contract = customer_services.contract_create(
            customer=customer, actor=None, billing_day=billing_day, due_day=due_day, start_date=start
        )
        return customer_services.service_create(
            contract=contract, actor=None, product=product or internet_plan, start_date=start, end_date=end, price=price
        )

    return build
