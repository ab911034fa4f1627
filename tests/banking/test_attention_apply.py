"""Money in "needs attention" applied to the payer's open invoice: a boleto liquidation for a nosso número Quita
never issued, a second payment of a paid invoice, a PIX for an unknown txid. The payment is the one the bank or
the PSP would have made; once only; refusals change nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from quita.banking import services
from quita.banking.models import AttentionItem, AttentionReason, PixReceipt
from quita.billing.models import InvoiceStatus, Transaction
from quita.core.errors import Conflict, NotFound, PermissionDenied
from quita.core.models import ActivityLog, Membership, Role
from quita.payments.models import Payment
from tests.banking.test_round_trip import PAID_ON, bank_return
from tests.conftest import make_user


@pytest.fixture
def unknown_liquidation(make_wallet, make_invoice, clerk, clock):
    """A Bradesco return file paying 102.00 (2.00 of interest and fine) for nosso número 777, which Quita never
    issued; and the payer's open invoice of 100.00."""
    wallet = make_wallet("237")
    invoice = make_invoice("100.00")
    ghost = type(
        "Ghost",
        (),
        {
            "our_number": 777,
            "our_number_display": "09/00000000777-1",
            "due_date": datetime.date(2025, 2, 20),
            "amount": Decimal("100.00"),
            "invoice": invoice,
        },
    )()
    content = bank_return(
        wallet, [(ghost, {"occurrence": "06", "paid_amount": Decimal("102.00"), "interest": Decimal("2.00")})]
    )
    services.return_import(entity_id=wallet.entity_id, content=content, filename="r.ret", actor=clerk)
    [item] = AttentionItem.objects.all()
    assert item.reason == AttentionReason.UNKNOWN_OUR_NUMBER and item.amount == Decimal("102.00")
    return item, invoice


def _written():
    return (Payment.objects.count(), Transaction.objects.count(), ActivityLog.objects.count())


def test_an_unknown_liquidation_applied_to_the_payers_invoice(unknown_liquidation, clerk):
    item, invoice = unknown_liquidation
    item = services.attention_apply(item_id=item.pk, invoice_id=invoice.pk, actor=clerk)

    payment = item.payment
    # what the automatic liquidation pays (decision 0021): paid 102.00, less 2.00 of late charges
    assert (payment.amount, payment.method, payment.gateway) == (Decimal("100.00"), "boleto", "cnab-237")
    assert payment.received_on == PAID_ON and payment.invoice_id == invoice.pk
    assert payment.external_id == item.return_record.event_key
    assert payment.created_by == clerk
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.balance == 0
    assert item.resolved_at is not None and item.resolved_by == clerk
    assert item.resolution == f"Aplicado na fatura {invoice.number}"  # in the language of the person (pt-BR)
    log = ActivityLog.objects.filter(content_type__model="attentionitem", object_id=item.pk).get()
    assert log.after == {"resolution": item.resolution, "payment": payment.pk, "invoice": invoice.pk}
    assert log.actor == clerk and log.customer_id == invoice.customer_id


def test_the_same_money_is_applied_once(unknown_liquidation, make_invoice, clerk):
    item, invoice = unknown_liquidation
    services.attention_apply(item_id=item.pk, invoice_id=invoice.pk, actor=clerk)
    other = make_invoice("100.00")
    before = _written()
    with pytest.raises(Conflict) as error:
        services.attention_apply(item_id=item.pk, invoice_id=other.pk, actor=clerk)
    assert error.value.code == "attention_already_resolved"
    assert _written() == before
    other.refresh_from_db()
    assert other.status == InvoiceStatus.UNPAID


def test_refusals_change_nothing(unknown_liquidation, ledger, make_invoice, make_customer, clerk, entity, other_entity):
    item, invoice = unknown_liquidation
    ledger.pay(invoice)
    open_invoice = make_invoice("10.00")
    Membership.objects.create(user=clerk, entity=other_entity, role=Role.BILLING_CLERK)
    foreign = make_invoice("10.00", customer=make_customer("Outra Pessoa", target=other_entity))
    viewer = make_user("viewer", entity, Role.READ_ONLY)
    before = _written()
    with pytest.raises(Conflict) as error:
        services.attention_apply(item_id=item.pk, invoice_id=invoice.pk, actor=clerk)
    assert error.value.code == "invoice_already_paid"
    with pytest.raises(PermissionDenied):
        services.attention_apply(item_id=item.pk, invoice_id=open_invoice.pk, actor=viewer)
    with pytest.raises(NotFound) as error:  # another company's invoice never takes this company's money
        services.attention_apply(item_id=item.pk, invoice_id=foreign.pk, actor=clerk)
    assert error.value.code == "invoice_not_found"
    assert _written() == before
    item.refresh_from_db()
    assert item.resolved_at is None and item.payment is None


