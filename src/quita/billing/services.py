"""State changes of the ledger: transactions, invoices and billing runs. One transaction each, logged."""

from __future__ import annotations

import datetime
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from quita.billing import engine
from quita.billing.models import (
    BillingRun,
    BillingRunKind,
    BillingRunStatus,
    CreditType,
    Invoice,
    InvoiceStatus,
    Transaction,
    TransactionKind,
    TransactionSource,
)
from quita.core.activity import activity_record, snapshot
from quita.core.errors import Conflict, NotFound, ValidationFailed
from quita.core.models import ActivityAction, Entity
from quita.core.money import ZERO, money_input
from quita.core.permissions import ensure_permission
from quita.core.selectors import entity_today
from quita.customers.models import Customer, Service
from quita.customers.services import category_get, text_fits

logger = logging.getLogger(__name__)

TRANSACTION_FIELDS = [
    "kind",
    "credit_type",
    "title",
    "description",
    "amount",
    "date",
    "service",
    "category",
    "invoice",
    "paid_invoice",
    "is_void",
    "void_reason",
]
INVOICE_FIELDS = [
    "number",
    "status",
    "total",
    "amount_paid",
    "issue_date",
    "due_date",
    "period_start",
    "period_end",
    "category",
    "void_reason",
]


# Credit types a person may choose; overpayment credits are written by the payment service only.
MANUAL_CREDIT_TYPES = (CreditType.CASH_PAYMENT, CreditType.DISCOUNT, CreditType.OUTAGE_COMPENSATION, CreditType.OTHER)


def amount_parse(value, field_name: str = "amount") -> Decimal:
    """A positive amount with at most two decimals; floats and three decimals are refused with their own codes."""
    return money_input(value, field=field_name, sign="positive")


