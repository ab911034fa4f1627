"""Shared set-up for the benchmarks: a private PostgreSQL, Django, and fast bulk loading with COPY."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# The columns of billing_invoice in the order the benchmarks COPY them.
INVOICE_COLUMNS = [
    "id",
    "entity_id",
    "customer_id",
    "number",
    "year",
    "sequence",
    "issue_date",
    "due_date",
    "period_start",
    "period_end",
    "category_id",
    "total",
    "amount_paid",
    "status",
    "paid_at",
    "payment_method",
    "payment_reference",
    "void_reason",
    "voided_at",
    "voided_by_id",
    "billing_run_id",
    "created_by_id",
    "created_at",
]


def ensure_postgres() -> None:
    """Re-run this script under scripts/with-postgres unless DATABASE_URL already points at PostgreSQL."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    script = ROOT / "scripts" / "with-postgres"
    os.execv(str(script), [str(script), sys.executable, *sys.argv])


def django_setup() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quita.settings")
    os.environ.setdefault("QUITA_SECRET_KEY", "benchmark")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def peak_memory_mib() -> float:
    """Peak resident memory of this process (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed(label: str, results: dict):
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start


def copy_rows(table: str, columns: list[str], rows) -> None:
    """Load rows with PostgreSQL's COPY through psycopg 3."""
    from django.db import connection

    with connection.cursor() as cursor:
        # Bulk load only: skip the foreign-key triggers (the rows are built consistent); restored below.
        cursor.execute("SET session_replication_role = replica")
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute("SET session_replication_role = DEFAULT")


def analyze(*tables: str) -> None:
    """VACUUM ANALYZE the tables the set-up loaded, before anything is timed.

    Rows just COPY'd are not yet known visible to every transaction (no hint bits, an empty visibility map) and
    autovacuum picks the tables up a minute later: left alone, the timed run pays for that settling, which a
    production table of settled rows never does (measured: 2.6 s of a 28.7 s return import, decision 0033)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")


def pg_settings_note() -> str:
    return subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() + " cores"


CUSTOMER_COLUMNS = [
    "id",
    "entity_id",
    "person_type",
    "document",
    "name",
    "trade_name",
    "emails",
    "phones",
    "street",
    "number",
    "complement",
    "district",
    "city",
    "state",
    "postal_code",
    "condominium",
    "is_active",
    "created_at",
]


def copy_customers(entity_id: int, ids, now) -> None:
    """COPY one plain PF customer per id (the document is the id, zero-padded)."""
    copy_rows(
        "customers_customer",
        CUSTOMER_COLUMNS,
        (
            (
                i,
                entity_id,
                "PF",
                f"{i:011d}",
                f"Cliente {i}",
                "",
                "[]",
                "[]",
                "",
                "",
                "",
                "",
                "Porto Alegre",
                "RS",
                "",
                "",
                True,
                now,
            )
            for i in ids
        ),
    )


BOLETO_COLUMNS = [
    "id",
    "entity_id",
    "wallet_id",
    "invoice_id",
    "customer_id",
    "our_number",
    "our_number_display",
    "amount",
    "due_date",
    "barcode",
    "digitable_line",
    "status",
    "pending_action",
    "registered_at",
    "paid_at",
    "cancelled_at",
    "rejection_code",
    "rejection_reason",
    "created_by_id",
    "created_at",
]


def copy_boletos(wallet, invoices, now) -> None:
    """COPY one registered boleto per (invoice id, customer id, amount, due date), numbered 1, 2, … in the wallet
    (real barcodes and linhas digitáveis), and move the wallet's next nosso número and the id sequence past them."""
    from django.db import connection

    from quita.banking import boleto as boleto_math
    from quita.banking import services
    from quita.banking.models import Wallet

    def rows():
        for number, (invoice_id, customer_id, amount, due) in enumerate(invoices, start=1):
            fields = services.wallet_boleto_fields(wallet, our_number=number, amount=amount, due_date=due)
            made = boleto_math.make(fields)
            yield (
                number,
                wallet.entity_id,
                wallet.pk,
                invoice_id,
                customer_id,
                number,
                made["nosso_numero"],
                amount,
                due,
                made["barcode"],
                made["linha_digitavel"],
                "registered",
                "",
                now,
                None,
                None,
                "",
                "",
                None,
                now,
            )

    copy_rows("banking_boleto", BOLETO_COLUMNS, rows())
    count = len(invoices)
    Wallet.objects.filter(pk=wallet.pk).update(next_our_number=count + 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('banking_boleto', 'id'), %s)", [max(count, 1)])
