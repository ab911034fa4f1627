"""Nosso número under concurrency (PostgreSQL): threads issuing boletos at once take 1..N, no gap, no repeat."""

from __future__ import annotations

import datetime
import os
import threading
from decimal import Decimal

import pytest
from django.db import connections

from quita.banking import services
from quita.banking.models import Boleto, Wallet
from quita.billing import services as billing
from quita.core.errors import DomainError
from quita.core.models import Entity
from quita.customers.models import Customer
from tests.conftest import make_cnpj

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="row locks need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_concurrent_issues_take_consecutive_numbers():
    entity = Entity.objects.create(name="Race", legal_name="Race Ltda", cnpj=make_cnpj(77), invoice_prefix="RC")
    wallet = services.wallet_create(
        entity=entity, actor=None, name="Bradesco", bank="237", agency="1234", account="56789", wallet_code="09"
    )
    invoices = []
    for i in range(12):
        customer = Customer.objects.create(entity=entity, person_type="PF", document=f"{i:011d}", name=f"C{i}")
        billing.transaction_create(
            customer=customer,
            actor=None,
            kind="charge",
            title="Mensalidade",
            amount=Decimal("50.00"),
            date=datetime.date(2030, 1, 5),
        )
        invoices.append(
            billing.invoice_generate(
                customer=customer,
                actor=None,
                start=datetime.date(2030, 1, 1),
                end=datetime.date(2030, 1, 31),
                due_date=datetime.date(2030, 2, 10),
            )
        )
    errors = []
    barrier = threading.Barrier(len(invoices))

    def issue(invoice_id, fail):
        try:
            barrier.wait()
            if fail:
                # A failed issue (the invoice is issued twice in one thread, then the transaction is rolled back)
                # gives its number back: no gap.
                from django.db import transaction

                with transaction.atomic():
                    services.boleto_issue(invoice_id=invoice_id, wallet_id=wallet.pk, actor=None)
                    raise DomainError("rolled back on purpose")
            services.boleto_issue(invoice_id=invoice_id, wallet_id=wallet.pk, actor=None)
        except DomainError:
            pass
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(inv.pk, i % 4 == 3)) for i, inv in enumerate(invoices)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(Boleto.objects.filter(wallet=wallet).values_list("our_number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) == 9
    assert Wallet.objects.get(pk=wallet.pk).next_our_number == 10