def customer_lock(customer: Customer | int) -> Customer:
    """Lock a customer row: every change to a customer's unbilled lines takes this lock first."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    try:
        # of=("self",): only the customer row; PostgreSQL would also lock the joined entity row, and so serialise
        # every customer's writes (and every insert referencing the entity) behind one lock.
        return Customer.objects.select_for_update(of=("self",)).select_related("entity").get(pk=customer_id)
    except Customer.DoesNotExist:
        raise NotFound(_("Customer not found."), code="customer_not_found") from None


# ---------------------------------------------------------------------------------------------------------------
# Transactions
# ---------------------------------------------------------------------------------------------------------------


@transaction.atomic
def transaction_create(
    *,
    customer: Customer,
    actor,
    kind: str,
    title: str,
    amount,
    date: datetime.date,
    description: str = "",
    credit_type: str = "",
    service: Service | None = None,
) -> Transaction:
    """Add a charge or a credit by hand. `amount` is positive; credits are stored negative."""
    customer = customer_lock(customer)
    ensure_permission(actor=actor, entity=customer.entity_id, action="write_transactions")
    if kind not in (TransactionKind.CHARGE, TransactionKind.CREDIT):
        raise ValidationFailed(
            _("Only charges and credits can be added by hand."),
            code="invalid_kind",
            fields={"kind": [_("Must be charge or credit.")]},
        )
    amount = amount_parse(amount)
    if kind == TransactionKind.CREDIT:
        credit_type = credit_type or CreditType.OTHER
        if credit_type not in MANUAL_CREDIT_TYPES:
            raise ValidationFailed(
                _("Unknown credit type."),
                code="invalid_credit_type",
                fields={"credit_type": [_("Unknown credit type.")]},
            )
        amount = -amount
    elif credit_type:
        raise ValidationFailed(
            _("A charge has no credit type."),
            code="credit_type_on_charge",
            fields={"credit_type": [_("Only for credits.")]},
        )
    if not (title or "").strip():
        raise ValidationFailed(_("The title is required."), code="title_required", fields={"title": [_("Required.")]})
    text_fits(Transaction, title=title.strip())
    if not isinstance(date, datetime.date):
        raise ValidationFailed(_("Invalid date."), code="invalid_date", fields={"date": [_("Invalid date.")]})
    if service is not None and service.contract.customer_id != customer.pk:
        raise ValidationFailed(
            _("The service belongs to another customer."),
            code="service_other_customer",
            fields={"service": [_("Not this customer's service.")]},
        )
    tx = Transaction.objects.create(
        entity_id=customer.entity_id,
        customer=customer,
        kind=kind,
        credit_type=credit_type,
        title=title.strip(),
        description=description or "",
        amount=amount,
        date=date,
        service=service,
        category_id=service.category_id if service else None,
        source=TransactionSource.MANUAL,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=timezone.now(),
    )
    activity_record(
        entity_id=customer.entity_id,
        actor=actor,
        action=ActivityAction.CREATE,
        obj=tx,
        customer_id=customer.pk,
        summary=tx.title,
        after=snapshot(tx, TRANSACTION_FIELDS),
    )
    return tx


@transaction.atomic
def bank_receipt_credit(
    *, customer: Customer, actor, amount: Decimal, date: datetime.date, title: str, description: str
) -> Transaction:
    """Keep money the bank or the PSP received, for no open invoice, as an unbilled credit on the customer's account
    (credit type "Payment received by the bank"): the next invoice consumes it like any other credit.

    Written by `banking.services.attention_credit` only, which holds the customer's lock and checked the actor's
    permission; `amount` is positive (stored negative, as every credit).
    """
    amount = amount_parse(amount)
    tx = Transaction.objects.create(
        entity_id=customer.entity_id,
        customer=customer,
        kind=TransactionKind.CREDIT,
        credit_type=CreditType.BANK_RECEIPT,
        title=title.strip()[:200],
        description=description or "",
        amount=-amount,
        date=date,
        source=TransactionSource.PAYMENT,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=timezone.now(),
    )
    activity_record(
        entity_id=customer.entity_id,
        actor=actor,
        action=ActivityAction.CREATE,
        obj=tx,
        customer_id=customer.pk,
        summary=tx.title,
        after=snapshot(tx, TRANSACTION_FIELDS),
    )
    return tx


# Apps that can take back the money of a credit written by money received register `hook(*, tx, actor) -> bool` in
# their AppConfig.ready(): `transaction_void` asks each, inside its transaction with the line locked, and voids such a
# credit only when one answers True, having taken the money back (banking: the needs-attention item the credit came
# from is open again). Otherwise the money would leave the books, and the void is refused.
_RECEIVED_CREDIT_VOID_HOOKS: list = []


def received_credit_void_hook_register(hook) -> None:
    if hook not in _RECEIVED_CREDIT_VOID_HOOKS:
        _RECEIVED_CREDIT_VOID_HOOKS.append(hook)


@transaction.atomic
def transaction_void(*, transaction_id: int, actor, reason: str) -> Transaction:
    """Void a transaction with a reason. A line on a non-void invoice must wait for that invoice's void."""
    customer_id = Transaction.objects.filter(pk=transaction_id).values_list("customer_id", flat=True).first()
    if customer_id is None:
        raise NotFound(_("Transaction not found."), code="transaction_not_found")
    customer_lock(customer_id)
    tx = Transaction.objects.select_for_update().get(pk=transaction_id)
    ensure_permission(actor=actor, entity=tx.entity_id, action="void_transactions")
    if not (reason or "").strip():
        raise ValidationFailed(
            _("Give a reason for the void."), code="reason_required", fields={"reason": [_("Required.")]}
        )
    if tx.is_void:
        raise Conflict(_("This transaction is already void."), code="transaction_already_void")
    if tx.invoice_id is not None or tx.paid_invoice_id is not None:
        number = (tx.invoice or tx.paid_invoice).number
        raise Conflict(
            _("This transaction is on invoice %(number)s: void the invoice first.") % {"number": number},
            code="transaction_on_invoice",
        )
    if tx.kind in (TransactionKind.PAYMENT, TransactionKind.REFUND):
        raise Conflict(
            _("A payment cannot be voided: money received is given back with a refund or kept as a credit."),
            code="payment_cannot_void",
        )
    if tx.source == TransactionSource.PAYMENT and not any(
        hook(tx=tx, actor=actor) for hook in _RECEIVED_CREDIT_VOID_HOOKS
    ):
        # An overpayment, or bank money no app takes back: the company holds this money, so it stays on the books
        # until an invoice consumes it (voiding it would lose it).
        raise Conflict(
            _("This credit is money received (%(type)s): it cannot be voided. Its next invoice consumes it.")
            % {"type": tx.get_credit_type_display() or tx.get_kind_display()},
            code="received_credit_cannot_void",
        )
    before = snapshot(tx, TRANSACTION_FIELDS)
    tx.is_void = True
    tx.void_reason = reason.strip()[:255]
    tx.voided_at = timezone.now()
    tx.voided_by = actor if actor is not None and actor.is_authenticated else None
    tx.save(update_fields=["is_void", "void_reason", "voided_at", "voided_by"])
    activity_record(
        entity_id=tx.entity_id,
        actor=actor,
        action=ActivityAction.VOID,
        obj=tx,
        customer_id=tx.customer_id,
        summary=tx.void_reason,
        before=before,
        after=snapshot(tx, TRANSACTION_FIELDS),
    )
    return tx


