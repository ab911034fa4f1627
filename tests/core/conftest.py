"""Fixtures of the core tests."""

from __future__ import annotations

import pytest

from tests.billing.ledger import Clock, Ledger


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Users are created per test: hash their passwords with a cheap hasher (PBKDF2 costs ~0.5 s each)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """`timezone.now()` fixed at 2025-02-10 15:00 UTC (12:00 in São Paulo); move it with `clock.set(...)`."""
    return Clock(monkeypatch)


@pytest.fixture
def ledger(clerk, clock) -> Ledger:
    """Service calls acting as the billing clerk, on the fixed clock."""
    return Ledger(clerk)
