"""Header search: time per search at 1k and at 1M customizations, as a ratio.

    .venv/bin/python bench/search_scale.py [--sizes 1000,1000000] [--repeat 20] [--database-url URL]

For each size N it empties the searched tables and fills them server-side (INSERT ... SELECT
FROM generate_series, no rows through Python): N customizations (one side, two text nodes, one
order line each), N/2 store orders, N/2 fulfilment orders (customer name and e-mail, two items,
one partner order with a tracking number, one status event with it), N/10 pushed orders (an item,
a shipment with a tracking number) and N/100 stock levels. The trigram indexes of the migrations
`orders.search_indexes` and `fulfilment.search_indexes` are dropped for the fill and built again
after it (faster than maintaining them row by row), then ANALYZE.

Then it runs typical searches through the selector the results page uses
(`operations.search.search`, as a superuser: every group): a tracking number, a store order
name, a customer name fragment (thousands of matches at 1M: the count is capped), a personalised
text and a SKU, `--repeat` times each after one warm-up, and prints the median ms at each size,
the ratio, the SQL queries per search (the same at every size) and the rows found. Times are
printed, never asserted; it exits 1 if a search does not find the row it was built to find.

The database defaults to postgres://postgres@127.0.0.1:5432/bo_bench_search (created if
missing, migrated). The shell's DATABASE_URL is ignored on purpose (a benchmark never writes
into a development database): pass --database-url or set BENCH_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from pathlib import Path

from benchlib import code_version, database_create

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bo_bench_search"
FIRST = ["Ada", "Grace", "Alan", "Marie", "Linus", "Hedy", "Tim", "Edsger", "Barbara", "Ken", "Dennis", "Frances"]
LAST = ["Lovelace", "Hopper", "Turing", "Curie", "Torvalds", "Lamarr", "Berners", "Dijkstra", "Liskov", "Thompson"]
TABLES = [  # emptied before each fill (children first; CASCADE does the rest)
    "fulfilment_statusevent",
    "fulfilment_vendororder",
    "fulfilment_fulfilmentitem",
    "fulfilment_fulfilmentorder",
    "fulfilment_shipment",
    "fulfilment_pushedorderitem",
    "fulfilment_pushedorder",
    "fulfilment_stocklevel",
    "orders_orderline",
    "orders_designnode",
    "orders_customizationside",
    "orders_customization",
    "orders_storeorder",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,1000000", help="customizations per run (default 1000,1000000)")
    parser.add_argument("--repeat", type=int, default=20, help="runs of each search per size (default 20)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"PostgreSQL URL (default $BENCH_DATABASE_URL or {DEFAULT_DATABASE_URL})",
    )
    args = parser.parse_args()
    try:
        args.sizes = [int(n) for n in args.sizes.split(",") if n.strip()]
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas")
    if not args.sizes or min(args.sizes) < 100 or args.repeat < 1:
        parser.error("every size must be at least 100 and --repeat at least 1")
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL")
    return args


def setup(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": args.database_url,
            "DJANGO_DEBUG": "false",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        }
    )
    database_create(args.database_url)

    import django

    django.setup()

    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def trigram_indexes() -> list[tuple[str, str, str]]:
    return [
        *importlib.import_module("orders.migrations.0011_search_indexes").TRIGRAM,
        *importlib.import_module("fulfilment.migrations.0015_search_indexes").TRIGRAM,
    ]


def insert_series(cursor, model, count_sql: str, values: dict[str, str]) -> None:
    """INSERT INTO model's table SELECT ... FROM generate_series(1, count) AS g: `values` gives the
    SQL of some columns (over g); every other column gets the field's default (a parameter), now()
    for auto_now(_add), NULL where allowed, else ''."""
    from django.db import connection
    from django.db.models import DateTimeField
    from django.db.models.fields import NOT_PROVIDED

    columns, selects, params = [], [], []
    for f in model._meta.concrete_fields:
        columns.append(f'"{f.column}"')
        if f.column in values:
            selects.append(values[f.column])
        elif isinstance(f, DateTimeField) and (f.auto_now or f.auto_now_add):
            selects.append("now()")
        elif f.default is not NOT_PROVIDED:
            selects.append("%s")
            params.append(f.get_db_prep_save(f.get_default(), connection))
        elif f.null:
            selects.append("NULL")
        else:
            selects.append("''")
    table = model._meta.db_table
    # The value expressions use % (modulo): doubled, as the driver's placeholders are %s.
    selects = [s if s == "%s" else s.replace("%", "%%") for s in selects]
    # Built from model metadata and this script's own constants only (no input reaches it).
    cursor.execute(
        f'INSERT INTO "{table}" ({", ".join(columns)}) SELECT {", ".join(selects)} '  # noqa: S608
        f"FROM generate_series(1, {count_sql}) AS g",
        params,
    )
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))")  # noqa: S608


def fill(n: int) -> tuple[dict, float]:
    """The rows of size n; returns the connections and the seconds it took."""
    from django.db import connection, transaction

    from fulfilment.models import (
        FulfilmentItem,
        FulfilmentOrder,
        PushedOrder,
        PushedOrderItem,
        Shipment,
        StatusEvent,
        StockLevel,
        VendorOrder,
    )
    from orders.models import Customization, CustomizationSide, DesignNode, OrderLine, StoreOrder, VendorConnection

    started = time.monotonic()
    shop, _ = VendorConnection.objects.get_or_create(
        name="bench-search-shop",
        defaults={
            "kind": "qstomizer",
            "settings": {"shop_domain": "bench-search.myshopify.com"},
            "secrets": {"api_key": "bench-search-not-a-key"},
            "sync_every_minutes": None,
        },
    )
    partner, _ = VendorConnection.objects.get_or_create(
        name="bench-search-partner",
        defaults={
            "kind": "custom_gateway",
            "settings": {"company": "99999"},
            "secrets": {"api_key": "bench-search-not-a-key"},
            "sync_every_minutes": None,
        },
    )
    first = "(ARRAY[" + ",".join(f"'{name}'" for name in FIRST) + "])"
    last = "(ARRAY[" + ",".join(f"'{name}'" for name in LAST) + "])"
    name_of = f"{first}[1 + g % {len(FIRST)}] || ' ' || {last}[1 + (g / {len(FIRST)}) % {len(LAST)}]"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        for name, _table, _column in trigram_indexes():
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        half = f"{n // 2}"
        insert_series(
            cursor,
            StoreOrder,
            half,
            {
                "id": "g",
                "connection_id": str(shop.pk),
                "external_id": "(5000000000 + g)::text",
                "store_order_id": "(5000000000 + g)::text",
                "name": "'#' || (100000 + g)",
                "ordered_at": "now() - g * interval '1 minute'",
            },
        )
        insert_series(
            cursor,
            Customization,
            str(n),
            {
                "id": "g",
                "connection_id": str(shop.pk),
                "external_id": "(1000000 + g)::text",
                "status": "'pending'",
                "product_title": "'Classic mug 11oz'",
                "sku": "'SKU-' || lpad((g % 5000)::text, 5, '0')",
                "decision": "CASE WHEN g % 2 = 0 THEN 'approved' ELSE '' END",
                "customized_at": "now() - g * interval '1 minute'",
            },
        )
        insert_series(
            cursor,
            CustomizationSide,
            str(n),
            {"id": "g", "customization_id": "g", "external_id": "g::text", "name": "'Front'", "position": "0"},
        )
        insert_series(
            cursor,
            DesignNode,
            str(2 * n),
            {
                "id": "g",
                "side_id": "1 + (g - 1) / 2",
                "position": "g % 2",
                "kind": "'text'",
                "node_id": "g::text",
                "text": f"CASE WHEN g % 2 = 0 THEN 'Happy birthday ' || {first}[1 + g % {len(FIRST)}] "
                "|| ' ' || ((g - 1) / 2 + 1) ELSE 'Best ' || md5(g::text) END",
                "font_family": "'Lobster'",
            },
        )
        insert_series(
            cursor,
            OrderLine,
            str(n),
            {"id": "g", "customization_id": "g", "store_order_id": "1 + (g - 1) / 2", "quantity": "1"},
        )
        insert_series(
            cursor,
            FulfilmentOrder,
            half,
            {
                "id": "g",
                "connection_id": str(partner.pk),
                "store_order_id": "g",
                "external_ref": "'BO-' || lpad(g::text, 7, '0')",
                "state": "'sent'",
                "customer_name": name_of,
                "customer_email": "'customer' || g || '@example.org'",
                "shipping_address_1": "'1 Road'",
                "shipping_postcode": "'SK10 2XR'",
                "shipping_country_code": "'GB'",
            },
        )
        insert_series(
            cursor,
            FulfilmentItem,
            str(n),
            {
                "id": "g",
                "order_id": "1 + (g - 1) / 2",
                "customization_id": "g",
                "external_ref": "'C' || g",
                "sku": "'SKU-' || lpad((g % 5000)::text, 5, '0')",
                "quantity": "1",
            },
        )
        tracking = "'1Z' || upper(substr(md5(g::text), 1, 16))"
        insert_series(
            cursor,
            VendorOrder,
            half,
            {
                "id": "g",
                "connection_id": str(partner.pk),
                "fulfilment_order_id": "g",
                "vendor_id": "(800000 + g)::text",
                "external_ref": "'BO-' || lpad(g::text, 7, '0')",
                "shipping_tracking": tracking,
            },
        )
        insert_series(
            cursor,
            StatusEvent,
            half,
            {
                "id": "g",
                "fulfilment_order_id": "g",
                "vendor_order_id": "g",
                "status": "'shipped'",
                "shipping_tracking": tracking,
                "dedupe_key": "md5('event' || g)",
            },
        )
        tenth = f"{max(1, n // 10)}"
        insert_series(
            cursor,
            PushedOrder,
            tenth,
            {
                "id": "g",
                "connection_id": str(partner.pk),
                "vendor_id": "(700000 + g)::text",
                "ref": "'PO-' || g",
                "customer_name": name_of,
                "state": "'shipped'",
            },
        )
        insert_series(
            cursor,
            PushedOrderItem,
            tenth,
            {
                "id": "g",
                "order_id": "g",
                "vendor_id": "'1'",
                "sku": "'RET-' || lpad((g % 5000)::text, 5, '0')",
                "mapped_sku": "'SUP-' || lpad((g % 5000)::text, 5, '0')",
            },
        )
        insert_series(
            cursor,
            Shipment,
            tenth,
            {"id": "g", "order_id": "g", "vendor_id": "'1'", "tracking": "'JD' || lpad(g::text, 18, '0')"},
        )
        insert_series(
            cursor,
            StockLevel,
            f"{max(1, n // 100)}",
            {
                "id": "g",
                "connection_id": str(partner.pk),
                "sku": "'SKU-' || lpad(g::text, 5, '0')",
                "quantity_available": "g % 50",
            },
        )
    with connection.cursor() as cursor:
        # After the commit: the deferred foreign-key checks must have run before an index is built.
        for name, table, column in trigram_indexes():
            cursor.execute(f'CREATE INDEX "{name}" ON "{table}" USING gin (UPPER("{column}"::text) gin_trgm_ops)')
        for table in TABLES:
            cursor.execute(f'ANALYZE "{table}"')
    return {"shop": shop, "partner": partner}, time.monotonic() - started


def searches(n: int) -> list[tuple[str, str, str, str]]:
    """(what, query, the group that must hold the row, the row's title) for size n."""
    import hashlib

    third = n // 6 + 1  # a fulfilment order in the middle
    tracking = "1Z" + hashlib.md5(str(third).encode(), usedforsecurity=False).hexdigest()[:16].upper()
    store = n // 4 + 1
    design = n // 3 + 1
    sku = (n // 200) % 4999 + 1  # a stock level's, and the SKU of one design in 5000
    return [
        ("tracking number", tracking, "Fulfilment orders", f"BO-{third:07d}"),
        ("store order name", f"#{100000 + store}", "Store orders", f"#{100000 + store}"),
        ("customer name fragment", "lovela", "Fulfilment orders", ""),
        ("personalised text", f"birthday {FIRST[(2 * design) % len(FIRST)]} {design}", "Customizations", ""),
        ("SKU", f"SKU-{sku:05d}", "Stock levels", f"SKU-{sku:05d}"),
    ]


def measure(n: int, repeat: int) -> dict[str, tuple[float, int, str]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from operations.search import search

    user = get_user_model()(username="bench-search", is_superuser=True, is_staff=True, is_active=True)

    def url_for(name, obj):
        return reverse(name, args=[obj.pk]) if obj is not None else reverse(name)

    out = {}
    for what, query, group_label, title in searches(n):
        search(query, user=user, url_for=url_for)  # warm-up
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            results = search(query, user=user, url_for=url_for)
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            results = search(query, user=user, url_for=url_for)
        group = next((g for g in results.groups if g.label == group_label), None)
        if group is None or (title and title not in [row.title for row in group.rows]):
            raise SystemExit(f"{what} {query!r} at {n}: {group_label} {title!r} not found")
        found = ", ".join(f"{g.label} {g.count_text}" for g in results.groups)
        out[what] = (statistics.median(times), len(queries), found)
    return out


def main() -> None:
    args = parse_args()
    setup(args)
    from django.db import connection

    by_size = {}
    for n in args.sizes:
        _, seconds = fill(n)
        print(f"filled {n:,} customizations in {seconds:.0f} s", flush=True)
        by_size[n] = measure(n, args.repeat)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    small, large = min(args.sizes), max(args.sizes)
    print(
        f"\ncode {code_version()} · PostgreSQL {server} · {os.cpu_count()} cores · "
        f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())} · median of {args.repeat}\n"
    )
    print(f"| search | ms at {small:,} | ms at {large:,} | ratio | queries | found at {large:,} |")
    print("|---|---|---|---|---|---|")
    for what in by_size[small]:
        ms_small, queries, _ = by_size[small][what]
        ms_large, queries_large, found = by_size[large][what]
        queries_text = str(queries) if queries == queries_large else f"{queries} / {queries_large}"
        print(f"| {what} | {ms_small:.1f} | {ms_large:.1f} | {ms_large / ms_small:.1f} | {queries_text} | {found} |")


if __name__ == "__main__":
    main()
