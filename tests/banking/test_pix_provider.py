"""PIX with a PSP: a local server speaking the API Pix subset (OAuth2, /cobv/{txid}, webhook) started by the tests."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from quita.banking import services
from quita.banking.models import AttentionItem, AttentionReason, PixCharge, PixReceipt
from quita.banking.pix import brcode
from quita.banking.pix.provider import ApiPixProvider, PixProviderError
from quita.billing.models import InvoiceStatus
from quita.payments.models import Payment
from tests.banking.conftest import SECRET_ENV


def test_provider_speaks_oauth_and_cobv(psp):
    import datetime

    provider = ApiPixProvider(base_url=psp.base_url, token_url=psp.token_url, client_id="quita", client_secret="s3cret")
    created = provider.create_due_charge(
        txid="QUITA1X1000000000000000000",
        key="k@x.com",
        amount=Decimal("99.90"),
        due_date=datetime.date(2025, 2, 25),
        payer_name="Maria",
        payer_document="123.456.789-09",
        fine_percent=Decimal("2.00"),
        interest_percent_month=Decimal("1.00"),
    )
    assert created.status == "ATIVA" and created.location.startswith("psp.example/qr/v2/cobv/")
    assert brcode.parse(created.payload)["crc_ok"]
    sent = psp.charges[created.txid]
    assert sent["valor"] == {
        "original": "99.90",
        "multa": {"modalidade": "2", "valorPerc": "2.00"},
        "juros": {"modalidade": "3", "valorPerc": "1.00"},
    }
    assert sent["devedor"] == {"cpf": "12345678909", "nome": "Maria"}
    assert provider.read_due_charge(created.txid).amount == Decimal("99.90")
    # one token for both calls
    assert [r for r in psp.requests if r[1] == "/oauth/token"] == [("POST", "/oauth/token")]
    bad = ApiPixProvider(base_url=psp.base_url, token_url=psp.token_url, client_id="quita", client_secret="no")
    with pytest.raises(PixProviderError) as error:
        bad.read_due_charge(created.txid)
    assert error.value.status == 401


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cobv_then_webhook_pays_the_invoice_once(psp, pix_wallet, make_invoice, clerk, live_server):
    invoice = make_invoice("99.90")
    charge = services.pix_charge_create(invoice_id=invoice.pk, wallet_id=pix_wallet.pk, actor=clerk)
    assert (charge.kind, charge.provider, charge.status) == ("cobv", "api-pix", "active")
    assert charge.txid in psp.charges and len(charge.txid) >= 26
    assert brcode.parse(charge.payload)["location"] == charge.location
    again = services.pix_charge_create(invoice_id=invoice.pk, wallet_id=pix_wallet.pk, actor=clerk)
    assert again.pk == charge.pk and len(psp.charges) == 1

    psp.webhook_url = (
        f"{live_server.url}/api/pix/webhook/{invoice.entity_id}/{services.pix_webhook_token(invoice.entity_id)}"
    )
    assert psp.pay(charge.txid, "99.90", "E12345678202502201430abcdefghijk") == 200
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    payment = Payment.objects.get(invoice=invoice)
    assert (payment.method, payment.gateway, payment.external_id, payment.amount) == (
        "pix",
        "pix",
        "E12345678202502201430abcdefghijk",
        Decimal("99.90"),
    )
    assert PixCharge.objects.get(pk=charge.pk).status == "paid"
    # the PSP delivers the same notification again: nothing changes
    assert psp.pay(charge.txid, "99.90", "E12345678202502201430abcdefghijk") == 200
    assert Payment.objects.count() == 1 and PixReceipt.objects.count() == 1
    # a second PIX for the paid invoice is kept for attention, never dropped
    assert psp.pay(charge.txid, "99.90", "E99999999202502201431zzzzzzzzzzz") == 200
    assert AttentionItem.objects.get().reason == AttentionReason.INVOICE_ALREADY_PAID
    # a wrong token is a 404; a malformed body a 400
    psp.webhook_url = f"{live_server.url}/api/pix/webhook/{invoice.entity_id}/wrong"
    assert psp.pay(charge.txid, "1.00", "E0") == 404


def test_static_charge_without_a_psp(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")
    invoice = make_invoice("42.00")
    charge = services.pix_charge_create(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    decoded = brcode.parse(charge.payload)
    assert (charge.kind, decoded["amount"], decoded["key"], decoded["txid"], decoded["crc_ok"]) == (
        "static",
        "42.00",
        "cobranca@fibrasul.example",
        charge.txid,
        True,
    )
    receipt = services.pix_received(
        entity_id=invoice.entity_id,
        end_to_end_id="E1",
        txid=charge.txid,
        amount="42.00",
        paid_at=timezone.now(),
    )
    assert receipt.payment.amount == Decimal("42.00")
    unknown = services.pix_received(
        entity_id=invoice.entity_id, end_to_end_id="E2", txid="NOPE", amount="5.00", paid_at=receipt.paid_at
    )
    assert unknown.payment is None
    assert AttentionItem.objects.get(pix_receipt=unknown).reason == AttentionReason.UNKNOWN_TXID


def test_the_client_secret_comes_from_the_named_environment_variable(pix_wallet, psp, monkeypatch):
    """The wallet stores the variable's name only; the secret is read when the provider is built."""
    from quita.banking.models import Wallet
    from quita.core.errors import DomainError

    stored = {f.attname: getattr(pix_wallet, f.attname) for f in Wallet._meta.concrete_fields}
    assert "s3cret" not in repr(stored) and stored["pix_client_secret_env"] == SECRET_ENV
    provider = services.wallet_pix_provider(pix_wallet)
    assert provider.client_secret == "s3cret"
    monkeypatch.setenv(SECRET_ENV, "rotated")
    assert services.wallet_pix_provider(pix_wallet).client_secret == "rotated"
    monkeypatch.delenv(SECRET_ENV)
    with pytest.raises(DomainError) as error:
        services.wallet_pix_provider(pix_wallet)
    assert error.value.code == "pix_secret_missing" and SECRET_ENV in str(error.value)


def test_a_secret_is_never_taken_as_the_variable_name(make_wallet):
    from quita.core.errors import DomainError

    with pytest.raises(DomainError) as error:
        make_wallet("237", pix_client_secret_env="s3cr3t-v@lue/with=symbols")
    assert error.value.code == "wallet_secret_env_invalid"
