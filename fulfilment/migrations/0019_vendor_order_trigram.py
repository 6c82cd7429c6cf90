"""Trigram indexes for the fulfilment order list's search by a partner's order reference or id
(`vendor_orders__ref`, `vendor_orders__vendor_id`, compared with icontains, i.e. UPPER(col) LIKE
'%TERM%'): without them that search scanned the whole partner-order table. PostgreSQL only, built
CONCURRENTLY (hence atomic = False); pg_trgm comes with orders.0011. SQLite has nothing to do."""

from django.db import migrations

TRIGRAM = [  # (index name, table, column)
    ("fulfilment_vo_ref_trgm", "fulfilment_vendororder", "ref"),
    ("fulfilment_vo_vendor_id_trgm", "fulfilment_vendororder", "vendor_id"),
]


def indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in TRIGRAM:
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("fulfilment", "0018_scale_indexes"),
    ]

    operations = [migrations.RunPython(indexes_create, indexes_drop, elidable=False)]
