"""Writing many rows fast, from plain dicts (attribute name → value): COPY in, set-based UPDATE … FROM.

PostgreSQL: rows go in with COPY, each row a tuple taken from the dict by one `itemgetter` (no model instances,
no per-field preparation: psycopg adapts Decimal, dates and text itself; JSON is encoded here once). Ids are
reserved from the table's sequence only when the caller needs them. Updates of many rows load the new values
into a temporary table with COPY and apply them with one UPDATE … FROM. Other databases: model instances,
`bulk_create` and one UPDATE per row. A 100,000-record return file spends most of its time here otherwise
(docs/decisions/0022).

A `Pipeline` sends these writes from a second thread, in order, on the same connection and transaction, while
the caller's thread reads and prepares the next rows: the server writes while Python works (decision 0033).
"""

from __future__ import annotations

import datetime
import json
import queue
import sys
import threading
from decimal import Decimal
from operator import itemgetter

import psycopg
from django.db import connection, models
from psycopg._copy_base import format_row_text  # psycopg's COPY text formatter (C in psycopg[binary])
from psycopg.adapt import Transformer

# While a pipeline runs, the interpreter offers the GIL every 0.5 ms instead of every 5 ms (CPython's default):
# the writing thread needs it for a moment between two statements (to start the next one) and between two blocks
# of COPY data, and the server waits meanwhile while this thread decides the next chunk. Measured on the 100,000-
# record return import: about 0.7 s less of the server waiting (decision 0033). Process-wide, so counted: the
# interval is restored when the last pipeline of the process ends.
SWITCH_INTERVAL = 0.0005
_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.0


def _switch_enter() -> None:
    global _switch_users, _switch_saved
    with _switch_lock:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_saved, SWITCH_INTERVAL))
        _switch_users += 1


def _switch_exit() -> None:
    global _switch_users
    with _switch_lock:
        _switch_users -= 1
        if _switch_users == 0:
            sys.setswitchinterval(_switch_saved)


class Pipeline:
    """The writes of one transaction, run in order by a second thread on the same PostgreSQL connection.

    `with Pipeline() as via:` … `insert_rows(…, via=via)`: each write is prepared here and queued; the thread
    sends them one after the other (psycopg's connection lock keeps a read made meanwhile by this thread whole,
    between two writes). Whatever reads this thread makes while writes are queued must not depend on them. The
    first error of a write stops the queue and is raised here, at the next `submit` or when the block ends, so the
    transaction rolls back; an error of this thread's own stops the queue too. Elsewhere than PostgreSQL every
    write runs at once, in this thread.
    """

    def __init__(self, *, immediate_keys: bool = False):
        self.threaded = connection.vendor == "postgresql"
        # Foreign keys checked as each write ends, in the pipeline's thread, instead of all at once at commit
        # (Django's are DEFERRABLE INITIALLY DEFERRED); deferred again when the block ends.
        self.immediate_keys = immediate_keys and self.threaded
        self._jobs: queue.Queue = queue.Queue()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Pipeline:
        if self.threaded:
            connection.ensure_connection()
            self._thread = threading.Thread(
                target=self._work, args=(connection.connection,), name="quita-bulk-writes", daemon=True
            )
            _switch_enter()
            self._thread.start()
            if self.immediate_keys:
                self.submit(lambda cursor: cursor.execute("SET CONSTRAINTS ALL IMMEDIATE"))
        return self

    def _work(self, raw) -> None:
        with psycopg.ClientCursor(raw) as cursor:
            while (job := self._jobs.get()) is not None:
                if self._error is None:
                    try:
                        with connection.wrap_database_errors:
                            job(cursor)
                    except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
                        self._error = error

    def submit(self, job) -> None:
        """Queue `job(cursor)` (a psycopg cursor on the transaction's connection)."""
        if self._error is not None:
            raise self._error
        if self.threaded:
            self._jobs.put(job)
        else:
            _run(None, job)

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None and self._error is None:
            self._error = value  # the caller failed: what is still queued is not sent (the transaction rolls back)
        if self._thread is not None and self.immediate_keys and kind is None:
            self.submit(lambda cursor: cursor.execute("SET CONSTRAINTS ALL DEFERRED"))
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None
            _switch_exit()
        if kind is None and self._error is not None:
            raise self._error


def _run(via: Pipeline | None, job) -> None:
    """Run `job(cursor)` through the pipeline when there is one, else now."""
    if via is not None and via.threaded:
        via.submit(job)
        return
    with connection.cursor() as cursor, connection.wrap_database_errors:
        job(cursor.cursor)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _fields(model) -> dict[str, models.Field]:
    return {field.attname: field for field in model._meta.concrete_fields}


