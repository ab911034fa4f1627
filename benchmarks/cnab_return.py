"""Benchmark: a CNAB return file of 100,000 liquidations applied on PostgreSQL, then the same file again.

Targets (issue 4): the first import under 20 s; the second import of the same file under 5 s, creating nothing.
Set-up (not timed): one entity, a Bradesco CNAB 400 wallet, N customers each with one unpaid invoice and its
boleto (loaded with COPY), and the return file the bank would send (one liquidation per boleto, at face value).

Usage: python benchmarks/cnab_return.py [--records 100000]   (re-runs itself under scripts/with-postgres)
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402


def build(records: int):
    from django.utils import timezone

    from quita.banking import services
    from quita.banking.cnab import writer
    from quita.banking.cnab.layouts import LAYOUTS
    from quita.banking.models import Boleto
    from quita.billing.models import Invoice
    from quita.core.models import Entity

    entity = Entity.objects.create(
        name="Bench ISP", legal_name="Bench ISP Ltda", cnpj="11222333000181", invoice_prefix="BE"
    )
    wallet = services.wallet_create(
        entity=entity, actor=None, name="Bradesco", bank="237", agency="1234", account="56789", wallet_code="09"
    )
    now = timezone.now()
    issue = datetime.date(2030, 1, 10)
    due = datetime.date(2030, 1, 20)
    amount = Decimal("99.90")
    _harness.copy_customers(entity.pk, range(1, records + 1), now)
    _harness.copy_rows(
        "billing_invoice",
        _harness.INVOICE_COLUMNS,
        (
            (
                i,
                entity.pk,
                i,
                f"BE-2030-{i:07d}",
                2030,
                i,
                issue,
                due,
                issue,
                issue,
                None,
                amount,
                Decimal("0"),
                "unpaid",
                None,
                "",
                "",
                "",
                None,
                None,
                None,
                None,
                now,
            )
            for i in range(1, records + 1)
        ),
    )
    _harness.copy_boletos(wallet, [(i, i, amount, due) for i in range(1, records + 1)], now)
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("customers_customer", "billing_invoice"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    _harness.analyze("customers_customer", "billing_invoice", "banking_boleto")
    layout = LAYOUTS[("237", 400)]
    paid_on = datetime.date(2030, 1, 19)
    titles = [
        {
            "our_number": layout.our_number_out(b),
            "occurrence": "06",
            "occurrence_date": paid_on,
            "due_date": due,
            "amount": amount,
            "paid_amount": amount,
            "fee": Decimal("1.50"),
            "credit_date": paid_on + datetime.timedelta(days=1),
            "document_number": f"{b.invoice_id:010d}",
        }
        for b in Boleto.objects.filter(wallet=wallet)
        .only("our_number", "our_number_display", "invoice_id")
        .order_by("our_number")
        .iterator(chunk_size=5000)
    ]
    header = writer.FileHeader(
        bank="237",
        company_doc=entity.cnpj,
        company_name="BENCH",
        agency="1234",
        account="56789",
        created=datetime.datetime(2030, 1, 20, 6, 0),
    )
    content = writer.write_return(layout, header, titles).encode("latin-1")
    assert Invoice.objects.filter(entity=entity, status="unpaid").count() == records
    return entity, content


def counts() -> dict:
    from quita.banking.models import ReturnFile, ReturnRecord
    from quita.billing.models import Transaction
    from quita.core.models import ActivityLog
    from quita.payments.models import Payment

    return {
        "payments": Payment.objects.count(),
        "transactions": Transaction.objects.count(),
        "return_records": ReturnRecord.objects.count(),
        "return_files": ReturnFile.objects.count(),
        "activity": ActivityLog.objects.count(),
    }


def backend_cpu_seconds() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (Linux /proc; None if unreadable)."""
    import os

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    _harness.ensure_postgres()
    _harness.django_setup()
    from quita.banking import services
    from quita.billing.models import Invoice

    started = time.perf_counter()
    entity, content = build(args.records)
    print(
        f"set-up: {args.records} invoices with boletos and a {len(content) / 1e6:.1f} MB return file "
        f"in {time.perf_counter() - started:.1f} s"
    )
    before = counts()
    backend_before, python_before = backend_cpu_seconds(), time.process_time()
    started = time.perf_counter()
    first = services.return_import(entity_id=entity.pk, content=content, filename="CB.RET", actor=None)
    first_seconds = time.perf_counter() - started
    python_cpu, backend_after = time.process_time() - python_before, backend_cpu_seconds()
    after_first = counts()
    paid = Invoice.objects.filter(entity=entity, status="paid").count()
    assert first.created and first.return_file.applied_count == args.records, first.return_file.applied_count
    assert paid == args.records, paid
    started = time.perf_counter()
    second = services.return_import(entity_id=entity.pk, content=content, filename="CB.RET", actor=None)
    second_seconds = time.perf_counter() - started
    after_second = counts()
    assert not second.created
    created = {k: after_second[k] - after_first[k] for k in after_second}
    print(
        f"first import:  {args.records} records applied, {paid} invoices paid in {first_seconds:.2f} s "
        f"(target < 20 s for 100,000) — rows added: " + ", ".join(f"{k} {after_first[k] - before[k]}" for k in before)
    )
    print(
        f"second import: same file in {second_seconds:.3f} s (target < 5 s), rows created: "
        + ", ".join(f"{k} {v}" for k, v in created.items())
    )
    # Other processes share the CPU: the CPU time of this process and of its database backend during the first
    # import is what the import itself cost, whatever the load average.
    backend_cpu = f"{backend_after - backend_before:.1f} s" if backend_before is not None else "n/a"
    print(f"first import CPU: Python {python_cpu:.1f} s, PostgreSQL backend {backend_cpu}; load average {_load()}")
    print(f"peak memory: {_harness.peak_memory_mib():.0f} MiB")
    assert all(v == 0 for v in created.values())


def _load() -> str:
    import os

    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
