# The customer list's search (`?q=`) is `UPPER(name) LIKE UPPER('%term%') OR UPPER(trade_name) LIKE ...`
# (Django's icontains). On PostgreSQL two trigram GIN indexes serve it (decision 0007); SQLite keeps its scan.

from django.db import migrations

from quita.core.migration_operations import postgres_sql

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


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_contract_wallet"),
    ]

    operations = [
        postgres_sql(POSTGRES_FORWARD, POSTGRES_BACKWARD),
    ]
