"""Per bank: issue boletos → remittance → a return file as the bank would send it → invoices paid → re-import
changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from quita.banking import services
from quita.banking.cnab import reader, writer
from quita.banking.cnab.layouts import LAYOUTS
from quita.banking.models import AttentionItem, AttentionReason, Boleto, BoletoStatus, ReturnRecord
from quita.billing.models import InvoiceStatus
from quita.core.models import ActivityLog
from quita.payments.models import Payment, PaymentMethodKind
from tests.banking.conftest import WALLET_DATA

PAID_ON = datetime.date(2025, 2, 24)
CREDIT_ON = datetime.date(2025, 2, 25)
LIQUIDATION = {"237": "06", "341": "06"}


def bank_return(wallet, entries: list[tuple[Boleto, dict]], *, file_number: int = 1) -> bytes:
    """A return file as the wallet's bank would write it, with the layout the reader uses."""
    layout = LAYOUTS[(wallet.bank, wallet.cnab_layout)]
    titles = []
    for boleto, values in entries:
        paid = values.get("paid_amount", Decimal("0.00"))
        titles.append(
            {
                "our_number": layout.our_number_out(boleto),
                "agency": wallet.agency,
                "account": wallet.account,
                "document_number": boleto.invoice.number[-10:],
                "due_date": boleto.due_date,
                "amount": boleto.amount,
                "occurrence_date": PAID_ON,
                "credit_date": CREDIT_ON if paid else None,
                "credit_amount": paid - values.get("fee", Decimal("0.00")) if paid else Decimal("0.00"),
                "fee": Decimal("1.50"),
                **values,
            }
        )
    header = writer.FileHeader(
        bank=wallet.bank,
        company_doc=wallet.entity.cnpj,
        company_name="FIBRA SUL",
        agency=wallet.agency,
        account=wallet.account,
        agreement=wallet.beneficiary_code,
        file_number=file_number,
        created=datetime.datetime(2025, 2, 25, 6, 0),
    )
    return writer.write_return(layout, header, titles).encode("latin-1")


def _counts():
    return (
        Payment.objects.count(),
        ReturnRecord.objects.count(),
        AttentionItem.objects.count(),
        ActivityLog.objects.count(),
    )


@pytest.mark.parametrize("bank", sorted(WALLET_DATA))
def test_round_trip(bank, make_wallet, make_invoice, clerk, clock):
    wallet = make_wallet(bank)
    invoices = [make_invoice(amount) for amount in ("99.90", "120.00", "150.00", "80.00")]
    boletos = [services.boleto_issue(invoice_id=inv.pk, wallet_id=wallet.pk, actor=clerk) for inv in invoices]
    assert [b.our_number for b in boletos] == [1, 2, 3, 4]
    assert {b.status for b in boletos} == {BoletoStatus.AWAITING_REGISTRATION}

    remittance = services.remittance_create(wallet_id=wallet.pk, actor=clerk)
    sent = reader.read(remittance.content)
    assert (sent.bank, sent.width, sent.direction, sent.errors) == (bank, wallet.cnab_layout, "remittance", [])
    assert [t.our_number for t in sent.titles] == [1, 2, 3, 4]
    assert [t.amount for t in sent.titles] == [b.amount for b in boletos]
    assert [t.due_date for t in sent.titles] == [b.due_date for b in boletos]
    assert all(t.occurrence_code == "01" for t in sent.titles)

    liquidation = LIQUIDATION.get(bank, "06")
    content = bank_return(
        wallet,
        [
            (boletos[0], {"occurrence": "02"}),
            (boletos[0], {"occurrence": liquidation, "paid_amount": Decimal("99.90")}),
            (boletos[1], {"occurrence": liquidation, "paid_amount": Decimal("123.40"), "interest": Decimal("3.40")}),
            (boletos[2], {"occurrence": liquidation, "paid_amount": Decimal("145.00"), "discount": Decimal("5.00")}),
            (boletos[3], {"occurrence": "03", "reasons": "08"}),
        ],
    )
    result = services.return_import(entity_id=wallet.entity_id, content=content, filename="RET.RET", actor=clerk)
    assert result.created
    assert (result.return_file.record_count, result.return_file.applied_count) == (5, 5)
    assert result.return_file.errors == []

    for invoice in invoices[:3]:
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
        assert invoice.amount_paid == invoice.total
    payments = list(Payment.objects.filter(invoice__in=invoices[:3]).order_by("invoice_id"))
    assert [p.amount for p in payments] == [Decimal("99.90"), Decimal("120.00"), Decimal("150.00")]
    assert {p.method for p in payments} == {PaymentMethodKind.BOLETO}
    assert {p.gateway for p in payments} == {f"cnab-{bank}"}
    assert [p.received_on for p in payments] == [PAID_ON] * 3
    with_interest = ReturnRecord.objects.get(boleto=boletos[1])
    assert (with_interest.paid_amount, with_interest.interest, with_interest.fee) == (
        Decimal("123.40"),
        Decimal("3.40"),
        Decimal("1.50"),
    )
    with_discount = ReturnRecord.objects.get(boleto=boletos[2])
    assert (with_discount.paid_amount, with_discount.discount) == (Decimal("145.00"), Decimal("5.00"))
    assert with_discount.payment_date == PAID_ON
    if wallet.cnab_layout == 240 or bank in ("237", "341", "033"):
        assert with_discount.credit_date == CREDIT_ON

    statuses = {b.pk: b.status for b in Boleto.objects.filter(pk__in=[b.pk for b in boletos])}
    assert [statuses[b.pk] for b in boletos] == [BoletoStatus.PAID] * 3 + [BoletoStatus.REJECTED]
    rejected = Boleto.objects.get(pk=boletos[3].pk)
    assert rejected.rejection_code == "08"
    assert AttentionItem.objects.get().reason == AttentionReason.REJECTED
    invoices[3].refresh_from_db()
    assert invoices[3].status == InvoiceStatus.UNPAID

    before = _counts()
    again = services.return_import(entity_id=wallet.entity_id, content=content, filename="RET.RET", actor=clerk)
    assert not again.created and again.return_file.pk == result.return_file.pk
    assert _counts() == before

    # The same events in another file (the bank sent them again): recorded as duplicates, nothing paid twice.
    resent = bank_return(
        wallet,
        [(boletos[1], {"occurrence": liquidation, "paid_amount": Decimal("123.40"), "interest": Decimal("3.40")})],
        file_number=2,
    )
    third = services.return_import(entity_id=wallet.entity_id, content=resent, filename="RET2.RET", actor=clerk)
    assert third.created and third.return_file.applied_count == 0
    assert Payment.objects.count() == before[0]
    assert ReturnRecord.objects.filter(return_file=third.return_file).get().outcome == "duplicate"
