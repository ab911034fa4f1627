"""Return import: malformed files refused whole, bad records listed, money that cannot be applied kept for
attention, `quita import-return`, and the API upload."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from quita.banking import services
from quita.banking.models import AttentionItem, AttentionReason, ReturnFile, ReturnRecord
from quita.billing.models import InvoiceStatus
from quita.core.errors import ValidationFailed
from quita.payments.models import Payment
from tests.banking.test_round_trip import bank_return


@pytest.fixture
def issued(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")
    invoices = [make_invoice("50.00"), make_invoice("60.00")]
    boletos = [services.boleto_issue(invoice_id=i.pk, wallet_id=wallet.pk, actor=clerk) for i in invoices]
    return wallet, invoices, boletos


def _paid(boleto, amount):
    return (boleto, {"occurrence": "06", "paid_amount": Decimal(amount)})


def test_malformed_file_is_refused_with_line_and_reason(issued, clerk):
    wallet, _invoices, boletos = issued
    lines = bank_return(wallet, [_paid(boletos[0], "50.00")]).decode().split("\r\n")
    truncated = "\r\n".join(lines[:2]).encode()  # no trailer: cut short
    with pytest.raises(ValidationFailed) as error:
        services.return_import(entity_id=wallet.entity_id, content=truncated, filename="x.ret", actor=clerk)
    assert error.value.code == "cnab_no_trailer"
    assert "line 2" in str(error.value.detail)
    with pytest.raises(ValidationFailed) as error:
        services.return_import(entity_id=wallet.entity_id, content=b"hello\r\n", filename="x.ret", actor=clerk)
    assert error.value.code == "cnab_unknown_format"
    assert not ReturnFile.objects.exists() and not Payment.objects.exists()


def test_bad_records_are_listed_and_good_ones_applied(issued, clerk):
    wallet, invoices, boletos = issued
    lines = bank_return(wallet, [_paid(boletos[0], "50.00"), _paid(boletos[1], "60.00")]).decode().split("\r\n")
    broken = lines[2][:152] + "ABCDEFGHIJKLM" + lines[2][165:]  # the amount of the second record
    content = "\r\n".join([lines[0], lines[1], broken, *lines[3:]]).encode()
    result = services.return_import(entity_id=wallet.entity_id, content=content, filename="x.ret", actor=clerk)
    assert (
        result.return_file.errors
        == [{"line": 3, "reason": "amount (positions 153-165) is not a number: 'ABCDEFGHIJKLM'"}]
        or result.return_file.errors[0]["line"] == 3
    )
    assert result.return_file.applied_count == 1
    invoices[0].refresh_from_db()
    invoices[1].refresh_from_db()
    assert (invoices[0].status, invoices[1].status) == (InvoiceStatus.PAID, InvoiceStatus.UNPAID)


def test_money_that_cannot_be_applied_needs_attention(issued, make_invoice, ledger, clerk):
    wallet, invoices, boletos = issued
    ledger.void_invoice(invoices[0])
    ledger.pay(invoices[1])
    ghost = type(
        "Ghost",
        (),
        {
            "our_number": 777,
            "our_number_display": "09/00000000777-1",
            "due_date": boletos[0].due_date,
            "amount": Decimal("10.00"),
            "invoice": invoices[0],
        },
    )()
    content = bank_return(wallet, [_paid(boletos[0], "50.00"), _paid(boletos[1], "60.00"), _paid(ghost, "10.00")])
    result = services.return_import(entity_id=wallet.entity_id, content=content, filename="x.ret", actor=clerk)
    assert result.return_file.attention_count == 3
    reasons = sorted(AttentionItem.objects.values_list("reason", flat=True))
    assert reasons == sorted(
        [AttentionReason.INVOICE_VOID, AttentionReason.INVOICE_ALREADY_PAID, AttentionReason.UNKNOWN_OUR_NUMBER]
    )
    assert sum(AttentionItem.objects.values_list("amount", flat=True)) == Decimal("120.00")
    assert ReturnRecord.objects.filter(outcome="attention").count() == 3
    assert Payment.objects.filter(gateway="cnab-237").count() == 0
    item = AttentionItem.objects.first()
    services.attention_resolve(item_id=item.pk, actor=clerk, resolution="Refunded by PIX")
    item.refresh_from_db()
    assert item.resolved_at is not None


def test_a_remittance_is_not_a_return(issued, clerk):
    wallet, _invoices, _boletos = issued
    remittance = services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    with pytest.raises(ValidationFailed) as error:
        services.return_import(
            entity_id=wallet.entity_id, content=remittance.content.encode(), filename="r", actor=clerk
        )
    assert error.value.code == "cnab_not_a_return"


def test_import_return_command(issued, tmp_path):
    wallet, invoices, boletos = issued
    path = tmp_path / "CB250201.RET"
    path.write_bytes(bank_return(wallet, [_paid(boletos[0], "50.00")]))
    out = StringIO()
    call_command("import-return", str(path), "--entity", str(wallet.entity_id), stdout=out)
    first = json.loads(out.getvalue())
    assert (first["created"], first["applied"], first["records"]) == (True, 1, 1)
    out = StringIO()
    call_command("import-return", str(path), "--entity", str(wallet.entity_id), stdout=out)
    assert json.loads(out.getvalue())["created"] is False


def _api(user):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_api_upload_of_a_return_file(issued, clerk):
    wallet, invoices, boletos = issued
    api = _api(clerk)
    content = bank_return(wallet, [_paid(boletos[0], "50.00")])
    upload = SimpleUploadedFile("CB.RET", content, content_type="text/plain")
    response = api.post("/api/bank-returns/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["applied_count"], body["record_count"], body["bank"]) == (1, 1, "237")
    again = api.post("/api/bank-returns/", {"file": SimpleUploadedFile("CB.RET", content)}, format="multipart")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    records = api.get(f"/api/bank-returns/{body['id']}/records/").json()
    assert records[0]["outcome"] == "applied" and records[0]["paid_amount"] == "50.00"
    bad = api.post("/api/bank-returns/", {"file": SimpleUploadedFile("x.RET", b"garbage")}, format="multipart")
    assert bad.status_code == 400 and bad.json()["code"] == "cnab_unknown_format"
    assert "line 1" in bad.json()["detail"]


def test_api_wallets_boletos_and_remittances(entity, admin_user, clerk, make_invoice, clock):
    admin_api, api = _api(admin_user), _api(clerk)
    response = admin_api.post(
        "/api/wallets/",
        {
            "name": "Itaú",
            "bank": "341",
            "agency": "0057",
            "account": "12345",
            "wallet_code": "109",
            "fine_percent": "2.00",
            "interest_percent_month": "1.00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    wallet = response.json()
    assert (wallet["cnab_layout"], wallet["fine_percent"]) == (400, "2.00")
    assert "pix_client_secret" not in wallet and wallet["pix_client_secret_env"] == ""
    # The PSP secret is never accepted (nor stored, nor returned): only the name of its environment variable.
    refused = admin_api.patch(f"/api/wallets/{wallet['id']}/", {"pix_client_secret": "s3cret"}, format="json")
    assert refused.status_code == 400 and "s3cret" not in refused.content.decode()
    assert refused.json()["code"] == "wallet_secret_not_stored", refused.json()
    named = admin_api.patch(
        f"/api/wallets/{wallet['id']}/", {"pix_client_secret_env": "QUITA_PIX_SECRET_ITAU"}, format="json"
    )
    assert named.status_code == 200 and named.json()["pix_client_secret_env"] == "QUITA_PIX_SECRET_ITAU"
    assert admin_api.get(f"/api/wallets/{wallet['id']}/").json()["pix_client_secret_env"] == "QUITA_PIX_SECRET_ITAU"
    capped = admin_api.patch(f"/api/wallets/{wallet['id']}/", {"interest_percent_month": "2.00"}, format="json")
    assert capped.status_code == 400 and capped.json()["code"] == "wallet_interest_above_cap"
    assert api.post("/api/wallets/", {"name": "X", "kind": "invoice"}, format="json").status_code == 403

    invoice = make_invoice("88.00")
    created = api.post("/api/boletos/", {"invoice": invoice.pk, "wallet": wallet["id"]}, format="json")
    assert created.status_code == 201, created.json()
    boleto = created.json()
    assert boleto["amount"] == "88.00" and boleto["bank"] == "341" and len(boleto["barcode"]) == 44
    assert boleto["status"] == "awaiting" and boleto["payable_at"]
    remittance = api.post("/api/remittances/", {"wallet": wallet["id"]}, format="json")
    assert remittance.status_code == 201 and remittance.json()["record_count"] == 1
    file = api.get(f"/api/remittances/{remittance.json()['id']}/file/")
    assert file.status_code == 200 and file.content.startswith(b"01REMESSA")
    assert file["Content-Type"] == "application/octet-stream"  # as the staff page's download: the bank's bytes
    empty = api.post("/api/remittances/", {"wallet": wallet["id"]}, format="json")
    assert empty.status_code == 409 and empty.json()["code"] == "remittance_empty"


def test_api_contract_wallet(entity, other_entity, clerk, make_customer, make_wallet):
    api = _api(clerk)
    customer = make_customer()
    ours = make_wallet("237")
    theirs = make_wallet("237", target=other_entity)
    body = {"customer": customer.pk, "billing_day": 1, "due_day": 10, "start_date": "2025-01-01", "wallet": ours.pk}
    response = api.post("/api/contracts/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["wallet"] == ours.pk
    contract_id = response.json()["id"]
    refused = api.patch(f"/api/contracts/{contract_id}/", {"wallet": theirs.pk}, format="json")
    assert refused.status_code == 404
    cleared = api.patch(f"/api/contracts/{contract_id}/", {"wallet": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["wallet"] is None


def test_a_number_two_wallets_share_is_never_guessed(make_wallet, make_invoice, clerk, clock):
    first = make_wallet("237", name="Bradesco A")
    second = make_wallet("237", name="Bradesco B", account="99999")
    one = services.boleto_issue(invoice_id=make_invoice("50.00").pk, wallet_id=first.pk, actor=clerk)
    services.boleto_issue(invoice_id=make_invoice("50.00").pk, wallet_id=second.pk, actor=clerk)
    # A file whose header names neither wallet's account: nosso número 1 exists in both.
    other = type(
        "W",
        (),
        {
            **{k: getattr(first, k) for k in ("bank", "cnab_layout", "agency", "beneficiary_code", "entity")},
            "account": "11111",
        },
    )()
    content = bank_return(other, [_paid(one, "50.00")])
    result = services.return_import(entity_id=first.entity_id, content=content, filename="x.ret", actor=clerk)
    assert result.return_file.wallet is None
    assert result.return_file.attention_count == 1
    assert AttentionItem.objects.get().reason == AttentionReason.UNKNOWN_OUR_NUMBER
    assert not Payment.objects.filter(gateway="cnab-237").exists()
