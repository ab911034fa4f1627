"""Gapless number series: a row per (entity, series) locked while numbers are handed out."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from quita.core.models import Entity, NumberSequence


def sequence_reserve(*, entity: Entity | int, series: str, count: int = 1) -> int:
    """Reserve `count` consecutive numbers; return the last number handed out before them.

    Must run inside the transaction that uses the numbers: the sequence row stays locked until it
    commits, so a rollback gives the numbers back and nothing is skipped, and concurrent callers
    wait for each other instead of taking the same number.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_reserve must run inside a transaction")
    entity_id = entity if isinstance(entity, int) else entity.pk
    locked = NumberSequence.objects.select_for_update()
    sequence = locked.filter(entity_id=entity_id, series=series).first()
    if sequence is None:  # the series' first number
        try:
            with transaction.atomic():
                NumberSequence.objects.create(entity_id=entity_id, series=series, last_value=0)
        except IntegrityError:
            pass  # another caller created it first; the lock below serialises us behind it
        sequence = locked.get(entity_id=entity_id, series=series)
    start = sequence.last_value
    if count:
        NumberSequence.objects.filter(pk=sequence.pk).update(last_value=start + count)
    return start
