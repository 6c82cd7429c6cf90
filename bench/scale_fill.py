"""The loader of bench/admin_scale.py: fills a PostgreSQL database server-side, fast.

    from scale_fill import fill, insert_series, targets
    fill(rows)   # empties the tables, then rows customizations and everything around them

Every table is filled with one INSERT ... SELECT FROM generate_series (no row passes through
Python); the trigram indexes are dropped for the fill and built again after it (faster than
keeping them row by row), then VACUUM ANALYZE (what autovacuum does soon after a load:
statistics, and the visibility map that index-only scans need). For R customizations
(R = 1,000,000 gives the issue's shape), spread over two years from three sources:

- R customizations (SKUs, vendor ids): one in four approved (two hours after it was made) and
  ordered, 1% rejected, the rest *artwork approval pending* and undecided, so the review queue
  holds ~74% (740k at 1M; the issue measured 773k); 2% flagged for bad words, half of them in
  the queue. The `awaiting_review` flag is written with the rows, then passed through the app's
  own `awaiting_review_refresh` (orders/services/review_flag.py), which must change none; a
  review decision for each decided one (R/4 + 1%);
- 2R sides, with two text nodes on the front (2R design nodes, one a personalised
  "Happy birthday <name> <n>"); 2R/3 store orders with R order lines;
- R/4 fulfilment orders, one per approved design, to three partners, linked to that design's
  store order (customer name and e-mail, one item with its SKU, a partner order with a tracking
  number; most sent and shipped, some queried, failed, held), with four status events each
  (R in all; the shipped one carries the tracking number), made over the same two years, so
  ~30k at 1M were sent in the last 90 days (the dashboard's turnaround);
- R/4 pushed orders (an item, a shipment with a tracking number), R/4 incoming requests,
  R/100 stock levels and R/100 sync runs (at least 200: a small database still fills a page;
  the runs spread over the two years, so the dashboard's windows hold some).

`targets(rows)` gives the search terms and the rows built to be found by them. `insert_series`
gives every NOT NULL column a value (Django keeps its defaults in Python), so a new column does
not break the loader.
"""

from __future__ import annotations

import hashlib

DAYS_SPREAD = 731  # odd, so that every other customization still covers every day
FIRST = ["Ada", "Grace", "Alan", "Marie", "Linus", "Hedy", "Tim", "Edsger", "Barbara", "Ken", "Dennis", "Frances"]
LAST = ["Lovelace", "Hopper", "Turing", "Curie", "Torvalds", "Lamarr", "Berners", "Dijkstra", "Liskov", "Thompson"]
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


def insert_series(cursor, table: str, count: int, values: dict[str, str], where: str = "") -> None:
    """INSERT `count` rows into `table` from generate_series(1, count) AS g (those of them
    matching `where`, if given), then ANALYZE it: `values` gives SQL expressions (of g) for some
    columns; every other NOT NULL column without a database default gets an empty value of its type."""
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
    condition = f" WHERE {where}" if where else ""
    cursor.execute(
        f"INSERT INTO {table} ({names}) SELECT {expressions} FROM generate_series(1, {count}) AS g{condition}"  # noqa: S608
    )
    # Statistics at once: the foreign-key checks of the next tables' INSERTs are planned from them,
    # and a table never analysed looks empty (a sequential scan per checked row: hours at 1M).
    cursor.execute(f"ANALYZE {table}")


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


KEPT = "bench_trigram_index"  # the definitions of the dropped trigram indexes, until they are built again


def trigram_indexes_drop(cursor) -> None:
    """Drop the trigram (gin_trgm_ops) indexes of the filled tables, keeping their definitions in
    a table of the database: a fill that is interrupted loses none (the next restore builds them)."""
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {KEPT} (name text PRIMARY KEY, definition text NOT NULL)")
    cursor.execute(
        f"INSERT INTO {KEPT} SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "  # noqa: S608
        "AND tablename = ANY(%s) AND indexdef LIKE '%%gin_trgm_ops%%' ON CONFLICT DO NOTHING",
        [TABLES],
    )
    cursor.execute(f"SELECT name FROM {KEPT}")  # noqa: S608
    for (name,) in cursor.fetchall():
        cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


