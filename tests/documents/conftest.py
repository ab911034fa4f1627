"""Fixtures of the document and e-mail tests: an invoice with lines and a payment, built through the services."""

from __future__ import annotations

import io

import pypdf
import pytest

from tests.billing.ledger import Clock, Ledger


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
def invoice(make_customer, ledger):
    """Maria's January invoice: R$ 1.234,56 of fibre and R$ 100,00 of installation, less a R$ 10,00 credit."""
    customer = make_customer("Maria Silva")
    ledger.charge(customer, "1234.56", title="Fibra 300 Mega")
    ledger.charge(customer, "100.00", title="Instalação")
    ledger.credit(customer, "10.00", title="Compensação de queda", credit_type="outage_compensation")
    return ledger.invoice(customer)


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)
