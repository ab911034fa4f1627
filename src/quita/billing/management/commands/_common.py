"""Helpers shared by the billing commands."""

from __future__ import annotations

import datetime

from django.core.management.base import CommandError
from django.db.models import Q

from quita.billing.models import BillingRun
from quita.core.models import Entity
from quita.core.money import format_money


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
    """One English line per run; its amounts as English BRL (`R$1,234.56`) like the rest of the line."""
    charges, invoices = format_money(run.charges_total, language="en"), format_money(run.invoices_total, language="en")
    return (
        f"{run.entity.name}: run #{run.pk} {run.get_kind_display()} {run.run_date} — {run.get_status_display()}; "
        f"chunks {run.chunks_done}/{run.chunks_total}; charges {run.charges_created} ({charges}); "
        f"invoices {run.invoices_created} ({invoices}); errors {len(run.errors)}; "
        f"{run.duration_seconds} s"
    )
