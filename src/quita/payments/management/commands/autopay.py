"""`quita autopay [--date D] [--entity E]`: charge opted-in customers' default cards on the due date, retry, remind."""

from django.core.management.base import BaseCommand

from quita.billing.management.commands._common import entities_named, parse_date
from quita.payments import services


class Command(BaseCommand):
    help = (
        "Charge the default card of customers on autopay for invoices due on --date (default: today in each "
        "entity's zone), retry failed charges on the entity's retry days, and e-mail expiring-card reminders. "
        "Safe to run again: each invoice and attempt is charged once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="run date, YYYY-MM-DD (default: today)")
        parser.add_argument("--entity", help="entity id, CNPJ or name (default: every entity with cards enabled)")

    def handle(self, *args, **options):
        run_date = parse_date(options["date"], "--date") if options["date"] else None
        entities = entities_named(options["entity"]) if options["entity"] else [None]
        for entity in entities:
            totals = services.autopay_run(run_date=run_date, entity=entity)
            label = entity.name if entity is not None else "all entities"
            self.stdout.write(
                f"autopay {run_date or 'today'} ({label}): "
                + ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in totals.items())
            )
