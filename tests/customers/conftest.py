"""Fixtures of the customer tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Users are created per test: hash their passwords with a cheap hasher (PBKDF2 costs ~0.5 s each)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
