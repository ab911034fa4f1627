"""State changes for customers, products, contracts and services. One transaction each, logged."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from quita.core.activity import activity_record, snapshot
from quita.core.errors import Conflict, ValidationFailed
from quita.core.models import ActivityAction, Entity
from quita.core.money import money_input
from quita.core.permissions import ensure_permission
from quita.customers.models import (
    Category,
    Contract,
    ContractStatus,
    Customer,
    PersonType,
    Product,
    Service,
    validate_document,
)

CUSTOMER_FIELDS = [
    "person_type",
    "document",
    "name",
    "trade_name",
    "emails",
    "phones",
    "street",
    "number",
    "complement",
    "district",
    "city",
    "state",
    "postal_code",
    "condominium",
    "is_active",
]


def _price(value, field: str = "price") -> Decimal:
    return money_input(value, field=field, sign="not_negative")


def category_get(value: Category | str | int | None) -> Category | None:
    """A category by instance, code or id; unknown → ValidationFailed(unknown_category)."""
    if value is None or value == "":
        return None
    if isinstance(value, Category):
        return value
    lookup = {"pk": int(value)} if str(value).isdigit() else {"code": str(value)}
    try:
        return Category.objects.get(**lookup)
    except Category.DoesNotExist:
        raise ValidationFailed(
            _("Unknown category."), code="unknown_category", fields={"category": [_("Unknown category.")]}
        ) from None


def text_fits(model, **values) -> None:
    """Refuse text longer than its column (`max_length`), as the API does; PostgreSQL would fail half-way."""
    for name, value in values.items():
        limit = model._meta.get_field(name).max_length
        if limit and isinstance(value, str):
            try:
                MaxLengthValidator(limit)(value)
            except ValidationError as error:
                raise ValidationFailed(error.messages[0], code="max_length", fields={name: error.messages}) from None


def _clean_customer_fields(data: dict) -> dict:
    if data.get("postal_code"):
        data["postal_code"] = "".join(ch for ch in str(data["postal_code"]) if ch.isdigit())  # 90020-008 → 90020008
    person_type = data.get("person_type")
    if person_type not in PersonType.values:
        raise ValidationFailed(
            _("Person type must be PF or PJ."),
            code="invalid_person_type",
            fields={"person_type": [_("Must be PF or PJ.")]},
        )
    try:
        data["document"] = validate_document(person_type, data.get("document", ""))
    except ValidationError as error:
        raise ValidationFailed(error.messages[0], code=error.code, fields={"document": error.messages}) from None
    if not (data.get("name") or "").strip():
        raise ValidationFailed(_("The name is required."), code="name_required", fields={"name": [_("Required.")]})
    text_fits(Customer, **{k: v for k, v in data.items() if k not in ("emails", "phones", "is_active")})
    for key in ("emails", "phones"):
        value = data.get(key) or []
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        data[key] = list(value)
    from django.core.validators import validate_email

    for email in data["emails"]:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationFailed(
                _("Invalid e-mail address: %(email)s") % {"email": email},
                code="invalid_email",
                fields={"emails": [_("Invalid e-mail address.")]},
            ) from None
    return data


@transaction.atomic
def customer_create(*, entity: Entity, actor, **fields) -> Customer:
    """Register a customer; the CPF/CNPJ is validated and stored as digits, unique within the entity."""
    ensure_permission(actor=actor, entity=entity, action="manage_customers")
    data = _clean_customer_fields({k: v for k, v in fields.items() if k in CUSTOMER_FIELDS})
    taken = Conflict(
        _("A customer with this CPF/CNPJ already exists."),
        code="customer_document_taken",
        fields={"document": [_("Already registered.")]},
    )
    if Customer.objects.filter(entity=entity, document=data["document"]).exists():
        raise taken
    try:
        with transaction.atomic():  # two clerks registering the same document at once: the unique key decides
            customer = Customer.objects.create(entity=entity, **data)
    except IntegrityError:
        raise taken from None
    activity_record(
        entity_id=entity.pk,
        actor=actor,
        action=ActivityAction.CREATE,
        obj=customer,
        customer_id=customer.pk,
        summary=f"Customer {customer.name}",
        after=snapshot(customer, CUSTOMER_FIELDS),
    )
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, actor, **fields) -> Customer:
    """Change a customer's data; the activity log keeps the values before and after."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    ensure_permission(actor=actor, entity=customer.entity_id, action="manage_customers")
    before = snapshot(customer, CUSTOMER_FIELDS)
    data = {**before, **{k: v for k, v in fields.items() if k in CUSTOMER_FIELDS}}
    data = _clean_customer_fields(data)
    for key, value in data.items():
        setattr(customer, key, value)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        raise Conflict(_("A customer with this CPF/CNPJ already exists."), code="customer_document_taken") from None
    activity_record(
        entity_id=customer.entity_id,
        actor=actor,
        action=ActivityAction.UPDATE,
        obj=customer,
        customer_id=customer.pk,
        before=before,
        after=snapshot(customer, CUSTOMER_FIELDS),
    )
    return customer


