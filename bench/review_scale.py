"""Review queue, review screen and list searches: time per request at 1k and at 1M
customizations, as a ratio, with the code before this change measured beside it in the same run.

    .venv/bin/python bench/review_scale.py [--sizes 1000,1000000] [--repeat 10] [--database-url URL]

The rows are those of bench/search_scale.py (server-side generate_series: N customizations with
a side, two text nodes and an order line each, N/2 store orders, N/2 fulfilment orders with
items, a partner order and a status event...), then made a review workload like the issue's:
every customization's vendor status "artwork approval pending" and one in four approved, so the
queue holds 3/4 of the table (750k at 1M); the flag is set by the data migration's own function
(`orders/0014_review_queue_flag.flag_set`, timed), then ANALYZE.

Measured as a superuser through Django's test Client (the whole page: session, permissions,
template), `--repeat` times after a warm-up, the median:
- the review queue (`/admin/orders/reviewitem/`), and the review screen of a design a third of
  the way into the queue (full page);
- the customization list searched by vendor id and by store order name, the fulfilment order
  list searched by reference.
And the same work through the code this change replaced, in the same process ("before"): the
queue's old condition, counts and neighbours (copied here from orders/selectors.py as it was),
and Django's own ModelAdmin.get_search_results; these are the selector/queryset part only (first
page of rows and the count), so compare them with the "after" selector figures beside them.
Times are printed, never asserted; it exits 1 if a page does not find the row it was built to.

The database defaults to postgres://postgres@127.0.0.1:5432/bo_bench_review (created if missing,
migrated; the shell's DATABASE_URL is ignored on purpose).
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time

import search_scale
from benchlib import code_version

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bo_bench_review"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,1000000")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    args = parser.parse_args()
    args.sizes = [int(n) for n in args.sizes.split(",") if n.strip()]
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL")
    return args


def review_workload() -> float:
    from django.apps import apps
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orders_customization SET status = 'artwork_approval_pending', "
            "decision = CASE WHEN id % 4 = 0 THEN 'approved' ELSE '' END, awaiting_review = false"
        )
    importlib.import_module("orders.migrations.0014_review_queue_flag").flag_set(apps, None)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_customization")
    return time.monotonic() - started


# -- the code before this change (orders/selectors.py at 20dd5a8), for the "before" column ----


def old_queue():
    from django.db.models import Q

    from orders.models import Customization
    from orders.selectors import REVIEW_REASONS

    condition = Q()
    for _, (_, reason_q) in REVIEW_REASONS.items():
        condition |= reason_q
    return (
        Customization.objects.filter(condition, decision=Customization.Decision.UNDECIDED)
        .select_related("connection")
        .order_by("customized_at", "pk")
    )


def old_counts():
    from django.db.models import Count

    from orders.models import Customization
    from orders.selectors import REVIEW_REASONS

    undecided = Customization.objects.filter(decision=Customization.Decision.UNDECIDED)
    counts = undecided.aggregate(**{key: Count("pk", filter=q) for key, (_, q) in REVIEW_REASONS.items()})
    counts["total"] = old_queue().count()
    return counts


def old_neighbours(customization):
    from django.db.models import Q

    queue = old_queue()
    key = (customization.customized_at, customization.pk)
    before = queue.filter(Q(customized_at__lt=key[0]) | Q(customized_at=key[0], pk__lt=key[1]))
    after = queue.filter(Q(customized_at__gt=key[0]) | Q(customized_at=key[0], pk__gt=key[1]))
    previous = before.order_by("-customized_at", "-pk").values_list("pk", flat=True).first()
    following = after.values_list("pk", flat=True).first()
    return previous, following, before.count() + 1


def timed(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(n: int, repeat: int) -> dict[str, tuple[float, int]]:
    from django.contrib import admin
    from django.contrib.admin import ModelAdmin
    from django.contrib.auth import get_user_model
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection, reset_queries
    from django.test import Client, RequestFactory
    from django.urls import reverse

    from fulfilment.models import FulfilmentOrder
    from orders.models import Customization
    from orders.selectors import review_counts, review_neighbours, review_queue

    # One connection for the whole run, as within a test: the per-request close would reset the
    # captured queries and add a connect to every request.
    request_finished.disconnect(close_old_connections)
    request_started.disconnect(reset_queries)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-review", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    queue_ids = list(review_queue().values_list("pk", flat=True)[: max(1, n // 4) + 1])
    middle = Customization.objects.select_related("connection").get(pk=queue_ids[-1])
    vendor_id = f"{1000000 + n // 3 + 1}"
    store = f"#{100000 + n // 4 + 1}"
    reference = f"BO-{n // 6 + 1:07d}"

    pages = [
        ("review queue", reverse("admin:orders_reviewitem_changelist"), {}, "awaiting a decision"),
        ("review screen", reverse("admin:orders_reviewitem_review", args=[middle.pk]), {}, middle.external_id),
        (
            "customizations: search vendor id",
            reverse("admin:orders_customization_changelist"),
            {"q": vendor_id},
            vendor_id,
        ),
        ("customizations: search store order", reverse("admin:orders_customization_changelist"), {"q": store}, store),
        (
            "fulfilment: search reference",
            reverse("admin:fulfilment_fulfilmentorder_changelist"),
            {"q": reference},
            reference,
        ),
    ]
    out: dict[str, tuple[float, int]] = {}
    for what, url, params, expect in pages:
        response = client.get(url, params)
        if response.status_code != 200 or expect not in response.content.decode():
            raise SystemExit(f"{what} at {n}: {response.status_code}, {expect!r} not on the page")
        statements = []
        with connection.execute_wrapper(
            lambda execute, sql, *rest, log=statements: (log.append(sql), execute(sql, *rest))[1]
        ):
            client.get(url, params)
        out[what] = (timed(lambda url=url, params=params: client.get(url, params), repeat), len(statements))

    # Selector / queryset level, before and after, same process.
    request = RequestFactory().get("/")
    request.user = user

    def queue_after():
        list(review_queue()[:50]), review_counts()

    def queue_before():
        list(old_queue()[:50]), old_counts()

    def screen_after():
        review_neighbours(middle), review_counts()

    def screen_before():
        old_neighbours(middle), old_counts()

    def search(model, term, default):
        model_admin = admin.site._registry[model]

        def run():
            get = ModelAdmin.get_search_results if default else model_admin.get_search_results
            queryset, duplicates = (
                get(model_admin, request, model.objects.all(), term)
                if default
                else get(request, model.objects.all(), term)
            )
            if duplicates:
                queryset = queryset.distinct()
            rows = list(queryset.order_by("-pk").values_list("pk", flat=True)[:50])
            queryset.count()
            return rows

        return run

    parts = [
        ("queue (rows + counts)", queue_before, queue_after),
        ("screen (neighbours + counts)", screen_before, screen_after),
        ("search vendor id", search(Customization, vendor_id, True), search(Customization, vendor_id, False)),
        ("search store order", search(Customization, store, True), search(Customization, store, False)),
        ("search fulfilment ref", search(FulfilmentOrder, reference, True), search(FulfilmentOrder, reference, False)),
    ]
    for what, before, after in parts:
        out[f"{what}: before"] = (timed(before, repeat), 0)
        out[f"{what}: after"] = (timed(after, repeat), 0)
    return out


def main() -> None:
    args = parse_args()
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    search_scale.setup(args)
    from django.db import connection

    by_size = {}
    for n in args.sizes:
        _, seconds = search_scale.fill(n)
        flag_seconds = review_workload()
        print(
            f"filled {n:,} customizations in {seconds:.0f} s; review workload + flag_set {flag_seconds:.1f} s",
            flush=True,
        )
        by_size[n] = measure(n, args.repeat)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    small, large = min(args.sizes), max(args.sizes)
    print(
        f"\ncode {code_version()} · PostgreSQL {server} · {os.cpu_count()} cores · "
        f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())} · median of {args.repeat}\n"
    )
    print(f"| screen | ms at {small:,} | ms at {large:,} | ratio | queries |")
    print("|---|---|---|---|---|")
    for what, (ms_small, queries) in by_size[small].items():
        ms_large, queries_large = by_size[large][what]
        q = "" if not queries else (str(queries) if queries == queries_large else f"{queries} / {queries_large}")
        print(f"| {what} | {ms_small:.1f} | {ms_large:.1f} | {ms_large / ms_small:.2f} | {q} |")


if __name__ == "__main__":
    sys.exit(main())
