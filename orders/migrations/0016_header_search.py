"""B-tree indexes for the header search's "starts with" (operations/search.py, STARTS_FIRST).

`istartswith` is UPPER(col::text) LIKE UPPER('term%'): a range of a b-tree on UPPER(col::text)
with text_pattern_ops (whatever the database's collation), where a trigram index would intersect
the long posting lists of common trigrams (`SKU-0000…`). PostgreSQL only, built CONCURRENTLY
(hence atomic = False); SQLite has nothing to do (its LIKE does not use such an index).
"""

from django.db import migrations

STARTS = [  # (index name, table, column)
    ("orders_storeorder_name_upper", "orders_storeorder", "name"),
    ("orders_customization_sku_upper", "orders_customization", "sku"),
]


def indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in STARTS:
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" (UPPER("{column}"::text) text_pattern_ops)'
        )


def indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in STARTS:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0015_scale_indexes"),
    ]

    operations = [migrations.RunPython(indexes_create, indexes_drop, elidable=False)]
