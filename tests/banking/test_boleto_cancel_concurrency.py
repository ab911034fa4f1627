"""Boletos cancelled by hand while payments and remittances run (PostgreSQL): no deadlock, and each write-off reaches
the bank once, last.

`boleto_cancel` locks wallet → boleto; a payment locks customer → invoice → wallet → boleto; `remittance_create`
locks wallet → boletos. Hand cancellations race partial payments (Itaú 400 cancels and reissues; Caixa 240 changes
the amount) and the remittances of both wallets.
"""

from __future__ import annotations

import contextlib
import os
import threading

import pytest
from django.db import connections

from quita.banking import services
from quita.banking.cnab import reader
from quita.banking.models import Boleto, BoletoStatus, Remittance
from quita.core.errors import Conflict
from quita.core.models import Entity
from quita.payments import services as payments
from tests.banking.test_partial_balance_concurrency import _invoice, race_wallets
from tests.conftest import make_cnpj

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="row locks need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_hand_cancellations_racing_payments_and_remittances_reach_the_bank_once():
    entity = Entity.objects.create(name="Race", legal_name="Race Ltda", cnpj=make_cnpj(79), invoice_prefix="RX")
    itau, caixa = race_wallets(entity)
    boletos = []
    for i in range(10):
        wallet = itau if i % 2 else caixa
        boletos.append(services.boleto_issue(invoice_id=_invoice(entity, i).pk, wallet_id=wallet.pk, actor=None))
    for wallet in (itau, caixa):
        services.remittance_create(wallet_id=wallet.pk, actor=None)

    errors, cancelled, refused = [], [], []
    barrier = threading.Barrier(len(boletos) + 4 + 2)

    def cancel(boleto_id):
        try:
            barrier.wait()
            services.boleto_cancel(boleto_id=boleto_id, actor=None, reason="race")
            cancelled.append(boleto_id)
        except Conflict as error:
            refused.append((boleto_id, error.code))
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

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
            for _ in range(3):
                with contextlib.suppress(Conflict):
                    services.remittance_create(wallet_id=wallet_id, actor=None)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cancel, args=(b.pk,)) for b in boletos]
    threads += [threading.Thread(target=pay, args=(b.invoice_id,)) for b in boletos[:4]]
    threads += [threading.Thread(target=remit, args=(w.pk,)) for w in (itau, caixa)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        pytest.fail("\n".join(str(e) for e in errors[:2]))
    for wallet in (itau, caixa):
        with contextlib.suppress(Conflict):
            services.remittance_create(wallet_id=wallet.pk, actor=None)

    # Only an Itaú boleto a payment cancelled first (to reissue it for the balance) may refuse the hand cancellation.
    assert len(cancelled) + len(refused) == len(boletos)
    for boleto_id, code in refused:
        assert code == "boleto_already_cancelled" and boleto_id in [b.pk for b in boletos[:4] if b.wallet_id == itau.pk]
    told: dict[tuple[str, int], list[str]] = {}
    for remittance in Remittance.objects.filter(entity=entity).order_by("pk"):
        for title in reader.read(remittance.content).titles:
            told.setdefault((remittance.wallet.bank, title.our_number), []).append(title.occurrence_code)
    for boleto in Boleto.objects.filter(pk__in=[b.pk for b in boletos]).select_related("wallet"):
        assert (boleto.status, boleto.pending_action) == (BoletoStatus.CANCELLED, "")
        codes = told[(boleto.wallet.bank, boleto.our_number)]
        assert codes[-1] == "02" and codes.count("02") == 1, codes  # the write-off, once, and last
    items = list(Remittance.objects.filter(entity=entity).values_list("items__boleto_id", "items__action"))
    assert len(items) == len(set(items))
