"""The Django admin: every page loads, financial records are read-only, edits go through the services."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from quita.billing.models import BillingRun, Invoice, Transaction
from quita.core.models import ActivityAction, ActivityLog, Entity, Membership, NumberSequence, Role
from quita.customers.models import Category, Contract, Customer, Product, Service
from quita.payments.models import Payment
from tests.conftest import make_cnpj, make_cpf

pytestmark = pytest.mark.django_db

FINANCIAL = [Transaction, Invoice, Payment, ActivityLog, BillingRun, NumberSequence]
EDITABLE = [Entity, Membership, Category, Customer, Product, Contract, Service]


def _url(model, view: str, *args) -> str:
    """The admin URL of a model's view."""
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def demo_client(demo_output, client):
    """A test client logged in as demo / demo."""
    assert client.login(username="demo", password="demo")
    return client


def _customer_form(entity: Entity, **overrides) -> dict:
    """The POST data of the customer add/change form."""
    data = {
        "entity": entity.pk,
        "person_type": "PF",
        "document": "123.456.789-00",
        "name": "Teresa Cristina Andrade",
        "trade_name": "",
        "is_active": "on",
        "emails": "teresa.andrade@gmail.com",
        "phones": "(51) 99999-0000, (51) 3333-0000",
        "street": "Rua das Flores",
        "number": "120",
        "complement": "",
        "district": "Centro",
        "city": "Porto Alegre",
        "state": "RS",
        "postal_code": "90010120",
        "condominium": "",
        # The read-only contracts inline still sends its management form.
        "contracts-TOTAL_FORMS": "0",
        "contracts-INITIAL_FORMS": "0",
        "contracts-MIN_NUM_FORMS": "0",
        "contracts-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_every_model_of_quita_is_registered():
    """Every model of Quita's apps has an admin."""
    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("quita."):
            for model in config.get_models():
                assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_changelist_and_detail_page_loads(demo_client, model):
    """Each registered model's list and first detail page answer 200 for the demo user."""
    response = demo_client.get(_url(model, "changelist"))
    assert response.status_code == 200
    first = model._default_manager.order_by("pk").first()
    if first is not None:
        assert demo_client.get(_url(model, "change", first.pk)).status_code == 200


def test_changelist_search_and_filters_load(demo_client):
    """Searches (including a CPF with punctuation) and the custom filters work."""
    pages = [
        _url(Customer, "changelist") + "?q=123.456",
        _url(Customer, "changelist") + "?q=Silva&person_type__exact=PF",
        _url(Invoice, "changelist") + "?overdue=yes",
        _url(Invoice, "changelist") + "?status__exact=unpaid&q=FS-",
        _url(Transaction, "changelist") + "?billed=no",
        _url(Transaction, "changelist") + "?q=Pagamento",
        _url(ActivityLog, "changelist") + "?q=abc",
        _url(Payment, "changelist") + "?method__exact=cash",
        _url(Service, "changelist") + "?q=Fibra",
        _url(Contract, "changelist") + "?q=7",
    ]
    for page in pages:
        assert demo_client.get(page).status_code == 200, page


@pytest.mark.parametrize("model", FINANCIAL, ids=lambda m: m._meta.label)
def test_financial_records_cannot_be_added_changed_or_deleted(demo_output, model):
    """The admin offers no add, change or delete on financial records, even to a superuser."""
    superuser = get_user_model().objects.get(username="demo")
    request = RequestFactory().get("/")
    request.user = superuser
    model_admin = admin.site._registry[model]
    obj = model._default_manager.first()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, obj)
    assert not model_admin.has_delete_permission(request, obj)
    assert model_admin.has_view_permission(request, obj)


@pytest.mark.parametrize("model", FINANCIAL, ids=lambda m: m._meta.label)
def test_financial_records_refuse_posts(demo_client, model):
    """Posting to their add and delete views is forbidden and changes nothing."""
    obj = model._default_manager.first()
    assert demo_client.post(_url(model, "add"), {}).status_code == 403
    assert demo_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", [Customer, Contract, Service, Product, Entity], ids=lambda m: m._meta.label)