@transaction.atomic
def product_create(*, entity: Entity, actor, name: str, category, price, is_active: bool = True) -> Product:
    """Add a product/plan with its recurring price."""
    ensure_permission(actor=actor, entity=entity, action="manage_catalog")
    if not (name or "").strip():
        raise ValidationFailed(_("The name is required."), code="name_required", fields={"name": [_("Required.")]})
    text_fits(Product, name=name)
    product = Product.objects.create(
        entity=entity, name=name, category=category_get(category), price=_price(price), is_active=is_active
    )
    activity_record(
        entity_id=entity.pk,
        actor=actor,
        action=ActivityAction.CREATE,
        obj=product,
        summary=f"Product {name}",
        after=snapshot(product, ["name", "category", "price"]),
    )
    return product


def _check_day(value: int, field: str) -> int:
    if not isinstance(value, int) or not 1 <= value <= 31:
        raise ValidationFailed(
            _("The day must be between 1 and 31."), code="invalid_day", fields={field: [_("Between 1 and 31.")]}
        )
    return value


def _check_period(start: datetime.date, end: datetime.date | None) -> None:
    if end is not None and end < start:
        raise ValidationFailed(
            _("The end date is before the start date."),
            code="end_before_start",
            fields={"end_date": [_("Before the start date.")]},
        )


def _check_wallet(wallet, entity_id: int) -> None:
    """A contract's wallet belongs to the contract's entity and is active (another entity's is "not found")."""
    if wallet is None:
        return
    if wallet.entity_id != entity_id:
        raise ValidationFailed(_("Wallet not found."), code="wallet_not_found", fields={"wallet": [_("Not found.")]})
    if not wallet.is_active:
        raise ValidationFailed(
            _("This wallet is inactive."), code="wallet_inactive", fields={"wallet": [_("Inactive.")]}
        )


