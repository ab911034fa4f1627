"""The staff wallet pages (/billing/wallets/…): the current company's list, create and edit through wallet_create /
wallet_update, the services' refusals as form errors with nothing saved, and the role that may manage wallets."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from quita.banking import services
from quita.banking.banks import BANKS
from quita.banking.models import Wallet
from quita.core.models import ActivityLog, Membership, Role
from quita.customers import services as customer_services
from tests.banking.test_untranslated import _same
from tests.conftest import make_user

BRADESCO = {
    "name": "Bradesco cobrança",
    "kind": "bank",
    "is_active": "on",
    "bank": "237",
    "agency": "1234",
    "account": "56789",
    "account_digit": "0",
    "wallet_code": "09",
    "cnab_layout": "400",
    "registration": "assumed",
    "next_our_number": "1001",
    "fine_percent": "2.00",
    "interest_percent_month": "1.00",
    "discount_percent": "0",
    "discount_days": "0",
    "pix_key": "cobranca@fibrasul.example",
}


def client_for(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def wallet_log(wallet: Wallet):
    return ActivityLog.objects.filter(content_type=ContentType.objects.get_for_model(Wallet), object_id=wallet.pk)


@pytest.fixture
def admin(admin_user) -> Client:
    return client_for(admin_user)


@pytest.fixture
def bradesco(make_wallet):
    return make_wallet("237", name="Bradesco cobrança")


def form_data(wallet: Wallet, **changes) -> dict:
    """The edit form as the page sends it back, with `changes`."""
    data = {
        name: getattr(wallet, name)
        for name in ("name", "kind", "bank", "agency", "account", "wallet_code", "registration", "pix_key")
    }
    data.update(
        is_active="on" if wallet.is_active else "",
        agency_digit=wallet.agency_digit,
        account_digit=wallet.account_digit,
        cnab_layout=wallet.cnab_layout or "",
        next_our_number=wallet.next_our_number,
        fine_percent=wallet.fine_percent,
        interest_percent_month=wallet.interest_percent_month,
        discount_percent=wallet.discount_percent,
        discount_days=wallet.discount_days,
    )
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_list_shows_the_current_company_wallets_only(admin_user, admin, entity, other_entity, bradesco, make_customer):
    Membership.objects.create(user=admin_user, entity=other_entity, role=Role.ADMINISTRATOR)
    services.wallet_create(entity=other_entity, actor=None, name="Carteira da Rede Norte", kind="invoice")
    services.wallet_create(entity=entity, actor=None, name="Fatura", kind="invoice")
    customer_services.contract_create(
        customer=make_customer(), actor=None, billing_day=1, due_day=10, start_date=datetime.date(2025, 1, 1),
        wallet=bradesco,
    )  # fmt: skip
    response = admin.get("/billing/wallets/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bradesco cobrança" in page and "237 Bradesco" in page and "1234 / 56789" in page
    assert "CNAB 400" in page and "cobranca@fibrasul.example" in page and "2.00% / 1.00% a month" in page
    assert "Fatura" in page and "Invoice (subscriber chooses the bank)" in page
    assert "Carteira da Rede Norte" not in page
    assert [w.contract_count for w in response.context["wallets"]] == [1, 0]  # Bradesco cobrança, Fatura
    assert 'href="/billing/wallets/new/"' in page and f'href="/billing/wallets/{bradesco.pk}/edit/"' in page
    # After switching company, the other one's wallets.
    admin.post("/entity/", {"entity": other_entity.pk, "next": "/billing/wallets/"})
    page = admin.get("/billing/wallets/").content.decode()
    assert "Carteira da Rede Norte" in page and "Bradesco cobrança" not in page


def test_the_billing_menu_links_to_the_wallets(admin):
    assert 'href="/billing/wallets/"' in admin.get("/billing/boletos/").content.decode()


def test_create_a_bank_wallet_through_the_service_with_its_activity(admin_user, admin, entity):
    response = admin.post("/billing/wallets/new/", BRADESCO)
    assert response.status_code == 302 and response.url == "/billing/wallets/"
    wallet = Wallet.objects.get(entity=entity)
    assert (wallet.name, wallet.bank, wallet.cnab_layout, wallet.registration) == (
        "Bradesco cobrança",
        "237",
        400,
        "assumed",
    )
    assert (wallet.next_our_number, wallet.fine_percent, wallet.interest_percent_month) == (
        1001,
        Decimal("2.00"),
        Decimal("1.00"),
    )
    log = wallet_log(wallet).get()
    assert (log.action, log.actor_id, log.entity_id) == ("create", admin_user.pk, entity.pk)
    assert log.after["fine_percent"] == "2.00" and log.after["bank"] == "237"
    assert "Wallet Bradesco cobrança created." in admin.get(response.url).content.decode()


def test_an_invoice_wallet_keeps_no_bank_data(admin, entity):
    data = {**BRADESCO, "name": "Fatura", "kind": "invoice", "fine_percent": "9", "next_our_number": ""}
    response = admin.post("/billing/wallets/new/", data)
    assert response.status_code == 302
    wallet = Wallet.objects.get(entity=entity)
    assert (wallet.kind, wallet.bank, wallet.agency, wallet.cnab_layout) == ("invoice", "", "", None)
    assert wallet.fine_percent == Decimal("0.00") and wallet.pix_key == ""


@pytest.mark.parametrize(
    ("field", "value", "language", "message"),
    [
        ("fine_percent", "2.50", "en", "The fine may not exceed 2.00%."),
        ("interest_percent_month", "1.01", "en", "Interest may not exceed 1.00% a month."),
        ("fine_percent", "2,01", "pt-br", "A multa não pode passar de 2,00%."),
    ],
    ids=["fine-en", "interest-en", "fine-pt-br"],
)
def test_above_the_cap_is_a_form_error_and_nothing_is_saved(admin_user, field, value, language, message):
    client = client_for(admin_user, language)
    data = {**BRADESCO, field: value}
    if language == "pt-br":
        data = {**data, "fine_percent": value, "interest_percent_month": "1,00"}
    response = client.post("/billing/wallets/new/", data)
    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert f'id="id_{field}_error">{message}<' in response.content.decode()
    assert not Wallet.objects.exists() and not ActivityLog.objects.exists()


def test_edit_a_wallet_through_the_service_with_its_activity(admin_user, admin, bradesco):
    page = admin.get(f"/billing/wallets/{bradesco.pk}/edit/")
    assert page.status_code == 200 and page.context["form"]["agency"].value() == "1234"
    data = form_data(bradesco, name="Bradesco 2", fine_percent="1.50", next_our_number=bradesco.next_our_number + 50)
    response = admin.post(f"/billing/wallets/{bradesco.pk}/edit/", data)
    assert response.status_code == 302 and response.url == "/billing/wallets/"
    bradesco.refresh_from_db()
    assert (bradesco.name, bradesco.fine_percent, bradesco.next_our_number) == ("Bradesco 2", Decimal("1.50"), 51)
    log = wallet_log(bradesco).get(action="update")
    assert log.actor_id == admin_user.pk
    assert (log.before["fine_percent"], log.after["fine_percent"]) == ("2.00", "1.50")


def test_editing_above_the_cap_changes_nothing(admin, bradesco):
    data = form_data(bradesco, name="Renamed", interest_percent_month="1.50")
    response = admin.post(f"/billing/wallets/{bradesco.pk}/edit/", data)
    assert response.status_code == 400
    assert response.context["form"].errors == {"interest_percent_month": ["Interest may not exceed 1.00% a month."]}
    bradesco.refresh_from_db()
    assert (bradesco.name, bradesco.interest_percent_month) == ("Bradesco cobrança", Decimal("1.00"))
    assert not wallet_log(bradesco).filter(action="update").exists()


def test_a_refusal_without_a_field_shows_above_the_form(admin, bradesco, make_invoice, clerk):
    services.boleto_issue(invoice_id=make_invoice("80.00").pk, wallet_id=bradesco.pk, actor=clerk)
    response = admin.post(f"/billing/wallets/{bradesco.pk}/edit/", form_data(bradesco, kind="invoice"))
    assert response.status_code == 409
    assert response.context["form"].non_field_errors() == ["A wallet with boletos cannot change kind."]
    assert 'class="alert alert-danger"' in response.content.decode()
    bradesco.refresh_from_db()
    assert bradesco.kind == "bank"


@pytest.mark.parametrize("role", [Role.READ_ONLY, Role.MANAGER, Role.BILLING_CLERK])
def test_roles_that_may_not_manage_wallets_read_the_list_only(entity, bradesco, role):
    client = client_for(make_user("viewer", entity, role))
    page = client.get("/billing/wallets/")
    assert page.status_code == 200 and "Bradesco cobrança" in page.content.decode()
    assert "/billing/wallets/new/" not in page.content.decode() and "/edit/" not in page.content.decode()
    assert client.post("/billing/wallets/new/", {**BRADESCO, "name": "Outra"}).status_code == 403
    assert client.get(f"/billing/wallets/{bradesco.pk}/edit/").status_code == 403
    edit = client.post(f"/billing/wallets/{bradesco.pk}/edit/", form_data(bradesco, name="Renamed"))
    assert edit.status_code == 403
    assert list(Wallet.objects.values_list("name", flat=True)) == ["Bradesco cobrança"]


def test_another_companys_wallet_is_not_found(admin, other_entity):
    foreign = services.wallet_create(entity=other_entity, actor=None, name="Rede Norte", kind="invoice")
    assert admin.get(f"/billing/wallets/{foreign.pk}/edit/").status_code == 404
    assert admin.post(f"/billing/wallets/{foreign.pk}/edit/", {"name": "X", "kind": "invoice"}).status_code == 404


def test_no_untranslated_string_on_the_wallet_pages(admin_user, bradesco, entity):
    services.wallet_create(entity=entity, actor=None, name="Fatura", kind="invoice")
    clients = {language: client_for(admin_user, language) for language in ("pt-br", "en")}
    data = ["admin", entity.name, "Bradesco cobrança", "Fatura", "cobranca@fibrasul.example", "1234", "56789", "09"]
    # The same in both languages: the banks' names, FEBRABAN's "CNAB" and the "layout" Portuguese borrowed.
    shared = {module.NAME for module in BANKS.values()} | {"CNAB", "Layout"}
    untranslated = {}
    for url in ("/billing/wallets/", "/billing/wallets/new/", f"/billing/wallets/{bradesco.pk}/edit/"):
        pt, en = clients["pt-br"].get(url), clients["en"].get(url)
        assert pt.status_code == en.status_code == 200, url
        same = _same(pt.content.decode(), en.content.decode(), data) - shared
        if same:
            untranslated[url] = sorted(same)
    assert untranslated == {}, untranslated
    pt = clients["pt-br"].get("/billing/wallets/").content.decode()
    assert "Carteiras de cobrança" in pt and "2,00% / 1,00% ao mês" in pt


def test_editing_another_of_the_users_companies_wallet_switches_to_that_company(admin_user, admin, other_entity):
    Membership.objects.create(user=admin_user, entity=other_entity, role=Role.ADMINISTRATOR)
    norte = services.wallet_create(entity=other_entity, actor=None, name="Rede Norte", kind="invoice")
    page = admin.get(f"/billing/wallets/{norte.pk}/edit/")
    assert page.status_code == 200 and page.context["web_entity"] == other_entity
    response = admin.post(f"/billing/wallets/{norte.pk}/edit/", {"name": "Rede Norte fatura", "kind": "invoice"})
    assert response.status_code == 302
    norte.refresh_from_db()
    assert (norte.name, norte.is_active) == ("Rede Norte fatura", False)  # an unticked box is "inactive"
    assert "Rede Norte fatura" in admin.get("/billing/wallets/").content.decode()
