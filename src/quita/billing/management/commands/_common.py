"""Helpers shared by the billing commands."""

from __future__ import annotations

import datetime

from django.core.management.base import CommandError
from django.db.models import Q

from quita.billing.models import BillingRun
from quita.core.models import Entity


def parse_date(value: str, option: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: expected a date as YYYY-MM-DD, got {value!r}") from None


def entities_named(value: str | None) -> list[Entity]:
    """The entity given by id, CNPJ or name; all active entities when none is given."""
    if not value:
        return list(Entity.objects.filter(is_active=True).order_by("pk"))
    digits = "".join(ch for ch in value if ch.isdigit())
    lookup = Q(name__iexact=value)
    if value.isdigit():
        lookup |= Q(pk=int(value))
    if len(digits) == 14:
        lookup |= Q(cnpj=digits)
    found = list(Entity.objects.filter(lookup))
    if len(found) != 1:
        raise CommandError(f"--entity {value!r}: {'no' if not found else 'more than one'} entity matches")
    return found


def describe(run: BillingRun) -> str:
    return (
        f"{run.entity.name}: run #{run.pk} {run.get_kind_display()} {run.run_date} — {run.get_status_display()}; "
        f"chunks {run.chunks_done}/{run.chunks_total}; charges {run.charges_created} (R$ {run.charges_total}); "
        f"invoices {run.invoices_created} (R$ {run.invoices_total}); errors {len(run.errors)}; "
        f"{run.duration_seconds} s"
    )
