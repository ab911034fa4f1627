"""Fixtures of the banking tests: a wallet per bank, invoices to collect, the fixed clock of the ledger tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quita.banking import services
from quita.core.models import Role
from tests.banking.psp_server import FakePsp
from tests.billing.ledger import Clock, Ledger
from tests.conftest import make_user

# One wallet per bank, with the data the bank's boleto needs (as in the shared vectors).
WALLET_DATA = {
    "001": {
        "agency": "1234",
        "account": "56789",
        "beneficiary_code": "1234567",
        "wallet_code": "17",
        "variation": "019",
        "cnab_layout": 240,
    },
    "033": {
        "agency": "1234",
        "account": "13001234",
        "beneficiary_code": "3300123",
        "wallet_code": "101",
        "cnab_layout": 240,
    },
    "104": {"agency": "1234", "account": "1234", "beneficiary_code": "123456", "wallet_code": "14", "cnab_layout": 240},
    "237": {"agency": "1234", "account": "56789", "wallet_code": "09", "cnab_layout": 400},
    "341": {"agency": "0057", "account": "12345", "wallet_code": "109", "cnab_layout": 400},
    "748": {
        "agency": "0165",
        "station": "05",
        "account": "00623",
        "beneficiary_code": "00623",
        "wallet_code": "1",
        "cnab_layout": 240,
    },
    "756": {
        "agency": "3007",
        "account": "12345678",
        "beneficiary_code": "229385",
        "wallet_code": "1",
        "variation": "01",
        "cnab_layout": 240,
    },
}


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def ledger(clerk, clock) -> Ledger:
    return Ledger(clerk)


@pytest.fixture
def admin_user(entity):
    return make_user("admin", entity, Role.ADMINISTRATOR)


@pytest.fixture
def make_wallet(entity):
    def build(bank: str = "237", name: str | None = None, target=None, **fields):
        data = {**WALLET_DATA.get(bank, {}), **fields}
        return services.wallet_create(
            entity=target or entity,
            actor=None,
            name=name or f"Carteira {bank}",
            kind="bank",
            bank=bank,
            fine_percent=Decimal("2.00"),
            interest_percent_month=Decimal("1.00"),
            pix_key="cobranca@fibrasul.example",
            **data,
        )

    return build


@pytest.fixture
def make_invoice(make_customer, ledger):
    def build(amount: str = "99.90", customer=None):
        customer = customer or make_customer()
        ledger.charge(customer, amount)
        return ledger.invoice(customer)

    return build


# The local PSP (API Pix subset) and a wallet that charges through it; its client secret lives in the environment.
SECRET_ENV = "QUITA_TEST_PIX_CLIENT_SECRET"


@pytest.fixture
def psp():
    server = FakePsp().start()
    yield server
    server.stop()


@pytest.fixture
def pix_wallet(make_wallet, psp, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "s3cret")
    return make_wallet(
        "237",
        pix_api_url=psp.base_url,
        pix_token_url=psp.token_url,
        pix_client_id="quita",
        pix_client_secret_env=SECRET_ENV,
    )
