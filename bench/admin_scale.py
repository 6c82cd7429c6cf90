"""Every admin screen of issue 13 at scale: ms per screen at a small and a large database, and their ratio.

    .venv/bin/python bench/admin_scale.py [--sizes 1000,1000000] [--repeat 5] [--fill] [--only TEXT]
        [--database-url URL]

One database per size (the URL's name plus `_<size>`, default postgres://postgres@127.0.0.1:5432/
bo_bench_lists_1000 and ..._1000000), created if missing and migrated; `--fill` (or a database
without a whole fill for that size) fills it with bench/scale_fill.py (server-side
generate_series, trigram indexes rebuilt after, then VACUUM ANALYZE; its docstring gives the
rows). Without --fill a filled database is reused (its schema is migrated first), so the code
before and after a change can be measured against the same rows.

A superuser (force_login, Django's test Client) opens every screen of SCREENS: the admin lists
(plain, filtered, deep page, the list searches), the review queue and the review screen of a
design R/4 into the queue, the header search (/admin/search/) for each kind of term, and the
home dashboard (/admin/) at 30 and 90 days with its chart cache off (every render runs every
chart query) and on. For each screen the sizes are measured back to back in this one process
(the cache cleared, one warm-up, then --repeat renders each), and it prints the median ms at
each size, the ratio of the largest to the smallest, the same for the time spent in SQL alone
(the part that grows with the table; the rest is Python rendering the same page), the SQL
queries per render at each size, then the load average and the code version. Times are
printed, never asserted; it exits 1 if a page is not 200 or lacks its text (for a search: the
link to the row built to be found).

Adding a screen is one line in SCREENS: (name, URL, text the page must contain[, settings]);
`{name}` in the URL or the text is one of targets()'s values for that size (`{deep}`: page 500,
or the last page where there are fewer).
The shell's DATABASE_URL is ignored on purpose: pass --database-url or set BENCH_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

from benchlib import code_version, database_create

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bo_bench_lists"
ADMIN = "bench-admin"
PER_PAGE = 50  # the customization list's page
UNCACHED = {"DASHBOARD_CHART_CACHE_SECONDS": 0}  # every render runs every chart's queries
CACHED = {"DASHBOARD_CHART_CACHE_SECONDS": 300}
SCREENS = [  # (name, URL, a text the page must show[, settings for this screen]); {names}: see targets()
    ("customizations", "/admin/orders/customization/", "customizations"),
    ("customizations, status filter", "/admin/orders/customization/?status__exact=in_production", "customizations"),
    ("customizations, vendor filter", "/admin/orders/customization/?vendor=qstomizer", "customizations"),
    ("customizations, deep page", "/admin/orders/customization/?p={deep}", "customizations"),
    ("customizations, search vendor id", "/admin/orders/customization/?q={vendor_id}", "{vendor_id_row}"),
    ("customizations, search store order name", "/admin/orders/customization/?q={store}", "{store_line_row}"),
    ("review queue", "/admin/orders/reviewitem/", "awaiting a decision"),
    ("review screen, a design R/4 into the queue", "{queued_url}", "{queued_vendor_id}"),
    ("fulfilment orders", "/admin/fulfilment/fulfilmentorder/", "fulfilment orders"),
    ("fulfilment orders, state filter", "/admin/fulfilment/fulfilmentorder/?state__exact=sent", "fulfilment orders"),
    ("fulfilment orders, search reference", "/admin/fulfilment/fulfilmentorder/?q={reference}", "{reference_row}"),
    ("pushed orders", "/admin/fulfilment/pushedorder/", "pushed orders"),
    ("shipments", "/admin/fulfilment/shipment/", "shipments"),
    ("stock levels", "/admin/fulfilment/stocklevel/", "stock levels"),
    ("sync runs", "/admin/orders/syncrun/", "sync runs"),
    ("incoming requests", "/admin/fulfilment/incomingrequest/", "incoming requests"),
    ("review decisions", "/admin/orders/reviewdecision/", "review decisions"),
    ("store orders", "/admin/orders/storeorder/", "store orders"),
    ("header search, tracking number", "/admin/search/?q={tracking}", "{reference_row}"),
    ("header search, store order name", "/admin/search/?q={store}", "{store_row}"),
    ("header search, customer name fragment", "/admin/search/?q={customer}", "Lovelace"),
    ("header search, personalised text", "/admin/search/?q={text}", "{text_row}"),
    ("header search, SKU", "/admin/search/?q={sku}", "{sku_row}"),
    ("dashboard, 30 days, charts uncached", "/admin/?days=30", "Needs attention now", UNCACHED),
    ("dashboard, 90 days, charts uncached", "/admin/?days=90", "Needs attention now", UNCACHED),
    ("dashboard, 90 days, charts cached", "/admin/?days=90", "Needs attention now", CACHED),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,1000000", help="customizations per database (default 1000,1000000)")
    parser.add_argument("--repeat", type=int, default=5, help="renders per screen and size (default 5)")
    parser.add_argument("--fill", action="store_true", help="empty and fill every database, even a filled one")
    parser.add_argument("--only", default="", help="measure only the screens whose name contains this")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"PostgreSQL URL, the size is appended to its name (default {DEFAULT_DATABASE_URL})",
    )
    args = parser.parse_args()
    try:
        args.sizes = sorted(int(n) for n in args.sizes.split(",") if n.strip())
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas")
    if not args.sizes or min(args.sizes) < 100 or max(args.sizes) > 5_000_000 or args.repeat < 1:
        parser.error("every size must be between 100 and 5,000,000 and --repeat at least 1")
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL")
    return args


def url_for(base: str, size: int) -> str:
    return f"{base}_{size}"


def use(url: str) -> None:
    """Point Django's default connection at `url` (closing the current one)."""
    import environ
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict.update(
        {
            key: value
            for key, value in environ.Env.db_url_config(url).items()
            if key in ("NAME", "USER", "HOST", "PORT", "PASSWORD")
        }
    )


