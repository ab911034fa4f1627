"""Wallets, boleto issue, nosso número allocation, registration delay, contract wallets and the bank chooser."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from quita.banking import boleto as boleto_math
from quita.banking import services
from quita.banking.models import Boleto, BoletoStatus, RegistrationMode, Wallet
from quita.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from quita.core.models import ActivityLog
from quita.customers import services as customer_services


def test_wallet_create_logs_and_validates_bank_data(make_wallet):
    wallet = make_wallet("001")
    assert wallet.cnab_layout == 240 and wallet.next_our_number == 1
    assert ActivityLog.objects.filter(object_id=wallet.pk, action="create").exists()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("fine_percent", "2.01", "wallet_fine_above_cap"),
        ("interest_percent_month", "1.5", "wallet_interest_above_cap"),
        ("fine_percent", "-1", "invalid_percent"),
        ("cnab_layout", 400, "wallet_layout_invalid"),
    ],
)
def test_wallet_caps_and_layouts_are_refused_with_clear_codes(entity, field, value, code):
    data = {"name": "X", "bank": "104", "agency": "1234", "beneficiary_code": "123456", field: value}
    with pytest.raises(ValidationFailed) as error:
        services.wallet_create(entity=entity, actor=None, **data)
    assert error.value.code == code
    assert not Wallet.objects.exists()


def test_wallet_missing_bank_data_is_refused(entity):
    with pytest.raises(ValidationFailed) as error:
        services.wallet_create(entity=entity, actor=None, name="BB", bank="001", agency="1234")
    assert error.value.code == "wallet_bank_data_invalid"


def test_only_administrators_manage_wallets(entity, clerk):
    with pytest.raises(PermissionDenied):
        services.wallet_create(entity=entity, actor=clerk, name="X", kind="invoice")


def test_invoice_wallet_is_a_chooser_without_bank_data(entity):
    wallet = services.wallet_create(entity=entity, actor=None, name="Fatura", kind="invoice", bank="237")
    assert (wallet.kind, wallet.bank, wallet.cnab_layout) == ("invoice", "", None)


def test_nosso_numero_never_goes_back(make_wallet):
    wallet = make_wallet("237")
    services.wallet_update(wallet=wallet, actor=None, next_our_number=100)
    with pytest.raises(ValidationFailed) as error:
        services.wallet_update(wallet=wallet, actor=None, next_our_number=50)
    assert error.value.code == "wallet_our_number_backwards"


def test_boleto_issue_builds_a_valid_boleto(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("341")
    invoice = make_invoice("99.90")
    boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    reading = boleto_math.read(boleto.barcode, today=invoice.due_date)
    assert reading.valid and reading.amount == "99.90" and reading.due_date == invoice.due_date.isoformat()
    assert boleto.digitable_line == boleto_math.format_linha(boleto_math.linha_from_barcode(boleto.barcode))
    assert (boleto.our_number, boleto.status, boleto.pending_action) == (1, "awaiting", "entry")
    # Issuing again returns the open boleto: no second number taken.
    again = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    assert again.pk == boleto.pk
    assert Wallet.objects.get(pk=wallet.pk).next_our_number == 2


def test_boleto_refused_for_paid_or_void_invoice_takes_no_number(make_wallet, make_invoice, ledger, clerk):
    wallet = make_wallet("237")
    paid = make_invoice()
    ledger.pay(paid)
    with pytest.raises(Conflict) as error:
        services.boleto_issue(invoice_id=paid.pk, wallet_id=wallet.pk, actor=clerk)
    assert error.value.code == "invoice_already_paid"
    void = make_invoice()
    ledger.void_invoice(void)
    with pytest.raises(Conflict):
        services.boleto_issue(invoice_id=void.pk, wallet_id=wallet.pk, actor=clerk)
    assert Wallet.objects.get(pk=wallet.pk).next_our_number == 1
    assert not Boleto.objects.exists()


def test_boleto_from_another_entitys_wallet_is_not_found(make_wallet, make_invoice, other_entity, clerk):
    wallet = make_wallet("237", target=other_entity)
    with pytest.raises(NotFound):
        services.boleto_issue(invoice_id=make_invoice().pk, wallet_id=wallet.pk, actor=clerk)


def test_registration_assumed_after_thirty_minutes(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237", registration=RegistrationMode.ASSUMED)
    boleto = services.boleto_issue(invoice_id=make_invoice().pk, wallet_id=wallet.pk, actor=clerk)
    now = timezone.now()
    assert services.boleto_payable_at(boleto) == now + datetime.timedelta(minutes=30)
    assert services.boleto_display_status(boleto, now=now + datetime.timedelta(minutes=29)) == "awaiting"
    assert services.boleto_display_status(boleto, now=now + datetime.timedelta(minutes=30)) == "registered"
    assert services.boletos_assume_registered(now=now + datetime.timedelta(minutes=10)) == 0
    assert services.boletos_assume_registered(now=now + datetime.timedelta(minutes=31)) == 1
    assert services.boletos_assume_registered(now=now + datetime.timedelta(minutes=32)) == 0
    assert Boleto.objects.get().status == BoletoStatus.REGISTERED


def test_registration_by_return_file_waits_for_the_bank(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")
    boleto = services.boleto_issue(invoice_id=make_invoice().pk, wallet_id=wallet.pk, actor=clerk)
    assert services.boletos_assume_registered(now=timezone.now() + datetime.timedelta(hours=2)) == 0
    assert services.boleto_display_status(boleto, now=timezone.now() + datetime.timedelta(hours=2)) == "awaiting"


def test_contract_wallet_same_entity_only(entity, other_entity, make_customer, make_wallet):
    customer = make_customer()
    ours = make_wallet("237")
    theirs = make_wallet("237", target=other_entity)
    contract = customer_services.contract_create(
        customer=customer, actor=None, billing_day=1, due_day=10, start_date=datetime.date(2025, 1, 1), wallet=ours
    )
    assert contract.wallet == ours
    with pytest.raises(ValidationFailed) as error:
        customer_services.contract_update(contract=contract, actor=None, wallet=theirs)
    assert error.value.code == "wallet_not_found"
    contract = customer_services.contract_update(contract=contract, actor=None, wallet=None)
    assert contract.wallet is None


def test_chooser_wallet_offers_the_banks_and_issues_from_the_chosen(entity, make_customer, make_wallet, ledger, clock):
    chooser = services.wallet_create(entity=entity, actor=None, name="Fatura", kind="invoice")
    bradesco, itau = make_wallet("237"), make_wallet("341")
    make_wallet("001", is_active=False)
    customer = make_customer()
    customer_services.contract_create(
        customer=customer, actor=None, billing_day=1, due_day=10, start_date=datetime.date(2025, 1, 1), wallet=chooser
    )
    ledger.charge(customer, "75.00")
    invoice = ledger.invoice(customer)
    assert services.bank_choices(invoice) == [bradesco, itau]
    boleto = services.boleto_choose(invoice_id=invoice.pk, wallet_id=itau.pk, customer_id=customer.pk)
    assert (boleto.wallet, boleto.amount) == (itau, Decimal("75.00"))
    with pytest.raises(ValidationFailed) as error:
        services.boleto_choose(invoice_id=invoice.pk, wallet_id=chooser.pk, customer_id=customer.pk)
    assert error.value.code == "wallet_not_offered"
    with pytest.raises(NotFound):
        services.boleto_choose(invoice_id=invoice.pk, wallet_id=itau.pk, customer_id=customer.pk + 1000)


def test_void_invoice_boleto_is_cancelled_in_the_next_remittance(make_wallet, make_invoice, ledger, clerk, clock):
    wallet = make_wallet("237")
    invoice = make_invoice()
    boleto = services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
    services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    ledger.void_invoice(invoice)
    remittance = services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    assert list(remittance.items.values_list("boleto_id", "action")) == [(boleto.pk, "cancel")]
    assert remittance.number == 2
    boleto.refresh_from_db()
    assert boleto.status == BoletoStatus.CANCELLED
    with pytest.raises(Conflict) as error:
        services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    assert error.value.code == "remittance_empty"


def test_due_date_change_makes_a_new_barcode_and_a_change_instruction(make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet("237")
    boleto = services.boleto_issue(invoice_id=make_invoice().pk, wallet_id=wallet.pk, actor=clerk)
    services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    new_due = boleto.due_date + datetime.timedelta(days=10)
    changed = services.boleto_change_due_date(boleto_id=boleto.pk, due_date=new_due, actor=clerk)
    assert changed.barcode != boleto.barcode and changed.pending_action == "change"
    assert boleto_math.read(changed.barcode, today=new_due).due_date == new_due.isoformat()
    remittance = services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    from quita.banking.cnab import reader

    title = reader.read(remittance.content).titles[0]
    assert (title.occurrence_code, title.due_date) == ("06", new_due)
    with pytest.raises(ValidationFailed):
        services.boleto_change_due_date(boleto_id=boleto.pk, due_date=datetime.date(2020, 1, 1), actor=clerk)


def test_register_assumed_command(make_wallet, make_invoice, clerk):
    import json
    from io import StringIO

    from django.core.management import call_command

    wallet = make_wallet("237", registration=RegistrationMode.ASSUMED)
    boleto = services.boleto_issue(invoice_id=make_invoice().pk, wallet_id=wallet.pk, actor=clerk)
    Boleto.objects.filter(pk=boleto.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=31))
    out = StringIO()
    call_command("boleto", "register-assumed", stdout=out)
    assert json.loads(out.getvalue()) == {"registered": 1}
