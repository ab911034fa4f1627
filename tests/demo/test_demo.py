"""`quita demo`: what it builds, that the ledger adds up, that the login works, and that it never duplicates."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.test import override_settings
from stdnum.br import cnpj, cpf

from quita.billing.models import Invoice, InvoiceStatus, Transaction, TransactionKind
from quita.core.models import ActivityAction, ActivityLog, Entity, Membership, Role
from quita.core.selectors import entity_today
from quita.customers.models import Contract, Customer, PersonType, Service
from quita.demo.builder import DEMO_SUBSCRIBER_PASSWORD, demo_summary
from quita.payments.models import Payment
from quita.portal.models import SubscriberAccount
from tests.demo.conftest import FAST_HASHERS, run_demo

pytestmark = pytest.mark.django_db


def _fingerprint() -> dict:
    """What a build made, independent of row ids: customers, and invoice totals per customer."""
    totals = defaultdict(list)
    for document, total, status in Invoice.objects.values_list("customer__document", "total", "status"):
        totals[document].append((total, status))
    return {
        "customers": sorted(Customer.objects.values_list("document", "name")),
        "invoices": {document: sorted(rows) for document, rows in totals.items()},
    }


def test_two_entities_with_their_time_zones(demo_output):
    """Fibra Sul (São Paulo time) and Rede Norte (Manaus time), with valid CNPJs and prefixes."""
    entities = {e.name: e for e in Entity.objects.all()}
    assert set(entities) == {"Fibra Sul Telecom", "Rede Norte Internet"}
    assert entities["Fibra Sul Telecom"].time_zone == "America/Sao_Paulo"
    assert entities["Rede Norte Internet"].time_zone == "America/Manaus"
    assert all(cnpj.is_valid(e.cnpj) for e in entities.values())
    assert {e.invoice_prefix for e in entities.values()} == {"FS", "RN"}


def test_customers_have_valid_documents_and_pt_br_data(demo_output):
    """CPF/CNPJ valid and stored as digits; addresses, phones and condominiums filled in."""
    customers = list(Customer.objects.all())
    assert len(customers) == 30
    assert Customer.objects.values("entity").distinct().count() == 2
    for customer in customers:
        assert customer.document.isdigit()
        module = cpf if customer.person_type == PersonType.INDIVIDUAL else cnpj
        assert module.is_valid(customer.document), customer.document
        assert customer.city and customer.state and len(customer.postal_code) == 8
        assert customer.phones and customer.phones[0].startswith("(")
    assert any(c.condominium for c in customers)
    assert Contract.objects.count() >= 30
    assert Service.objects.values("category__code").distinct().count() >= 3


def test_a_year_of_invoices_paid_partially_paid_overdue_and_void(demo_output):
    """Twelve months of invoices in every state a real ledger has."""
    for entity in Entity.objects.all():
        today = entity_today(entity)
        invoices = Invoice.objects.filter(entity=entity)
        months = {(d.year, d.month) for d in invoices.values_list("issue_date", flat=True)}
        assert len(months) >= 12
        assert min(d for d in invoices.values_list("issue_date", flat=True)) > today - datetime.timedelta(days=367)
    summary = demo_summary()
    assert summary.invoices_paid > summary.invoices / 2
    assert summary.invoices_partially_paid > 0
    assert summary.invoices_overdue > 0
    assert summary.invoices_void > 0
    assert Invoice.objects.filter(status=InvoiceStatus.UNPAID, amount_paid__gt=0).exists()
    assert set(Payment.objects.values_list("method", flat=True)) == {"cash", "pos", "bank_transfer", "boleto"}
    assert not Payment.objects.filter(reference="").exists()


def test_the_banks_answered(demo_output):
    """Each bank wallet's remittance went out; Banco do Brasil's return file confirmed the entries, paid two
    boletos and reported a payment for a nosso número Quita never issued, which waits in "needs attention"."""
    from quita.banking.models import AttentionItem, Boleto, Remittance, ReturnFile, Wallet

    answered = 0
    for wallet in Wallet.objects.filter(kind="bank"):
        boletos = Boleto.objects.filter(wallet=wallet)
        assert Remittance.objects.filter(wallet=wallet).count() == (1 if boletos.exists() else 0)
        assert not boletos.exclude(pending_action="").exists()
        if wallet.bank != "001" or not boletos.exists():
            continue
        answered += 1
        [bank_file] = ReturnFile.objects.filter(entity=wallet.entity)
        assert bank_file.attention_count == 1 and bank_file.applied_count == bank_file.record_count - 1
        assert boletos.filter(status="paid").count() == min(2, boletos.count())
        assert not boletos.filter(status="awaiting").exists()
        for boleto in boletos.filter(status="paid"):
            assert boleto.invoice.status == InvoiceStatus.PAID
        [item] = AttentionItem.objects.filter(entity=wallet.entity)
        assert (item.reason, item.amount) == ("unknown_our_number", Decimal("89.90"))
    assert answered


def test_invoice_totals_equal_their_transactions(demo_output):
    """Each invoice's total is the sum of its lines, and its amount paid the sum of its payments."""
    lines = defaultdict(Decimal)
    for invoice_id, amount in Transaction.objects.filter(invoice__isnull=False).values_list("invoice_id", "amount"):
        lines[invoice_id] += amount
    paid = defaultdict(Decimal)
    for invoice_id, amount in Transaction.objects.filter(paid_invoice__isnull=False).values_list(
        "paid_invoice_id", "amount"
    ):
        paid[invoice_id] -= amount
    for invoice in Invoice.objects.all():
        if invoice.status == InvoiceStatus.VOID:
            assert lines[invoice.pk] == 0  # its lines were released and billed again
        else:
            assert lines[invoice.pk] == invoice.total, invoice.number
        assert paid[invoice.pk] == invoice.amount_paid, invoice.number
    assert not Transaction.objects.filter(is_void=True, invoice__isnull=False).exists()


