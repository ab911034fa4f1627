"""`quita invoice-run --start S --end E --due-date D`: invoice every customer's unbilled lines of a period."""

from django.core.management.base import BaseCommand

from quita.billing import services
from quita.billing.management.commands._common import describe, entities_named, parse_date


class Command(BaseCommand):
    help = "Generate one invoice per customer for the unbilled transactions dated --start..--end (inclusive)."

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="first transaction date, YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="last transaction date, YYYY-MM-DD")
        parser.add_argument("--due-date", required=True, help="due date of the invoices, YYYY-MM-DD")
        parser.add_argument("--issue-date", help="issue date (default: today in the entity's time zone)")
        parser.add_argument("--category", help="only transactions of this category (code, e.g. mobile)")
        parser.add_argument("--entity", help="entity id, CNPJ or name (default: every active entity)")
        parser.add_argument("--chunk-size", type=int, default=services.CHUNK_SIZE, help="customers per transaction")
        parser.add_argument(
            "--workers", type=int, help="chunks run side by side on PostgreSQL (default: QUITA_BILLING_WORKERS or CPUs)"
        )

    def handle(self, *args, **options):
        from quita.core.errors import DomainError

        start = parse_date(options["start"], "--start")
        end = parse_date(options["end"], "--end")
        due_date = parse_date(options["due_date"], "--due-date")
        issue_date = parse_date(options["issue_date"], "--issue-date") if options["issue_date"] else None
        failed = False
        for entity in entities_named(options["entity"]):
            try:
                run = services.billing_run_invoices(
                    entity=entity,
                    start=start,
                    end=end,
                    due_date=due_date,
                    issue_date=issue_date,
                    category=options["category"],
                    chunk_size=options["chunk_size"],
                    workers=options["workers"],
                )
            except DomainError as error:
                from django.core.management.base import CommandError

                raise CommandError(f"{error.code}: {error.detail}") from None
            self.stdout.write(describe(run))
            failed = failed or bool(run.errors)
        if failed:
            raise SystemExit(1)
