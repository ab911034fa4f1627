"""Products, contracts and services (contract lines): prices, days, dates and categories."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from quita.core.errors import ValidationFailed
from quita.core.models import ActivityAction, ActivityLog
from quita.customers import services
from quita.customers.models import Category, ContractStatus, Product

JAN_1 = datetime.date(2025, 1, 1)


# --- products ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "stored"),
    [("45.00", "45.00"), ("99.9", "99.90"), (45, "45.00"), ("0.00", "0.00")],
    ids=["string", "one-decimal", "int", "free"],
)
def test_product_keeps_its_recurring_price(entity, categories, price, stored):
    product = services.product_create(entity=entity, actor=None, name="Fibra", category="internet", price=price)
    product.refresh_from_db()
    assert product.price == Decimal(stored)
    assert product.category == categories["internet"]
    assert product.is_active


@pytest.mark.parametrize(
    ("price", "category", "code"),
    [
        ("-0.01", "internet", "negative_price"),
        ("-45.00", "internet", "negative_price"),
        (45.0, "internet", "amount_is_float"),
        ("45.001", "internet", "amount_too_many_decimals"),
        ("cheap", "internet", "amount_invalid"),
        ("1000000000000.00", "internet", "amount_too_large"),
        ("9" * 30, "internet", "amount_too_large"),
        ("45.00", "satellite", "unknown_category"),
        ("45.00", 999_999, "unknown_category"),
    ],
    ids=[
        "negative-centavo",
        "negative",
        "float",
        "three-decimals",
        "not-a-number",
        "beyond-the-column",
        "beyond-decimal-precision",
        "unknown-code",
        "unknown-id",
    ],
)
def test_product_refuses_bad_input(entity, categories, price, category, code):
    with pytest.raises(ValidationFailed) as error:
        services.product_create(entity=entity, actor=None, name="Fibra", category=category, price=price)
    assert error.value.code == code
    assert not Product.objects.exists()


def test_categories_are_data(entity, db):
    satellite = Category.objects.create(code="satellite", name="Satellite")
    product = services.product_create(entity=entity, actor=None, name="Sky", category="satellite", price="80.00")
    assert product.category == satellite
    assert {"internet", "mobile", "tv", "other"} <= set(Category.objects.values_list("code", flat=True))


# --- contracts --------------------------------------------------------------------------------------------------


@pytest.fixture
def customer(make_customer):
    return make_customer()


def contract(customer, actor=None, **fields):
    data = {"billing_day": 1, "due_day": 10, "start_date": JAN_1, **fields}
    return services.contract_create(customer=customer, actor=actor, **data)


@pytest.mark.parametrize("day", [1, 15, 28, 29, 30, 31], ids=lambda d: f"day-{d}")
def test_contract_days_from_1_to_31(customer, day):
    created = contract(customer, billing_day=day, due_day=day)
    created.refresh_from_db()
    assert (created.billing_day, created.due_day) == (day, day)
    assert created.status == ContractStatus.ACTIVE
    assert created.entity_id == customer.entity_id


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"billing_day": 0}, "invalid_day"),
        ({"billing_day": 32}, "invalid_day"),
        ({"billing_day": "5"}, "invalid_day"),
        ({"due_day": 0}, "invalid_day"),
        ({"due_day": 32}, "invalid_day"),
        ({"end_date": datetime.date(2024, 12, 31)}, "end_before_start"),
        ({"status": "frozen"}, "invalid_status"),
    ],
    ids=[
        "billing-day-0",
        "billing-day-32",
        "billing-day-text",
        "due-day-0",
        "due-day-32",
        "end-before-start",
        "unknown-status",
    ],
)
def test_contract_refuses_bad_input(customer, fields, code):
    logs_before = ActivityLog.objects.count()
    with pytest.raises(ValidationFailed) as error:
        contract(customer, **fields)
    assert error.value.code == code
    assert not customer.contracts.exists()
    assert ActivityLog.objects.count() == logs_before


def test_contract_may_end_on_its_start_day(customer):
    assert contract(customer, end_date=JAN_1).end_date == JAN_1


def test_contract_update_checks_the_same_rules_and_logs(customer, clerk):
    created = contract(customer)
    with pytest.raises(ValidationFailed) as error:
        services.contract_update(contract=created, actor=clerk, due_day=40)
    assert error.value.code == "invalid_day"
    with pytest.raises(ValidationFailed) as error:
        services.contract_update(contract=created, actor=clerk, end_date=datetime.date(2024, 6, 1))
    assert error.value.code == "end_before_start"
    created.refresh_from_db()
    assert created.due_day == 10 and created.end_date is None
    services.contract_update(contract=created, actor=clerk, status=ContractStatus.SUSPENDED_DEBT, due_day=20)
    created.refresh_from_db()
    assert (created.status, created.due_day) == (ContractStatus.SUSPENDED_DEBT, 20)
    log = ActivityLog.objects.get(action=ActivityAction.UPDATE)
    assert (log.before["due_day"], log.after["due_day"]) == (10, 20)
    assert log.after["status"] == "suspended_debt"


# --- services (contract lines) ---------------------------------------------------------------------------------


def test_service_takes_price_and_category_from_the_product(customer, internet_plan):
    line = services.service_create(contract=contract(customer), actor=None, product=internet_plan, start_date=JAN_1)
    assert line.price == Decimal("45.00")
    assert line.category == internet_plan.category


def test_service_may_have_its_own_price_and_category(customer, internet_plan, categories):
    line = services.service_create(
        contract=contract(customer),
        actor=None,
        product=internet_plan,
        start_date=JAN_1,
        price="39.90",
        category="tv",
    )
    assert line.price == Decimal("39.90")
    assert line.category == categories["tv"]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"price": "-1.00"}, "negative_price"),
        ({"price": 39.9}, "amount_is_float"),
        ({"category": "satellite"}, "unknown_category"),
        ({"end_date": datetime.date(2024, 12, 31)}, "end_before_start"),
    ],
    ids=["negative-price", "float-price", "unknown-category", "end-before-start"],
)
def test_service_refuses_bad_input(customer, internet_plan, fields, code):
    line_contract = contract(customer)
    with pytest.raises(ValidationFailed) as error:
        services.service_create(contract=line_contract, actor=None, product=internet_plan, start_date=JAN_1, **fields)
    assert error.value.code == code
    assert not line_contract.services.exists()


def test_service_with_a_product_of_another_entity_is_refused(customer, other_entity, categories):
    foreign = services.product_create(
        entity=other_entity, actor=None, name="Rede 100", category="internet", price="50.00"
    )
    with pytest.raises(ValidationFailed) as error:
        services.service_create(contract=contract(customer), actor=None, product=foreign, start_date=JAN_1)
    assert error.value.code == "product_other_entity"


def test_service_update_keeps_the_rules_and_logs(customer, internet_plan, clerk):
    line = services.service_create(contract=contract(customer), actor=None, product=internet_plan, start_date=JAN_1)
    with pytest.raises(ValidationFailed) as error:
        services.service_update(service=line, actor=clerk, price="-5.00")
    assert error.value.code == "negative_price"
    with pytest.raises(ValidationFailed) as error:
        services.service_update(service=line, actor=clerk, end_date=datetime.date(2024, 1, 1))
    assert error.value.code == "end_before_start"
    services.service_update(service=line, actor=clerk, price="49.90", end_date=datetime.date(2025, 6, 30))
    line.refresh_from_db()
    assert (line.price, line.end_date) == (Decimal("49.90"), datetime.date(2025, 6, 30))
    log = ActivityLog.objects.get(action=ActivityAction.UPDATE)
    assert (log.before["price"], log.after["price"]) == ("45.00", "49.90")
    assert log.customer_id == customer.pk


# --- text longer than its column ------------------------------------------------------------------------------
# PostgreSQL refuses such text with a database error half-way through the service (SQLite would keep it):
# the services refuse it first, with the API's code `max_length`.


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        ("product_create", "name"),
        ("contract_create", "description"),
        ("contract_update", "description"),
        ("service_create", "description"),
        ("service_update", "description"),
    ],
)
def test_text_longer_than_its_column_is_refused(customer, internet_plan, entity, operation, field):
    line_contract = contract(customer)
    line = services.service_create(contract=line_contract, actor=None, product=internet_plan, start_date=JAN_1)
    too_long = "x" * 201
    calls = {
        "product_create": lambda: services.product_create(
            entity=entity, actor=None, name=too_long, category="internet", price="1.00"
        ),
        "contract_create": lambda: contract(customer, description=too_long),
        "contract_update": lambda: services.contract_update(contract=line_contract, actor=None, description=too_long),
        "service_create": lambda: services.service_create(
            contract=line_contract, actor=None, product=internet_plan, start_date=JAN_1, description=too_long
        ),
        "service_update": lambda: services.service_update(service=line, actor=None, description=too_long),
    }
    logs_before = ActivityLog.objects.count()
    with pytest.raises(ValidationFailed) as error:
        calls[operation]()
    assert error.value.code == "max_length"
    assert list(error.value.fields) == [field]
    assert ActivityLog.objects.count() == logs_before
