"""Indexes for the header search (operations/search.py), and fulfilment orders linked to their
store order where that is unambiguous.

PostgreSQL: a GIN trigram index on UPPER(col::text) for each column searched by substring (what
Django's icontains compares; pg_trgm comes with orders.0009), built CONCURRENTLY (hence atomic =
False). Every database: a b-tree on each id searched by exact value. SQLite skips the trigram part.

The back-fill: an order with no store order gets the one store order all its items' designs were
ordered in, when there is exactly one (as fulfilment_order_create does for new orders).
"""

from django.db import migrations

TRIGRAM = [  # (index name, table, column)
    ("fulfilment_fo_external_ref_trgm", "fulfilment_fulfilmentorder", "external_ref"),
    ("fulfilment_fo_customer_name_trgm", "fulfilment_fulfilmentorder", "customer_name"),
    ("fulfilment_fo_customer_email_trgm", "fulfilment_fulfilmentorder", "customer_email"),
    ("fulfilment_vo_tracking_trgm", "fulfilment_vendororder", "shipping_tracking"),
    ("fulfilment_se_tracking_trgm", "fulfilment_statusevent", "shipping_tracking"),
    ("fulfilment_fi_sku_trgm", "fulfilment_fulfilmentitem", "sku"),
    ("fulfilment_po_ref_trgm", "fulfilment_pushedorder", "ref"),
    ("fulfilment_po_external_ref_trgm", "fulfilment_pushedorder", "external_ref"),
    ("fulfilment_po_customer_name_trgm", "fulfilment_pushedorder", "customer_name"),
    ("fulfilment_poi_sku_trgm", "fulfilment_pushedorderitem", "sku"),
    ("fulfilment_poi_mapped_sku_trgm", "fulfilment_pushedorderitem", "mapped_sku"),
    ("fulfilment_shipment_tracking_trgm", "fulfilment_shipment", "tracking"),
    ("fulfilment_stocklevel_sku_trgm", "fulfilment_stocklevel", "sku"),
]
EXACT = [
    ("fulfilment_vendororder_vendor_id_idx", "fulfilment_vendororder", "vendor_id"),
    ("fulfilment_vendororder_ref_idx", "fulfilment_vendororder", "ref"),
    ("fulfilment_pushedorder_vendor_id_idx", "fulfilment_pushedorder", "vendor_id"),
]
BATCH = 2000


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


def store_orders_backfill(apps, schema_editor):
    """Orders without a store order whose items' designs were all ordered in one store order."""
    FulfilmentOrder = apps.get_model("fulfilment", "FulfilmentOrder")
    FulfilmentItem = apps.get_model("fulfilment", "FulfilmentItem")
    OrderLine = apps.get_model("orders", "OrderLine")
    db = schema_editor.connection.alias
    last = 0
    while True:
        order_ids = list(
            FulfilmentOrder.objects.using(db)
            .filter(store_order__isnull=True, pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not order_ids:
            return
        last = order_ids[-1]
        designs: dict[int, set[int]] = {}
        for order_id, customization_id in FulfilmentItem.objects.using(db).filter(order_id__in=order_ids).values_list(
            "order_id", "customization_id"
        ):
            designs.setdefault(order_id, set()).add(customization_id)
        stores: dict[int, set[int]] = {}
        all_designs = {c for found in designs.values() for c in found}
        for customization_id, store_order_id in OrderLine.objects.using(db).filter(
            customization_id__in=all_designs
        ).values_list("customization_id", "store_order_id"):
            stores.setdefault(customization_id, set()).add(store_order_id)
        linked = []
        for order_id, found in designs.items():
            # Every design must have been ordered, and all in the same single store order.
            if any(c not in stores for c in found):
                continue
            store_ids = set().union(*(stores[c] for c in found))
            if len(store_ids) == 1:
                linked.append(FulfilmentOrder(pk=order_id, store_order_id=store_ids.pop()))
        FulfilmentOrder.objects.using(db).bulk_update(linked, ["store_order_id"], batch_size=500)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("fulfilment", "0014_dashboard_indexes"),
        ("orders", "0011_search_indexes"),
    ]

    operations = [
        migrations.RunPython(indexes_create, indexes_drop, elidable=False),
        migrations.RunPython(store_orders_backfill, migrations.RunPython.noop, elidable=False),
    ]