def test_history_went_through_the_services(demo_output):
    """Every invoice was logged when generated, every payment when paid, the voids when voided."""
    generated = ActivityLog.objects.filter(action=ActivityAction.GENERATE, content_type__model="invoice")
    assert generated.count() == Invoice.objects.count()
    assert ActivityLog.objects.filter(action=ActivityAction.PAY).count() == Payment.objects.count()
    assert ActivityLog.objects.filter(action=ActivityAction.VOID).count() >= 2
    assert ActivityLog.objects.filter(action=ActivityAction.CREATE, actor__username="clerk").exists()
    manual = Transaction.objects.filter(source="manual")
    assert manual.filter(kind=TransactionKind.CHARGE, title="Taxa de instalação").exists()
    assert manual.filter(credit_type="outage_compensation").exists()
    assert manual.filter(is_void=True).exists()


def test_payment_titles_are_in_portuguese(demo_output):
    """Payments were recorded in pt-BR: 'Pagamento da fatura #N'."""
    title = Transaction.objects.filter(kind=TransactionKind.PAYMENT).values_list("title", flat=True).first()
    assert title.startswith("Pagamento da fatura #")


def test_demo_login_and_role_users(demo_output):
    """demo / demo is a staff administrator of both entities; one user per role."""
    demo = authenticate(username="demo", password="demo")
    assert demo is not None and demo.is_staff
    roles = set(Membership.objects.filter(user=demo).values_list("role", flat=True))
    assert roles == {Role.ADMINISTRATOR}
    assert Membership.objects.filter(user=demo).count() == 2
    for username, role in [
        ("manager", Role.MANAGER),
        ("clerk", Role.BILLING_CLERK),
        ("collector", Role.COLLECTIONS_OPERATOR),
        ("viewer", Role.READ_ONLY),
    ]:
        user = authenticate(username=username, password=username)
        assert user is not None and not user.is_staff
        assert set(Membership.objects.filter(user=user).values_list("role", flat=True)) == {role}


def test_a_subscriber_portal_login_for_a_demo_customer(demo_output, client):
    """`quita demo` opens a portal account for a steady customer and prints its CPF with the known password."""
    account = SubscriberAccount.objects.get()
    customer = account.customers.get()
    assert customer.person_type == "PF" and customer.emails and customer.entity.name == "Fibra Sul Telecom"
    assert customer.invoices.filter(status="paid").exists() and customer.invoices.filter(status="unpaid").exists()
    assert f"CPF {cpf.format(account.document)} / {DEMO_SUBSCRIBER_PASSWORD}" in demo_output
    assert "http://127.0.0.1:8000/portal/" in demo_output
    # The printed login works in the portal, and shows that customer's invoices.
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        response = client.post(
            "/portal/login/", {"document": cpf.format(account.document), "password": DEMO_SUBSCRIBER_PASSWORD}
        )
    assert response.status_code == 302
    home = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert customer.invoices.filter(status="unpaid").first().number in home


