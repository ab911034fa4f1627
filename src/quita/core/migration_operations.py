"""Operations that Quita's migrations share."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import migrations


def postgres_sql(forward: Sequence[str], backward: Sequence[str]) -> migrations.RunPython:
    """Run SQL statements on PostgreSQL only (indexes and statistics SQLite has no form of); nothing on SQLite."""

    def run(statements: Sequence[str]):
        def operation(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                for statement in statements:
                    schema_editor.execute(statement)

        return operation

    return migrations.RunPython(run(forward), run(backward), elidable=False)
