"""Read queries of the core app."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from quita.core.models import ActivityLog, Entity


def entities_for_user(user) -> QuerySet[Entity]:
    """The entities a user may see: all for a superuser, else those of their memberships."""
    if user is None or getattr(user, "is_superuser", False):
        return Entity.objects.all()
    if not user.is_authenticated:
        return Entity.objects.none()
    return Entity.objects.filter(memberships__user=user)


def entity_today(entity: Entity) -> datetime.date:
    """Today's date in the entity's time zone."""
    return timezone.now().astimezone(entity.zone).date()


def month_bounds(day: datetime.date, months_back: int = 0) -> tuple[datetime.date, datetime.date]:
    """First and last day of the month `months_back` months before the month of `day`."""
    year, month = day.year, day.month - months_back
    while month < 1:
        month += 12
        year -= 1
    first = datetime.date(year, month, 1)
    next_first = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return first, next_first - datetime.timedelta(days=1)


def activity_for_object(obj) -> QuerySet[ActivityLog]:
    from django.contrib.contenttypes.models import ContentType

    return ActivityLog.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)


def activity_for_customer(customer_id: int) -> QuerySet[ActivityLog]:
    return ActivityLog.objects.filter(customer_id=customer_id)
