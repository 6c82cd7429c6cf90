"""Review screen: render time and SQL queries per render, as a design grows.

    .venv/bin/python bench/review_screen.py [--sides 3] [--nodes 5,20,80] [--repeat 200] [--database-url URL]

For each node count (text nodes per side; default 5, 20 and 80) it builds one customization
awaiting review with `--sides` sides of that many text nodes, about one text in four holding a
word of the bad-words list (screened, so the screen highlights them), a print file per side, an
order line and two past decisions (a rejection and its undo). A Reviewer (force_login, through
Django's test Client) then fetches its review screen `--repeat` times, after a few warm-up
requests, both as a full page (opening the screen) and as the htmx panel (what every a, r, j
and k swaps in). It prints the median and p95 time per request in ms, and the SQL queries per
request (`CaptureQueriesContext`: session, user and permissions included).

The query count must not grow with the number of nodes (the screen reads through
`review_detail`, which prefetches): the script exits non-zero when it differs between node
counts, or between requests of one size, or when a page does not show what was built. Times
are printed, never asserted.

The database defaults to postgres://postgres@127.0.0.1:5432/backoffice_bench_review (created
if missing, migrated; the previous run's "bench-review" data is deleted first). As with
bench/sync_qstomizer.py, the shell's plain DATABASE_URL is ignored on purpose, so a benchmark
never writes into a development database: pass --database-url or set BENCH_DATABASE_URL.
Settings: config.settings.local with DEBUG off, as in production.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from benchlib import code_version, database_create

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/backoffice_bench_review"
CONNECTION_NAME = "bench-review"
REVIEWER = "bench-reviewer"
BAD_WORDS = ["frack", "gorram", "smeg"]  # made up: no real profanity committed
WARM_UP = 5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sides", type=int, default=3, help="sides per customization (default 3)")
    parser.add_argument(
        "--nodes", default="5,20,80", help="text nodes per side, one or more, comma-separated (default 5,20,80)"
    )
    parser.add_argument("--repeat", type=int, default=200, help="requests per size and kind (default 200)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"PostgreSQL URL (default $BENCH_DATABASE_URL or {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--show-sql", action="store_true", help="print the queries of one panel request")
    args = parser.parse_args()
    try:
        args.nodes = sorted({int(n) for n in args.nodes.split(",") if n.strip()})
    except ValueError:
        parser.error("--nodes takes whole numbers separated by commas, e.g. 5,20,80")
    if args.sides < 1 or args.repeat < 1 or not args.nodes or min(args.nodes) < 1:
        parser.error("--sides, --repeat and every --nodes value must be at least 1")
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


def bench_reset():
    """Delete the previous run's data; return a fresh connection and the Reviewer."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from orders.models import BadWordList, Customization, StoreOrder, VendorConnection

    old = VendorConnection.objects.filter(name=CONNECTION_NAME)
    Customization.objects.filter(connection__in=old).delete()  # sides, nodes, lines, decisions, artwork
    StoreOrder.objects.filter(connection__in=old).delete()
    old.delete()
    connection = VendorConnection.objects.create(
        name=CONNECTION_NAME,
        kind="qstomizer",
        settings={"shop_domain": "bench-review.myshopify.com"},
        secrets={"api_key": "bench-review-not-a-key"},
        sync_every_minutes=None,
    )
    word_list = BadWordList.current()
    word_list.words, word_list.is_active = BAD_WORDS, True
    word_list.version += 1
    word_list.save()
    reviewer, _ = get_user_model().objects.get_or_create(username=REVIEWER, defaults={"is_staff": True})
    reviewer.groups.set([Group.objects.get(name="Reviewer")])
    return connection, reviewer


def design_build(connection, reviewer, *, sides: int, nodes: int, index: int):
    """One customization awaiting review: `sides` sides of `nodes` texts each, and the rest."""
    from django.utils import timezone

    from orders.models import (
        Customization,
        CustomizationSide,
        DesignNode,
        OrderLine,
        ReviewDecision,
        SideArtwork,
        StoreOrder,
    )
    from orders.services.bad_words import customizations_screen

    now = timezone.now()
    customization = Customization.objects.create(
        connection=connection,
        external_id=f"bench-{nodes}",
        status=Customization.Status.ARTWORK_APPROVAL_PENDING,
        vendor_status="6",
        customized_at=now - timedelta(days=1, minutes=index),
        product_title="Classic T-Shirt",
        variant_title="Black / L",
        sku="TS-BLK-L",
        price="24.00",
        user_notes="Please make the name bigger.",
    )
    for s in range(sides):
        side = CustomizationSide.objects.create(
            customization=customization,
            external_id=f"{nodes}-{s}",
            position=s,
            name=["Front", "Back", "Left sleeve", "Right sleeve"][s % 4],
            preview_url=f"https://cdn.example.com/bench/{nodes}/{s}/preview.png",
            design_url=f"https://cdn.example.com/bench/{nodes}/{s}/design.png",
        )
        DesignNode.objects.bulk_create(
            DesignNode(
                side=side,
                position=n,
                node_id=f"text-{n}",
                kind=DesignNode.Kind.TEXT,
                label=f"Line {n + 1}",
                text=f"Happy {BAD_WORDS[n % len(BAD_WORDS)]} birthday {n}" if n % 4 == 1 else f"Happy birthday {n}",
                font_family="Roboto",
                font_size=24,
                fill="#222222",
            )
            for n in range(nodes)
        )
        SideArtwork.objects.create(
            side=side, state=SideArtwork.State.READY, width=4500, height=5400, size_bytes=2_400_000, sha256="0" * 64
        )
    order = StoreOrder.objects.create(connection=connection, external_id=f"bench-{nodes}", name=f"#B{nodes}")
    OrderLine.objects.create(customization=customization, store_order=order, quantity=2)
    ReviewDecision.objects.create(
        customization=customization,
        action=ReviewDecision.Action.REJECT,
        reason="Spelling or layout problem",
        user=reviewer,
        at=now - timedelta(hours=2),
    )
    ReviewDecision.objects.create(
        customization=customization,
        action=ReviewDecision.Action.UNDO,
        previous=Customization.Decision.REJECTED,
        user=reviewer,
        at=now - timedelta(hours=1),
    )
    customizations_screen(ids=[customization.pk])
    customization.refresh_from_db()
    return customization


