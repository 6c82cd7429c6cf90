"""The shared loader of the scale benches: fills a PostgreSQL database server-side, fast.

    from scale_fill import fill, insert_series
    fill(rows)   # empties the tables, then rows customizations and everything around them

Every table is filled with one INSERT ... SELECT FROM generate_series (no row passes through
Python), then VACUUM ANALYZE (what autovacuum does soon after a load: statistics, and the
visibility map that index-only scans need). For R customizations (R = 1,000,000 gives the
issue's shape): 2R sides, 2R/3 store orders with R order lines, R/4 fulfilment orders to three
partners (one item each) with four status events each (R in all), R review decisions, R/4
pushed orders each with a shipment, R/4 incoming requests, R/100 stock levels and R/100 sync runs (at least 200: a small database still fills a page),
spread over two years. `insert_series` gives every NOT NULL column a value (Django keeps its
defaults in Python), so a new column does not break the loader.

bench/admin_scale.py uses it; bench/dashboard_scale.py and bench/search_scale.py keep their own
(smaller) fills for now and can switch to this one (`fill` returns the connections' ids).
"""

from __future__ import annotations

DAYS_SPREAD = 731  # odd, so that every other customization still covers every day
TABLES = [
    "fulfilment_statusevent",
    "fulfilment_partnerprintfile",
    "fulfilment_fulfilmentitem",
    "fulfilment_vendororder",
    "fulfilment_fulfilmentorder",
    "fulfilment_shipment",
    "fulfilment_pushedorderitem",
    "fulfilment_pushedorder",
    "fulfilment_incomingrequest",
    "fulfilment_stocklevel",
    "orders_orderline",
    "orders_storeorder",
    "orders_reviewdecision",
    "orders_sideartwork",
    "orders_designnode",
    "orders_customizationside",
    "orders_customization",
    "orders_syncrun",
]
EMPTY = {
    "text": "''",
    "character varying": "''",
    "jsonb": "'{}'::jsonb",
    "boolean": "false",
    "integer": "0",
    "bigint": "0",
    "smallint": "0",
    "double precision": "0",
    "numeric": "0",
    "timestamp with time zone": "now()",
    "date": "current_date",
    "uuid": "gen_random_uuid()",
}


