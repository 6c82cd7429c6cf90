"""Home dashboard: render time and SQL queries at a small and a large database, and their ratio.

    .venv/bin/python bench/dashboard_scale.py [--rows 1000 1000000] [--repeat 5] [--database-url URL]

For each --rows value R (default 1,000 and 1,000,000 customizations) it empties the tables and
fills them with server-side generate_series INSERTs (seconds, not hours): R customizations over
two years from three sources (0.2% awaiting review, the rest decided two hours after they were
made, 1% flagged), R/2
store orders with R order lines, R/2 fulfilment orders to three partners (one item each, most
sent, shipped, some queried, failed, held or late) with three or four status events each, sync
runs and stock levels; then VACUUM ANALYZE (what autovacuum does soon after a load). A Manager (force_login, Django's test Client) opens the
dashboard (/admin/, 30 and 90 days) `--repeat` times after a warm-up, with the chart cache off
(DASHBOARD_CHART_CACHE_SECONDS=0: every render runs every query) and once more with it on.

It prints, per size: the median and worst ms per render (30 and 90 days), the SQL queries per
render, the load time; then the ratio of the large to the small median, the load average and
the code version. Times are printed, never asserted.

The database defaults to postgres://postgres@127.0.0.1:5432/bo_dash_bench (created if missing,
migrated, its tables truncated before each size). As with the other benches the shell's
DATABASE_URL is ignored on purpose: pass --database-url or set BENCH_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from benchlib import code_version, database_create

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bo_dash_bench"
MANAGER = "bench-manager"
DAYS_SPREAD = 731  # odd, so that every other customization (the ordered ones) still covers every day
TABLES = [
    "fulfilment_statusevent",
    "fulfilment_partnerprintfile",
    "fulfilment_fulfilmentitem",
    "fulfilment_vendororder",
    "fulfilment_fulfilmentorder",
    "fulfilment_stocklevel",
    "orders_orderline",
    "orders_storeorder",
    "orders_reviewdecision",
    "orders_sideartwork",
    "orders_customizationside",
    "orders_customization",
    "orders_syncrun",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 1_000_000], help="customizations per size")
    parser.add_argument("--repeat", type=int, default=5, help="renders per size and window (default 5)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"PostgreSQL URL (default $BENCH_DATABASE_URL or {DEFAULT_DATABASE_URL})",
    )
    args = parser.parse_args()
    if args.repeat < 1 or min(args.rows) < 10 or max(args.rows) > 5_000_000:
        parser.error("--repeat must be at least 1 and every --rows between 10 and 5,000,000")
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
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        }
    )
    database_create(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def insert_series(cursor, table: str, count: int, values: dict[str, str]) -> None:
    """INSERT `count` rows into `table` from generate_series(1, count) AS g: `values` gives SQL
    expressions (of g) for some columns; every other NOT NULL column without a database default
    gets an empty value of its type (Django keeps defaults in Python, not in the schema)."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    )
    empty = {
        "text": "''",
        "character varying": "''",
        "jsonb": "'{}'::jsonb",
        "boolean": "false",
        "integer": "0",
        "bigint": "0",
        "smallint": "0",
        "double precision": "0",
        "timestamp with time zone": "now()",
        "date": "current_date",
        "uuid": "gen_random_uuid()",
    }
    columns = dict(values)
    for name, data_type in cursor.fetchall():
        columns.setdefault(name, empty.get(data_type, "''"))
    names = ", ".join(f'"{name}"' for name in columns)
    expressions = ", ".join(columns.values())
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {expressions} FROM generate_series(1, {count}) AS g")  # noqa: S608


