"""A partial payment by another route: the open boleto and the PIX charge follow the invoice's balance.

The boleto's new amount reaches the bank in the next remittance (the layout's "change amount" instruction, read back
with the CNAB reader), or the boleto is cancelled and issued again where the layout has no such instruction; a cobv
is PATCHed at a local PSP (tests/banking/psp_server.py); a static BR Code is made again.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from quita.banking import boleto as boleto_math
from quita.banking import services
from quita.banking.cnab import reader
from quita.banking.models import Boleto, BoletoStatus, PixCharge
from quita.banking.pix import brcode
from quita.core.errors import Conflict
from quita.core.models import ActivityLog
from quita.payments import services as payments


def _pay_cash(invoice, clerk, amount: str):
    return payments.invoice_pay(invoice_id=invoice.pk, actor=clerk, method="cash", amount=amount)


def _boleto_log(boleto) -> list[str]:
    return list(
        ActivityLog.objects.filter(content_type__model="boleto", object_id=str(boleto.pk))
        .order_by("pk")
        .values_list("summary", flat=True)
    )


@pytest.mark.parametrize(
    ("bank", "layout", "code"),
    [("104", 240, "47"), ("001", 240, "47"), ("237", 400, "31")],
    ids=["caixa-240", "bb-240", "bradesco-400"],
)
def test_partial_cash_payment_changes_the_sent_boleto_in_the_next_remittance(
    bank, layout, code, make_wallet, make_invoice, clerk, clock
):
    wallet = make_wallet(bank)
    invoice = make_invoice("99.90")
    boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    first = services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    assert [t.occurrence_code for t in reader.read(first.content).titles] == ["01"]
    old_barcode = boleto.barcode

    _pay_cash(invoice, clerk, "40.05")

    boleto.refresh_from_db()
    assert (boleto.amount, boleto.pending_action, boleto.status) == (Decimal("59.85"), "amount", "awaiting")
    assert boleto.barcode != old_barcode
    reading = boleto_math.read(boleto.barcode, today=boleto.due_date)
    assert reading.valid and reading.amount == "59.85" and reading.due_date == boleto.due_date.isoformat()
    assert boleto_math.read(boleto.digitable_line, today=boleto.due_date).barcode == boleto.barcode
    expected = f"boleto {boleto.our_number_display}: amount 59.85, the balance of {invoice.number}"
    assert _boleto_log(boleto)[-1] == expected

    remittance = services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    assert list(remittance.items.values_list("boleto_id", "action")) == [(boleto.pk, "amount")]
    parsed = reader.read(remittance.content)
    assert (parsed.bank, parsed.width, parsed.direction) == (bank, layout, "remittance")
    [title] = parsed.titles
    assert (title.occurrence_code, title.amount, title.our_number) == (code, Decimal("59.85"), boleto.our_number)
    assert remittance.total_amount == Decimal("59.85")
    boleto.refresh_from_db()
    assert boleto.pending_action == ""
    # the change is sent once
    with pytest.raises(Conflict) as error:
        services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    assert error.value.code == "remittance_empty"


def test_running_twice_changes_nothing(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("104")
    invoice = make_invoice("99.90")
    boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    _pay_cash(invoice, clerk, "0.01")
    boleto.refresh_from_db()
    assert boleto.amount == Decimal("99.89")
    logs, state = ActivityLog.objects.count(), Boleto.objects.values().get(pk=boleto.pk)
    invoice.refresh_from_db()
    services.invoice_charges_follow_balance(invoice=invoice, actor=clerk)
    assert ActivityLog.objects.count() == logs and Boleto.objects.values().get(pk=boleto.pk) == state
    assert Boleto.objects.filter(invoice=invoice).count() == 1


def test_two_partial_payments_before_the_remittance_send_one_change_with_the_last_balance(
    make_wallet, make_invoice, clerk, clock
):
    wallet = make_wallet("237")
    invoice = make_invoice("100.00")
    boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    _pay_cash(invoice, clerk, "33.33")
    _pay_cash(invoice, clerk, "33.33")
    remittance = services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    [title] = reader.read(remittance.content).titles
    assert (title.occurrence_code, title.amount) == ("31", Decimal("33.34"))
    boleto.refresh_from_db()
    assert boleto.amount == Decimal("33.34")


def test_a_boleto_not_sent_yet_changes_its_entry(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("341")  # no change instruction needed: the bank has not seen the boleto
    invoice = make_invoice("99.90")
    boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    _pay_cash(invoice, clerk, "9.90")
    boleto.refresh_from_db()
    assert (boleto.amount, boleto.pending_action) == (Decimal("90.00"), "entry")
    [title] = reader.read(services.remittance_create(wallet_id=wallet.pk, actor=clerk).content).titles
    assert (title.occurrence_code, title.amount) == ("01", Decimal("90.00"))


@pytest.mark.parametrize("bank", ["341", "033", "756"], ids=["itau-400", "santander-240", "sicoob-240"])
def test_without_a_change_instruction_the_boleto_is_cancelled_and_issued_again(
    bank, make_wallet, make_invoice, clerk, clock
):
    wallet = make_wallet(bank)
    invoice = make_invoice("99.90")
    old = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    services.remittance_create(wallet_id=wallet.pk, actor=clerk)

    _pay_cash(invoice, clerk, "49.95")

    old.refresh_from_db()
    assert (old.status, old.pending_action, old.amount) == (BoletoStatus.CANCELLED, "cancel", Decimal("99.90"))
    new = Boleto.objects.get(invoice=invoice, status=BoletoStatus.AWAITING_REGISTRATION)
    assert (new.amount, new.pending_action, new.wallet_id) == (Decimal("49.95"), "entry", wallet.pk)
    assert new.our_number == old.our_number + 1
    assert "reissued for 49.95" in _boleto_log(old)[-1]
    remittance = services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    titles = {t.our_number: (t.occurrence_code, t.amount) for t in reader.read(remittance.content).titles}
    assert titles == {old.our_number: ("02", Decimal("99.90")), new.our_number: ("01", Decimal("49.95"))}
    with pytest.raises(Conflict):
        services.remittance_create(wallet_id=wallet.pk, actor=clerk)


def test_a_waiting_due_date_change_is_reissued_and_a_waiting_amount_change_blocks_the_due_date(
    make_wallet, make_invoice, clerk, clock
):
    wallet = make_wallet("104")
    invoice = make_invoice("99.90")
    boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    later = boleto.due_date + datetime.timedelta(days=5)
    services.boleto_change_due_date(boleto_id=boleto.pk, due_date=later, actor=clerk)
    _pay_cash(invoice, clerk, "10.00")
    boleto.refresh_from_db()
    assert (boleto.status, boleto.pending_action) == (BoletoStatus.CANCELLED, "cancel")
    new = Boleto.objects.get(invoice=invoice, status=BoletoStatus.AWAITING_REGISTRATION)
    assert new.amount == Decimal("89.90")
    services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    _pay_cash(invoice, clerk, "10.00")
    new.refresh_from_db()
    assert (new.amount, new.pending_action) == (Decimal("79.90"), "amount")
    with pytest.raises(Conflict) as error:
        services.boleto_change_due_date(boleto_id=new.pk, due_date=later, actor=clerk)
    assert error.value.code == "boleto_amount_change_pending"


def test_a_full_payment_still_cancels_the_boleto(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("104")
    invoice = make_invoice("99.90")
    boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    _pay_cash(invoice, clerk, "40.00")
    _pay_cash(invoice, clerk, "59.90")
    boleto.refresh_from_db()
    assert (boleto.amount, boleto.status) == (Decimal("59.90"), BoletoStatus.AWAITING_REGISTRATION)
    remittance = services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    assert list(remittance.items.values_list("boleto_id", "action")) == [(boleto.pk, "cancel")]
    [title] = reader.read(remittance.content).titles
    assert title.occurrence_code == "02"
    boleto.refresh_from_db()
    assert boleto.status == BoletoStatus.CANCELLED


def test_the_static_br_code_is_made_again_for_the_balance(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")  # with a PIX key: the boleto carries a static BR Code
    invoice = make_invoice("99.90")
    services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    charge = PixCharge.objects.get(invoice=invoice)
    assert (charge.kind, charge.amount) == ("static", Decimal("99.90"))
    _pay_cash(invoice, clerk, "0.90")
    charge.refresh_from_db()
    assert charge.amount == Decimal("99.00")
    decoded = brcode.parse(charge.payload)
    assert decoded["crc_ok"] and decoded["amount"] == "99.00"


def test_the_cobv_is_revised_at_the_psp_after_the_commit(
    psp, pix_wallet, make_invoice, clerk, clock, django_capture_on_commit_callbacks
):
    invoice = make_invoice("99.90")
    charge = services.pix_charge_create(invoice_id=invoice.pk, wallet_id=pix_wallet.pk, actor=clerk)
    assert psp.charges[charge.txid]["valor"]["original"] == "99.90"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _pay_cash(invoice, clerk, "40.00")
    assert len(callbacks) == 1

    at_psp = psp.charges[charge.txid]
    assert at_psp["valor"] == {
        "original": "59.90",
        "multa": {"modalidade": "2", "valorPerc": "2.00"},
        "juros": {"modalidade": "3", "valorPerc": "1.00"},
    }
    assert at_psp["revisao"] == 1 and ("PATCH", f"/v2/cobv/{charge.txid}") in psp.requests
    charge.refresh_from_db()
    assert (charge.amount, charge.revision_pending, charge.revision_error) == (Decimal("59.90"), False, "")
    summaries = list(
        ActivityLog.objects.filter(content_type__model="pixcharge", object_id=str(charge.pk)).values_list(
            "summary", flat=True
        )
    )
    assert f"PIX {charge.txid}: revised at the PSP to 59.90" in summaries
    # the job finds nothing left to do
    out = StringIO()
    call_command("pix", "revise", stdout=out)
    assert json.loads(out.getvalue()) == {"revised": 0, "failed": 0}
    assert [r for r in psp.requests if r[0] == "PATCH"] == [("PATCH", f"/v2/cobv/{charge.txid}")]


def test_a_refused_revision_stays_pending_and_the_job_retries_it(
    psp, pix_wallet, make_invoice, clerk, clock, django_capture_on_commit_callbacks
):
    invoice = make_invoice("99.90")
    charge = services.pix_charge_create(invoice_id=invoice.pk, wallet_id=pix_wallet.pk, actor=clerk)
    psp.patch_fails_with = 503
    with django_capture_on_commit_callbacks(execute=True):
        _pay_cash(invoice, clerk, "40.00")  # the payment stands though the PSP is down
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("59.90")
    charge.refresh_from_db()
    assert charge.revision_pending and "HTTP 503" in charge.revision_error and charge.amount == Decimal("59.90")
    assert psp.charges[charge.txid]["valor"]["original"] == "99.90"
    with pytest.raises(CommandError):
        call_command("pix", "revise", stdout=StringIO())

    psp.patch_fails_with = None
    out = StringIO()
    call_command("pix", "revise", stdout=out)
    assert json.loads(out.getvalue()) == {"revised": 1, "failed": 0}
    assert psp.charges[charge.txid]["valor"]["original"] == "59.90"
    charge.refresh_from_db()
    assert (charge.revision_pending, charge.revision_error) == (False, "")


def test_a_partial_pix_moves_the_boleto_and_leaves_the_paid_cobv_alone(
    psp, pix_wallet, make_invoice, clerk, clock, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    invoice = make_invoice("99.90")
    charge = services.pix_charge_create(invoice_id=invoice.pk, wallet_id=pix_wallet.pk, actor=clerk)
    boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=pix_wallet.pk, actor=clerk)
    services.remittance_create(wallet_id=pix_wallet.pk, actor=clerk)
    with django_capture_on_commit_callbacks(execute=True):
        services.pix_received(
            entity_id=invoice.entity_id,
            end_to_end_id="E12345678202502201430partial001",
            txid=charge.txid,
            amount="40.00",
            paid_at=timezone.now(),
        )
    charge.refresh_from_db()
    assert (charge.status, charge.amount, charge.revision_pending) == ("paid", Decimal("99.90"), False)
    assert not [r for r in psp.requests if r[0] == "PATCH"]
    boleto.refresh_from_db()
    assert (boleto.amount, boleto.pending_action) == (Decimal("59.90"), "amount")


def test_a_partial_static_pix_on_a_reissue_bank_still_gets_a_new_boleto(make_wallet, make_invoice, clerk, clock):
    from django.utils import timezone

    wallet = make_wallet("341")
    invoice = make_invoice("99.90")
    old = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    static = PixCharge.objects.get(invoice=invoice)
    services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    services.pix_received(
        entity_id=invoice.entity_id,
        end_to_end_id="E12345678202502201430static0001",
        txid=static.txid,
        amount="40.00",
        paid_at=timezone.now(),
    )
    static.refresh_from_db()
    assert static.status == "paid"
    old.refresh_from_db()
    assert old.status == BoletoStatus.CANCELLED
    new = Boleto.objects.get(invoice=invoice, status=BoletoStatus.AWAITING_REGISTRATION)
    assert (new.amount, new.pending_action) == (Decimal("59.90"), "entry")
    # the balance has a new static code with a new txid (decision 0046); issuing again gives the same boleto
    again = PixCharge.objects.get(invoice=invoice, status="active")
    assert (again.txid, again.amount) == (f"{static.txid}P2", Decimal("59.90"))
    assert services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk).pk == new.pk


def test_after_a_partial_liquidation_in_a_return_file_the_other_boleto_follows(make_wallet, make_invoice, clerk, clock):
    """Return files settle in bulk (banking.settlement), outside payment_apply: the same service, called for the
    invoices a file left partly paid, moves the invoice's boleto at the other bank."""
    from tests.banking.test_round_trip import bank_return

    bradesco, caixa = make_wallet("237"), make_wallet("104")
    invoice = make_invoice("99.90")
    paid_one = services.boleto_issue(invoice_id=invoice.pk, wallet_id=bradesco.pk, actor=clerk)
    other = services.boleto_issue(invoice_id=invoice.pk, wallet_id=caixa.pk, actor=clerk)
    for wallet in (bradesco, caixa):
        services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    content = bank_return(bradesco, [(paid_one, {"occurrence": "06", "paid_amount": Decimal("40.00")})])
    services.return_import(entity_id=invoice.entity_id, content=content, filename="CB.RET", actor=clerk)
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("59.90")

    assert services.invoices_charges_follow_balance(invoice_ids=[invoice.pk], actor=clerk) == 1
    other.refresh_from_db()
    assert (other.amount, other.pending_action) == (Decimal("59.90"), "amount")
    [title] = reader.read(services.remittance_create(wallet_id=caixa.pk, actor=clerk).content).titles
    assert (title.occurrence_code, title.amount) == ("47", Decimal("59.90"))
    logs = ActivityLog.objects.count()
    services.invoices_charges_follow_balance(invoice_ids=[invoice.pk], actor=clerk)
    assert ActivityLog.objects.count() == logs
