from decimal import Decimal

from quita.billing.models import InvoiceStatus
from quita.payments import services


def test_pay_by_default_card(invoice_of, add_card, clerk):
    invoice = invoice_of("95.00")
    card = add_card(invoice.customer)
    assert card.is_default and card.last4 == "4242"
    payment = services.invoice_pay_card(invoice_id=invoice.pk, actor=clerk)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert payment.amount == Decimal("95.00")
    assert invoice.payment_reference == payment.external_id.strip()
