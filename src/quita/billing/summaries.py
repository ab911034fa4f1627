"""Entity-wide statistics kept exact by database triggers (decision 0008).

The dashboard's eight figures (Total, Unbilled, This month, Last month of transactions; Total, Unpaid, This month,
Last month of invoices) would otherwise read every row of the entity's ledger. Triggers on `billing_transaction` and
`billing_invoice` add each change into per-month rows of `billing_transactionsummary` / `billing_invoicesummary`,
in integer cents, in the writer's own transaction: every writer (services, the set-based billing run, bank-return
settlement, raw SQL) keeps them exact, and a rolled-back write rolls its summary change back with it.

PostgreSQL: statement-level triggers with transition tables (one upsert per statement, not per row). Each backend
adds into its own row (`slot` = `pg_backend_pid()`, unique among live backends), so concurrent writers, such as
the billing run's parallel chunks, never wait for one another. `compact` folds those rows into slot 0, taking only
rows no writer holds (SKIP LOCKED), so it never waits for a writer either.
SQLite: row-level triggers, one writer at a time, always slot 0.

`install` is idempotent and runs after every `migrate` (post_migrate): SQLite drops a table's triggers when a
migration rebuilds the table, and this puts them back.
"""

from __future__ import annotations

from django.db import transaction

TX = "billing_transaction"
TX_SUMMARY = "billing_transactionsummary"
INV = "billing_invoice"
INV_SUMMARY = "billing_invoicesummary"

# Per ledger table: its summary table, the date whose month is the bucket, which rows count at all, and each
# summary column's contribution of one row `r` (an alias), with `cents(x)` turning an amount into integer cents.


def _unbilled(r: str) -> str:
    return f"{r}.invoice_id IS NULL AND {r}.paid_invoice_id IS NULL"


SPECS = {
    TX: {
        "summary": TX_SUMMARY,
        "month": lambda r: f"{r}.date",
        "counts": lambda r: f"NOT {r}.is_void",
        "columns": {
            "count": lambda r, cents: "1",
            "cents": lambda r, cents: cents(f"{r}.amount"),
            "unbilled_count": lambda r, cents: f"CASE WHEN {_unbilled(r)} THEN 1 ELSE 0 END",
            "unbilled_cents": lambda r, cents: f"CASE WHEN {_unbilled(r)} THEN {cents(f'{r}.amount')} ELSE 0 END",
        },
    },
    INV: {
        "summary": INV_SUMMARY,
        "month": lambda r: f"{r}.issue_date",
        "counts": lambda r: f"{r}.status <> 'void'",
        "columns": {
            "count": lambda r, cents: "1",
            "cents": lambda r, cents: cents(f"{r}.total"),
            "unpaid_count": lambda r, cents: f"CASE WHEN {r}.status = 'unpaid' THEN 1 ELSE 0 END",
            "unpaid_cents": lambda r, cents: (
                f"CASE WHEN {r}.status = 'unpaid' THEN {cents(f'{r}.total - {r}.amount_paid')} ELSE 0 END"
            ),
        },
    },
}


def _pg_cents(amount: str) -> str:
    return f"(({amount}) * 100)::bigint"  # numeric(14, 2): exact


def _sqlite_cents(amount: str) -> str:
    return f"CAST(ROUND(100 * ({amount}), 0) AS INTEGER)"  # SQLite keeps decimals as REAL: round to whole cents


def _names(spec) -> list[str]:
    return list(spec["columns"])


# ---------------------------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------------------------


def _pg_rows(spec, rows: str, sign: str) -> str:
    """SELECT of the signed contributions of the rows of a transition table."""
    values = ", ".join(f"{sign}({column('r', _pg_cents)}) AS {name}" for name, column in spec["columns"].items())
    month, counts = spec["month"]("r"), spec["counts"]("r")
    return f"SELECT r.entity_id, date_trunc('month', {month})::date AS month, {values} FROM {rows} AS r WHERE {counts}"


