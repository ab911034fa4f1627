"""`quita ledger-summaries`: fold the statistics summaries' per-connection rows; check or rebuild them (0008)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from quita.billing import summaries


class Command(BaseCommand):
    help = (
        "Fold the dashboard statistics' per-connection rows into one per entity and month (run it from cron, "
        "e.g. every 10 minutes, on PostgreSQL); --check compares them with the ledger, --rebuild recomputes them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="compare with the ledger; exit with 1 on a difference")
        parser.add_argument("--rebuild", action="store_true", help="recompute from the ledger (writers wait meanwhile)")

    def handle(self, *args, check: bool = False, rebuild: bool = False, **options):
        if rebuild:
            summaries.rebuild(connection)
            self.stdout.write("rebuilt from the ledger")
        folded = summaries.compact(connection)
        self.stdout.write(f"per-connection rows folded into {folded} rows")
        if check:
            found = summaries.differences(connection)
            for line in found:
                self.stdout.write(line)
            if found:
                raise CommandError(f"{len(found)} differences between the summaries and the ledger")
            self.stdout.write("summaries match the ledger")
