"""Bank wallets in Chromium: Billing → Bank wallets → New wallet; an "invoice" wallet hides the bank fields; a fine
above 2% comes back as the field's error; the saved wallet is in the list. axe-core on the form and the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from quita.banking.models import Wallet
from quita.core.models import Role
from tests.browser.conftest import axe_violations
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_create_a_wallet_through_the_form_and_see_it_in_the_list(open_page, entity, output):
    make_user("admin", entity, Role.ADMINISTRATOR)
    page = open_page("admin", "pw-admin")
    page.get_by_role("button", name="Billing").click()
    page.get_by_role("link", name="Bank wallets").click()
    expect(page.get_by_role("heading", name="Bank wallets")).to_be_visible()
    expect(page.locator("#wallets-table")).to_contain_text("No wallets yet.")
    page.get_by_role("link", name="New wallet").click()
    expect(page.get_by_role("heading", name="New wallet")).to_be_visible()
    assert axe_violations(page) == [], page.url

    # An "invoice" wallet is a bank chooser: no bank, charge or PIX fields.
    page.get_by_label("Kind").select_option("invoice")
    expect(page.get_by_label("Bank", exact=True)).to_be_hidden()
    expect(page.get_by_label("PIX key")).to_be_hidden()
    page.get_by_label("Kind").select_option("bank")
    expect(page.get_by_label("Bank", exact=True)).to_be_visible()

    page.get_by_label("Name").fill("Bradesco cobrança")
    page.get_by_label("Bank", exact=True).select_option("237")
    page.locator("#id_agency").fill("1234")
    page.locator("#id_account").fill("56789")
    page.locator("#id_wallet_code").fill("09")
    page.get_by_label("CNAB layout").select_option("400")
    page.get_by_label("Fine (%)").fill("2.50")
    page.get_by_label("Interest (% a month)").fill("1.00")
    page.get_by_label("PIX key").fill("cobranca@fibrasul.example")
    page.get_by_role("button", name="Save").click()

    fine = page.get_by_label("Fine (%)")
    expect(fine).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_fine_percent_error")).to_have_text("The fine may not exceed 2.00%.")
    assert not Wallet.objects.exists()
    assert axe_violations(page) == [], "the form with an error"
    page.screenshot(path=output / "wallet-form-error.png", full_page=True)

    fine.fill("2.00")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/billing/wallets/")
    expect(page.locator(".alert-success")).to_contain_text("Wallet Bradesco cobrança created.")
    row = page.locator("#wallets-table tbody tr", has_text="Bradesco cobrança")
    expect(row).to_contain_text("237 Bradesco")
    expect(row).to_contain_text("1234 / 56789")
    expect(row).to_contain_text("CNAB 400")
    expect(row).to_contain_text("2.00% / 1.00% a month")
    expect(row).to_contain_text("cobranca@fibrasul.example")
    expect(row).to_contain_text("Active")
    assert axe_violations(page) == [], page.url
    page.screenshot(path=output / "wallets.png", full_page=True)
    wallet = Wallet.objects.get()
    assert (wallet.entity_id, wallet.bank, wallet.cnab_layout, wallet.wallet_code) == (entity.pk, "237", 400, "09")