def _pg_upsert(spec, source: str, slot: str) -> str:
    names = _names(spec)
    sums = ", ".join(f"SUM(d.{name})" for name in names)
    changed = " OR ".join(f"SUM(d.{name}) <> 0" for name in names)
    updates = ", ".join(f"{name} = s.{name} + EXCLUDED.{name}" for name in names)
    return (
        f"INSERT INTO {spec['summary']} AS s (entity_id, month, slot, {', '.join(names)}) "
        f"SELECT d.entity_id, d.month, {slot}, {sums} FROM ({source}) AS d "
        f"GROUP BY d.entity_id, d.month HAVING {changed} ORDER BY d.entity_id, d.month "
        f"ON CONFLICT (entity_id, month, slot) DO UPDATE SET {updates}"
    )


def _pg_install(cursor) -> None:
    for table, spec in SPECS.items():
        inserted = _pg_upsert(spec, _pg_rows(spec, "new_rows", "+"), "pg_backend_pid()")
        updated = _pg_upsert(
            spec,
            f"{_pg_rows(spec, 'new_rows', '+')} UNION ALL {_pg_rows(spec, 'old_rows', '-')}",
            "pg_backend_pid()",
        )
        deleted = _pg_upsert(spec, _pg_rows(spec, "old_rows", "-"), "pg_backend_pid()")
        function = f"{table}_summary"
        cursor.execute(
            f"""
            CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN {inserted};
                ELSIF TG_OP = 'UPDATE' THEN {updated};
                ELSE {deleted};
                END IF;
                RETURN NULL;
            END $$
            """
        )
        for event, referencing in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {table}_summary_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )


# ---------------------------------------------------------------------------------------------------------------
# SQLite
# ---------------------------------------------------------------------------------------------------------------


def _sqlite_upsert(spec, row: str, sign: str) -> str:
    names = _names(spec)
    values = ", ".join(f"{sign}({column(row, _sqlite_cents)})" for column in spec["columns"].values())
    updates = ", ".join(f"{name} = {name} + excluded.{name}" for name in names)
    return (
        f"INSERT INTO {spec['summary']} (entity_id, month, slot, {', '.join(names)}) "
        f"SELECT {row}.entity_id, date({spec['month'](row)}, 'start of month'), 0, {values} "
        f"WHERE {spec['counts'](row)} "
        f"ON CONFLICT (entity_id, month, slot) DO UPDATE SET {updates};"
    )


def _sqlite_install(cursor) -> None:
    for table, spec in SPECS.items():
        bodies = {
            "insert": _sqlite_upsert(spec, "NEW", "+"),
            "update": _sqlite_upsert(spec, "OLD", "-") + " " + _sqlite_upsert(spec, "NEW", "+"),
            "delete": _sqlite_upsert(spec, "OLD", "-"),
        }
        for event, body in bodies.items():
            name = f"{table}_summary_{event}"
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} FOR EACH ROW BEGIN {body} END")


# ---------------------------------------------------------------------------------------------------------------
# Install, rebuild, compact
# ---------------------------------------------------------------------------------------------------------------


