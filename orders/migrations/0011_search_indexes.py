"""Indexes for the header search (operations/search.py).

PostgreSQL: pg_trgm, and a GIN trigram index on UPPER(col::text) for each column searched by
substring (what Django's icontains compares), built CONCURRENTLY so that a million rows keep
taking writes meanwhile (hence atomic = False). Every database: a b-tree on each id searched by
exact value that no index leads with yet. SQLite skips the trigram part.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

TRIGRAM = [  # (index name, table, column)
    ("orders_storeorder_name_trgm", "orders_storeorder", "name"),
    ("orders_customization_sku_trgm", "orders_customization", "sku"),
    ("orders_designnode_text_trgm", "orders_designnode", "text"),
]
EXACT = [
    ("orders_customization_external_id_idx", "orders_customization", "external_id"),
    ("orders_storeorder_external_id_idx", "orders_storeorder", "external_id"),
    ("orders_storeorder_store_order_id_idx", "orders_storeorder", "store_order_id"),
]


class TrigramOn(TrigramExtension):
    """pg_trgm, created if missing. Going back leaves it in place (other schemas or apps may use
    it) and so never touches another database: Django's own reverse asks pg_extension whatever
    the database, which fails on SQLite."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        return


def indexes_create(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    concurrently = "CONCURRENTLY " if postgres else ""
    for name, table, column in EXACT:
        schema_editor.execute(f'CREATE INDEX {concurrently}IF NOT EXISTS "{name}" ON "{table}" ("{column}")')
    if postgres:
        for name, table, column in TRIGRAM:
            schema_editor.execute(
                f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" '
                f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
            )


def indexes_drop(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, _table, _column in EXACT + (TRIGRAM if postgres else []):
        schema_editor.execute(f'DROP INDEX {"CONCURRENTLY " if postgres else ""}IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0010_decision_by_rule"),
    ]

    operations = [
        TrigramOn(),  # a no-op on other databases
        migrations.RunPython(indexes_create, indexes_drop, elidable=False),
    ]