def insert_series(cursor, table: str, count: int, values: dict[str, str]) -> None:
    """INSERT `count` rows into `table` from generate_series(1, count) AS g: `values` gives SQL
    expressions (of g) for some columns; every other NOT NULL column without a database default
    gets an empty value of its type."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    )
    columns = dict(values)
    for name, data_type in cursor.fetchall():
        columns.setdefault(name, EMPTY.get(data_type, "''"))
    names = ", ".join(f'"{name}"' for name in columns)
    expressions = ", ".join(columns.values())
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {expressions} FROM generate_series(1, {count}) AS g")  # noqa: S608


def connections_create() -> dict:
    from orders.models import VendorConnection

    VendorConnection.objects.filter(name__startswith="bench-").delete()

    def make(name, kind, settings):
        return VendorConnection.objects.create(
            name=name, kind=kind, settings=settings, secrets={"api_key": "bench-not-a-key"}, sync_every_minutes=None
        ).pk

    sources = [make(f"bench-shop-{n}", "qstomizer", {"shop_domain": f"bench-{n}.myshopify.com"}) for n in range(3)]
    partners = [make(f"bench-partner-{n}", "custom_gateway", {"company": str(9000 + n)}) for n in range(3)]
    return {"sources": sources, "partners": partners}


def fill(rows: int) -> dict:
    """Empty the tables and fill them for `rows` customizations; returns the connections' ids."""
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")  # noqa: S608
    ids = connections_create()
    sources, partners = ids["sources"], ids["partners"]
    src = f"(ARRAY{sources})[1 + g % 3]"
    partner = f"(ARRAY{partners})[1 + g % 3]"
    made = f"now() - ((g % {DAYS_SPREAD}) || ' days')::interval - ((g::bigint * 7919 % 86400) || ' seconds')::interval"
    store_orders = max(rows * 2 // 3, 1)
    fulfilment_orders = max(rows // 4, 1)
    pushed = max(rows // 4, 1)
    with db.cursor() as cursor:
        insert_series(
            cursor,
            "orders_customization",
            rows,
            {
                "connection_id": src,
                "external_id": "'b' || g",
                "status": "CASE WHEN g % 7 = 0 THEN 'ordered' WHEN g % 11 = 0 THEN 'saved' ELSE 'pending' END",
                "vendor_status": "'status-' || (g % 5)",
                "customized_at": made,
                "decision": "CASE WHEN g % 500 = 0 THEN '' WHEN g % 37 = 0 THEN 'rejected' ELSE 'approved' END",
                "decided_at": f"CASE WHEN g % 500 = 0 THEN NULL ELSE {made} + interval '2 hours' END",
                "has_bad_words": "g % 100 = 0",
                "product_title": "'T-shirt ' || (g % 40)",
                "template_id": "'tpl-' || (g % 25)",
                "sku": "'SKU-' || (g % 1000)",
                "listing": "'[]'::jsonb",
                "production_data": "'[]'::jsonb",
                "summary": "'[]'::jsonb",
                "bad_words": "'[]'::jsonb",
                "created_at": made,
                "updated_at": made,
            },
        )
        insert_series(
            cursor,
            "orders_customizationside",
            rows * 2,
            {
                "customization_id": "1 + (g - 1) / 2",
                "external_id": "'s' || g",
                "position": "(g - 1) % 2",
                "name": "CASE WHEN g % 2 = 1 THEN 'Front' ELSE 'Back' END",
                "preview_url": "'https://img.example.com/p/' || g || '.png'",
            },
        )
        insert_series(
            cursor,
            "orders_reviewdecision",
            rows,
            {
                "customization_id": "g",
                "action": "CASE WHEN g % 37 = 0 THEN 'reject' ELSE 'approve' END",
                "reason": "CASE WHEN g % 37 = 0 THEN 'Low resolution' ELSE '' END",
                "at": f"{made} + interval '2 hours'",
            },
        )
        insert_series(
            cursor,
            "orders_storeorder",
            store_orders,
            {
                "connection_id": src,
                "external_id": "'so' || g",
                "name": "'#' || (1000 + g)",
                "status": "CASE WHEN g % 9 = 0 THEN 'fulfilled' ELSE 'open' END",
                "payment_status": "CASE WHEN g % 13 = 0 THEN 'refunded' ELSE 'paid' END",
                "ordered_at": made,
            },
        )
        insert_series(
            cursor,
            "orders_orderline",
            rows,
            {"customization_id": "g", "store_order_id": f"1 + (g - 1) % {store_orders}", "quantity": "1"},
        )
        fo_made = f"now() - (((2 * g - 1) % {DAYS_SPREAD}) || ' days')::interval + interval '3 hours'"
        insert_series(
            cursor,
            "fulfilment_fulfilmentorder",
            fulfilment_orders,
            {
                "connection_id": partner,
                "store_order_id": f"1 + (g - 1) % {store_orders}",
                "external_ref": "'BO-' || g",
                "state": "CASE WHEN g % 101 = 0 THEN 'failed' WHEN g % 211 = 0 THEN 'draft' ELSE 'sent' END",
                "status": "CASE WHEN g % 101 = 0 OR g % 211 = 0 THEN '' WHEN g % 53 = 0 THEN 'problem' "
                "WHEN g % 5 > 0 THEN 'shipped' ELSE 'in_production' END",
                "vendor_status_name": "CASE WHEN g % 5 > 0 THEN 'Dispatched' ELSE 'Printing' END",
                "on_hold": "g % 211 = 0",
                "has_error": "g % 53 = 0",
                "customer_name": "'Customer ' || g",
                "sale_datetime": fo_made,
                "sent_at": f"CASE WHEN g % 101 = 0 OR g % 211 = 0 THEN NULL ELSE {fo_made} + interval '1 hour' END",
                "shipping_address_1": "'1 Road'",
                "shipping_postcode": "'SK10 2XR'",
                "shipping_country_code": "'GB'",
                "response_payload": "'[]'::jsonb",
                "created_at": fo_made,
                "updated_at": fo_made,
            },
        )
        insert_series(
            cursor,
            "fulfilment_fulfilmentitem",
            fulfilment_orders,
            {
                "order_id": "g",
                "customization_id": "2 * g - 1",
                "external_ref": "'L' || g",
                "quantity": "1",
                "live": "true",
            },
        )
        # Four status events per fulfilment order: R in all.
        for n, status in enumerate(["accepted", "in_production", "printed", "shipped"]):
            cursor.execute(  # every value below is one of this module's constants
                "INSERT INTO fulfilment_statusevent (fulfilment_order_id, status, vendor_status_code, "  # noqa: S608
                "vendor_status_name, shipping_tracking, shipping_carrier, shipping_method, extra, received_at, "
                "dedupe_key, effect, effect_note) "
                f"SELECT o.id, '{status}', '', '', '', '', '', '{{}}'::jsonb, "
                f"o.created_at + interval '{n * 10 + 2} hours', '{n}-' || o.id, 'apply', '' "
                "FROM fulfilment_fulfilmentorder o"
            )
        insert_series(
            cursor,
            "fulfilment_incomingrequest",
            pushed,
            {
                "kind": "CASE WHEN g % 2 = 0 THEN 'order_push' ELSE 'status_callback' END",
                "connection_id": partner,
                "method": "'POST'",
                "headers": "'{}'::jsonb",
                "body": "'{\"id\": ' || g || '}'",
                "received_at": made,
                "verified": "true",
                "outcome": "CASE WHEN g % 17 = 0 THEN 'duplicate' ELSE 'applied' END",
                "size_bytes": "12",
            },
        )
        insert_series(
            cursor,
            "fulfilment_pushedorder",
            pushed,
            {
                "connection_id": partner,
                "vendor_id": "'PO' || g",
                "ref": "'R' || g",
                "shipping_carrier": "(ARRAY['royal_mail', 'dpd', 'evri'])[1 + g % 3]",
                "state": "CASE WHEN g % 5 = 0 THEN 'received' ELSE 'shipped' END",
                "customer_name": "'Customer ' || g",
                "received_at": made,
                "raw": "'{}'::jsonb",
            },
        )
        insert_series(
            cursor,
            "fulfilment_shipment",
            pushed,
            {
                "order_id": "g",
                "vendor_id": "'SH' || g",
                "carrier": "(ARRAY['royal_mail', 'dpd', 'evri'])[1 + g % 3]",
                "tracking": "'TRK' || g",
                "items": "'[]'::jsonb",
                "raw": "'{}'::jsonb",
                "created_at": f"{made} + interval '1 day'",
            },
        )
        insert_series(
            cursor,
            "orders_syncrun",
            max(rows // 100, 200),
            {
                "connection_id": src,
                "trigger": "'schedule'",
                "status": "CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'succeeded' END",
                "started_at": "now() - (g || ' hours')::interval",
                "heartbeat_at": "now() - (g || ' hours')::interval",
                "finished_at": "now() - (g || ' hours')::interval + interval '5 minutes'",
                "errors": "'[]'::jsonb",
            },
        )
        insert_series(
            cursor,
            "fulfilment_stocklevel",
            max(rows // 100, 200),
            {
                "connection_id": partner,
                "sku": "'SKU-' || g",
                "quantity_available": "g % 40",
                "low_stock_threshold": "CASE WHEN g % 2 = 0 THEN 10 END",
                "updated_at": "now()",
            },
        )
        cursor.execute("VACUUM ANALYZE")

    # The home dashboard's kept daily totals, recomputed from the rows just filled (operations).
    from operations.services.dashboard_totals import rebuild

    rebuild()
    return ids