# ---------------------------------------------------------------------------------------------------------------
# Invoices
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class InvoicePreview:
    """What "Generate proforma invoice" would bill, without writing anything."""

    customer: Customer
    start: datetime.date
    end: datetime.date
    due_date: datetime.date
    issue_date: datetime.date
    category: object
    transactions: list[Transaction] = field(default_factory=list)
    total: Decimal = ZERO


def _invoice_request(*, customer: Customer, start, end, due_date, category, issue_date=None):
    if not all(isinstance(d, datetime.date) for d in (start, end, due_date)):
        raise ValidationFailed(_("Start, end and due date are required dates."), code="invalid_date")
    if end < start:
        raise ValidationFailed(
            _("The end date is before the start date."),
            code="end_before_start",
            fields={"end": [_("Before the start date.")]},
        )
    issue_date = issue_date or entity_today(customer.entity)
    if due_date < issue_date:
        raise ValidationFailed(
            _("The due date is before the issue date (%(date)s).") % {"date": issue_date},
            code="due_before_issue",
            fields={"due_date": [_("Before the issue date.")]},
        )
    category = category_get(category)
    selection = engine.InvoiceSelection(
        chunk=engine.Chunk(entity=customer.entity, first_customer_id=customer.pk, last_customer_id=customer.pk),
        date_from=start,
        date_to=end,
        category_id=category.pk if category else None,
    )
    return selection, issue_date, category


def invoice_preview(*, customer: Customer, actor, start, end, due_date, category=None) -> InvoicePreview:
    """The transactions and total that `invoice_generate` would bill now. Writes nothing."""
    ensure_permission(actor=actor, entity=customer.entity_id, action="generate_invoices")
    selection, issue_date, category = _invoice_request(
        customer=customer, start=start, end=end, due_date=due_date, category=category
    )
    lines = list(selection.queryset().order_by("date", "id"))
    return InvoicePreview(
        customer=customer,
        start=start,
        end=end,
        due_date=due_date,
        issue_date=issue_date,
        category=category,
        transactions=lines,
        total=sum((t.amount for t in lines), ZERO),
    )


@transaction.atomic
def invoice_generate(
    *, customer: Customer, actor, start: datetime.date, end: datetime.date, due_date: datetime.date, category=None
) -> Invoice:
    """Put every unbilled, non-void transaction dated start..end (of `category`, if given) on one new invoice."""
    customer = customer_lock(customer)
    ensure_permission(actor=actor, entity=customer.entity_id, action="generate_invoices")
    selection, issue_date, category = _invoice_request(
        customer=customer, start=start, end=end, due_date=due_date, category=category
    )
    lines = selection.queryset()
    if not lines.exists():
        raise Conflict(_("There is nothing to bill for this customer in this period."), code="nothing_to_bill")
    total = sum(lines.values_list("amount", flat=True), ZERO)
    if total < 0:
        raise Conflict(
            _(
                "The credits exceed the charges (%(total)s): nothing to invoice; the credit stays on the "
                "customer's ledger."
            )
            % {"total": total},
            code="invoice_total_negative",
        )
    _charges, invoices = engine.invoices_generate(
        selection=selection,
        issue_date=issue_date,
        period_start=start,
        period_end=end,
        due_date=due_date,
        actor_id=getattr(actor, "pk", None),
    )
    return invoices.invoices().get()