def install(connection) -> None:
    """Create or replace the triggers (idempotent)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _pg_install(cursor)
        else:
            _sqlite_install(cursor)


def _ledger_select(connection, table: str, entity_id: int | None) -> tuple[str, list]:
    """The summary rows of the ledger as it is: (entity_id, month, 0, columns...) per entity and month."""
    spec = SPECS[table]
    if connection.vendor == "postgresql":
        month, cents = f"date_trunc('month', {spec['month']('r')})::date", _pg_cents
    else:
        month, cents = f"date({spec['month']('r')}, 'start of month')", _sqlite_cents
    sums = ", ".join(f"SUM({column('r', cents)})" for column in spec["columns"].values())
    where, params = spec["counts"]("r"), []
    if entity_id is not None:
        where += " AND r.entity_id = %s"
        params.append(entity_id)
    sql = f"SELECT r.entity_id, {month}, 0, {sums} FROM {table} AS r WHERE {where} GROUP BY r.entity_id, {month}"
    return sql, params


def rebuild(connection, entity_id: int | None = None) -> None:
    """Recompute the summaries from the ledger (all entities, or one), writers kept out meanwhile.

    For data loaded with the triggers off (the benchmarks' COPY under `session_replication_role = replica`) and as
    a repair tool; `quita ledger-summaries --check` says whether it is needed.
    """
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {TX}, {INV} IN SHARE MODE")
        for table, spec in SPECS.items():
            condition, params = ("WHERE entity_id = %s", [entity_id]) if entity_id is not None else ("", [])
            cursor.execute(f"DELETE FROM {spec['summary']} {condition}", params)
            select, select_params = _ledger_select(connection, table, entity_id)
            cursor.execute(
                f"INSERT INTO {spec['summary']} (entity_id, month, slot, {', '.join(_names(spec))}) {select}",
                select_params,
            )


def compact(connection) -> int:
    """Fold the per-backend rows into slot 0 (PostgreSQL); returns how many rows were folded.

    Takes only rows no open transaction holds (SKIP LOCKED), so it never waits for a writer; two compactions at
    once take turns on an advisory lock.
    """
    if connection.vendor != "postgresql":
        return 0
    folded = 0
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('quita.billing.summaries.compact'))")
        for spec in SPECS.values():
            names = _names(spec)
            table = spec["summary"]
            updates = ", ".join(f"{name} = s.{name} + EXCLUDED.{name}" for name in names)
            cursor.execute(
                f"""
                WITH taken AS (
                    SELECT id FROM {table} WHERE slot <> 0 ORDER BY id FOR UPDATE SKIP LOCKED
                ), moved AS (
                    DELETE FROM {table} WHERE id IN (SELECT id FROM taken)
                    RETURNING entity_id, month, {", ".join(names)}
                )
                INSERT INTO {table} AS s (entity_id, month, slot, {", ".join(names)})
                SELECT entity_id, month, 0, {", ".join(f"SUM({name})" for name in names)} FROM moved
                GROUP BY entity_id, month ORDER BY entity_id, month
                ON CONFLICT (entity_id, month, slot) DO UPDATE SET {updates}
                """
            )
            folded += cursor.rowcount
    return folded


def differences(connection) -> list[str]:
    """Where the summaries and the ledger disagree (empty when exact): `quita ledger-summaries --check`."""
    found = []
    with connection.cursor() as cursor:
        for table, spec in SPECS.items():
            names = _names(spec)
            select, params = _ledger_select(connection, table, None)
            cursor.execute(select, params)
            ledger = {(row[0], str(row[1])): tuple(int(value) for value in row[3:]) for row in cursor.fetchall()}
            cursor.execute(
                f"SELECT entity_id, month, {', '.join(f'SUM({name})' for name in names)} FROM {spec['summary']} "
                "GROUP BY entity_id, month"
            )
            kept = {(row[0], str(row[1])): tuple(int(value) for value in row[2:]) for row in cursor.fetchall()}
            zero = tuple(0 for _name in names)
            for key in sorted(set(ledger) | set(kept)):
                if ledger.get(key, zero) != kept.get(key, zero):
                    found.append(
                        f"{spec['summary']} entity {key[0]} {key[1]}: ledger {ledger.get(key, zero)}, "
                        f"summary {kept.get(key, zero)} ({', '.join(names)})"
                    )
    return found


def on_post_migrate(sender, using="default", **kwargs) -> None:
    from django.db import connections

    connection = connections[using]
    tables = connection.introspection.table_names()
    if TX_SUMMARY in tables and INV_SUMMARY in tables:
        install(connection)