def prepare(args: argparse.Namespace) -> None:
    import scale_fill
    from django.core.management import call_command
    from django.db import connection

    for size in args.sizes:
        url = url_for(args.database_url, size)
        database_create(url)
        use(url)
        call_command("migrate", verbosity=0)
        if args.fill or not scale_fill.filled(size):
            started = time.perf_counter()
            ids = scale_fill.fill(size)
            print(
                f"filled {size:,} customizations in {time.perf_counter() - started:.0f} s "
                f"(review flags the app's definition changed after the fill: {ids['flag_changed']})",
                flush=True,
            )
        else:
            with connection.cursor() as cursor:
                scale_fill.trigram_indexes_restore(cursor)  # those an interrupted fill dropped
                cursor.execute("ANALYZE")


def admin_user():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username=ADMIN, defaults={"is_staff": True, "is_superuser": True, "email": "bench@example.com"}
    )
    return user


def targets(size: int) -> dict[str, str]:
    """What the URLs and texts of SCREENS name, for the database of `size` (the current one): the
    search terms of scale_fill.targets, the change-page path of the row each is built to find
    (`..._row`: a result links to it), the deep page, and a design R/4 into the review queue."""
    import scale_fill
    from django.urls import reverse

    from fulfilment.models import FulfilmentOrder, StockLevel
    from orders.models import Customization, OrderLine, StoreOrder
    from orders.selectors import review_queue

    def change(model, pk) -> str:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])

    terms = scale_fill.targets(size)
    design = Customization.objects.get(external_id=terms["vendor_id"])
    store = StoreOrder.objects.get(name=terms["store"])
    line = OrderLine.objects.filter(store_order=store).order_by("pk").first()
    queued = review_queue()[size // 4]
    return {
        **terms,
        "deep": str(min(500, max(1, size // PER_PAGE))),
        "vendor_id_row": change(Customization, design.pk),
        "text_row": change(Customization, design.pk),
        "store_row": change(StoreOrder, store.pk),
        "store_line_row": change(Customization, line.customization_id),
        "reference_row": change(FulfilmentOrder, FulfilmentOrder.objects.get(external_ref=terms["reference"]).pk),
        "sku_row": change(StockLevel, StockLevel.objects.get(sku=terms["sku"]).pk),
        "queued_url": reverse("admin:orders_reviewitem_review", args=[queued.pk]),
        "queued_vendor_id": queued.external_id,
    }


def render(client, url: str, expected: str, repeat: int, overrides: dict) -> tuple[float, float, int]:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    with override_settings(**overrides):
        cache.clear()  # the warm-up starts cold (and fills the chart cache where it is on)
        response = client.get(url)  # warm-up
        if response.status_code != 200 or expected.encode() not in response.content:
            raise SystemExit(f"{url}: HTTP {response.status_code}, {expected!r} not on the page")
        times, sql = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            sql.append(sum(float(query["time"]) for query in queries.captured_queries) * 1000)
    return statistics.median(times), statistics.median(sql), len(queries)


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(BASE_DIR))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": url_for(args.database_url, args.sizes[0]),
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DB_POOL": "false",  # one plain connection, re-pointed at each size's database by use()
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        }
    )
    import django

    django.setup()
    from django.test import Client

    prepare(args)
    clients, values = {}, {}
    for size in args.sizes:
        use(url_for(args.database_url, size))
        clients[size] = Client()
        clients[size].force_login(admin_user())
        values[size] = targets(size)
    small, large = args.sizes[0], args.sizes[-1]
    header = " | ".join(f"ms at {s:,}" for s in args.sizes)
    sql_header = " | ".join(f"SQL ms at {s:,}" for s in args.sizes)
    print(f"| screen | {header} | ratio {large:,}/{small:,} | {sql_header} | SQL ratio | queries |", flush=True)
    for name, url, expected, *overrides in SCREENS:
        if args.only and args.only not in name:
            continue
        medians, sql, counts = {}, {}, {}
        for size in args.sizes:
            use(url_for(args.database_url, size))
            quoted = {key: quote(value) for key, value in values[size].items()}
            medians[size], sql[size], counts[size] = render(
                clients[size], url.format(**quoted), expected.format(**values[size]), args.repeat, *overrides or [{}]
            )
        cells = " | ".join(f"{medians[s]:.0f}" for s in args.sizes)
        sql_cells = " | ".join(f"{sql[s]:.1f}" for s in args.sizes)
        queries = "/".join(str(counts[s]) for s in args.sizes)
        ratio, sql_ratio = medians[large] / medians[small], sql[large] / max(sql[small], 0.01)
        print(f"| {name} | {cells} | {ratio:.2f}x | {sql_cells} | {sql_ratio:.2f}x | {queries} |", flush=True)
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; code {code_version()}")


if __name__ == "__main__":
    main()
