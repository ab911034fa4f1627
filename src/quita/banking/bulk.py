"""Inserting many rows fast, from plain dicts (attribute name → value), returning their ids in order.

PostgreSQL: ids are taken from the table's sequence first, then the rows go in with COPY (no model instances,
no per-field preparation: psycopg adapts Decimal, dates, text and JSON itself). Other databases: model
instances and `bulk_create`. A 100,000-record return file spends most of its time here otherwise.
"""

from __future__ import annotations

from django.db import connection, models


def _columns(model) -> list[tuple[str, str, object, bool]]:
    """(attname, column, default, is_json) of each concrete field, the primary key first."""
    out = []
    fields = sorted(model._meta.concrete_fields, key=lambda f: not f.primary_key)
    for field in fields:
        default = None if field.primary_key else field.get_default()
        out.append((field.attname, field.column, default, isinstance(field, models.JSONField)))
    return out


def insert_rows(model, rows: list[dict]) -> list[int]:
    """Insert `rows` into `model`'s table; missing attributes take the field's default. Returns the new ids."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**row) for row in rows]
        model.objects.bulk_create(objects)
        return [obj.pk for obj in objects]
    from psycopg.types.json import Jsonb

    meta = model._meta
    table = meta.db_table
    columns = _columns(model)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, meta.pk.column, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        names = ", ".join(connection.ops.quote_name(column) for _, column, _, _ in columns)
        raw = cursor.cursor
        with raw.copy(f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                values = [pk]
                for attname, _, default, is_json in columns[1:]:
                    value = row.get(attname, default)
                    if is_json and value is not None:
                        value = Jsonb(value)
                    values.append(value)
                copy.write_row(values)
    return ids


def any_of(values):
    """A large `__in` as one array parameter on PostgreSQL (`IN (SELECT unnest(%s))`): thousands of
    placeholders cost more to send and parse than the query itself. A plain list elsewhere."""
    values = list(values)
    if connection.vendor != "postgresql":
        return values
    from django.db.models.expressions import RawSQL

    kind = "bigint[]" if all(isinstance(v, int) for v in values) else "text[]"
    return RawSQL(f"SELECT unnest(%s::{kind})", (values,))
