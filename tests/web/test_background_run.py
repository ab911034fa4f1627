"""The batch invoice run started from the UI runs beside the request; its page shows progress until it is done."""

from __future__ import annotations

import datetime
import os
import time

import pytest

from quita.billing import services as billing
from quita.billing.models import BillingRun, BillingRunStatus, Invoice
from tests.web.conftest import client_for, today

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="a second connection to SQLite's in-memory test database fails on table locks",
    ),
]


def test_the_run_goes_on_in_the_background_and_its_page_can_be_reopened(settings, clerk, make_customer):
    settings.WEB_RUNS_IN_BACKGROUND = True
    day = today()
    for name in ("Ana", "Bruno", "Carla"):
        customer = make_customer(name)
        billing.transaction_create(
            customer=customer, actor=None, kind="charge", title="Mensalidade", amount="45.00", date=day
        )
    web = client_for(clerk)
    data = {"start": day.replace(day=1), "end": day, "due_date": day + datetime.timedelta(days=10), "confirm": "1"}
    response = web.post("/billing/invoices/run/", data)
    assert response.status_code == 302 and response["Location"].startswith("/billing/runs/")
    run = BillingRun.objects.get()
    assert run.created_by == clerk
    deadline = time.monotonic() + 30
    while BillingRun.objects.get().status == BillingRunStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(0.2)
    # Leaving and coming back: the page (and its polled fragment) shows the finished run.
    page = web.get(response["Location"]).content.decode()
    assert "Done" in page and 'id="run-invoices">3<' in page
    fragment = web.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in fragment
    assert Invoice.objects.count() == 3
