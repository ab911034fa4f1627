"""customer_create and customer_update: PF/PJ, CPF/CNPJ checked with python-stdnum and kept as digits."""

from __future__ import annotations

import pytest

from quita.core.errors import Conflict, ValidationFailed
from quita.core.models import ActivityAction, ActivityLog
from quita.customers import services
from quita.customers.models import Customer, PersonType
from tests.conftest import make_cnpj, make_cpf

VALID_CPF = "390.533.447-05"
VALID_CNPJ = "11.222.333/0001-81"


def create(entity, actor, **fields):
    data = {"person_type": "PF", "document": VALID_CPF, "name": "Maria Silva", **fields}
    return services.customer_create(entity=entity, actor=actor, **data)


@pytest.mark.parametrize(
    ("person_type", "document", "stored"),
    [
        ("PF", "390.533.447-05", "39053344705"),
        ("PF", "39053344705", "39053344705"),
        ("PF", " 390 533 447 05 ", "39053344705"),
        ("PJ", "11.222.333/0001-81", "11222333000181"),
        ("PJ", "11222333000181", "11222333000181"),
    ],
    ids=["cpf-formatted", "cpf-digits", "cpf-spaced", "cnpj-formatted", "cnpj-digits"],
)
def test_document_is_validated_and_stored_as_digits(entity, clerk, person_type, document, stored):
    customer = create(entity, clerk, person_type=person_type, document=document)
    customer.refresh_from_db()
    assert customer.document == stored
    assert customer.person_type == person_type


