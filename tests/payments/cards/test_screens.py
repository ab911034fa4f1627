"""The staff card screens: the billing tab's "Payment methods" partial (brand, last 4, expiry — expired in
red —, default badge, set default, remove, add with Stripe.js) and the pay modal's saved-card option."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import translation

from quita.billing.models import InvoiceStatus
from quita.core.models import Role
from quita.payments.models import CardStatus, PaymentMethod
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def web(clerk) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(clerk)
    return client


def _render(template: str, **context) -> str:
    request = RequestFactory().get("/customers/1/billing/")
    with translation.override("en"):
        return render_to_string(template, context, request=request)


def test_payment_methods_partial_lists_cards_with_expired_in_red_and_the_default_badge(
    invoice_of, add_card, make_customer
):
    customer = make_customer()
    add_card(customer, exp_month=1, exp_year=2025)  # expired (the clock is in February 2025)
    valid = add_card(customer, number="5555555555554444", exp_month=9, exp_year=2031)
    html = _render("payments/staff/_cards.html", customer=customer)
    assert "•••• 4242" in html and "•••• 4444" in html
    assert 'class="text-danger fw-semibold"' in html and "01/2025" in html
    assert "09/2031" in html and "Default" in html
    assert f"/cards/{valid.pk}/default/" in html and "/remove/" in html
    assert "js.stripe.com/v3" in html and "data-card-element" in html
    assert "4242424242424242" not in html


def test_partial_says_when_cards_are_off(entity, make_customer):
    html = _render("payments/staff/_cards.html", customer=make_customer())
    assert "not enabled" in html or "não estão ativos" in html


def test_pay_modal_option_preselects_the_default_and_disables_expired(invoice_of, add_card, clerk):
    invoice = invoice_of("95.00")
    expired = add_card(invoice.customer, exp_month=1, exp_year=2025)
    valid = add_card(invoice.customer, number="5555555555554444")
    html = _render("payments/staff/_pay_card.html", customer=invoice.customer, invoices=[invoice])
    assert f'<option value="{valid.pk}" selected>' in html
    assert f'<option value="{expired.pk}" disabled>' in html
    assert f"/cards/invoices/{invoice.pk}/pay/" in html


def test_pay_modal_option_without_a_card_links_to_add_one(invoice_of):
    invoice = invoice_of("95.00")
    html = _render("payments/staff/_pay_card.html", customer=invoice.customer, invoices=[invoice])
    assert "No payment method found" in html and "#add-card" in html


def test_setup_save_default_remove_and_pay_through_the_screens(web, invoice_of, clerk, type_card):
    invoice = invoice_of("95.00")
    customer = invoice.customer
    setup = web.post(f"/cards/customers/{customer.pk}/setup/")
    assert setup.status_code == 200 and setup.json()["client_secret"]
    type_card(setup.json())  # Stripe.js in the page
    saved = web.post(f"/cards/customers/{customer.pk}/save/", {"setup_intent": setup.json()["setup_intent"]})
    assert saved.status_code == 200 and saved.json()["is_default"]
    setup = web.post(f"/cards/customers/{customer.pk}/setup/").json()
    type_card(setup, "5555555555554444")
    second = web.post(f"/cards/customers/{customer.pk}/save/", {"setup_intent": setup["setup_intent"]}).json()
    back = web.post(f"/cards/{second['id']}/default/", {"next": f"/customers/{customer.pk}/billing/"})
    assert back.status_code == 302 and back.url == f"/customers/{customer.pk}/billing/"
    assert PaymentMethod.objects.get(pk=second["id"]).is_default
    web.post(f"/cards/{saved.json()['id']}/remove/")
    assert PaymentMethod.objects.get(pk=saved.json()["id"]).status == CardStatus.REMOVED
    paid = web.post(f"/cards/invoices/{invoice.pk}/pay/", {"payment_method": second["id"]})
    assert paid.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_a_decline_on_the_screen_shows_the_sentence(web, invoice_of, add_card):
    invoice = invoice_of("95.00")
    add_card(invoice.customer, number="4000000000000341")
    response = web.post(f"/cards/invoices/{invoice.pk}/pay/", follow=False)
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("declined by the bank" in m for m in messages)
    from_modal = web.post(f"/cards/invoices/{invoice.pk}/pay/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="/x/")
    assert from_modal.status_code == 204 and from_modal["HX-Redirect"] == "/x/"


def test_screens_refuse_other_entities_and_roles(invoice_of, add_card, other_entity, entity):
    invoice = invoice_of("95.00")
    card = add_card(invoice.customer)
    outsider = Client()
    outsider.force_login(make_user("outsider", other_entity))
    assert outsider.post(f"/cards/{card.pk}/remove/").status_code == 404
    viewer = Client()
    viewer.force_login(make_user("viewer", entity, Role.READ_ONLY))
    assert viewer.post(f"/cards/{card.pk}/remove/").status_code == 403
    assert viewer.post(f"/cards/invoices/{invoice.pk}/pay/").status_code == 403
    assert Client().post(f"/cards/{card.pk}/remove/").status_code == 302  # to the login page


def test_the_billing_tab_and_the_pay_modal_show_the_card_screens(web, invoice_of, add_card):
    invoice = invoice_of("95.00")
    card = add_card(invoice.customer)
    page = web.get(f"/customers/{invoice.customer_id}/billing/").content.decode()
    assert 'id="payment-methods-card"' in page and "•••• 4242" in page and "Default" in page
    assert "Cards are not configured." not in page
    modal = web.get(f"/billing/invoices/{invoice.pk}/pay/", HTTP_HX_REQUEST="true").content.decode()
    assert f'<option value="{card.pk}" selected>' in modal
    assert f'hx-post="/cards/invoices/{invoice.pk}/pay/"' in modal


def test_set_default_and_remove_the_old_card_in_one_step(web, make_customer, add_card, stripe_proxy):
    """The seed's option "old card removed when the new one becomes default": a second button on the new card."""
    customer = make_customer()
    old = add_card(customer)
    new = add_card(customer, number="5555555555554444")
    html = _render("payments/staff/_cards.html", customer=customer)
    assert "Set as default and remove •••• 4242" in html and 'name="replace_default" value="1"' in html
    detached_before = [path for method, path in stripe_proxy.requests if path.endswith(f"{old.external_id}/detach")]
    response = web.post(f"/cards/{new.pk}/default/", {"replace_default": "1", "next": "/"})
    assert response.status_code == 302
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.is_default and old.status == CardStatus.REMOVED and not old.is_default
    detached = [path for method, path in stripe_proxy.requests if path.endswith(f"{old.external_id}/detach")]
    assert len(detached) == len(detached_before) + 1  # detached at Stripe, kept in Quita as history
    plain = web.post(f"/cards/{old.pk}/default/", {"next": "/"})  # a removed card cannot become the default
    assert plain.status_code == 302
    new.refresh_from_db()
    assert new.is_default
