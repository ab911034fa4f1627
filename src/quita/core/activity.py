"""Writing the activity log. Callers run inside the transaction of the change they record."""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from quita.core.models import ActivityLog


def _plain(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict:
    """The named fields of a model as JSON-ready values (decimals as '95.00', foreign keys as ids)."""
    data = {}
    for name in fields:
        field = instance._meta.get_field(name)
        value = getattr(instance, field.attname)
        data[name] = _plain(value)
    return data


def activity_record(
    *,
    entity_id: int,
    actor,
    action: str,
    obj: models.Model,
    customer_id: int | None = None,
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> ActivityLog:
    """Write one activity row for a change to `obj`."""
    return ActivityLog.objects.create(
        entity_id=entity_id,
        actor=actor if actor is not None and actor.is_authenticated else None,
        created_at=timezone.now(),
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        customer_id=customer_id,
        summary=str(summary)[:255],
        before=before,
        after=after,
    )


@contextmanager
def logged_update(
    obj: models.Model,
    logged: list[str],
    *,
    actor,
    summary: str,
    saved: list[str] | None = None,
    customer_id: int | None = None,
    action: str | None = None,
    extra: dict | None = None,
):
    """`with logged_update(obj, FIELDS, actor=…, summary=…):` change `obj` in the block; it is then saved (the
    `saved` fields, else `logged`) and one row (`action`, by default "update") logs `logged` before and after,
    `extra` added to the after side (a reason, say). The row's entity is the object's; its customer is
    `customer_id`, else the object's own when it has one."""
    from quita.core.models import ActivityAction

    before = snapshot(obj, logged)
    yield obj
    obj.save(update_fields=saved or logged)
    activity_record(
        entity_id=obj.entity_id,
        actor=actor,
        action=action or ActivityAction.UPDATE,
        obj=obj,
        customer_id=customer_id if customer_id is not None else getattr(obj, "customer_id", None),
        summary=summary,
        before=before,
        after={**snapshot(obj, logged), **(extra or {})},
    )