def test_records_are_deactivated_not_deleted(demo_client, model):
    """Customers, contracts, services, products and entities cannot be deleted."""
    obj = model._default_manager.first()
    assert demo_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", EDITABLE, ids=lambda m: m._meta.label)
def test_add_pages_of_editable_records_load(demo_client, model):
    """The add form of every editable model renders."""
    assert demo_client.get(_url(model, "add")).status_code == 200


def test_customer_with_invalid_cpf_is_refused(demo_client):
    """An invalid CPF is an error on the form; nothing is saved."""
    entity = Entity.objects.get(invoice_prefix="FS")
    response = demo_client.post(_url(Customer, "add"), _customer_form(entity, document="123.456.789-00"))
    assert response.status_code == 200
    assert "document" in response.context["adminform"].form.errors
    assert not Customer.objects.filter(name="Teresa Cristina Andrade").exists()


def test_customer_with_invalid_email_shows_the_services_error(demo_client):
    """A rule only the service checks (the e-mail) still shows on the form."""
    entity = Entity.objects.get(invoice_prefix="FS")
    data = _customer_form(entity, document=make_cpf(4242), emails="not-an-address")
    response = demo_client.post(_url(Customer, "add"), data)
    assert response.status_code == 200
    assert "emails" in response.context["adminform"].form.errors
    assert not ActivityLog.objects.filter(summary="Customer Teresa Cristina Andrade").exists()


