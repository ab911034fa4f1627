"""Money in "needs attention" credited to a customer's account (crédito em conta, decision 0059) when the payer has no
open invoice: an unbilled ledger credit of what the bank or the PSP received, once only, never both applied and
credited, consumed by the customer's next invoice; refusals change nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from quita.banking import services
from quita.banking.models import AttentionItem, AttentionReason
from quita.billing import services as billing_services
from quita.billing.models import CreditType, InvoiceStatus, Transaction, TransactionKind
from quita.core.errors import Conflict, NotFound, PermissionDenied
from quita.core.models import ActivityLog, Membership, Role
from quita.payments.models import Payment
from tests.banking.test_round_trip import PAID_ON, bank_return
from tests.conftest import make_user

FEB_1, FEB_5, FEB_28 = datetime.date(2025, 2, 1), datetime.date(2025, 2, 5), datetime.date(2025, 2, 28)


def ghost_liquidation(wallet, clerk, *, paid: str, interest: str = "0.00", discount: str = "0.00", our_number=777):
    """A return file paying `paid` for a nosso número Quita never issued (a boleto of the ISP's previous system)."""
    ghost = type(
        "Ghost",
        (),
        {
            "our_number": our_number,
            "our_number_display": f"09/{our_number:011d}-1",
            "due_date": datetime.date(2025, 2, 20),
            "amount": Decimal("100.00"),
            "invoice": type("Old", (), {"number": "OLD-0000000777"})(),
        },
    )()
    values = {"occurrence": "06", "paid_amount": Decimal(paid), "interest": Decimal(interest)}
    if discount != "0.00":
        values["discount"] = Decimal(discount)
    content = bank_return(wallet, [(ghost, values)], file_number=our_number)
    result = services.return_import(
        entity_id=wallet.entity_id, content=content, filename=f"cb{our_number}.ret", actor=clerk
    )
    return AttentionItem.objects.get(return_record__return_file=result.return_file)


@pytest.fixture
def unknown_liquidation(make_wallet, clerk, clock):
    """Bradesco pays 103.37 for nosso número 777 (2.15 of interest and fine, 0.53 of discount): 101.75 is the
    boleto's own value (decision 0021)."""
    item = ghost_liquidation(make_wallet("237"), clerk, paid="103.37", interest="2.15", discount="0.53")
    assert item.reason == AttentionReason.UNKNOWN_OUR_NUMBER
    return item


def _written():
    return (Payment.objects.count(), Transaction.objects.count(), ActivityLog.objects.count())


def test_an_unknown_liquidation_credited_to_the_customers_account(unknown_liquidation, make_customer, clerk):
    customer = make_customer("João Souza")
    item = services.attention_credit(item_id=unknown_liquidation.pk, customer_id=customer.pk, actor=clerk)

    credit = item.credit
    assert (credit.kind, credit.credit_type, credit.amount) == (
        TransactionKind.CREDIT,
        CreditType.BANK_RECEIPT,
        Decimal("-101.75"),  # paid 103.37 − interest 2.15 + discount 0.53, to the cent
    )
    assert credit.customer_id == customer.pk and credit.entity_id == customer.entity_id
    assert credit.date == PAID_ON and credit.invoice_id is None and credit.paid_invoice_id is None
    assert credit.created_by == clerk
    record = item.return_record
    assert record.our_number in credit.title and "cb777.ret" in credit.description and "Bradesco" in credit.description
    assert record.event_key in credit.description
    assert Payment.objects.count() == 0  # a credit, not a payment
    item.refresh_from_db()
    assert item.credit_id == credit.pk and item.payment_id is None
    assert item.resolved_at is not None and item.resolved_by == clerk
    assert item.resolution == "Creditado na conta de João Souza"  # in the language of the person (pt-BR)
    log = ActivityLog.objects.filter(content_type__model="attentionitem", object_id=item.pk).get()
    assert log.after == {"resolution": item.resolution, "credit": credit.pk, "customer": customer.pk}
    assert log.actor == clerk and log.customer_id == customer.pk
    assert ActivityLog.objects.filter(content_type__model="transaction", object_id=credit.pk).exists()


def test_the_credit_is_consumed_by_the_next_invoice(unknown_liquidation, make_customer, ledger, clerk):
    customer = make_customer()
    services.attention_credit(item_id=unknown_liquidation.pk, customer_id=customer.pk, actor=clerk)
    ledger.charge(customer, "149.90", date=FEB_5)
    invoice = ledger.invoice(customer, start=FEB_1, end=FEB_28)
    assert invoice.total == Decimal("48.15")  # 149.90 − 101.75
    credit = AttentionItem.objects.get(pk=unknown_liquidation.pk).credit
    credit.refresh_from_db()
    assert credit.invoice_id == invoice.pk
    assert invoice.status == InvoiceStatus.UNPAID


def test_a_voided_credit_sends_the_money_back_to_needs_attention(unknown_liquidation, make_customer, clerk, client):
    """Credited to the wrong customer: voiding the credit opens the item again, so the money can go to the right one.
    It never leaves the books: the void line and the reopened item are written together, each with its log row."""
    wrong, right = make_customer("Ana Errada"), make_customer("Bia Certa")
    credit = services.attention_credit(item_id=unknown_liquidation.pk, customer_id=wrong.pk, actor=clerk).credit
    client.force_login(clerk)
    page = client.get(f"/customers/{wrong.pk}/billing/").content.decode()
    assert f"/transactions/{credit.pk}/void/" in page  # offered: the money has somewhere to go back to
    logged = ActivityLog.objects.count()
    billing_services.transaction_void(transaction_id=credit.pk, actor=clerk, reason="cliente errado")
    credit.refresh_from_db()
    item = AttentionItem.objects.get(pk=unknown_liquidation.pk)
    assert credit.is_void and credit.void_reason == "cliente errado"
    assert (item.resolved_at, item.resolved_by, item.resolution, item.credit) == (None, None, "", None)
    assert ActivityLog.objects.count() == logged + 2  # the line's void and the item's reopening
    reopened = ActivityLog.objects.filter(content_type__model="attentionitem", object_id=item.pk).latest("id")
    assert reopened.before == {"resolution": "Creditado na conta de Ana Errada", "credit": credit.pk}
    assert reopened.after == {"resolution": "", "credit": None}
    again = services.attention_credit(item_id=item.pk, customer_id=right.pk, actor=clerk)
    assert again.credit.customer_id == right.pk and again.credit.amount == Decimal("-101.75")
    assert not Transaction.objects.filter(customer=wrong, is_void=False).exists()


def test_the_void_and_the_reopening_are_one_operation(unknown_liquidation, make_customer, clerk, monkeypatch):
    """If the item cannot be reopened, the credit is not voided either."""
    credit = services.attention_credit(
        item_id=unknown_liquidation.pk, customer_id=make_customer().pk, actor=clerk
    ).credit

    def fail(*args, **kwargs):
        raise IntegrityError("disk full")

    monkeypatch.setattr(services, "activity_record", fail)
    with pytest.raises(IntegrityError):
        billing_services.transaction_void(transaction_id=credit.pk, actor=clerk, reason="cliente errado")
    credit.refresh_from_db()
    assert not credit.is_void
    assert AttentionItem.objects.get(pk=unknown_liquidation.pk).credit_id == credit.pk


def test_the_same_money_is_credited_once(unknown_liquidation, make_customer, clerk):
    first, second = make_customer("Ana"), make_customer("Bia")
    services.attention_credit(item_id=unknown_liquidation.pk, customer_id=first.pk, actor=clerk)
    before = _written()
    with pytest.raises(Conflict) as error:
        services.attention_credit(item_id=unknown_liquidation.pk, customer_id=second.pk, actor=clerk)
    assert error.value.code == "attention_already_resolved"
    assert _written() == before


def test_credited_is_not_applied_and_applied_is_not_credited(make_wallet, make_invoice, make_customer, clerk):
    wallet = make_wallet("237")
    credited = ghost_liquidation(wallet, clerk, paid="50.00", our_number=801)
    applied = ghost_liquidation(wallet, clerk, paid="60.00", our_number=802)
    invoice = make_invoice("60.00")
    customer = make_customer("Carla")
    services.attention_credit(item_id=credited.pk, customer_id=customer.pk, actor=clerk)
    services.attention_apply(item_id=applied.pk, invoice_id=invoice.pk, actor=clerk)
    open_invoice = make_invoice("10.00")
    before = _written()
    with pytest.raises(Conflict) as error:
        services.attention_apply(item_id=credited.pk, invoice_id=open_invoice.pk, actor=clerk)
    assert error.value.code == "attention_already_resolved"
    with pytest.raises(Conflict) as error:
        services.attention_credit(item_id=applied.pk, customer_id=customer.pk, actor=clerk)
    assert error.value.code == "attention_already_resolved"
    assert _written() == before


def test_the_database_keeps_one_destination_per_item(make_wallet, make_invoice, make_customer, clerk):
    wallet = make_wallet("237")
    first = ghost_liquidation(wallet, clerk, paid="50.00", our_number=811)
    second = ghost_liquidation(wallet, clerk, paid="70.00", our_number=812)
    services.attention_credit(item_id=first.pk, customer_id=make_customer().pk, actor=clerk)
    first.refresh_from_db()
    with pytest.raises(IntegrityError), transaction.atomic():  # the same credit line for two items
        AttentionItem.objects.filter(pk=second.pk).update(credit_id=first.credit_id)
    services.attention_apply(item_id=second.pk, invoice_id=make_invoice("70.00").pk, actor=clerk)
    second.refresh_from_db()
    with pytest.raises(IntegrityError), transaction.atomic():  # applied and credited at once
        AttentionItem.objects.filter(pk=second.pk).update(credit_id=first.credit_id)


def test_refusals_change_nothing(unknown_liquidation, make_customer, clerk, entity, other_entity):
    Membership.objects.create(user=clerk, entity=other_entity, role=Role.BILLING_CLERK)
    foreign = make_customer("Outra Pessoa", target=other_entity)
    viewer = make_user("viewer", entity, Role.READ_ONLY)
    customer = make_customer()
    before = _written()
    with pytest.raises(NotFound) as error:  # another company's customer never takes this company's money
        services.attention_credit(item_id=unknown_liquidation.pk, customer_id=foreign.pk, actor=clerk)
    assert error.value.code == "customer_not_found" and "customer" in error.value.fields
    with pytest.raises(NotFound) as error:
        services.attention_credit(item_id=unknown_liquidation.pk, customer_id=999999, actor=clerk)
    assert error.value.code == "customer_not_found"
    with pytest.raises(NotFound) as error:
        services.attention_credit(item_id=999999, customer_id=customer.pk, actor=clerk)
    assert error.value.code == "attention_not_found"
    with pytest.raises(PermissionDenied):
        services.attention_credit(item_id=unknown_liquidation.pk, customer_id=customer.pk, actor=viewer)
    assert _written() == before
    item = AttentionItem.objects.get(pk=unknown_liquidation.pk)
    assert item.resolved_at is None and item.credit_id is None


def test_resolved_or_rejected_is_not_credited(unknown_liquidation, make_wallet, make_invoice, make_customer, clerk):
    customer = make_customer()
    services.attention_resolve(item_id=unknown_liquidation.pk, actor=clerk, resolution="Refunded by TED")
    with pytest.raises(Conflict) as error:
        services.attention_credit(item_id=unknown_liquidation.pk, customer_id=customer.pk, actor=clerk)
    assert error.value.code == "attention_already_resolved"
    wallet = make_wallet("341")
    boleto = services.boleto_issue(invoice_id=make_invoice("50.00").pk, wallet_id=wallet.pk, actor=clerk)
    content = bank_return(wallet, [(boleto, {"occurrence": "03", "reasons": "08"})])
    services.return_import(entity_id=wallet.entity_id, content=content, filename="rej.ret", actor=clerk)
    rejection = AttentionItem.objects.get(reason=AttentionReason.REJECTED)
    with pytest.raises(Conflict) as error:
        services.attention_credit(item_id=rejection.pk, customer_id=customer.pk, actor=clerk)
    assert error.value.code == "attention_no_money"
    assert not Transaction.objects.filter(credit_type=CreditType.BANK_RECEIPT).exists()


def test_a_pix_for_an_unknown_txid_credited(make_customer, clerk, entity):
    paid_at = timezone.now()
    services.pix_received(
        entity_id=entity.pk, end_to_end_id="E00000000202501011200abcdefghijk", txid="nobody", amount="95.07",
        paid_at=paid_at, payer="JOAO SOUZA",
    )  # fmt: skip
    item = AttentionItem.objects.get(reason=AttentionReason.UNKNOWN_TXID)
    customer = make_customer()
    item = services.attention_credit(item_id=item.pk, customer_id=customer.pk, actor=clerk)
    credit = item.credit
    assert credit.amount == Decimal("-95.07") and credit.date == timezone.localtime(paid_at).date()
    assert "E00000000202501011200abcdefghijk" in credit.title and "nobody" in credit.description


def test_api_credit(unknown_liquidation, make_customer, clerk, entity, other_entity):
    customer = make_customer()
    foreign = make_customer("Outra Pessoa", target=other_entity)
    url = f"/api/needs-attention/{unknown_liquidation.pk}/credit/"
    api = APIClient()
    viewer = make_user("viewer", entity, Role.READ_ONLY)
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=viewer).key}")
    assert api.post(url, {"customer": customer.pk}, format="json").status_code == 403
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=clerk).key}")
    missing = api.post(url, {"customer": 999999}, format="json")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    other = api.post(url, {"customer": foreign.pk}, format="json")  # another company's customer: not found
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    Membership.objects.create(user=clerk, entity=other_entity, role=Role.BILLING_CLERK)
    other = api.post(url, {"customer": foreign.pk}, format="json")  # even one the clerk may see elsewhere
    assert other.status_code == 404 and other.json()["code"] == "customer_not_found"
    blank = api.post(url, {}, format="json")
    assert blank.status_code == 400 and "customer" in blank.json()["fields"]
    assert not Transaction.objects.filter(credit_type=CreditType.BANK_RECEIPT).exists()
    answer = api.post(url, {"customer": customer.pk}, format="json")
    assert answer.status_code == 201, answer.content
    credit = Transaction.objects.get(credit_type=CreditType.BANK_RECEIPT)
    assert answer.json()["credit"] == credit.pk and answer.json()["resolved_at"]
    assert credit.amount == Decimal("-101.75")
    again = api.post(url, {"customer": customer.pk}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "attention_already_resolved"
    schema = api.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/needs-attention/{id}/credit/" in schema.content


def test_staff_page_finds_the_customer_and_credits(unknown_liquidation, make_customer, clerk, client, other_entity):
    customer = make_customer("Joana Prado")
    make_customer("Joana Prado", target=other_entity)  # another company's namesake is never listed
    client.force_login(clerk)
    item = unknown_liquidation
    resolve = client.get(f"/billing/needs-attention/{item.pk}/resolve/", HTTP_HX_REQUEST="true").content.decode()
    assert f"/billing/needs-attention/{item.pk}/credit/" in resolve and "Creditar ao cliente" in resolve
    url = f"/billing/needs-attention/{item.pk}/credit/"
    nobody = client.get(url, {"credit-q": "Zélia"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Nenhum cliente desta empresa corresponde à busca." in nobody
    found = client.get(url, {"credit-q": "joana"}, HTTP_HX_REQUEST="true").content.decode()
    assert found.count('name="credit-customer"') == 1 and f'value="{customer.pk}"' in found
    by_document = client.get(url, {"credit-q": customer.document[:6]}, HTTP_HX_REQUEST="true").content.decode()
    assert f'value="{customer.pk}"' in by_document
    by_code = client.get(url, {"credit-q": f"#{customer.pk}"}, HTTP_HX_REQUEST="true").content.decode()
    assert f'value="{customer.pk}"' in by_code
    unchosen = client.post(url, {"credit-q": "joana"}, HTTP_HX_REQUEST="true")
    assert unchosen.status_code == 422 and "Escolha o cliente." in unchosen.content.decode()
    done = client.post(url, {"credit-q": "joana", "credit-customer": customer.pk}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and done["HX-Refresh"] == "true"
    assert Transaction.objects.get(credit_type=CreditType.BANK_RECEIPT).customer_id == customer.pk
    again = client.post(url, {"credit-q": "joana", "credit-customer": customer.pk}, HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and "Esta pendência já foi resolvida." in again.content.decode()
    listing = client.get("/billing/needs-attention/?state=resolved").content.decode()
    assert f'href="/customers/{customer.pk}/billing/"' in listing and "Creditado na conta de Joana Prado" in listing


def test_staff_page_puts_the_services_refusal_on_the_customer_field(unknown_liquidation, make_customer, clerk, client,
                                                                     entity, other_entity):  # fmt: skip
    foreign = make_customer("Outra Pessoa", target=other_entity)
    client.force_login(clerk)
    url = f"/billing/needs-attention/{unknown_liquidation.pk}/credit/"
    refused = client.post(url, {"credit-q": "", "credit-customer": foreign.pk}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 404
    assert 'id="id_credit-customer_error">Nenhum cliente desta empresa.' in refused.content.decode()
    assert not Transaction.objects.filter(credit_type=CreditType.BANK_RECEIPT).exists()
    client.force_login(make_user("viewer", entity, Role.READ_ONLY))
    assert client.post(url, {"credit-customer": foreign.pk}).status_code == 403
