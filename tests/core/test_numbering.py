"""sequence_reserve: gapless numbers per entity and series, given back on rollback."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import transaction

from quita.core import numbering
from quita.core.models import NumberSequence
from quita.core.numbering import sequence_reserve


def test_numbers_are_handed_out_consecutively(entity):
    assert sequence_reserve(entity=entity, series="invoice:2025") == 0
    assert sequence_reserve(entity=entity, series="invoice:2025", count=3) == 1
    assert sequence_reserve(entity=entity, series="invoice:2025") == 4
    assert NumberSequence.objects.get(entity=entity, series="invoice:2025").last_value == 5


def test_count_zero_reads_and_locks_without_taking_a_number(entity):
    assert sequence_reserve(entity=entity, series="s", count=0) == 0
    assert sequence_reserve(entity=entity, series="s", count=0) == 0
    assert sequence_reserve(entity=entity, series="s", count=2) == 0
    assert sequence_reserve(entity=entity, series="s", count=0) == 2


def test_each_entity_and_series_counts_on_its_own(entity, other_entity):
    sequence_reserve(entity=entity, series="invoice:2025", count=7)
    assert sequence_reserve(entity=entity, series="invoice:2026") == 0
    assert sequence_reserve(entity=other_entity, series="invoice:2025") == 0
    assert sequence_reserve(entity=other_entity.pk, series="invoice:2025") == 1  # an id works too


def test_a_rollback_gives_the_numbers_back(entity):
    sequence_reserve(entity=entity, series="s", count=2)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert sequence_reserve(entity=entity, series="s", count=5) == 2
        raise RuntimeError("the invoice could not be written")
    assert sequence_reserve(entity=entity, series="s") == 2


def test_a_rollback_of_the_first_use_leaves_no_row(entity):
    with pytest.raises(RuntimeError), transaction.atomic():
        sequence_reserve(entity=entity, series="new")
        raise RuntimeError
    assert not NumberSequence.objects.filter(series="new").exists()
    assert sequence_reserve(entity=entity, series="new") == 0


def test_a_negative_count_is_refused(entity):
    with pytest.raises(ValueError):
        sequence_reserve(entity=entity, series="s", count=-1)


def test_outside_a_transaction_is_refused(entity, monkeypatch):
    # The test itself runs inside a transaction, so pretend the connection is in autocommit.
    class Autocommit:
        in_atomic_block = False

    monkeypatch.setattr(numbering, "transaction", SimpleNamespace(get_connection=lambda using=None: Autocommit()))
    with pytest.raises(RuntimeError, match="inside a transaction"):
        sequence_reserve(entity=entity, series="s")