@transaction.atomic
def invoice_void(*, invoice_id: int, actor, reason: str) -> Invoice:
    """Void an unpaid invoice: it keeps its number and its transactions become unbilled again."""
    customer_id = Invoice.objects.filter(pk=invoice_id).values_list("customer_id", flat=True).first()
    if customer_id is None:
        raise NotFound(_("Invoice not found."), code="invoice_not_found")
    customer_lock(customer_id)
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    ensure_permission(actor=actor, entity=invoice.entity_id, action="void_invoices")
    if not (reason or "").strip():
        raise ValidationFailed(
            _("Give a reason for the void."), code="reason_required", fields={"reason": [_("Required.")]}
        )
    if invoice.status == InvoiceStatus.VOID:
        raise Conflict(_("This invoice is already void."), code="invoice_already_void")
    if invoice.status == InvoiceStatus.PAID:
        raise Conflict(
            _("A paid invoice cannot be voided: add a credit to the customer instead."), code="invoice_paid_cannot_void"
        )
    before = snapshot(invoice, INVOICE_FIELDS)
    # The log keeps which lines the invoice billed, since voiding releases them for the next invoice.
    released_ids = list(
        Transaction.objects.filter(Q(invoice=invoice) | Q(paid_invoice=invoice)).values_list("pk", flat=True)
    )
    released = Transaction.objects.filter(invoice=invoice).update(invoice=None)
    # Partial payments already received stay on the ledger as unbilled credits for the next invoice.
    released += Transaction.objects.filter(paid_invoice=invoice).update(paid_invoice=None)
    invoice.status = InvoiceStatus.VOID
    invoice.void_reason = reason.strip()[:255]
    invoice.voided_at = timezone.now()
    invoice.voided_by = actor if actor is not None and actor.is_authenticated else None
    invoice.save(update_fields=["status", "void_reason", "voided_at", "voided_by"])
    activity_record(
        entity_id=invoice.entity_id,
        actor=actor,
        action=ActivityAction.VOID,
        obj=invoice,
        customer_id=invoice.customer_id,
        summary=f"{invoice.number}: {invoice.void_reason}",
        before=before,
        after={
            **snapshot(invoice, INVOICE_FIELDS),
            "released_transactions": released,
            "released_transaction_ids": released_ids,
        },
    )
    return invoice


@transaction.atomic
def invoices_void(*, invoice_ids: list[int], actor, reason: str) -> list[Invoice]:
    """Void several unpaid invoices with one reason (the staff UI's "select several → void"): all or nothing."""
    if not invoice_ids:
        raise ValidationFailed(_("Choose at least one invoice."), code="invoices_required")
    return [invoice_void(invoice_id=pk, actor=actor, reason=reason) for pk in sorted(set(invoice_ids))]


# ---------------------------------------------------------------------------------------------------------------
# Billing runs
# ---------------------------------------------------------------------------------------------------------------

CHUNK_SIZE = 5000


def _chunks(customer_ids: list[int], size: int) -> list[tuple[int, int]]:
    return [
        (customer_ids[i], customer_ids[min(i + size, len(customer_ids)) - 1]) for i in range(0, len(customer_ids), size)
    ]


