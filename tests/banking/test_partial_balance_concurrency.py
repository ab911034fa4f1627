"""Partial payments while remittances are written (PostgreSQL): no deadlock, and every change reaches the bank once.

A payment locks customer → invoice → wallet → boleto; `remittance_create` locks wallet → boletos. Payments on a
reissue bank (Itaú 400: cancel + a new boleto, which takes the wallet's nosso número) and on an instruction bank
(Caixa 240: movement 47) race remittances of the same wallets.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import threading
from decimal import Decimal

import pytest
from django.db import connections

from quita.banking import services
from quita.banking.cnab import reader
from quita.banking.models import Boleto, BoletoStatus, Remittance
from quita.billing import services as billing
from quita.core.errors import Conflict
from quita.core.models import Entity
from quita.customers.models import Customer
from quita.payments import services as payments
from tests.conftest import make_cnpj

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="row locks need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race_wallets(entity):
    """A reissue bank (Itaú 400: cancel + a new boleto) and an instruction bank (Caixa 240: movement 47)."""
    itau = services.wallet_create(
        entity=entity, actor=None, name="Itaú", bank="341", agency="0057", account="12345", wallet_code="109",
        cnab_layout=400,
    )  # fmt: skip
    caixa = services.wallet_create(
        entity=entity, actor=None, name="Caixa", bank="104", agency="1234", account="1234",
        beneficiary_code="123456", wallet_code="14", cnab_layout=240,
    )  # fmt: skip
    return itau, caixa


def _invoice(entity, i):
    customer = Customer.objects.create(entity=entity, person_type="PF", document=f"{i:011d}", name=f"C{i}")
    billing.transaction_create(
        customer=customer,
        actor=None,
        kind="charge",
        title="Mensalidade",
        amount=Decimal("100.00"),
        date=datetime.date(2030, 1, 5),
    )
    return billing.invoice_generate(
        customer=customer,
        actor=None,
        start=datetime.date(2030, 1, 1),
        end=datetime.date(2030, 1, 31),
        due_date=datetime.date(2030, 2, 10),
    )


def test_partial_payments_racing_remittances_send_each_change_once():
    entity = Entity.objects.create(name="Race", legal_name="Race Ltda", cnpj=make_cnpj(78), invoice_prefix="RP")
    itau, caixa = race_wallets(entity)
    pairs = []
    for i in range(12):
        wallet = itau if i % 2 else caixa
        invoice = _invoice(entity, i)
        services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=None)
        pairs.append((invoice, wallet))
    for wallet in (itau, caixa):
        services.remittance_create(wallet_id=wallet.pk, actor=None)

    errors = []
    barrier = threading.Barrier(len(pairs) + 2)

    def pay(invoice_id):
        try:
            barrier.wait()
            payments.invoice_pay(invoice_id=invoice_id, actor=None, method="cash", amount="30.01")
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    def remit(wallet_id):
        try:
            barrier.wait()
            for _ in range(4):
                try:
                    services.remittance_create(wallet_id=wallet_id, actor=None)
                except Conflict as error:
                    assert error.code == "remittance_empty"
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay, args=(invoice.pk,)) for invoice, _ in pairs]
    threads += [threading.Thread(target=remit, args=(wallet.pk,)) for wallet in (itau, caixa)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        pytest.fail("\n".join(str(e) for e in errors[:2]))
    for wallet in (itau, caixa):
        with contextlib.suppress(Conflict):
            services.remittance_create(wallet_id=wallet.pk, actor=None)

    # What the bank was told, file by file, in order: the last word on each nosso número.
    told: dict[tuple[str, int], tuple[str, Decimal]] = {}
    for remittance in Remittance.objects.filter(entity=entity).order_by("pk"):
        for title in reader.read(remittance.content).titles:
            told[(remittance.wallet.bank, title.our_number)] = (title.occurrence_code, title.amount)
    for invoice, wallet in pairs:
        [open_boleto] = Boleto.objects.filter(invoice=invoice, status__in=["awaiting", "registered"])
        assert (open_boleto.amount, open_boleto.pending_action) == (Decimal("69.99"), "")
        code, amount = told[(wallet.bank, open_boleto.our_number)]
        assert amount == Decimal("69.99") and code == ("01" if wallet.bank == "341" else "47")
        if wallet.bank == "341":
            [old] = Boleto.objects.filter(invoice=invoice, status=BoletoStatus.CANCELLED)
            assert told[("341", old.our_number)] == ("02", Decimal("100.00"))
    # each instruction went once: no boleto appears twice with the same action
    items = Remittance.objects.filter(entity=entity).values_list("items__boleto_id", "items__action")
    assert len(list(items)) == len(set(items))
