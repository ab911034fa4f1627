"""A PIX for less than the invoice's balance (decision 0046): the charge it paid is closed, and the balance gets a new
charge of the same kind with a new txid, so that the invoice stays payable by PIX (and its boleto prints a QR again).
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from quita.banking import services
from quita.banking.models import AttentionItem, PixCharge, PixReceipt
from quita.banking.pix import brcode
from quita.banking.printing import boleto_context, boleto_html, boleto_pdf
from quita.billing.models import InvoiceStatus
from quita.core.models import ActivityLog
from quita.payments.models import Payment
from tests.banking.conftest import SECRET_ENV


def _receive(invoice, txid: str, amount: str, e2e: str):
    return services.pix_received(
        entity_id=invoice.entity_id, end_to_end_id=e2e, txid=txid, amount=amount, paid_at=timezone.now()
    )


def _charge_log(charge) -> list[str]:
    return list(
        ActivityLog.objects.filter(content_type__model="pixcharge", object_id=str(charge.pk))
        .order_by("pk")
        .values_list("summary", flat=True)
    )


def test_a_partial_static_pix_makes_a_new_static_code_for_the_balance(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")  # Bradesco 400: a sent boleto changes its amount in place (occurrence 31)
    invoice = make_invoice("99.90")
    boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    first = PixCharge.objects.get(invoice=invoice)
    base = f"QUITA{invoice.entity_id}X{invoice.pk}"
    assert (first.kind, first.amount, first.txid) == ("static", Decimal("99.90"), base)

    receipt = _receive(invoice, first.txid, "40.00", "E12345678202502201430partial001")
    assert receipt.payment.amount == Decimal("40.00") and receipt.charge_id == first.pk
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance) == (InvoiceStatus.UNPAID, Decimal("59.90"))
    first.refresh_from_db()
    assert (first.status, first.amount) == ("paid", Decimal("99.90"))  # what it asked; the receipt has the 40.00
    assert f"PIX {first.txid}: paid, 40.00 received (E12345678202502201430partial001)" in _charge_log(first)

    new = PixCharge.objects.get(invoice=invoice, status="active")
    assert new.pk != first.pk and new.txid == f"{first.txid}P2"
    assert (new.kind, new.amount, new.wallet_id) == ("static", Decimal("59.90"), wallet.pk)
    decoded = brcode.parse(new.payload)
    assert (decoded["amount"], decoded["txid"], decoded["key"], decoded["crc_ok"]) == (
        "59.90",
        new.txid,
        "cobranca@fibrasul.example",
        True,
    )
    assert _charge_log(new) == [f"PIX static {new.txid} {invoice.number} 59.90"]

    # the boleto follows the balance and prints the new code's QR (it printed none before this change)
    boleto.refresh_from_db()
    assert (boleto.amount, boleto.pending_action) == (Decimal("59.90"), "amount")
    context = boleto_context(boleto)
    assert context["pix_payload"] == new.payload and context["pix_qr"].startswith("<svg")
    assert f'<code id="pix-payload">{new.payload}</code>' in boleto_html(boleto)
    assert boleto_pdf(boleto).startswith(b"%PDF")
    # asking again (staff, portal, another boleto) gives the same charge
    assert services.pix_charge_create(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk).pk == new.pk

    # the new code, paid in full, pays the invoice; nothing more is made
    _receive(invoice, new.txid, "59.90", "E12345678202502201431balance01")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance) == (InvoiceStatus.PAID, Decimal("0.00"))
    assert list(PixCharge.objects.filter(invoice=invoice).order_by("pk").values_list("txid", "status")) == [
        (first.txid, "paid"),
        (new.txid, "paid"),
    ]
    assert sum(Payment.objects.filter(invoice=invoice).values_list("amount", flat=True)) == Decimal("99.90")
    assert not AttentionItem.objects.exists()
    assert boleto_context(boleto)["pix_payload"] == ""


def test_the_same_partial_webhook_twice_changes_nothing(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")
    invoice = make_invoice("99.90")
    charge = services.pix_charge_create(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    url = f"/api/pix/webhook/{invoice.entity_id}/{services.pix_webhook_token(invoice.entity_id)}/pix"
    body = json.dumps(
        {
            "pix": [
                {
                    "endToEndId": "E12345678202502201430twice0001",
                    "txid": charge.txid,
                    "valor": "30.00",
                    "horario": "2025-02-20T14:30:00.000Z",
                }
            ]
        }
    )
    client = Client()
    assert client.post(url, body, content_type="application/json").status_code == 200

    def state():
        return (
            list(PixCharge.objects.order_by("pk").values_list("txid", "status", "amount", "payload")),
            list(PixReceipt.objects.values_list("pk", "amount", "payment_id")),
            list(Payment.objects.values_list("pk", "amount")),
            ActivityLog.objects.count(),
            AttentionItem.objects.count(),
        )

    after_first = state()
    charges, receipts, payments, _, attention = after_first
    assert [(txid, status, amount) for txid, status, amount, _ in charges] == [
        (charge.txid, "paid", Decimal("99.90")),
        (f"{charge.txid}P2", "active", Decimal("69.90")),
    ]
    assert len(receipts) == 1 and [amount for _, amount in payments] == [Decimal("30.00")] and attention == 0

    assert client.post(url, body, content_type="application/json").status_code == 200
    assert state() == after_first
    assert _receive(invoice, charge.txid, "30.00", "E12345678202502201430twice0001").pk == receipts[0][0]
    assert state() == after_first
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("69.90")


def test_a_second_partial_pix_makes_the_next_txid_and_the_old_code_paid_again_moves_the_new_one(
    make_wallet, make_invoice, clerk, clock
):
    wallet = make_wallet("237")
    invoice = make_invoice("100.00")
    first = services.pix_charge_create(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    _receive(invoice, first.txid, "10.00", "E1partial")
    second = PixCharge.objects.get(invoice=invoice, status="active")
    _receive(invoice, second.txid, "20.00", "E2partial")
    third = PixCharge.objects.get(invoice=invoice, status="active")
    assert [first.txid + "P2", first.txid + "P3"] == [second.txid, third.txid]
    assert third.amount == Decimal("70.00") and brcode.parse(third.payload)["amount"] == "70.00"
    # a payer scans the first (closed) code again: the money is applied, and the open code follows the balance
    _receive(invoice, first.txid, "5.00", "E3againold")
    third.refresh_from_db()
    assert (third.status, third.amount) == ("active", Decimal("65.00"))
    assert brcode.parse(third.payload)["amount"] == "65.00"
    assert PixCharge.objects.filter(invoice=invoice).count() == 3
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("65.00")


def test_a_full_static_pix_still_closes_the_charge_and_pays_the_invoice(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")
    invoice = make_invoice("42.00")
    charge = services.pix_charge_create(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    receipt = _receive(invoice, charge.txid, "42.00", "E1full")
    assert receipt.payment.amount == Decimal("42.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert list(PixCharge.objects.filter(invoice=invoice).values_list("txid", "status")) == [(charge.txid, "paid")]


def test_txids_of_a_sequence_are_distinct_and_keep_the_br_code_rules(make_invoice):
    invoice = make_invoice("10.00")
    static = [services.invoice_txid(invoice, dynamic=False, sequence=n) for n in (1, 2, 10, 12345)]
    dynamic = [services.invoice_txid(invoice, dynamic=True, sequence=n) for n in (1, 2, 10, 12345)]
    for txids, low, high in ((static, 1, 25), (dynamic, 26, 35)):
        assert len(set(txids)) == 4
        assert all(txid.isascii() and txid.isalnum() and low <= len(txid) <= high for txid in txids)
    base = f"QUITA{invoice.entity_id}X{invoice.pk}"
    assert static[:2] == [base, f"{base}P2"]
    assert dynamic[1] == base + "P" + "2".rjust(25 - len(base), "0")
    # a later invoice's first txid never equals an earlier one's sequenced txid: "P" is not a digit
    assert not any(txid.startswith(base + "P") for txid in (base + "2", (base + "2").ljust(26, "0")))


def test_a_partial_pix_on_a_cobv_makes_a_new_cobv_for_the_balance_after_the_commit(
    psp, pix_wallet, make_invoice, clerk, clock, django_capture_on_commit_callbacks
):
    invoice = make_invoice("99.90")
    first = services.pix_charge_create(invoice_id=invoice.pk, wallet_id=pix_wallet.pk, actor=clerk)
    with django_capture_on_commit_callbacks(execute=True):
        _receive(invoice, first.txid, "40.00", "E12345678202502201430cobvpart1")
    first.refresh_from_db()
    assert first.status == "paid"
    new = PixCharge.objects.get(invoice=invoice, status="active")
    assert (new.kind, new.amount, new.provider) == ("cobv", Decimal("59.90"), "api-pix")
    assert new.txid != first.txid and 26 <= len(new.txid) <= 35 and new.txid.isalnum()
    assert psp.charges[new.txid]["valor"]["original"] == "59.90"
    assert psp.charges[first.txid]["valor"]["original"] == "99.90"  # the paid cobv is left alone
    assert not [r for r in psp.requests if r[0] == "PATCH"]
    assert services.pix_charge_create(invoice_id=invoice.pk, wallet_id=pix_wallet.pk, actor=clerk).pk == new.pk

    # the same notification again: no new charge, nothing sent to the PSP
    sent = len(psp.requests)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _receive(invoice, first.txid, "40.00", "E12345678202502201430cobvpart1")
    assert callbacks == [] and len(psp.requests) == sent and PixCharge.objects.count() == 2

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _receive(invoice, new.txid, "59.90", "E12345678202502201431cobvrest1")
    assert callbacks == []
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert set(PixCharge.objects.filter(invoice=invoice).values_list("status", flat=True)) == {"paid"}


def test_a_psp_that_is_down_leaves_no_charge_and_the_payment_stands(
    psp, pix_wallet, make_invoice, clerk, clock, django_capture_on_commit_callbacks, monkeypatch
):
    invoice = make_invoice("99.90")
    first = services.pix_charge_create(invoice_id=invoice.pk, wallet_id=pix_wallet.pk, actor=clerk)
    monkeypatch.setenv(SECRET_ENV, "")  # the PSP cannot be reached: no credentials
    with django_capture_on_commit_callbacks(execute=True):
        receipt = _receive(invoice, first.txid, "40.00", "E12345678202502201430cobvdown1")
    assert receipt.payment.amount == Decimal("40.00")
    assert not PixCharge.objects.filter(invoice=invoice, status="active").exists()
    monkeypatch.setenv(SECRET_ENV, "s3cret")
    later = services.pix_charge_create(invoice_id=invoice.pk, wallet_id=pix_wallet.pk, actor=clerk)
    assert later.txid != first.txid and psp.charges[later.txid]["valor"]["original"] == "59.90"
