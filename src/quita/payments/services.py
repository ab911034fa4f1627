"""Recording payments against invoices. Card, boleto and PIX adapters call `payment_apply` too."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from quita.billing.models import CreditType, Invoice, InvoiceStatus, Transaction, TransactionKind, TransactionSource
from quita.billing.services import INVOICE_FIELDS, amount_parse, customer_lock
from quita.core.activity import activity_record, snapshot
from quita.core.errors import Conflict, NotFound, ValidationFailed
from quita.core.models import ActivityAction
from quita.core.money import ZERO
from quita.core.permissions import ensure_permission
from quita.core.selectors import entity_today
from quita.payments.models import MANUAL_METHODS, Payment, PaymentStatus


def _actor_or_none(actor):
    return actor if actor is not None and actor.is_authenticated else None


def payment_apply(
    *,
    invoice: Invoice,
    actor,
    method: str,
    amount: Decimal,
    reference: str = "",
    received_on: datetime.date | None = None,
    gateway: str = "manual",
    external_id: str | None = None,
) -> Payment:
    """Apply money received to a locked, unpaid invoice. The caller holds the customer and invoice locks.

    Writes the Payment, a negative payment transaction "Payment of invoice #N" settling the invoice,
    and, when the money exceeds the open balance, an unbilled credit with the excess. The invoice
    becomes paid when its payments cover the total.
    """
    now = timezone.now()
    received_on = received_on or entity_today(invoice.entity)
    applied = min(amount, invoice.balance)
    payment = Payment.objects.create(
        entity_id=invoice.entity_id,
        customer_id=invoice.customer_id,
        invoice=invoice,
        amount=amount,
        method=method,
        reference=reference,
        status=PaymentStatus.SUCCEEDED,
        gateway=gateway,
        external_id=external_id,
        received_on=received_on,
        created_by=_actor_or_none(actor),
        created_at=now,
    )
    common = {
        "entity_id": invoice.entity_id,
        "customer_id": invoice.customer_id,
        "date": received_on,
        "source": TransactionSource.PAYMENT,
        "created_by": _actor_or_none(actor),
        "created_at": now,
    }
    if applied > 0:
        Transaction.objects.create(
            kind=TransactionKind.PAYMENT,
            title=gettext("Payment of invoice #%(number)s") % {"number": invoice.number},
            description=f"{payment.get_method_display()} {reference}".strip(),
            amount=-applied,
            paid_invoice=invoice,
            **common,
        )
    excess = amount - applied
    if excess > 0:
        Transaction.objects.create(
            kind=TransactionKind.CREDIT,
            credit_type=CreditType.OVERPAYMENT,
            title=gettext("Overpayment of invoice #%(number)s") % {"number": invoice.number},
            description=f"{payment.get_method_display()} {reference}".strip(),
            amount=-excess,
            **common,
        )
    before = snapshot(invoice, INVOICE_FIELDS)
    invoice.amount_paid += applied
    invoice.payment_method = method
    invoice.payment_reference = reference
    if invoice.amount_paid >= invoice.total:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = now
    invoice.save(update_fields=["amount_paid", "payment_method", "payment_reference", "status", "paid_at"])
    activity_record(
        entity_id=invoice.entity_id,
        actor=actor,
        action=ActivityAction.PAY,
        obj=invoice,
        customer_id=invoice.customer_id,
        summary=f"{invoice.number}: {amount:.2f} {method} {reference}",
        before=before,
        after={
            **snapshot(invoice, INVOICE_FIELDS),
            "payment": payment.pk,
            "applied": f"{applied:.2f}",
            "excess": f"{excess:.2f}",
        },
    )
    return payment


def _locked_unpaid_invoice(invoice_id: int, actor) -> Invoice:
    customer_id = Invoice.objects.filter(pk=invoice_id).values_list("customer_id", flat=True).first()
    if customer_id is None:
        raise NotFound(_("Invoice not found."), code="invoice_not_found")
    customer_lock(customer_id)
    invoice = Invoice.objects.select_for_update().select_related("entity").get(pk=invoice_id)
    # Before the status checks: a user of another entity must not learn whether the invoice is paid or void.
    ensure_permission(actor=actor, entity=invoice.entity_id, action="record_payments")
    if invoice.status == InvoiceStatus.VOID:
        raise Conflict(
            _("Invoice %(number)s is void and cannot be paid.") % {"number": invoice.number},
            code="invoice_void_cannot_pay",
        )
    if invoice.status == InvoiceStatus.PAID:
        raise Conflict(
            _("Invoice %(number)s is already paid.") % {"number": invoice.number}, code="invoice_already_paid"
        )
    return invoice


def _check_method(method: str) -> None:
    if method not in MANUAL_METHODS:
        raise ValidationFailed(
            _("Choose cash, POS or bank transfer."),
            code="invalid_payment_method",
            fields={"method": [_("Must be cash, pos or bank_transfer.")]},
        )


@transaction.atomic
def invoice_pay(
    *, invoice_id: int, actor, method: str, amount=None, reference: str = "", received_on: datetime.date | None = None
) -> Payment:
    """Record a cash, POS or bank-transfer payment; `amount` defaults to the open balance."""
    _check_method(method)
    invoice = _locked_unpaid_invoice(invoice_id, actor)
    amount = invoice.balance if amount is None else amount_parse(amount)
    return payment_apply(
        invoice=invoice,
        actor=actor,
        method=method,
        amount=amount,
        reference=(reference or "")[:120],
        received_on=received_on,
    )


@transaction.atomic
def invoices_pay(
    *,
    invoice_ids: list[int],
    actor,
    method: str,
    reference: str = "",
    amount=None,
    received_on: datetime.date | None = None,
) -> list[Payment]:
    """Pay several invoices of one customer with one receipt (e.g. three invoices, one cash receipt).

    Without `amount`, each open balance is paid. With it, the money goes to the oldest due date first;
    what is left after the last invoice stays as a credit. All or nothing: one bad invoice fails the lot.
    """
    _check_method(method)
    if not invoice_ids:
        raise ValidationFailed(_("Choose at least one invoice."), code="invoices_required")
    customers = set(Invoice.objects.filter(pk__in=invoice_ids).values_list("customer_id", flat=True))
    if len(customers) > 1:
        raise ValidationFailed(_("One receipt pays the invoices of one customer."), code="invoices_other_customers")
    invoices = [_locked_unpaid_invoice(pk, actor) for pk in sorted(set(invoice_ids))]
    invoices.sort(key=lambda inv: (inv.due_date, inv.pk))
    left = None if amount is None else amount_parse(amount)
    payments = []
    for index, invoice in enumerate(invoices):
        last = index == len(invoices) - 1
        if left is None:
            share = invoice.balance
        else:
            share = left if last else min(left, invoice.balance)
            if share <= 0:
                break
            left -= share
        if share > ZERO:
            payments.append(
                payment_apply(
                    invoice=invoice,
                    actor=actor,
                    method=method,
                    amount=share,
                    reference=(reference or "")[:120],
                    received_on=received_on,
                )
            )
    return payments