def insert_rows(model, rows: list[dict], *, returning_ids: bool = True, via: Pipeline | None = None) -> list[int]:
    """Insert `rows` (all with the same keys) into `model`'s table; missing attributes take the field's default.

    Returns the new ids in row order (an empty list when `returning_ids` is False or the rows carry their ids:
    the database numbers them, or they were reserved with `reserve_ids`).
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**row) for row in rows]
        model.objects.bulk_create(objects)
        return [obj.pk for obj in objects] if returning_ids else []
    pk = model._meta.pk.attname
    if rows[0].get(pk) is not None:  # ids reserved before (`reserve_ids`): written as given
        returning_ids = False
    names = [name for name in rows[0] if name != pk or rows[0][name] is not None]
    take = itemgetter(*names)
    if len(names) == 1:
        single = take
        take = lambda row: (single(row),)  # noqa: E731 - itemgetter of one key returns the bare value
    ids = []
    if returning_ids:
        ids = reserve_ids(model, len(rows))
        copy_rows(model, [pk, *names], ((id_, *take(row)) for id_, row in zip(ids, rows, strict=True)), via=via)
    else:
        copy_rows(model, names, map(take, rows), via=via)
    return ids


def copy_rows(model, names: list[str], rows, *, via: Pipeline | None = None) -> None:
    """PostgreSQL: COPY `rows` (tuples of the attributes `names`, in that order) into `model`'s table; the other
    fields take their Python default. The COPY data is encoded here, by psycopg's own formatter, so that a
    pipeline's thread only sends it."""
    fields = _fields(model)
    defaults = [f for name, f in fields.items() if name not in names and not f.primary_key]
    columns = [fields[name].column for name in names] + [f.column for f in defaults]
    default_values = tuple(_encoded(f, f.get_default()) for f in defaults)
    json_positions = [i for i, name in enumerate(names) if isinstance(fields[name], models.JSONField)]
    connection.ensure_connection()
    transformer = Transformer(connection.connection)
    data = bytearray()
    for row in rows:
        if json_positions:
            row = list(row)
            for position in json_positions:
                if row[position] is not None:
                    row[position] = json.dumps(row[position])
        format_row_text((*row, *default_values), transformer, data)
    sql = f"COPY {_quote(model._meta.db_table)} ({', '.join(_quote(column) for column in columns)}) FROM STDIN"

    def job(cursor):
        with cursor.copy(sql) as copy:
            copy.write(data)

    _run(via, job)


def insert_tuples(
    model, names: list[str], rows: list[tuple], *, returning_ids: bool = True, via: Pipeline | None = None
) -> list[int]:
    """Insert `rows` (tuples of the attributes `names`): COPY on PostgreSQL (returns nothing: give the ids, or let
    the database number them); elsewhere `bulk_create`, returning the new ids when `returning_ids`."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        copy_rows(model, names, rows, via=via)
        return []
    objects = [model(**dict(zip(names, row, strict=True))) for row in rows]
    model.objects.bulk_create(objects)
    return [obj.pk for obj in objects] if returning_ids else []


def _encoded(field, value):
    return json.dumps(value) if isinstance(field, models.JSONField) and value is not None else value


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


def update_rows(
    model, rows: list[dict], *, fields: list[str], keep: tuple[str, ...] = (), via: Pipeline | None = None
) -> None:
    """Set `fields` of each row's object (`row["id"]`, each id once) to the row's values: one UPDATE … FROM the
    columns sent as arrays on PostgreSQL. A field named in `keep` is set only where it is still NULL."""
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
    arrays = ", ".join(
        f"%s::{f.cast_db_type(connection).replace(' GENERATED BY DEFAULT AS IDENTITY', '')}[]" for f in targets
    )
    names = ", ".join(_quote(f.column) for f in targets)
    assignments = ", ".join(
        f"{_quote(f.column)} = COALESCE(t.{_quote(f.column)}, s.{_quote(f.column)})"
        if f.attname in keep
        else f"{_quote(f.column)} = s.{_quote(f.column)}"
        for f in targets[1:]
    )
    pk = _quote(meta.pk.column)
    sql = (
        f"UPDATE {_quote(meta.db_table)} AS t SET {assignments} "
        f"FROM unnest({arrays}) AS s({names}) WHERE t.{pk} = s.{pk}"
    )
    columns = [_array_literal([row[name] for row in rows]) for name in ("id", *fields)]

    def job(cursor):
        # Bound on the server (Django's cursor would quote every value into the SQL text).
        with psycopg.Cursor(cursor.connection) as bound:
            bound.execute(sql, columns)

    _run(via, job)


def _array_literal(values: list) -> str:
    """A PostgreSQL array literal of ints, Decimals, dates, texts and NULLs: psycopg's list dumper escapes each
    element with a regular expression, which costs more than the UPDATE it feeds."""
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
        elif isinstance(value, int | Decimal) and not isinstance(value, bool):
            parts.append(str(value))
        elif isinstance(value, datetime.date):
            parts.append(f'"{value.isoformat()}"')
        elif isinstance(value, bool):
            parts.append("t" if value else "f")
        else:
            parts.append('"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(parts) + "}"


def set_text(model, pk: int, field: str, value: str, *, via: Pipeline | None = None) -> None:
    """Write one large text value (a whole return file) as a bound parameter: Django's client-side binding would
    quote megabytes into the SQL text first."""
    if connection.vendor != "postgresql":
        model.objects.filter(pk=pk).update(**{field: value})
        return
    meta = model._meta
    column, pk_column = _quote(meta.get_field(field).column), _quote(meta.pk.column)
    sql = f"UPDATE {_quote(meta.db_table)} SET {column} = %s WHERE {pk_column} = %s"

    def job(cursor):
        with psycopg.Cursor(cursor.connection) as bound:
            bound.execute(sql, [value, pk])

    _run(via, job)


def any_of(values):
    """A large `__in` as one array parameter on PostgreSQL (`IN (SELECT unnest(%s))`): thousands of
    placeholders cost more to send and parse than the query itself. A plain list elsewhere."""
    values = list(values)
    if connection.vendor != "postgresql":
        return values
    from django.db.models.expressions import RawSQL

    kind = "bigint[]" if all(isinstance(v, int) for v in values) else "text[]"
    # One text parameter, the array literal: psycopg's list dumper escapes element by element (about 0.5 s for the
    # 100,000 numbers of a return file).
    return RawSQL(
        f"SELECT unnest(%s::{kind})", (_array_literal([v if kind == "bigint[]" else str(v) for v in values]),)
    )
