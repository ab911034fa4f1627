"""`quita bill --date D [--entity E]`: the recurring billing run for one billing date."""

from django.core.management.base import BaseCommand

from quita.billing import services
from quita.billing.management.commands._common import describe, entities_named, parse_date


class Command(BaseCommand):
    help = (
        "Create this period's recurring charges for every active service billed on --date, then invoice those "
        "customers. Safe to run again: nothing is billed twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="billing date, YYYY-MM-DD")
        parser.add_argument("--entity", help="entity id, CNPJ or name (default: every active entity)")
        parser.add_argument("--chunk-size", type=int, default=services.CHUNK_SIZE, help="customers per transaction")
        parser.add_argument(
            "--workers", type=int, help="chunks run side by side on PostgreSQL (default: QUITA_BILLING_WORKERS or CPUs)"
        )

    def handle(self, *args, **options):
        run_date = parse_date(options["date"], "--date")
        failed = False
        for entity in entities_named(options["entity"]):
            run = services.billing_run_recurring(
                entity=entity, run_date=run_date, chunk_size=options["chunk_size"], workers=options["workers"]
            )
            self.stdout.write(describe(run))
            for error in run.errors:
                self.stderr.write(f"  chunk customers {error['customers']}: {error['error']}")
            failed = failed or bool(run.errors)
        if failed:
            raise SystemExit(1)