def test_wallets_boletos_and_the_portal_bank_choice(demo_output, client):
    """Each company has a Banco do Brasil and a Sicoob wallet and a chooser; open invoices on a bank wallet have
    their boleto (valid linha digitável, the invoice's balance), and the portal login's contract lets the
    subscriber choose among the two banks."""
    from quita.banking import boleto as boleto_math
    from quita.banking.models import Boleto, Wallet

    for entity in Entity.objects.all():
        wallets = Wallet.objects.filter(entity=entity)
        assert sorted(wallets.values_list("kind", "bank")) == [("bank", "001"), ("bank", "756"), ("invoice", "")]
        assert Contract.objects.filter(customer__entity=entity, wallet__kind="invoice").exists()
        assert Contract.objects.filter(customer__entity=entity, wallet__kind="bank").exists()
    boletos = list(Boleto.objects.select_related("invoice", "wallet"))
    assert boletos
    for boleto in boletos:
        reading = boleto_math.read(boleto.digitable_line, today=entity_today(boleto.invoice.entity))
        assert reading.valid, reading.error
        assert Decimal(reading.amount) == boleto.amount
        # open boletos ask for the balance; the two the bank reported paid (test_the_banks_answered) paid it
        assert boleto.invoice.balance == (boleto.amount if boleto.status != "paid" else 0)
        assert boleto.invoice.customer.contracts.filter(wallet=boleto.wallet).exists()
    account = SubscriberAccount.objects.get()
    customer = account.customers.get()
    assert customer.contracts.get().wallet.kind == "invoice"
    open_invoice = customer.invoices.filter(status="unpaid").order_by("-due_date").first()
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        client.post("/portal/login/", {"document": cpf.format(account.document), "password": DEMO_SUBSCRIBER_PASSWORD})
    page = client.get(f"/portal/invoices/{open_invoice.pk}/", HTTP_ACCEPT_LANGUAGE="pt-br")
    assert page.status_code == 200


def test_output_names_the_login_and_the_time(demo_output):
    """The command prints the login, the pages to open and how long the build took."""
    assert "demo / demo" in demo_output
    assert "http://127.0.0.1:8000/admin/" in demo_output
    assert "http://127.0.0.1:8000/api/docs/" in demo_output
    assert re.search(r"total \d+\.\d s\)", demo_output)  # "Criada em 3.2 s (migrações 0.1 s, total 3.4 s)."


def test_running_again_does_not_duplicate(demo_output):
    """A second run finds the demo and builds nothing."""
    before = (Customer.objects.count(), Invoice.objects.count(), Transaction.objects.count(), Entity.objects.count())
    output = run_demo("--customers", "30")
    after = (Customer.objects.count(), Invoice.objects.count(), Transaction.objects.count(), Entity.objects.count())
    assert after == before
    assert "--reset" in output


def test_refuses_a_database_with_other_entities(demo_output):
    """The demo adds a superuser with a known password: never into someone's real ledger by mistake."""
    from django.core.management.base import CommandError

    from quita.demo.builder import demo_purge
    from tests.conftest import make_cnpj

    demo_purge()
    Entity.objects.create(name="Real ISP", legal_name="Real ISP Ltda", cnpj=make_cnpj(99), invoice_prefix="RI")
    with pytest.raises(CommandError, match="--force"):
        run_demo("--customers", "4")
    assert not Customer.objects.exists()
    output = run_demo("--customers", "4", "--force")
    assert Customer.objects.count() == 4 and "demo / demo" in output


def test_reset_rebuilds_the_same_data(demo_output):
    """The seed makes a rebuild identical: same customers, same invoice totals."""
    before = _fingerprint()
    accounts_before = list(SubscriberAccount.objects.values_list("document", flat=True))
    run_demo("--customers", "30", "--reset")
    assert Entity.objects.count() == 2
    assert _fingerprint() == before
    # The portal login went with the old demo and came back for the same customer.
    assert list(SubscriberAccount.objects.values_list("document", flat=True)) == accounts_before
