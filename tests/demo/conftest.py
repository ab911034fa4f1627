"""A small demo ISP built once per test module, rolled back when the module ends."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_demo(*args: str) -> str:
    """Run `quita demo --no-serve ARGS` and return what it printed."""
    out = io.StringIO()
    call_command("demo", "--no-serve", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """Build a 30-customer demo in the test database for the module's tests; roll it back afterwards."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), transaction.atomic():
        output = run_demo("--customers", "30")
        yield output
        transaction.set_rollback(True)