def fill(rows: int) -> dict:
    """Empty the tables and fill them for `rows` customizations; returns the connections' ids."""
    from django.db import connection as db

    from orders.models import VendorConnection

    with db.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")  # noqa: S608
    VendorConnection.objects.filter(name__startswith="bench-").delete()
    sources = [
        VendorConnection.objects.create(
            name=f"bench-shop-{n}",
            kind="qstomizer",
            settings={"shop_domain": f"bench-{n}.myshopify.com"},
            secrets={"api_key": "bench-not-a-key"},
            sync_every_minutes=None,
        ).pk
        for n in range(3)
    ]
    partners = [
        VendorConnection.objects.create(
            name=f"bench-partner-{n}",
            kind="custom_gateway",
            settings={"company": str(9000 + n)},
            secrets={"api_key": "bench-not-a-key"},
            sync_every_minutes=None,
        ).pk
        for n in range(3)
    ]
    src = f"(ARRAY{sources})[1 + g % 3]"
    partner = f"(ARRAY{partners})[1 + g % 3]"
    made = f"now() - ((g % {DAYS_SPREAD}) || ' days')::interval - ((g::bigint * 7919 % 86400) || ' seconds')::interval"
    orders = rows // 2
    with db.cursor() as cursor:
        insert_series(
            cursor,
            "orders_customization",
            rows,
            {
                "connection_id": src,
                "external_id": "'b' || g",
                "status": "'pending'",
                "customized_at": made,
                "decision": "CASE WHEN g % 500 = 0 THEN '' WHEN g % 37 = 0 THEN 'rejected' ELSE 'approved' END",
                "decided_at": f"CASE WHEN g % 500 = 0 THEN NULL ELSE {made} + interval '2 hours' END",
                "has_bad_words": "g % 100 = 0",
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
            "orders_storeorder",
            orders,
            {"connection_id": src, "external_id": "'so' || g", "name": "'#' || (1000 + g)", "ordered_at": made},
        )
        insert_series(
            cursor,
            "orders_orderline",
            rows,
            {"customization_id": "g", "store_order_id": f"1 + (g - 1) % {orders}", "quantity": "1"},
        )
        # Fulfilment order g carries customization 2g - 1 (made at the same time, approved).
        fo_made = f"now() - (((2 * g - 1) % {DAYS_SPREAD}) || ' days')::interval + interval '3 hours'"
        insert_series(
            cursor,
            "fulfilment_fulfilmentorder",
            orders,
            {
                "connection_id": partner,
                "store_order_id": "g",
                "external_ref": "'BO-' || g",
                "state": "CASE WHEN g % 101 = 0 THEN 'failed' WHEN g % 211 = 0 THEN 'draft' ELSE 'sent' END",
                "status": f"CASE WHEN g % 101 = 0 OR g % 211 = 0 THEN '' WHEN g % 53 = 0 THEN 'problem' "
                f"WHEN (2 * g - 1) % {DAYS_SPREAD} > 4 THEN 'shipped' ELSE 'in_production' END",
                "on_hold": "g % 211 = 0",
                "has_error": "g % 53 = 0",
                "sale_datetime": fo_made,
                "required_dispatch_date": f"({fo_made} + interval '3 days')::date",
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
            orders,
            {
                "order_id": "g",
                "customization_id": "2 * g - 1",
                "external_ref": "'L' || g",
                "quantity": "1",
                "live": "true",
            },
        )
        # Status events: accepted, in production, and shipped or a query, for the sent orders.
        for n, (status, hours, condition) in enumerate(
            [
                ("accepted", 2, "true"),
                ("in_production", 20, "true"),
                ("shipped", 40, "o.status = 'shipped'"),
                ("problem", 10, "o.status = 'problem'"),
            ]
        ):
            cursor.execute(  # every value below is one of this script's constants
                "INSERT INTO fulfilment_statusevent (fulfilment_order_id, status, vendor_status_code, "  # noqa: S608
                "vendor_status_name, shipping_tracking, shipping_carrier, shipping_method, extra, received_at, "
                "dedupe_key, effect, effect_note) "
                f"SELECT o.id, '{status}', '', '', '', '', '', '{{}}'::jsonb, "
                f"o.sent_at + interval '{hours} hours' + ((o.id % 30) || ' hours')::interval, "
                f"'{n}-' || o.id, 'apply', '' FROM fulfilment_fulfilmentorder o "
                f"WHERE o.sent_at IS NOT NULL AND {condition}"
            )
        insert_series(
            cursor,
            "orders_syncrun",
            max(rows // 100, 10),
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
            200,
            {
                "connection_id": partner,
                "sku": "'SKU-' || g",
                "quantity_available": "g % 40",
                "low_stock_threshold": "CASE WHEN g % 2 = 0 THEN 10 END",
            },
        )
        # As autovacuum would have by then: statistics, and the visibility map index-only scans need.
        cursor.execute("VACUUM ANALYZE")
    from operations.services.dashboard_totals import rebuild

    rebuild()  # the dashboard's kept daily totals, from the rows just filled
    return {"sources": sources, "partners": partners}


def manager():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _ = get_user_model().objects.get_or_create(username=MANAGER, defaults={"is_staff": True})
    user.groups.set([Group.objects.get(name="Manager")])
    return user


def measure(client, url: str, repeat: int) -> tuple[list[float], int]:
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(db) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200 and b"Needs attention now" in response.content
    return times, len(queries)


def main() -> None:
    args = parse_args()
    setup(args)
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    results = {}
    for rows in args.rows:
        started = time.perf_counter()
        fill(rows)
        load = time.perf_counter() - started
        client = Client()
        client.force_login(manager())
        settings.DASHBOARD_CHART_CACHE_SECONDS = 0
        t30, q30 = measure(client, "/admin/?days=30", args.repeat)
        t90, q90 = measure(client, "/admin/?days=90", args.repeat)
        settings.DASHBOARD_CHART_CACHE_SECONDS = 300
        cache.clear()
        cached, _ = measure(client, "/admin/?days=90", args.repeat)
        results[rows] = statistics.median(t90)
        print(
            f"{rows:>9,} customizations (loaded in {load:.0f} s): "
            f"30 days median {statistics.median(t30):.0f} ms (max {max(t30):.0f}), {q30} queries; "
            f"90 days median {statistics.median(t90):.0f} ms (max {max(t90):.0f}), {q90} queries; "
            f"90 days with the chart cache {statistics.median(cached):.0f} ms",
            flush=True,
        )
    small, large = min(results), max(results)
    if small != large:
        print(f"ratio {large:,} / {small:,} rows (90 days, uncached): {results[large] / results[small]:.1f}x")
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; code {code_version()}")


if __name__ == "__main__":
    main()
