"""After a partial payment the invoice's boleto has a new barcode (decision 0045): the subscriber is e-mailed the one
to pay — the same nosso número changed at the bank, or the boleto issued again — once per boleto and amount, after
the commit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from quita.banking import services
from quita.banking.models import Boleto, BoletoStatus
from quita.customers.models import Customer
from quita.notifications.models import Email
from quita.payments import services as payments


def _pay_cash(invoice, clerk, amount: str, capture):
    with capture(execute=True):
        payments.invoice_pay(invoice_id=invoice.pk, actor=clerk, method="cash", amount=amount)


@pytest.fixture
def sent(make_wallet, make_invoice, clerk, clock):
    """A factory: a R$ 99,90 boleto of the given bank, already sent to the bank in a remittance."""

    def build(bank: str):
        wallet = make_wallet(bank)
        boleto = services.boleto_issue(invoice_id=make_invoice("99.90").pk, wallet_id=wallet.pk, actor=clerk)
        services.remittance_create(wallet_id=wallet.pk, actor=clerk)
        boleto.refresh_from_db()
        return boleto

    return build


def test_the_changed_boleto_is_e_mailed_for_the_balance(sent, clerk, django_capture_on_commit_callbacks):
    boleto = sent("237")  # Bradesco 400 changes a title's amount: same nosso número, new barcode
    old_line = boleto.digitable_line
    _pay_cash(boleto.invoice, clerk, "40.05", django_capture_on_commit_callbacks)

    boleto.refresh_from_db()
    (message,) = mail.outbox
    invoice = boleto.invoice
    assert message.to == ["maria@example.com"]
    assert invoice.number in message.subject and "saldo de R$" in message.subject and "59,85" in message.subject
    assert boleto.digitable_line in message.body and old_line not in message.body
    assert "Recebemos parte do pagamento da fatura" in message.body and "R$\xa059,85" in message.body
    assert f"http://127.0.0.1:8000/portal/invoices/{invoice.pk}/" in message.body
    email = Email.objects.get()
    assert (email.kind, email.key, email.status) == ("boleto_updated", f"boleto_updated:{boleto.pk}:59.85", "sent")


def test_the_boleto_issued_again_is_the_one_e_mailed(sent, clerk, django_capture_on_commit_callbacks):
    old = sent("341")  # Itaú 400 has no change instruction: cancelled and issued again
    _pay_cash(old.invoice, clerk, "49.95", django_capture_on_commit_callbacks)

    new = Boleto.objects.get(invoice=old.invoice, status=BoletoStatus.AWAITING_REGISTRATION)
    (message,) = mail.outbox
    assert new.digitable_line in message.body and old.digitable_line not in message.body
    assert new.our_number_display in message.body and "R$\xa049,95" in message.body
    assert Email.objects.get().key == f"boleto_updated:{new.pk}:49.95"


def test_once_per_boleto_and_amount(sent, clerk, django_capture_on_commit_callbacks):
    boleto = sent("237")
    _pay_cash(boleto.invoice, clerk, "40.05", django_capture_on_commit_callbacks)
    invoice = boleto.invoice
    invoice.refresh_from_db()
    services.invoice_charges_follow_balance(invoice=invoice, actor=clerk)  # nothing left to follow
    assert Email.objects.count() == 1
    _pay_cash(invoice, clerk, "9.85", django_capture_on_commit_callbacks)  # another balance, another e-mail
    assert list(Email.objects.order_by("pk").values_list("key", flat=True)) == [
        f"boleto_updated:{boleto.pk}:59.85",
        f"boleto_updated:{boleto.pk}:50.00",
    ]
    assert len(mail.outbox) == 2


def test_nothing_for_a_customer_without_e_mail(sent, clerk, django_capture_on_commit_callbacks):
    boleto = sent("237")
    Customer.objects.filter(pk=boleto.customer_id).update(emails=[])
    _pay_cash(boleto.invoice, clerk, "40.05", django_capture_on_commit_callbacks)
    boleto.refresh_from_db()
    assert boleto.amount == Decimal("59.85")  # the boleto followed all the same
    assert mail.outbox == [] and not Email.objects.exists()


def test_a_full_payment_sends_nothing(sent, clerk, django_capture_on_commit_callbacks):
    boleto = sent("237")
    _pay_cash(boleto.invoice, clerk, "99.90", django_capture_on_commit_callbacks)
    assert mail.outbox == [] and not Email.objects.exists()