@transaction.atomic
def contract_create(
    *,
    customer: Customer,
    actor,
    billing_day: int,
    due_day: int,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    description: str = "",
    status: str = ContractStatus.ACTIVE,
    wallet=None,
) -> Contract:
    """Open a contract for a customer with its billing and due days (and optionally its billing wallet)."""
    ensure_permission(actor=actor, entity=customer.entity_id, action="manage_customers")
    _check_wallet(wallet, customer.entity_id)
    _check_day(billing_day, "billing_day")
    _check_day(due_day, "due_day")
    _check_period(start_date, end_date)
    if status not in ContractStatus.values:
        raise ValidationFailed(_("Unknown contract status."), code="invalid_status")
    text_fits(Contract, description=description)
    contract = Contract.objects.create(
        entity_id=customer.entity_id,
        customer=customer,
        billing_day=billing_day,
        due_day=due_day,
        start_date=start_date,
        end_date=end_date,
        description=description,
        status=status,
        wallet=wallet,
    )
    activity_record(
        entity_id=customer.entity_id,
        actor=actor,
        action=ActivityAction.CREATE,
        obj=contract,
        customer_id=customer.pk,
        summary=f"Contract #{contract.pk}",
        after=snapshot(contract, ["billing_day", "due_day", "start_date", "end_date", "status", "wallet"]),
    )
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, actor, **fields) -> Contract:
    """Change a contract's days, dates, status or billing wallet."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    ensure_permission(actor=actor, entity=contract.entity_id, action="manage_customers")
    names = ["billing_day", "due_day", "start_date", "end_date", "status", "description", "wallet"]
    if "wallet" in fields:
        _check_wallet(fields["wallet"], contract.entity_id)
    before = snapshot(contract, names)
    for key in names:
        if key in fields:
            setattr(contract, key, fields[key])
    _check_day(contract.billing_day, "billing_day")
    _check_day(contract.due_day, "due_day")
    _check_period(contract.start_date, contract.end_date)
    if contract.status not in ContractStatus.values:
        raise ValidationFailed(_("Unknown contract status."), code="invalid_status")
    text_fits(Contract, description=contract.description)
    contract.save()
    activity_record(
        entity_id=contract.entity_id,
        actor=actor,
        action=ActivityAction.UPDATE,
        obj=contract,
        customer_id=contract.customer_id,
        before=before,
        after=snapshot(contract, names),
    )
    return contract


@transaction.atomic
def service_create(
    *,
    contract: Contract,
    actor,
    product: Product,
    start_date: datetime.date,
    price=None,
    category=None,
    end_date: datetime.date | None = None,
    description: str = "",
) -> Service:
    """Add a line to a contract; price and category default to the product's."""
    ensure_permission(actor=actor, entity=contract.entity_id, action="manage_customers")
    if product.entity_id != contract.entity_id:
        raise ValidationFailed(_("The product belongs to another entity."), code="product_other_entity")
    _check_period(start_date, end_date)
    text_fits(Service, description=description)
    service = Service.objects.create(
        contract=contract,
        customer_id=contract.customer_id,
        product=product,
        description=description,
        price=product.price if price is None else _price(price),
        category=category_get(category) or product.category,
        start_date=start_date,
        end_date=end_date,
    )
    activity_record(
        entity_id=contract.entity_id,
        actor=actor,
        action=ActivityAction.CREATE,
        obj=service,
        customer_id=contract.customer_id,
        summary=f"Service {service}",
        after=snapshot(service, ["product", "price", "category", "start_date", "end_date"]),
    )
    return service


@transaction.atomic
def service_update(*, service: Service, actor, **fields) -> Service:
    """Change a service's price, category or dates (already billed periods keep their charges)."""
    service = Service.objects.select_for_update().select_related("contract").get(pk=service.pk)
    ensure_permission(actor=actor, entity=service.contract.entity_id, action="manage_customers")
    names = ["description", "price", "category", "start_date", "end_date"]
    before = snapshot(service, names)
    if "price" in fields:
        service.price = _price(fields["price"])
    if "category" in fields:
        service.category = category_get(fields["category"])
    for key in ("description", "start_date", "end_date"):
        if key in fields:
            setattr(service, key, fields[key])
    _check_period(service.start_date, service.end_date)
    text_fits(Service, description=service.description)
    service.save()
    activity_record(
        entity_id=service.contract.entity_id,
        actor=actor,
        action=ActivityAction.UPDATE,
        obj=service,
        customer_id=service.contract.customer_id,
        before=before,
        after=snapshot(service, names),
    )
    return service


@transaction.atomic
def product_update(*, product: Product, actor, **fields) -> Product:
    """Change a product's name, category, price or active flag (services already sold keep their own price)."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    ensure_permission(actor=actor, entity=product.entity_id, action="manage_catalog")
    names = ["name", "category", "price", "is_active"]
    before = snapshot(product, names)
    if "name" in fields:
        if not (fields["name"] or "").strip():
            raise ValidationFailed(_("The name is required."), code="name_required", fields={"name": [_("Required.")]})
        product.name = fields["name"].strip()
    if "category" in fields:
        product.category = category_get(fields["category"]) or product.category
    if "price" in fields:
        product.price = _price(fields["price"])
    if "is_active" in fields:
        product.is_active = bool(fields["is_active"])
    product.save()
    activity_record(
        entity_id=product.entity_id,
        actor=actor,
        action=ActivityAction.UPDATE,
        obj=product,
        before=before,
        after=snapshot(product, names),
    )
    return product
