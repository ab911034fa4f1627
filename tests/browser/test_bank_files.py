"""The bank files in Chromium: a clerk imports a return file, lands on its page and sees what it did (counts, the
records); axe-core on the file's page, the list of return files and the remittances page."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from quita.banking import services as banking
from quita.billing import services as billing
from quita.core.selectors import entity_today
from tests.banking.conftest import WALLET_DATA
from tests.banking.test_round_trip import bank_return
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def return_content(entity, make_customer):
    """A Banco do Brasil (CNAB 240) return file: one boleto paid, one invoice voided and paid all the same (needs
    attention), one entry confirmed."""
    wallet = banking.wallet_create(
        entity=entity, actor=None, name="BB cobrança", kind="bank", bank="001", **WALLET_DATA["001"]
    )
    day = entity_today(entity)
    boletos = []
    for number, amount in enumerate(("50.00", "60.00", "70.00")):
        customer = make_customer(f"Cliente {number}")
        billing.transaction_create(
            customer=customer, actor=None, kind="charge", title="Fibra 300 Mega", amount=amount, date=day
        )
        invoice = billing.invoice_generate(
            customer=customer, actor=None, start=day, end=day, due_date=day + datetime.timedelta(days=10)
        )
        boletos.append(banking.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=None))
    billing.invoice_void(invoice_id=boletos[1].invoice_id, actor=None, reason="billed twice")
    paid = {"occurrence": "06", "fee": Decimal("1.50")}
    return bank_return(
        wallet,
        [
            (boletos[0], {**paid, "paid_amount": Decimal("50.00")}),
            (boletos[1], {**paid, "paid_amount": Decimal("60.00")}),
            (boletos[2], {"occurrence": "02"}),
        ],
    )


def test_import_a_return_file_and_land_on_its_page(open_page, clerk, return_content, tmp_path):
    path = tmp_path / "CB030101.RET"
    path.write_bytes(return_content)
    page = open_page("clerk", "pw-clerk")
    page.goto("/billing/bank-returns/")
    page.get_by_role("link", name="Import a bank return file").click()
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/billing/bank-returns/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bank return file CB030101.RET")
    expect(page.locator(".messages")).to_contain_text("Return file imported.")
    counts = page.locator("#return-file-counts")
    expect(counts.locator("[data-count=records]")).to_have_text("3")
    expect(counts.locator("[data-count=applied]")).to_have_text("2")
    expect(counts.locator("[data-count=attention]")).to_have_text("1")
    expect(counts.locator("[data-count=duplicates]")).to_have_text("0")
    expect(page.locator("#return-records tbody tr")).to_have_count(3)
    expect(page.locator("#return-records")).to_contain_text("Paid a void invoice")
    assert axe_violations(page) == []
    page.select_option("#record-outcome", "attention")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#return-records tbody tr")).to_have_count(1)
    for url in ("/billing/bank-returns/", "/billing/remittances/"):
        page.goto(url)
        assert axe_violations(page) == [], url
    expect(page.locator("#remittance-wallets")).to_contain_text("BB cobrança")


def test_credit_money_that_needs_attention_to_the_customer(open_page, clerk, entity, return_content):
    """The void invoice's payer has nothing open: the clerk finds the customer in the needs-attention modal and keeps
    the money as a credit on their account (decision 0059); the resolved row leads to the customer's billing tab,
    where the credit waits for the next invoice."""
    banking.return_import(entity_id=entity.pk, content=return_content, filename="CB030101.RET", actor=clerk)
    page = open_page("clerk", "pw-clerk")
    page.goto("/billing/needs-attention/")
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Resolve").click()
    modal = page.locator("#modal")
    modal.get_by_label("Customer: name, CPF/CNPJ or code").fill("Cliente 1")
    modal.get_by_role("button", name="Credit to customer").click()
    expect(modal.get_by_role("heading", name="Credit to customer")).to_be_visible()
    choice = modal.get_by_role("radio", name=re.compile("Cliente 1"))
    expect(choice).to_be_checked()  # the only customer found is chosen
    expect(modal.get_by_role("radio")).to_have_count(1)
    assert axe_violations(page, "#modal") == []
    modal.get_by_role("button", name="Credit to the customer's account").click()
    expect(page.locator(".messages")).to_contain_text("R$60.00 credited to Cliente 1's account")
    page.goto("/billing/needs-attention/?state=resolved")
    resolution = page.locator("tbody tr td a")
    expect(resolution).to_have_count(1)
    resolution.click()
    page.wait_for_url(re.compile(r"/customers/\d+/billing/"))
    expect(page.locator("main")).to_contain_text("Payment received by the bank")