def trigram_indexes_restore(cursor) -> None:
    """Build the indexes trigram_indexes_drop dropped (none if no fill left any behind)."""
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [KEPT])
    if not cursor.fetchone()[0]:
        return
    cursor.execute(f"SELECT definition FROM {KEPT}")  # noqa: S608
    definitions = [definition for (definition,) in cursor.fetchall()]
    cursor.execute("SET maintenance_work_mem = '256MB'")
    for definition in definitions:
        cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
    cursor.execute("RESET maintenance_work_mem")
    cursor.execute(f"DROP TABLE {KEPT}")


def targets(rows: int) -> dict[str, str]:
    """The search terms of a database filled for `rows`, each matching a row built for it."""
    reference = rows // 6 + 1  # a fulfilment order in the middle
    design = rows // 3 + 1
    return {
        "vendor_id": f"{1000000 + design}",  # customization `design`'s vendor id
        "store": f"#{100000 + rows // 4 + 1}",  # a store order's name
        "reference": f"BO-{reference:07d}",  # our fulfilment order reference
        "tracking": "1Z" + hashlib.md5(str(reference).encode(), usedforsecurity=False).hexdigest()[:16].upper(),
        "customer": "lovela",  # a fragment of a tenth of the customers' names
        "text": f"birthday {FIRST[(2 * design) % len(FIRST)]} {design}",  # customization `design`'s text
        "sku": f"SKU-{(rows // 200) % 4999 + 1:05d}",  # a stock level's, and one design in 5000's
    }


