"""Writing many rows fast, from plain dicts (attribute name → value): COPY in, set-based UPDATE … FROM.

PostgreSQL: rows go in with COPY, each row a tuple taken from the dict by one `itemgetter` (no model instances,
no per-field preparation: psycopg adapts Decimal, dates and text itself; JSON is encoded here once). Ids are
reserved from the table's sequence only when the caller needs them. Updates of many rows load the new values
into a temporary table with COPY and apply them with one UPDATE … FROM. Other databases: model instances,
`bulk_create` and one UPDATE per row. A 100,000-record return file spends most of its time here otherwise
(docs/decisions/0022).
"""

from __future__ import annotations

import json
from operator import itemgetter

from django.db import connection, models


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _fields(model) -> dict[str, models.Field]:
    return {field.attname: field for field in model._meta.concrete_fields}


def insert_rows(model, rows: list[dict], *, returning_ids: bool = True) -> list[int]:
    """Insert `rows` (all with the same keys) into `model`'s table; missing attributes take the field's default.

    Returns the new ids in row order (an empty list when `returning_ids` is False: the database numbers them).
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**row) for row in rows]
        model.objects.bulk_create(objects)
        return [obj.pk for obj in objects] if returning_ids else []
    meta = model._meta
    fields = _fields(model)
    if meta.pk.attname in rows[0]:  # ids reserved before (`reserve_ids`): written as given
        returning_ids = False
    given = [name for name in rows[0] if name != meta.pk.attname or rows[0][name] is not None]
    defaults = [f for name, f in fields.items() if name not in given and not f.primary_key]
    columns = [fields[name].column for name in given] + [f.column for f in defaults]
    default_values = tuple(f.get_default() for f in defaults)
    json_positions = [i for i, name in enumerate(given) if isinstance(fields[name], models.JSONField)]
    take = itemgetter(*given)
    if len(given) == 1:
        single = take
        take = lambda row: (single(row),)  # noqa: E731 - itemgetter of one key returns the bare value
    table = _quote(meta.db_table)
    with connection.cursor() as cursor:
        ids = []
        if returning_ids:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, len(rows)])
            ids = [row[0] for row in cursor.fetchall()]
            columns.insert(0, meta.pk.column)
        names = ", ".join(_quote(column) for column in columns)
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            write = copy.write_row
            for index, row in enumerate(rows):
                values = take(row)
                if json_positions:
                    values = list(values)
                    for position in json_positions:
                        if values[position] is not None:
                            values[position] = json.dumps(values[position])
                    values = tuple(values)
                if returning_ids:
                    write((ids[index], *values, *default_values))
                else:
                    write((*values, *default_values))
    return ids


def reserve_ids(model, count: int) -> list[int]:
    """`count` new ids from the table's sequence (PostgreSQL), for rows written later in the transaction; ids
    elsewhere come from `insert_rows` (an empty list here)."""
    if connection.vendor != "postgresql" or count == 0:
        return [None] * count
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
        return [row[0] for row in cursor.fetchall()]


def insert_select(model, values: dict, source: str, params: tuple = ()) -> int:
    """PostgreSQL: INSERT INTO `model`'s table the rows of `SELECT <values> <source>`; returns the row count.

    `values` maps attribute names to SQL expressions, or to (SQL with %s, parameters…). Fields not named take
    their Python default, as in `insert_rows`.
    """
    fields = _fields(model)
    columns, expressions, arguments = [], [], []
    for name, value in values.items():
        columns.append(fields[name].column)
        if isinstance(value, tuple):
            expressions.append(value[0])
            arguments.extend(value[1:])
        else:
            expressions.append(value)
    for name, field in fields.items():
        if name in values or field.primary_key:
            continue
        columns.append(field.column)
        expressions.append(f"%s::{field.cast_db_type(connection)}")
        default = field.get_default()
        arguments.append(
            json.dumps(default) if isinstance(field, models.JSONField) and default is not None else default
        )
    names = ", ".join(_quote(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_quote(model._meta.db_table)} ({names}) SELECT {', '.join(expressions)} {source}",
            [*arguments, *params],
        )
        return cursor.rowcount


def update_rows(model, rows: list[dict], *, fields: list[str], keep: tuple[str, ...] = ()) -> None:
    """Set `fields` of each row's object (`row["id"]`, each id once) to the row's values: one UPDATE … FROM on
    PostgreSQL. A field named in `keep` is set only where it is still NULL."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        from django.db.models import F, Value
        from django.db.models.functions import Coalesce

        meta_fields = _fields(model)
        for row in rows:
            values = {
                name: Coalesce(F(name), Value(row[name], output_field=meta_fields[name])) if name in keep else row[name]
                for name in fields
            }
            model.objects.filter(pk=row["id"]).update(**values)
        return
    meta = model._meta
    by_name = _fields(model)
    targets = [by_name[meta.pk.attname], *(by_name[name] for name in fields)]
    stage = f"quita_stage_{meta.db_table}"
    definition = ", ".join(f"{_quote(f.column)} {f.db_type(connection)}" for f in targets)
    definition = definition.replace(" GENERATED BY DEFAULT AS IDENTITY", "")
    names = ", ".join(_quote(f.column) for f in targets)
    take = itemgetter("id", *fields)
    with connection.cursor() as cursor:
        # One staging table per target table and transaction; emptied before each use.
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ({definition}) ON COMMIT DROP")
        cursor.execute(f"TRUNCATE {stage}")
        with cursor.cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(take(row))
        assignments = ", ".join(
            f"{_quote(f.column)} = COALESCE(t.{_quote(f.column)}, s.{_quote(f.column)})"
            if f.attname in keep
            else f"{_quote(f.column)} = s.{_quote(f.column)}"
            for f in targets[1:]
        )
        pk = _quote(meta.pk.column)
        cursor.execute(f"UPDATE {_quote(meta.db_table)} AS t SET {assignments} FROM {stage} AS s WHERE t.{pk} = s.{pk}")


def set_text(model, pk: int, field: str, value: str) -> None:
    """Write one large text value (a whole return file) as a bound parameter: Django's client-side binding would
    quote megabytes into the SQL text first."""
    if connection.vendor != "postgresql":
        model.objects.filter(pk=pk).update(**{field: value})
        return
    import psycopg

    meta = model._meta
    column = meta.get_field(field).column
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            f"UPDATE {_quote(meta.db_table)} SET {_quote(column)} = %s WHERE {_quote(meta.pk.column)} = %s", [value, pk]
        )


def any_of(values):
    """A large `__in` as one array parameter on PostgreSQL (`IN (SELECT unnest(%s))`): thousands of
    placeholders cost more to send and parse than the query itself. A plain list elsewhere."""
    values = list(values)
    if connection.vendor != "postgresql":
        return values
    from django.db.models.expressions import RawSQL

    kind = "bigint[]" if all(isinstance(v, int) for v in values) else "text[]"
    return RawSQL(f"SELECT unnest(%s::{kind})", (values,))
