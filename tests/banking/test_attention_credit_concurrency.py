"""Two clerks crediting (or one crediting, one applying) the same needs-attention money at once (PostgreSQL): one wins,
the other is told the item is resolved, and the money is on the books once."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connections
from django.utils import timezone

from quita.banking import services
from quita.banking.models import AttentionItem
from quita.billing.models import CreditType, Transaction
from quita.core.errors import Conflict
from quita.payments.models import Payment

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="row locks need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    won, refused, errors = [], [], []

    def run(call):
        try:
            barrier.wait()
            won.append(call())
        except Conflict as error:
            refused.append(error.code)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return won, refused


def _unknown_pix(entity, e2e: str) -> AttentionItem:
    services.pix_received(entity_id=entity.pk, end_to_end_id=e2e, txid="nobody", amount="95.07", paid_at=timezone.now())
    return AttentionItem.objects.get(pix_receipt__end_to_end_id=e2e)


def test_two_clerks_credit_the_same_money_one_wins(entity, clerk, make_customer):
    item = _unknown_pix(entity, "E00000000202501011200racecredit01")
    first, second = make_customer("Ana"), make_customer("Bia")
    won, refused = _race(
        lambda: services.attention_credit(item_id=item.pk, customer_id=first.pk, actor=clerk),
        lambda: services.attention_credit(item_id=item.pk, customer_id=second.pk, actor=clerk),
    )
    assert len(won) == 1 and refused == ["attention_already_resolved"]
    [credit] = Transaction.objects.filter(credit_type=CreditType.BANK_RECEIPT)
    item.refresh_from_db()
    assert item.credit_id == credit.pk and credit.customer_id == won[0].credit.customer_id


def test_credit_racing_apply_one_wins(entity, clerk, make_customer, make_invoice):
    item = _unknown_pix(entity, "E00000000202501011200racecredit02")
    invoice = make_invoice("95.07")
    customer = make_customer("Carla")
    won, refused = _race(
        lambda: services.attention_credit(item_id=item.pk, customer_id=customer.pk, actor=clerk),
        lambda: services.attention_apply(item_id=item.pk, invoice_id=invoice.pk, actor=clerk),
    )
    assert len(won) == 1 and refused == ["attention_already_resolved"]
    credits = Transaction.objects.filter(credit_type=CreditType.BANK_RECEIPT).count()
    payments = Payment.objects.filter(gateway="pix").count()
    assert credits + payments == 1
    item.refresh_from_db()
    assert (item.credit_id is None) != (item.payment_id is None)