def filled(rows: int) -> bool:
    """Whether the database holds a whole fill for `rows` (its first and its last table)."""
    from fulfilment.models import StockLevel
    from orders.models import Customization

    return Customization.objects.count() == rows and StockLevel.objects.count() == max(rows // 100, 200)


def fill(rows: int) -> dict:
    """Empty the tables and fill them for `rows` customizations; returns the connections' ids."""
    from django.db import connection as db

    from orders.models import Customization
    from orders.services.review_flag import awaiting_review_refresh

    with db.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")  # noqa: S608
        trigram_indexes_drop(cursor)
    ids = connections_create()
    sources, partners = ids["sources"], ids["partners"]
    src = f"(ARRAY{sources})[1 + g % 3]"
    partner = f"(ARRAY{partners})[1 + g % 3]"
    made = f"now() - ((g % {DAYS_SPREAD}) || ' days')::interval - ((g::bigint * 7919 % 86400) || ' seconds')::interval"
    first = "(ARRAY[" + ",".join(f"'{name}'" for name in FIRST) + "])"
    last = "(ARRAY[" + ",".join(f"'{name}'" for name in LAST) + "])"
    person = f"{first}[1 + g % {len(FIRST)}] || ' ' || {last}[1 + (g / {len(FIRST)}) % {len(LAST)}]"
    sku = "'SKU-' || lpad((g % 5000)::text, 5, '0')"
    decided = "g % 4 = 0 OR g % 100 = 1"  # approved (and ordered), or rejected; the rest awaits review
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
                "external_id": "(1000000 + g)::text",
                "status": "CASE WHEN g % 8 = 0 THEN 'finished' WHEN g % 4 = 0 THEN 'in_production' "
                "ELSE 'artwork_approval_pending' END",
                "vendor_status": "'status-' || (g % 5)",
                "customized_at": made,
                "decision": "CASE WHEN g % 4 = 0 THEN 'approved' WHEN g % 100 = 1 THEN 'rejected' ELSE '' END",
                "decided_at": f"CASE WHEN {decided} THEN {made} + interval '2 hours' END",
                "has_bad_words": "g % 100 IN (0, 3)",  # 2%: half approved, half awaiting review
                "awaiting_review": f"NOT ({decided})",
                "product_title": "'T-shirt ' || (g % 40)",
                "template_id": "'tpl-' || (g % 25)",
                "sku": sku,
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
        # Two text nodes on each front side (side 2c - 1 of customization c = 1 + (g - 1) / 2).
        insert_series(
            cursor,
            "orders_designnode",
            rows * 2,
            {
                "side_id": "2 * ((g - 1) / 2) + 1",
                "position": "(g - 1) % 2",
                "kind": "'text'",
                "node_id": "g::text",
                "text": f"CASE WHEN g % 2 = 0 THEN 'Happy birthday ' || {first}[1 + g % {len(FIRST)}] "
                "|| ' ' || ((g - 1) / 2 + 1) ELSE 'Best ' || md5(g::text) END",
                "font_family": "'Lobster'",
            },
        )
        insert_series(
            cursor,
            "orders_reviewdecision",
            rows,
            {
                "customization_id": "g",
                "action": "CASE WHEN g % 4 = 0 THEN 'approve' ELSE 'reject' END",
                "reason": "CASE WHEN g % 4 = 0 THEN '' ELSE 'Low resolution' END",
                "at": f"{made} + interval '2 hours'",
            },
            where=decided,
        )
        insert_series(
            cursor,
            "orders_storeorder",
            store_orders,
            {
                "connection_id": src,
                "external_id": "(5000000000 + g)::text",
                "store_order_id": "(5000000000 + g)::text",
                "name": "'#' || (100000 + g)",
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
        # Fulfilment order g carries the approved customization 4g (made 3 hours after it, in its
        # store order); fulfilment orders made more than 4 days ago have shipped.
        design = f"LEAST(4 * g, {rows})"
        fo_made = (
            f"now() - (({design} % {DAYS_SPREAD}) || ' days')::interval "
            f"- (({design}::bigint * 7919 % 86400) || ' seconds')::interval + interval '3 hours'"
        )
        failed_or_draft = "g % 101 = 0 OR g % 211 = 0"
        insert_series(
            cursor,
            "fulfilment_fulfilmentorder",
            fulfilment_orders,
            {
                "connection_id": partner,
                "store_order_id": f"1 + ({design} - 1) % {store_orders}",
                "external_ref": "'BO-' || lpad(g::text, 7, '0')",
                "state": "CASE WHEN g % 101 = 0 THEN 'failed' WHEN g % 211 = 0 THEN 'draft' ELSE 'sent' END",
                "status": f"CASE WHEN {failed_or_draft} THEN '' WHEN g % 53 = 0 THEN 'problem' "
                f"WHEN {design} % {DAYS_SPREAD} > 4 THEN 'shipped' ELSE 'in_production' END",
                "vendor_status_name": f"CASE WHEN {design} % {DAYS_SPREAD} > 4 THEN 'Dispatched' ELSE 'Printing' END",
                "on_hold": "g % 211 = 0",
                "has_error": "g % 53 = 0",
                "customer_name": person,
                "customer_email": "'customer' || g || '@example.org'",
                "sale_datetime": fo_made,
                "required_dispatch_date": f"({fo_made} + interval '3 days')::date",
                "sent_at": f"CASE WHEN {failed_or_draft} THEN NULL ELSE {fo_made} + interval '1 hour' END",
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
                "customization_id": design,
                "external_ref": "'L' || g",
                "sku": f"'SKU-' || lpad(({design} % 5000)::text, 5, '0')",
                "quantity": "1",
                "live": "true",
            },
        )
        tracking = "'1Z' || upper(substr(md5(g::text), 1, 16))"
        insert_series(
            cursor,
            "fulfilment_vendororder",
            fulfilment_orders,
            {
                "connection_id": partner,
                "fulfilment_order_id": "g",
                "vendor_id": "(800000 + g)::text",
                "ref": "'CG-' || g",
                "external_ref": "'BO-' || lpad(g::text, 7, '0')",
                "shipping_tracking": tracking,
            },
        )
        # Four status events per fulfilment order (R in all), from when it was sent: accepted,
        # in production, printed, then shipped (with the tracking number) or a query.
        fourth = "CASE o.status WHEN 'shipped' THEN 'shipped' WHEN 'problem' THEN 'problem' ELSE 'printed' END"
        for n, (status, hours) in enumerate(
            [("'accepted'", 2), ("'in_production'", 20), ("'printed'", 30), (fourth, 40)]
        ):
            event_tracking = tracking.replace("g::text", "o.id::text") if n == 3 else "''"
            cursor.execute(  # every value below is one of this module's constants
                "INSERT INTO fulfilment_statusevent (fulfilment_order_id, vendor_order_id, status, "  # noqa: S608
                "vendor_status_code, vendor_status_name, shipping_tracking, shipping_carrier, shipping_method, "
                "extra, received_at, dedupe_key, effect, effect_note) "
                f"SELECT o.id, o.id, {status}, '', '', CASE WHEN o.status = 'shipped' THEN {event_tracking} "
                "ELSE '' END, '', '', '{}'::jsonb, "
                f"COALESCE(o.sent_at, o.created_at) + interval '{hours} hours' + ((o.id % 30) || ' hours')::interval, "
                f"'{n}-' || o.id, 'apply', '' FROM fulfilment_fulfilmentorder o"
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
                "vendor_id": "(700000 + g)::text",
                "ref": "'PO-' || g",
                "shipping_carrier": "(ARRAY['royal_mail', 'dpd', 'evri'])[1 + g % 3]",
                "state": "CASE WHEN g % 5 = 0 THEN 'received' ELSE 'shipped' END",
                "customer_name": person,
                "received_at": made,
                "raw": "'{}'::jsonb",
            },
        )
        insert_series(
            cursor,
            "fulfilment_pushedorderitem",
            pushed,
            {
                "order_id": "g",
                "vendor_id": "'1'",
                "sku": "'RET-' || lpad((g % 5000)::text, 5, '0')",
                "mapped_sku": "'SUP-' || lpad((g % 5000)::text, 5, '0')",
                "quantity": "1",
                "assets": "'[]'::jsonb",
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
                "tracking": "'JD' || lpad(g::text, 18, '0')",
                "items": "'[]'::jsonb",
                "raw": "'{}'::jsonb",
                "created_at": f"{made} + interval '1 day'",
            },
        )
        runs = max(rows // 100, 200)
        started = f"now() - ((g::bigint * {DAYS_SPREAD * 86400} / {runs}) || ' seconds')::interval"
        insert_series(
            cursor,
            "orders_syncrun",
            runs,
            {
                "connection_id": src,
                "trigger": "'schedule'",
                "status": "CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'succeeded' END",
                "started_at": started,
                "heartbeat_at": started,
                "finished_at": f"{started} + interval '5 minutes'",
                "errors": "'[]'::jsonb",
            },
        )
        insert_series(
            cursor,
            "fulfilment_stocklevel",
            max(rows // 100, 200),
            {
                "connection_id": partner,
                "sku": "'SKU-' || lpad(g::text, 5, '0')",
                "quantity_available": "g % 40",
                "low_stock_threshold": "CASE WHEN g % 2 = 0 THEN 10 END",
                "updated_at": "now()",
            },
        )
    # The review queue's flag is written with the rows (the undecided ones: all artwork approval
    # pending); the app's own definition has the last word (0 rows change if they agree).
    ids["flag_changed"] = awaiting_review_refresh(Customization.objects.all())
    with db.cursor() as cursor:
        trigram_indexes_restore(cursor)
        cursor.execute("VACUUM ANALYZE")

    # Tables derived from the rows: the home dashboard's kept daily totals, recomputed from the
    # rows just filled (no signal fires for rows inserted in SQL; the analysed tables plan well).
    from operations.services.dashboard_totals import rebuild

    rebuild()
    return ids