@dataclass
class Measure:
    kind: str
    nodes: int
    times_ms: list[float]
    queries: set[int]
    last_sql: list[str]

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(client, url: str, *, kind: str, nodes: int, repeat: int, expected_nodes: int) -> tuple[Measure, list[str]]:
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    headers = {"HX-Request": "true"} if kind == "htmx panel" else {}
    problems: list[str] = []
    for _ in range(WARM_UP):
        response = client.get(url, headers=headers)
    html = response.content.decode()
    if response.status_code != 200:
        problems.append(f"{kind}, {nodes} nodes: HTTP {response.status_code}")
    shown = html.count('class="node node-kind-text"')
    if shown != expected_nodes:
        problems.append(f"{kind}, {nodes} nodes: {shown} text rows shown, {expected_nodes} built")
    if 'class="bad-word"' not in html:
        problems.append(f"{kind}, {nodes} nodes: no bad word highlighted")
    if 'id="approve-button"' not in html:
        problems.append(f"{kind}, {nodes} nodes: the Reviewer is offered no Approve button")
    times, counts, sql = [], set(), []
    for _ in range(repeat):
        with CaptureQueriesContext(db) as queries:
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            response.content  # noqa: B018 (rendered by now; touched so nothing is left lazy)
            times.append((time.perf_counter() - started) * 1000)
        counts.add(len(queries.captured_queries))
        sql = [q["sql"] for q in queries.captured_queries]
    return Measure(kind=kind, nodes=nodes, times_ms=times, queries=counts, last_sql=sql), problems


def main() -> int:
    args = parse_args()
    setup(args)

    from django.db import connection as db
    from django.test import Client
    from django.urls import reverse

    connection, reviewer = bench_reset()
    designs = {
        nodes: design_build(connection, reviewer, sides=args.sides, nodes=nodes, index=i)
        for i, nodes in enumerate(args.nodes)
    }
    client = Client(SERVER_NAME="localhost")
    client.force_login(reviewer)

    results: list[Measure] = []
    problems: list[str] = []
    load_before = os.getloadavg()[0]
    for nodes, customization in designs.items():
        url = reverse("admin:orders_reviewitem_review", args=[customization.pk])
        for kind in ("full page", "htmx panel"):
            print(f"… {kind}, {args.sides} sides × {nodes} nodes", file=sys.stderr, flush=True)
            result, found = measure(
                client, url, kind=kind, nodes=nodes, repeat=args.repeat, expected_nodes=args.sides * nodes
            )
            results.append(result)
            problems += found

    for kind in ("full page", "htmx panel"):
        of_kind = [r for r in results if r.kind == kind]
        for r in of_kind:
            if len(r.queries) != 1:
                problems.append(
                    f"{kind}, {r.nodes} nodes: the query count varied between requests: {sorted(r.queries)}"
                )
        counts = {r.nodes: max(r.queries) for r in of_kind}
        if len(set(counts.values())) > 1:
            problems.append(f"{kind}: SQL queries per request grow with nodes: {counts}")

    pg = db.pg_version
    print()
    print(
        f"Review screen benchmark: {args.sides} sides, {args.repeat} requests per row after {WARM_UP} warm-up, "
        f"PostgreSQL {pg // 10000}.{pg % 10000}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print(
        f"Code: {code_version()}, run at {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print()
    header = f"{'request':<11} {'nodes/side':>10} {'nodes':>6} {'flagged':>8} {'median':>9} {'p95':>9} {'SQL':>5}"
    print(header)
    print("-" * len(header))
    for r in results:
        customization = designs[r.nodes]
        flagged = sum(1 for n in range(r.nodes) if n % 4 == 1) * args.sides
        queries = "/".join(str(q) for q in sorted(r.queries))
        print(
            f"{r.kind:<11} {r.nodes:>10} {r.nodes * args.sides:>6} {flagged:>8} {r.median:>6.1f} ms "
            f"{r.p95:>6.1f} ms {queries:>5}"
        )
        if not customization.has_bad_words:
            problems.append(f"{r.nodes} nodes: the customization was not flagged by the bad-words screen")
    if args.show_sql:
        print()
        print(f"SQL of one htmx panel request ({args.nodes[-1]} nodes per side):")
        for sql in next(r for r in reversed(results) if r.kind == "htmx panel").last_sql:
            print(f"  {sql[:160]}")
    print()
    if problems:
        print("Correctness: FAILED")
        for problem in problems:
            print(f"  ! {problem}")
        return 1
    print("Correctness: the query count is the same for every node count -> OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