def _run_start(*, entity: Entity, kind: str, run_date: datetime.date, parameters: dict, actor, chunks: int):
    return BillingRun.objects.create(
        entity=entity,
        kind=kind,
        run_date=run_date,
        parameters=parameters,
        chunks_total=chunks,
        started_at=timezone.now(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )


def run_workers(requested: int | None = None) -> int:
    """How many chunks a run works on side by side (`QUITA_BILLING_WORKERS`, default: the CPUs, at most 4).

    One on SQLite (a single writer) and when the caller already holds a transaction: a worker has a
    connection of its own and could not see what that transaction has not committed.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    if requested is None:
        requested = getattr(settings, "BILLING_WORKERS", None) or min(4, os.cpu_count() or 1)
    return max(1, requested)


def _run_chunks(run: BillingRun, chunks: list[tuple[int, int]], work, workers: int | None = None) -> BillingRun:
    """Run `work(first_id, last_id)` per chunk, each in its own transaction, recording progress and errors.

    With several workers (threads, one database connection each) chunks run side by side: they touch
    disjoint customers and wait for each other only on the invoice number sequence, which a chunk locks
    for its last statements (see `engine.invoices_generate`).
    """
    started = time.monotonic()
    pending = list(reversed(chunks))
    taking = threading.Lock()

    def next_chunk():
        with taking:
            return pending.pop() if pending else None

    def run_one(first_id: int, last_id: int) -> None:
        try:
            with transaction.atomic():
                charges, invoices = work(first_id, last_id)
                BillingRun.objects.filter(pk=run.pk).update(
                    chunks_done=F("chunks_done") + 1,
                    charges_created=F("charges_created") + charges.created,
                    charges_total=F("charges_total") + charges.total,
                    invoices_created=F("invoices_created") + invoices.created,
                    invoices_total=F("invoices_total") + invoices.total,
                )
        except Exception as error:  # one bad chunk must not stop the others; it is recorded and can be re-run
            logger.exception("billing run %s: chunk %s-%s failed", run.pk, first_id, last_id)
            with transaction.atomic():  # the run row's lock orders the workers' appends
                errors = BillingRun.objects.select_for_update().values_list("errors", flat=True).get(pk=run.pk)
                entry = {"customers": [first_id, last_id], "error": f"{type(error).__name__}: {error}"}
                BillingRun.objects.filter(pk=run.pk).update(errors=[*errors, entry])

    def worker(own_connection: bool) -> None:
        try:
            while (chunk := next_chunk()) is not None:
                run_one(*chunk)
        finally:
            if own_connection:
                connection.close()

    workers = min(run_workers(workers), len(chunks))
    threads = [threading.Thread(target=worker, args=(True,), name=f"run-{run.pk}-{i}") for i in range(1, workers)]
    for thread in threads:
        thread.start()
    worker(own_connection=False)
    for thread in threads:
        thread.join()
    run.refresh_from_db()
    run.finished_at = timezone.now()
    run.duration_seconds = Decimal(f"{time.monotonic() - started:.3f}")
    run.status = BillingRunStatus.DONE_WITH_ERRORS if run.errors else BillingRunStatus.DONE
    run.save(update_fields=["finished_at", "duration_seconds", "status"])
    return run


def billing_run_recurring(
    *,
    entity: Entity,
    run_date: datetime.date,
    actor=None,
    chunk_size: int = CHUNK_SIZE,
    workers: int | None = None,
) -> BillingRun:
    """`quita bill`: this period's recurring charges for every contract billed on `run_date`, then its invoices.

    Safe to run twice or in two processes at once: charges are unique per service and period in the
    database, and each chunk invoices only what is still unbilled under the customers' row locks.
    """
    ensure_permission(actor=actor, entity=entity, action="run_billing")
    billing_days = tuple(engine.billing_days_on(run_date))
    # A repeated date works only on the customers with something left to do (all of them billed on
    # this date); a first run takes every customer billed on it without looking.
    repeated = BillingRun.objects.filter(entity=entity, kind=BillingRunKind.RECURRING, run_date=run_date).exists()
    if repeated:
        customer_ids = sorted(
            engine.recurring_pending_customers(entity=entity, run_date=run_date, billing_days=billing_days)
        )
    else:
        customer_ids = list(
            entity.contracts.filter(status="active", billing_day__in=billing_days)
            .order_by("customer_id")
            .values_list("customer_id", flat=True)
            .distinct()
        )
    chunks = _chunks(customer_ids, chunk_size)
    run = _run_start(
        entity=entity,
        kind=BillingRunKind.RECURRING,
        run_date=run_date,
        parameters={"billing_days": list(billing_days)},
        actor=actor,
        chunks=len(chunks),
    )
    period_end = max(engine.billing_period(run_date, day)[1] for day in billing_days)
    due_days = {day: engine.due_date_for(run_date, day) for day in range(1, 32)}
    actor_id = getattr(actor, "pk", None)

    def work(first_id: int, last_id: int):
        selection = engine.InvoiceSelection(
            chunk=engine.Chunk(entity=entity, first_customer_id=first_id, last_customer_id=last_id),
            date_from=None,
            date_to=run_date,
            billing_days=billing_days,
        )
        return engine.invoices_generate(
            selection=selection,
            issue_date=run_date,
            period_start=run_date,
            period_end=period_end,
            due_days=due_days,
            recurring=engine.RecurringCharges(run_date=run_date, billing_run_id=run.pk, skip_if_done=repeated),
            billing_run_id=run.pk,
            actor_id=actor_id,
        )

    return _run_chunks(run, chunks, work, workers)


def billing_run_invoices(
    *,
    entity: Entity,
    start: datetime.date,
    end: datetime.date,
    due_date: datetime.date,
    actor=None,
    category=None,
    issue_date: datetime.date | None = None,
    chunk_size: int = CHUNK_SIZE,
    workers: int | None = None,
) -> BillingRun:
    """`quita invoice-run`: one invoice per customer for every unbilled line dated start..end (a whole entity)."""
    ensure_permission(actor=actor, entity=entity, action="run_billing")
    if end < start:
        raise ValidationFailed(_("The end date is before the start date."), code="end_before_start")
    issue_date = issue_date or entity_today(entity)
    if due_date < issue_date:
        raise ValidationFailed(
            _("The due date is before the issue date (%(date)s).") % {"date": issue_date}, code="due_before_issue"
        )
    category = category_get(category)
    selection = engine.InvoiceSelection(
        chunk=engine.Chunk(entity=entity, first_customer_id=0, last_customer_id=2**62),
        date_from=start,
        date_to=end,
        category_id=category.pk if category else None,
    )
    customer_ids = list(selection.queryset().order_by("customer_id").values_list("customer_id", flat=True).distinct())
    chunks = _chunks(customer_ids, chunk_size)
    run = _run_start(
        entity=entity,
        kind=BillingRunKind.INVOICE_RUN,
        run_date=issue_date,
        parameters={
            "start": start.isoformat(),
            "end": end.isoformat(),
            "due_date": due_date.isoformat(),
            "category": category.code if category else None,
        },
        actor=actor,
        chunks=len(chunks),
    )
    actor_id = getattr(actor, "pk", None)

    def work(first_id: int, last_id: int):
        chunk = engine.InvoiceSelection(
            chunk=engine.Chunk(entity=entity, first_customer_id=first_id, last_customer_id=last_id),
            date_from=start,
            date_to=end,
            category_id=selection.category_id,
        )
        return engine.invoices_generate(
            selection=chunk,
            issue_date=issue_date,
            period_start=start,
            period_end=end,
            due_date=due_date,
            billing_run_id=run.pk,
            actor_id=actor_id,
        )

    return _run_chunks(run, chunks, work, workers)


def billing_run_preview(*, entity: Entity, start: datetime.date, end: datetime.date, category=None) -> dict:
    """How many customers and how much an invoice run over start..end would bill (customers in credit excluded)."""
    from django.db.models import Sum

    category = category_get(category)
    selection = engine.InvoiceSelection(
        chunk=engine.Chunk(entity=entity, first_customer_id=0, last_customer_id=2**62),
        date_from=start,
        date_to=end,
        category_id=category.pk if category else None,
    )
    per_customer = selection.queryset().values("customer_id").annotate(total=Sum("amount")).filter(total__gte=0)
    totals = [row["total"] for row in per_customer]
    return {"customers": len(totals), "total": sum(totals, ZERO)}
