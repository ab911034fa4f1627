"""Reads of customers shared by the staff screens."""

from __future__ import annotations

from django.db.models import Q, QuerySet


def customers_matching(queryset: QuerySet, search: str) -> QuerySet:
    """The customers whose name or trade name contains `search`, or, when it is a number (dots, dashes, slashes and
    "#" ignored), whose CPF/CNPJ starts with it or whose code (id) it is."""
    search = (search or "").strip()
    if not search:
        return queryset
    digits = "".join(ch for ch in search if ch.isdigit())
    condition = Q(name__icontains=search) | Q(trade_name__icontains=search)
    if digits and len(digits) == len(search.replace(".", "").replace("-", "").replace("/", "").replace("#", "")):
        condition |= Q(document__startswith=digits)
        if len(digits) < 19:
            condition |= Q(pk=int(digits))
    return queryset.filter(condition)
