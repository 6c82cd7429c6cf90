"""B-tree indexes for the header search's "starts with" (operations/search.py, STARTS_FIRST).

`istartswith` is UPPER(col::text) LIKE UPPER('term%'): a range of a b-tree on UPPER(col::text)
with text_pattern_ops (whatever the database's collation), where a trigram index would intersect
the long posting lists of common trigrams (`SKU-0000…`). PostgreSQL only, built CONCURRENTLY
(hence atomic = False); SQLite has nothing to do (its LIKE does not use such an index).
"""

from django.db import migrations

STARTS = [  # (index name, table, column)
    ("fulfilment_fo_external_ref_upper", "fulfilment_fulfilmentorder", "external_ref"),
    ("fulfilment_fo_customer_name_upper", "fulfilment_fulfilmentorder", "customer_name"),
    ("fulfilment_fo_customer_email_upper", "fulfilment_fulfilmentorder", "customer_email"),
    ("fulfilment_vo_tracking_upper", "fulfilment_vendororder", "shipping_tracking"),
    ("fulfilment_se_tracking_upper", "fulfilment_statusevent", "shipping_tracking"),
    ("fulfilment_fi_sku_upper", "fulfilment_fulfilmentitem", "sku"),
    ("fulfilment_po_ref_upper", "fulfilment_pushedorder", "ref"),
    ("fulfilment_po_external_ref_upper", "fulfilment_pushedorder", "external_ref"),
    ("fulfilment_po_customer_name_upper", "fulfilment_pushedorder", "customer_name"),
    ("fulfilment_poi_sku_upper", "fulfilment_pushedorderitem", "sku"),
    ("fulfilment_poi_mapped_sku_upper", "fulfilment_pushedorderitem", "mapped_sku"),
    ("fulfilment_shipment_tracking_upper", "fulfilment_shipment", "tracking"),
    ("fulfilment_stocklevel_sku_upper", "fulfilment_stocklevel", "sku"),
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
        ("fulfilment", "0019_vendor_order_trigram"),
    ]

    operations = [migrations.RunPython(indexes_create, indexes_drop, elidable=False)]