def test_customer_keeps_its_contact_and_address(entity, clerk):
    customer = create(
        entity,
        clerk,
        person_type=PersonType.COMPANY,
        document=VALID_CNPJ,
        name="Padaria Pão Quente Ltda",
        trade_name="Pão Quente",
        emails="contato@paoquente.com.br, financeiro@paoquente.com.br",
        phones=["+55 51 99999-0000"],
        street="Rua dos Andradas",
        number="1234",
        district="Centro Histórico",
        city="Porto Alegre",
        state="RS",
        postal_code="90020008",
        condominium="Edifício Sul",
    )
    customer.refresh_from_db()
    assert customer.emails == ["contato@paoquente.com.br", "financeiro@paoquente.com.br"]
    assert customer.phones == ["+55 51 99999-0000"]
    assert (customer.city, customer.condominium, customer.state) == ("Porto Alegre", "Edifício Sul", "RS")
    assert customer.is_active


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"document": "390.533.447-06"}, "invalid_cpf"),
        ({"document": "1234"}, "invalid_cpf"),
        ({"document": ""}, "invalid_cpf"),
        ({"document": VALID_CNPJ}, "invalid_cpf"),
        ({"person_type": "PJ", "document": "11.222.333/0001-82"}, "invalid_cnpj"),
        ({"person_type": "PJ", "document": VALID_CPF}, "invalid_cnpj"),
        ({"person_type": "XX"}, "invalid_person_type"),
        ({"person_type": None}, "invalid_person_type"),
        ({"name": "   "}, "name_required"),
        ({"emails": ["not-an-email"]}, "invalid_email"),
        ({"name": "x" * 201}, "max_length"),
        ({"state": "RSX"}, "max_length"),
    ],
    ids=[
        "cpf-wrong-check-digit",
        "cpf-too-short",
        "cpf-empty",
        "cnpj-given-for-pf",
        "cnpj-wrong-check-digit",
        "cpf-given-for-pj",
        "unknown-person-type",
        "no-person-type",
        "blank-name",
        "bad-email",
        "name-too-long",
        "state-too-long",
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(entity, clerk, fields, code):
    with pytest.raises(ValidationFailed) as error:
        create(entity, clerk, **fields)
    assert error.value.code == code
    assert error.value.fields  # the field at fault is named for the form or the API
    assert not Customer.objects.exists()
    assert not ActivityLog.objects.exists()


@pytest.mark.parametrize("again", ["390.533.447-05", "39053344705"], ids=["same-format", "other-format"])
def test_a_document_is_registered_once_per_entity(entity, clerk, again):
    create(entity, clerk)
    with pytest.raises(Conflict) as error:
        create(entity, clerk, document=again, name="Maria S.")
    assert error.value.code == "customer_document_taken"
    assert Customer.objects.count() == 1


def test_the_same_document_may_be_a_customer_of_another_entity(entity, other_entity, clerk):
    create(entity, clerk)
    twin = create(other_entity, None)  # the system (actor None) may act on any entity
    assert twin.entity == other_entity
    assert Customer.objects.filter(document="39053344705").count() == 2


def test_create_writes_one_activity_row(entity, clerk):
    customer = create(entity, clerk)
    log = ActivityLog.objects.get()
    assert (log.action, log.actor, log.customer_id, log.object_id) == (
        ActivityAction.CREATE,
        clerk,
        customer.pk,
        customer.pk,
    )
    assert log.before is None
    assert log.after["document"] == "39053344705"
    assert log.after["name"] == "Maria Silva"


def test_update_changes_data_and_logs_before_and_after(entity, clerk):
    customer = create(entity, clerk, city="Canoas")
    updated = services.customer_update(customer=customer, actor=clerk, city="Porto Alegre", is_active=False)
    updated.refresh_from_db()
    assert (updated.city, updated.is_active) == ("Porto Alegre", False)
    log = ActivityLog.objects.get(action=ActivityAction.UPDATE)
    assert log.before["city"] == "Canoas" and log.after["city"] == "Porto Alegre"
    assert log.before["is_active"] is True and log.after["is_active"] is False


def test_update_refuses_text_longer_than_its_column(entity, clerk):
    customer = create(entity, clerk)
    with pytest.raises(ValidationFailed) as error:
        services.customer_update(customer=customer, actor=clerk, city="x" * 101)
    assert error.value.code == "max_length"
    assert list(error.value.fields) == ["city"]


def test_update_validates_the_document_again(entity, clerk):
    customer = create(entity, clerk)
    with pytest.raises(ValidationFailed) as error:
        services.customer_update(customer=customer, actor=clerk, document="390.533.447-00")
    assert error.value.code == "invalid_cpf"
    customer.refresh_from_db()
    assert customer.document == "39053344705"


def test_update_to_a_taken_document_is_refused(entity, clerk):
    create(entity, clerk)
    other = create(entity, clerk, document=make_cpf(4242), name="João")
    with pytest.raises(Conflict) as error:
        services.customer_update(customer=other, actor=clerk, document=VALID_CPF)
    assert error.value.code == "customer_document_taken"
    other.refresh_from_db()
    assert other.document == make_cpf(4242)
    assert not ActivityLog.objects.filter(action=ActivityAction.UPDATE).exists()


def test_update_from_pf_to_pj_needs_a_cnpj(entity, clerk):
    customer = create(entity, clerk)
    with pytest.raises(ValidationFailed) as error:
        services.customer_update(customer=customer, actor=clerk, person_type="PJ")
    assert error.value.code == "invalid_cnpj"
    cnpj = make_cnpj(77)
    services.customer_update(customer=customer, actor=clerk, person_type="PJ", document=cnpj)
    customer.refresh_from_db()
    assert (customer.person_type, customer.document) == ("PJ", cnpj)


def test_a_cep_typed_with_a_dash_is_kept_as_digits(entity, clerk):
    customer = create(entity, clerk, postal_code="90020-008")
    customer.refresh_from_db()
    assert customer.postal_code == "90020008"


def test_a_document_taken_between_the_check_and_the_insert_is_a_conflict(entity, clerk, monkeypatch):
    create(entity, clerk)
    # Simulate the race: the existence check sees nothing, the unique key still refuses the second row.
    monkeypatch.setattr(Customer.objects, "filter", lambda **kw: Customer.objects.none())
    with pytest.raises(Conflict) as error:
        create(entity, clerk)
    assert error.value.code == "customer_document_taken"
