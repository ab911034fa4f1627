"""Read queries of e-mail: what was sent for an invoice, and what failed (for the billing-error alerts)."""

from __future__ import annotations

from django.db.models import QuerySet

from quita.notifications.models import Email, EmailStatus


def emails_for_invoice(invoice_id: int) -> QuerySet[Email]:
    return Email.objects.filter(invoice_id=invoice_id).order_by("-created_at", "-id")


def emails_failed(*, entity_ids: list[int]) -> QuerySet[Email]:
    return Email.objects.filter(entity_id__in=entity_ids, status=EmailStatus.FAILED).order_by("-created_at")
