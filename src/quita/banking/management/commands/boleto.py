"""`quita boleto make --json '{…}'` and `quita boleto inspect CODE [--today YYYY-MM-DD]`: boleto arithmetic as JSON."""

import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from quita.banking import boleto


class Command(BaseCommand):
    help = "Make a boleto's barcode and linha digitável from bank fields, or inspect a barcode/linha digitável."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        make = sub.add_parser("make", help="build a boleto from the fields of boleto_vectors.json")
        make.add_argument("--json", dest="fields", required=True, help="the fields, as a JSON object")
        inspect = sub.add_parser("inspect", help="read a barcode (44 digits) or a linha digitável (47)")
        inspect.add_argument("code")
        inspect.add_argument("--today", help="the day that decides which factor cycle a due date is in")
        sub.add_parser(
            "register-assumed",
            help="mark registered the boletos of wallets that assume registration after 30 minutes (a job)",
        )

    def handle(self, *args, **options):
        if options["action"] == "register-assumed":
            from quita.banking.services import boletos_assume_registered

            self.stdout.write(json.dumps({"registered": boletos_assume_registered()}))
            return
        if options["action"] == "make":
            try:
                fields = json.loads(options["fields"])
            except json.JSONDecodeError as error:
                raise CommandError(f"--json is not valid JSON: {error}") from error
            if not isinstance(fields, dict):
                raise CommandError("--json must be a JSON object")
            try:
                result = boleto.make(fields)
            except boleto.BoletoError as error:
                self.stdout.write(json.dumps({"error": str(error), "code": error.code}, ensure_ascii=False))
                raise CommandError(str(error)) from error
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        try:
            today = datetime.date.fromisoformat(options["today"]) if options["today"] else datetime.date.today()  # noqa: DTZ011
        except ValueError as error:
            raise CommandError("--today must be YYYY-MM-DD") from error
        reading = boleto.read(options["code"], today=today)
        self.stdout.write(json.dumps(reading.as_dict(), ensure_ascii=False))
        if not reading.valid:
            raise CommandError(reading.error)
