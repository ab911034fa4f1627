"""Saved cards: SetupIntent + Stripe.js + save; the first card is the default; exactly one default per customer;
remove detaches at Stripe and keeps the history; expired cards are flagged and never pre-selected."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction

from quita.core.errors import Conflict, ValidationFailed
from quita.core.models import ActivityLog
from quita.payments import services
from quita.payments.models import CardStatus, GatewayCustomer, PaymentMethod
from tests.payments.cards.conftest import VISA

TODAY = datetime.date(2025, 2, 10)


def _stripe_cards(browser, customer) -> list[str]:
    link = GatewayCustomer.objects.get(customer=customer)
    page = browser.v1.payment_methods.list(params={"customer": link.external_id, "type": "card"})
    return [pm.id for pm in page.data]


def test_setup_start_makes_one_stripe_customer_and_a_setup_intent(stripe_entity, make_customer, clerk):
    customer = make_customer()
    first = services.card_setup_start(customer_id=customer.pk, actor=clerk)
    second = services.card_setup_start(customer_id=customer.pk, actor=clerk)
    assert first["setup_intent"].startswith("seti_") and first["client_secret"].startswith(first["setup_intent"])
    assert first["publishable_key"] == "pk_test_quitaLocal"
    assert first["setup_intent"] != second["setup_intent"]
    assert GatewayCustomer.objects.filter(customer=customer).count() == 1


def test_the_first_card_is_the_default_and_only_id_brand_last4_expiry_are_kept(add_card, make_customer, browser):
    customer = make_customer()
    card = add_card(customer, exp_month=7, exp_year=2031)
    assert card.is_default and card.status == CardStatus.ACTIVE
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("visa", "4242", 7, 2031)
    assert card.external_id.startswith("pm_")
    assert _stripe_cards(browser, customer) == [card.external_id]  # attached to Stripe's customer
    second = add_card(customer, number="5555555555554444")
    assert not second.is_default
    assert PaymentMethod.objects.filter(customer=customer, is_default=True).get() == card
    assert ActivityLog.objects.filter(object_id=second.pk, action="create").exists()


def test_saving_the_same_setup_twice_returns_the_same_card(add_card, make_customer, clerk, type_card):
    customer = make_customer()
    setup = services.card_setup_start(customer_id=customer.pk, actor=clerk)
    type_card(setup)
    first = services.card_save(customer_id=customer.pk, actor=clerk, setup_intent=setup["setup_intent"])
    again = services.card_save(customer_id=customer.pk, actor=clerk, setup_intent=setup["setup_intent"])
    assert first == again and PaymentMethod.objects.count() == 1


def test_a_setup_not_confirmed_or_of_another_customer_is_refused(stripe_entity, make_customer, clerk, type_card):
    maria, joao = make_customer(), make_customer("João Souza")
    setup = services.card_setup_start(customer_id=maria.pk, actor=clerk)
    with pytest.raises(Conflict) as error:
        services.card_save(customer_id=maria.pk, actor=clerk, setup_intent=setup["setup_intent"])
    assert error.value.code == "setup_not_succeeded"
    type_card(setup)
    services.card_setup_start(customer_id=joao.pk, actor=clerk)
    with pytest.raises(ValidationFailed) as error:
        services.card_save(customer_id=joao.pk, actor=clerk, setup_intent=setup["setup_intent"])
    assert error.value.code == "setup_other_customer"
    assert PaymentMethod.objects.count() == 0


def test_a_card_declined_when_saved_is_not_kept(stripe_entity, make_customer, clerk, type_card):
    import stripe

    customer = make_customer()
    setup = services.card_setup_start(customer_id=customer.pk, actor=clerk)
    with pytest.raises(stripe.CardError):  # Stripe.js shows the decline in the page
        type_card(setup, number="4000000000000002")
    with pytest.raises(Conflict):
        services.card_save(customer_id=customer.pk, actor=clerk, setup_intent=setup["setup_intent"])
    assert PaymentMethod.objects.count() == 0


def test_set_default_moves_the_flag_and_the_database_allows_only_one(add_card, make_customer, clerk):
    customer = make_customer()
    first, second = add_card(customer), add_card(customer, number="5555555555554444")
    services.card_set_default(card_id=second.pk, actor=clerk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default and not first.is_default
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentMethod.objects.filter(pk=first.pk).update(is_default=True)


def test_new_default_can_replace_the_old_card(add_card, make_customer, clerk, browser):
    customer = make_customer()
    old = add_card(customer)
    new = add_card(customer, number="5555555555554444", replace_default=True)
    old.refresh_from_db()
    assert new.is_default and old.status == CardStatus.REMOVED and not old.is_default
    assert _stripe_cards(browser, customer) == [new.external_id]


def test_remove_detaches_at_stripe_keeps_history_and_promotes_another_default(add_card, make_customer, clerk, browser):
    customer = make_customer()
    first = add_card(customer)
    second = add_card(customer, number="5555555555554444")
    services.card_remove(card_id=first.pk, actor=clerk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == CardStatus.REMOVED and first.removed_by == clerk and first.removed_at
    assert second.is_default
    assert _stripe_cards(browser, customer) == [second.external_id]
    with pytest.raises(Conflict) as error:
        services.card_remove(card_id=first.pk, actor=clerk)
    assert error.value.code == "card_removed"
    assert PaymentMethod.objects.filter(pk=first.pk).exists()  # history kept


def test_expired_cards_are_flagged_and_never_preselected(add_card, make_customer, clerk):
    customer = make_customer()
    expired = add_card(customer, exp_month=1, exp_year=2025)  # expired at the end of January 2025
    assert expired.is_default and expired.is_expired(TODAY)
    with pytest.raises(services.NoPaymentMethod) as error:
        services.card_for_charge(customer_id=customer.pk, card_id=None, today=TODAY)
    assert error.value.as_dict()["add_card_url"] == f"/api/customers/{customer.pk}/payment-methods/setup/"
    assert str(error.value.detail).startswith("Nenhum") or "No payment method found" in str(error.value.detail)
    valid = add_card(customer, number="5555555555554444", exp_month=2, exp_year=2025)  # valid until 28 Feb
    assert services.card_for_charge(customer_id=customer.pk, card_id=None, today=TODAY) == valid


def test_clerk_of_another_entity_cannot_manage_cards(add_card, make_customer, other_entity):
    from quita.core.errors import PermissionDenied
    from tests.conftest import make_user

    outsider = make_user("outsider", other_entity)
    customer = make_customer()
    card = add_card(customer)
    with pytest.raises(PermissionDenied):
        services.card_remove(card_id=card.pk, actor=outsider)
    with pytest.raises(PermissionDenied):
        services.card_setup_start(customer_id=customer.pk, actor=outsider)


def test_cards_off_or_keys_missing_are_clear_errors(entity, make_customer, clerk, stripe_entity, monkeypatch):
    customer = make_customer()
    monkeypatch.delenv("QUITA_TEST_STRIPE_SECRET_KEY")
    with pytest.raises(Conflict) as error:
        services.card_setup_start(customer_id=customer.pk, actor=clerk)
    assert error.value.code == "gateway_key_missing"
    monkeypatch.setenv("QUITA_TEST_STRIPE_SECRET_KEY", "sk_live_wrongmode")
    with pytest.raises(Conflict) as error:
        services.card_setup_start(customer_id=customer.pk, actor=clerk)
    assert error.value.code == "gateway_key_mode_mismatch"
    assert "sk_live_wrongmode" not in str(error.value.detail)
    entity.payment_settings.stripe_enabled = False
    entity.payment_settings.save()
    with pytest.raises(Conflict) as error:
        services.card_setup_start(customer_id=customer.pk, actor=clerk)
    assert error.value.code == "cards_not_enabled"


def test_visa_number_constant_is_the_one_typed(add_card, make_customer):
    assert add_card(make_customer()).last4 == VISA[-4:]
