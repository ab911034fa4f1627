"""Dates in the entity's time zone: today and month bounds (what "this month" and "last month" mean)."""

from __future__ import annotations

import datetime

import pytest

from quita.core.selectors import entity_today, month_bounds

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("moment", "zone", "today"),
    [
        (datetime.datetime(2025, 3, 1, 1, 0, tzinfo=UTC), "America/Sao_Paulo", datetime.date(2025, 2, 28)),
        (datetime.datetime(2025, 3, 1, 3, 0, tzinfo=UTC), "America/Sao_Paulo", datetime.date(2025, 3, 1)),
        (datetime.datetime(2025, 3, 1, 3, 30, tzinfo=UTC), "America/Manaus", datetime.date(2025, 2, 28)),
        (datetime.datetime(2025, 3, 1, 1, 0, tzinfo=UTC), "America/Noronha", datetime.date(2025, 2, 28)),
        (datetime.datetime(2025, 3, 1, 2, 0, tzinfo=UTC), "America/Noronha", datetime.date(2025, 3, 1)),
    ],
    ids=["sao-paulo-still-february", "sao-paulo-march", "manaus-still-february", "noronha-before", "noronha-after"],
)
def test_entity_today_is_the_date_in_the_entity_zone(entity, clock, moment, zone, today):
    entity.time_zone = zone
    clock.set(moment)
    assert entity_today(entity) == today


@pytest.mark.parametrize(
    ("day", "back", "bounds"),
    [
        (datetime.date(2025, 2, 10), 0, (datetime.date(2025, 2, 1), datetime.date(2025, 2, 28))),
        (datetime.date(2024, 2, 10), 0, (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))),
        (datetime.date(2025, 3, 31), 1, (datetime.date(2025, 2, 1), datetime.date(2025, 2, 28))),
        (datetime.date(2025, 1, 15), 1, (datetime.date(2024, 12, 1), datetime.date(2024, 12, 31))),
        (datetime.date(2025, 1, 15), 13, (datetime.date(2023, 12, 1), datetime.date(2023, 12, 31))),
        (datetime.date(2025, 12, 31), 0, (datetime.date(2025, 12, 1), datetime.date(2025, 12, 31))),
    ],
    ids=["february", "leap-february", "last-month-from-31st", "across-new-year", "13-months-back", "december"],
)
def test_month_bounds(day, back, bounds):
    assert month_bounds(day, months_back=back) == bounds
