"""`quita cnab inspect FILE`: every record of a remittance or return file as a JSON line; nothing applied."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quita.banking.cnab import reader
from quita.banking.cnab.fields import CnabError


class Command(BaseCommand):
    help = "Print each record of a CNAB 240/400 remittance or return file as JSON lines (read only)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        inspect = sub.add_parser("inspect", help="print the file's records as JSON lines")
        inspect.add_argument("file")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            parsed = reader.read(path.read_bytes())
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from error
        except CnabError as error:
            raise CommandError(f"{path}: {error}") from error
        for record in parsed.records:
            self.stdout.write(json.dumps(record.as_json(), ensure_ascii=False))
        for problem in parsed.errors:
            self.stderr.write(f"line {problem['line']}: {problem['reason']}")
        summary = {
            "bank": parsed.bank,
            "layout": parsed.width,
            "direction": parsed.direction,
            "titles": len(parsed.titles),
            "total": f"{parsed.total:.2f}",
            "paid_total": f"{parsed.paid_total:.2f}",
            "errors": len(parsed.errors),
        }
        self.stderr.write(json.dumps(summary))
