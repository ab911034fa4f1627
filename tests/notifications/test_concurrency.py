"""Two workers sending the same e-mails at once (PostgreSQL): each e-mail goes out exactly once."""

from __future__ import annotations

import os
import threading

import pytest
from django.core import mail
from django.db import connection

from quita.notifications import services
from quita.notifications.models import Email, EmailStatus

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="concurrent workers need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_workers_send_each_email_once(invoice, clerk, settings):
    settings.QUITA_EMAIL_SEND_ON_COMMIT = False
    records = [services.invoice_email_send(invoice=invoice, actor=clerk) for _ in range(6)]
    start = threading.Barrier(2)
    errors = []

    def worker():
        try:
            start.wait()
            services.emails_send_pending()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(mail.outbox) == len(records)
    assert set(Email.objects.values_list("status", "attempts")) == {(EmailStatus.SENT, 1)}
