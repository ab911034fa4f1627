"""`quita import-return FILE [--entity ID]`: apply a bank return file (the same file twice changes nothing)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quita.banking import services
from quita.core.errors import DomainError
from quita.core.models import Entity


class Command(BaseCommand):
    help = "Import a CNAB 240/400 return file: payments, registrations, rejections and write-offs."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--entity", type=int, help="the entity (needed when the database has several)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from error
        entity_id = options["entity"]
        if entity_id is None:
            ids = list(Entity.objects.values_list("pk", flat=True)[:2])
            if len(ids) != 1:
                raise CommandError("choose the entity with --entity ID")
            entity_id = ids[0]
        try:
            result = services.return_import(entity_id=entity_id, content=content, filename=path.name, actor=None)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.detail}") from error
        return_file = result.return_file
        self.stdout.write(
            json.dumps(
                {
                    "return_file": return_file.pk,
                    "created": result.created,
                    "bank": return_file.bank,
                    "layout": return_file.layout,
                    "records": return_file.record_count,
                    "applied": return_file.applied_count,
                    "needs_attention": return_file.attention_count,
                    "refused_lines": return_file.errors,
                },
                ensure_ascii=False,
            )
        )