def test_a_rejection_has_no_money_to_apply(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")
    invoice = make_invoice("50.00")
    boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    content = bank_return(wallet, [(boleto, {"occurrence": "03", "reasons": "08"})])
    services.return_import(entity_id=wallet.entity_id, content=content, filename="r.ret", actor=clerk)
    [item] = AttentionItem.objects.all()
    assert not services.attention_can_apply(item)
    with pytest.raises(Conflict) as error:
        services.attention_apply(item_id=item.pk, invoice_id=invoice.pk, actor=clerk)
    assert error.value.code == "attention_no_money"


def test_a_pix_for_an_unknown_txid_applied(make_invoice, clerk):
    invoice = make_invoice("80.00")
    paid_at = timezone.now()
    receipt = services.pix_received(
        entity_id=invoice.entity_id, end_to_end_id="E00000000202501011200abcdefghijk", txid="nobody", amount="95.00",
        paid_at=paid_at,
    )  # fmt: skip
    [item] = AttentionItem.objects.all()
    assert item.reason == AttentionReason.UNKNOWN_TXID
    item = services.attention_apply(item_id=item.pk, invoice_id=invoice.pk, actor=clerk)
    payment = item.payment
    assert (payment.amount, payment.method, payment.gateway) == (Decimal("95.00"), "pix", "pix")
    assert payment.applied_amount == Decimal("80.00")  # 15.00 stays as the customer's credit
    assert PixReceipt.objects.get(pk=receipt.pk).payment == payment
    assert Transaction.objects.filter(customer=invoice.customer, kind="credit", amount=Decimal("-15.00")).exists()


def test_api_apply(unknown_liquidation, clerk, entity):
    item, invoice = unknown_liquidation
    api = APIClient()
    viewer = make_user("viewer", entity, Role.READ_ONLY)
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=viewer).key}")
    assert api.post(f"/api/needs-attention/{item.pk}/apply/", {"invoice": invoice.pk}, format="json").status_code == 403
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=clerk).key}")
    missing = api.post(f"/api/needs-attention/{item.pk}/apply/", {"invoice": 999999}, format="json")
    assert missing.status_code == 404
    answer = api.post(f"/api/needs-attention/{item.pk}/apply/", {"invoice": invoice.pk}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["payment"] == Payment.objects.get().pk and answer.json()["resolved_at"]
    again = api.post(f"/api/needs-attention/{item.pk}/apply/", {"invoice": invoice.pk}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "attention_already_resolved"


def test_staff_page_applies_by_invoice_number(unknown_liquidation, clerk, client):
    item, invoice = unknown_liquidation
    client.force_login(clerk)
    modal = client.get(f"/billing/needs-attention/{item.pk}/resolve/", HTTP_HX_REQUEST="true")
    assert modal.status_code == 200 and b"apply-invoice" in modal.content
    url = f"/billing/needs-attention/{item.pk}/apply/"
    wrong = client.post(url, {"apply-invoice": "XX-0000-000000"}, HTTP_HX_REQUEST="true")
    assert wrong.status_code == 422 and "Nenhuma fatura desta empresa tem este número." in wrong.content.decode()
    assert Payment.objects.count() == 0
    done = client.post(url, {"apply-invoice": f" {invoice.number.lower()} "}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and done["HX-Refresh"] == "true"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    listing = client.get("/billing/needs-attention/?state=resolved").content.decode()
    assert f'href="/billing/invoices/{invoice.pk}/"' in listing


def test_staff_page_hides_apply_without_money_and_refuses_viewers(make_wallet, make_invoice, clerk, client, entity):
    wallet = make_wallet("237")
    invoice = make_invoice("50.00")
    boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    content = bank_return(wallet, [(boleto, {"occurrence": "03", "reasons": "08"})])
    services.return_import(entity_id=wallet.entity_id, content=content, filename="r.ret", actor=clerk)
    [item] = AttentionItem.objects.all()
    client.force_login(clerk)
    modal = client.get(f"/billing/needs-attention/{item.pk}/resolve/", HTTP_HX_REQUEST="true")
    assert modal.status_code == 200 and b"apply-invoice" not in modal.content
    client.force_login(make_user("viewer", entity, Role.READ_ONLY))
    refused = client.post(f"/billing/needs-attention/{item.pk}/apply/", {"apply-invoice": invoice.number})
    assert refused.status_code == 403
