# The customer list's search (`?q=`) is `UPPER(name) LIKE UPPER('%term%') OR UPPER(trade_name) LIKE ...`
# (Django's icontains). On PostgreSQL two trigram GIN indexes serve it (decision 0007); SQLite keeps its scan.

from django.db import migrations

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_name_trgm_idx ON customers_customer USING gin (UPPER(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS customer_trade_name_trgm_idx ON customers_customer "
    "USING gin (UPPER(trade_name) gin_trgm_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS customer_trade_name_trgm_idx",
    "DROP INDEX IF EXISTS customer_name_trgm_idx",
]


def postgres_forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_FORWARD:
            schema_editor.execute(statement)


def postgres_backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_contract_wallet"),
    ]

    operations = [
        migrations.RunPython(postgres_forward, postgres_backward, elidable=False),
    ]