def test_customer_added_and_changed_through_the_services(demo_client):
    """Adding and changing a customer go through the services and are logged with the admin user."""
    entity = Entity.objects.get(invoice_prefix="FS")
    document = make_cpf(4243)
    formatted = f"{document[:3]}.{document[3:6]}.{document[6:9]}-{document[9:]}"
    response = demo_client.post(_url(Customer, "add"), _customer_form(entity, document=formatted))
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.get(name="Teresa Cristina Andrade")
    assert customer.document == document
    assert customer.emails == ["teresa.andrade@gmail.com"]
    assert customer.phones == ["(51) 99999-0000", "(51) 3333-0000"]
    created = ActivityLog.objects.get(customer_id=customer.pk, action=ActivityAction.CREATE)
    assert created.actor.username == "demo"

    data = _customer_form(entity, document=document, city="Canoas")
    del data["entity"]  # fixed after creation
    response = demo_client.post(_url(Customer, "change", customer.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.city == "Canoas"
    update = ActivityLog.objects.get(customer_id=customer.pk, action=ActivityAction.UPDATE)
    assert update.before["city"] == "Porto Alegre" and update.after["city"] == "Canoas"


def test_contract_with_end_before_start_is_refused(demo_client):
    """The contract service's date check reaches the form."""
    customer = Customer.objects.first()
    data = {
        "customer": customer.pk,
        "description": "",
        "billing_day": "1",
        "due_day": "10",
        "status": "active",
        "start_date": "2025-03-01",
        "end_date": "2025-02-01",
        "services-TOTAL_FORMS": "0",
        "services-INITIAL_FORMS": "0",
        "services-MIN_NUM_FORMS": "0",
        "services-MAX_NUM_FORMS": "1000",
    }
    before = Contract.objects.count()
    response = demo_client.post(_url(Contract, "add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Contract.objects.count() == before


def test_service_price_change_is_logged(demo_client):
    """A service's new price is saved through service_update, with before/after in the log."""
    service = Service.objects.select_related("contract").first()
    data = {
        "description": "Preço renegociado",
        "price": "59.90",
        "category": service.category_id,
        "start_date": service.start_date.isoformat(),
        "end_date": "",
    }
    response = demo_client.post(_url(Service, "change", service.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    service.refresh_from_db()
    assert str(service.price) == "59.90"
    log = ActivityLog.objects.filter(action=ActivityAction.UPDATE, object_id=service.pk).latest("id")
    assert log.after["price"] == "59.90"


def test_product_added_and_changed_through_the_services(demo_client):
    """Products are saved through product_create and product_update, and both are logged."""
    entity = Entity.objects.get(invoice_prefix="RN")
    internet = Category.objects.get(code="internet")
    data = {"entity": entity.pk, "name": "Fibra 2 Giga", "category": internet.pk, "price": "249.90", "is_active": "on"}
    response = demo_client.post(_url(Product, "add"), data)
    assert response.status_code == 302
    product = Product.objects.get(name="Fibra 2 Giga")
    assert ActivityLog.objects.filter(action=ActivityAction.CREATE, object_id=product.pk, summary__contains="Fibra 2")
    changed = {"name": "Fibra 2 Giga", "category": internet.pk, "price": "239.90"}  # unticked: deactivated
    response = demo_client.post(_url(Product, "change", product.pk), changed)
    assert response.status_code == 302, response.context["adminform"].form.errors
    product.refresh_from_db()
    assert str(product.price) == "239.90" and not product.is_active
    update = ActivityLog.objects.get(action=ActivityAction.UPDATE, object_id=product.pk, content_type__model="product")
    assert update.before["price"] == "249.90" and update.after["price"] == "239.90"
    response = demo_client.post(_url(Product, "change", product.pk), {**changed, "price": "-1.00"})
    assert response.status_code == 200 and "price" in response.context["adminform"].form.errors


def test_staff_see_only_their_entities(demo_output, client):
    """A staff member sees and chooses only the entities of their memberships; their role still applies."""
    fibra = Entity.objects.get(invoice_prefix="FS")
    user = get_user_model().objects.create_user("auditor", password="auditor-pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_customer", "view_invoice", "view_entity", "add_customer"])
    )
    Membership.objects.create(user=user, entity=fibra, role=Role.READ_ONLY)
    client.force_login(user)
    response = client.get(_url(Customer, "changelist") + "?all=")
    shown = {c.entity_id for c in response.context["cl"].result_list}
    assert shown == {fibra.pk}
    other = Customer.objects.exclude(entity=fibra).first()
    assert client.get(_url(Customer, "change", other.pk)).status_code == 302  # "does not exist" → redirect
    response = client.get(_url(Entity, "changelist"))
    assert [e.pk for e in response.context["cl"].result_list] == [fibra.pk]
    # A read-only member may open the form, but the service refuses the write.
    data = _customer_form(fibra, document=make_cpf(4244), name="Sem Permissão")
    response = client.post(_url(Customer, "add"), data)
    assert response.status_code == 200
    assert not Customer.objects.filter(name="Sem Permissão").exists()
    # And another entity is not even a choice.
    data = _customer_form(Entity.objects.get(invoice_prefix="RN"), document=make_cpf(4245))
    response = client.post(_url(Customer, "add"), data)
    assert "entity" in response.context["adminform"].form.errors


def test_entity_cnpj_is_validated(demo_client):
    """An entity needs a valid CNPJ."""
    data = {
        "name": "Nova",
        "legal_name": "Nova Ltda",
        "cnpj": "11111111111111",
        "time_zone": "America/Sao_Paulo",
        "invoice_prefix": "NV",
        "is_active": "on",
    }
    response = demo_client.post(_url(Entity, "add"), data)
    assert response.status_code == 200
    data["cnpj"] = make_cnpj(77)
    assert demo_client.post(_url(Entity, "add"), data).status_code == 302


def test_admin_speaks_portuguese_by_default_and_english_on_request(demo_client):
    """pt-BR by default; English when the browser asks for it."""
    response = demo_client.get(reverse("admin:index"))
    assert "Faturamento" in response.content.decode() and "Clientes" in response.content.decode()
    response = demo_client.get(reverse("admin:index"), headers={"accept-language": "en"})
    assert "Billing" in response.content.decode() and "Customers" in response.content.decode()
