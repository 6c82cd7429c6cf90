"""Sync throughput: a full Qstomizer sync from the built-in sandbox, over real HTTP, into PostgreSQL.

    .venv/bin/python bench/sync_qstomizer.py [--size 5000] [--concurrency 8] [--database-url URL]

One run measures, in this order:

1. a full first sync (`customizations_sync`, everything since the epoch) into an emptied bench
   connection: customizations per second, HTTP requests against the minimum possible, SQL
   queries, CPU of both processes;
2. a bare fetch of the same range with the same client and the same concurrency and no database
   (`iter_windows` plus every detail through a ThreadPoolExecutor, results discarded): the
   floor the sync could reach, as far as HTTP and the sandbox are concerned;
3. a second sync with the default window (the last sync less the connection's look-back), as
   the schedule would run it, with nothing changed;
4. a full re-sync (since the epoch again) with nothing changed: the compare-before-write path.

It checks the outcome too: as many Customization rows as the sandbox has items, nothing
created or updated by the re-syncs, no failed customization. It exits non-zero otherwise.
Times are printed, never asserted.

The sandbox is served from a subprocess, not by a WSGI server in a thread of this process:
in-process serving would compete with the sync for the GIL and charge the simulator's own JSON
work to the sync. In a subprocess the vendor costs the sync what a vendor costs it, wall time on
the wire. (On a 2-core machine the server, PostgreSQL and this process still share the CPUs; the
CPU seconds printed show who used them.) The subprocess is `bench/sandbox_server.py` by default:
Django's runserver machinery with TCP_NODELAY, because plain `runserver` stalls about 40 ms on
every kept-alive request (Nagle against delayed ACK; see that file). `--server runserver` runs
plain `manage.py runserver --noreload` instead, to see that stall.

The database defaults to postgres://postgres@127.0.0.1:5432/backoffice_bench (created if
missing, migrated, and the "bench" connection's data deleted before the run). The plain
DATABASE_URL of your shell is deliberately ignored, so a benchmark never writes into your
development database by accident: pass --database-url or set BENCH_DATABASE_URL instead.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests
from benchlib import ServerProcess, code_version, database_create

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/backoffice_bench"
CONNECTION_NAME = "bench"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=5000, help="customizations in the sandbox (default 5000)")
    parser.add_argument("--concurrency", type=int, default=8, help="detail calls at once (default 8)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"PostgreSQL URL (default $BENCH_DATABASE_URL or {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument(
        "--recreate-database",
        action="store_true",
        help="drop and create the database first (for when migrations were rewritten); its name must end in _bench",
    )
    parser.add_argument(
        "--server",
        choices=["nodelay", "runserver"],
        default="nodelay",
        help="nodelay: bench/sandbox_server.py (default); runserver: plain manage.py runserver, ~40 ms/request",
    )
    parser.add_argument(
        "--memory",
        metavar="SMALL,LARGE",
        help="instead of the phases above: peak RSS of a first sync of SMALL and of LARGE customizations "
        "(e.g. 2000,20000), each in a fresh child process, and their ratio",
    )
    parser.add_argument("--sync-only", action="store_true", help=argparse.SUPPRESS)  # one child of --memory
    args = parser.parse_args()
    if args.memory:
        try:
            args.memory_sizes = [int(part) for part in args.memory.split(",")]
        except ValueError:
            parser.error("--memory takes two sizes, e.g. 2000,20000")
        if len(args.memory_sizes) != 2 or min(args.memory_sizes) < 1:
            parser.error("--memory takes two sizes, e.g. 2000,20000")
    if args.size < 1 or args.concurrency < 1:
        parser.error("--size and --concurrency must be at least 1")
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL")
    return args


def bench_environment(args: argparse.Namespace) -> dict[str, str]:
    """The settings of both processes, this one and the sandbox server: the same data, the same
    database. DEBUG off, as in production: with DEBUG on Django keeps every query in memory."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "SANDBOX_QSTOMIZER_SIZE": str(args.size),
            "DATABASE_URL": args.database_url,
            "DJANGO_DEBUG": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.setdefault("LOG_LEVEL", "WARNING")  # the server's request log has its own handler
    return env


class SandboxServer(ServerProcess):
    """The sandbox in a subprocess; its logged requests are counted, so requests on the wire,
    retries included, are known."""

    def __init__(self, env: dict[str, str], kind: str):
        if kind == "runserver":
            command = ["manage.py", "runserver", "127.0.0.1:{port}", "--noreload"]
        else:
            command = ["bench/sandbox_server.py", "{port}"]
        super().__init__(command, env)

    def wait_ready(self, api_key: str, shop: str) -> None:
        super().wait_ready(lambda: requests.get(f"{self.origin}/sandbox/qstomizer/", timeout=2).status_code == 200)
        # One list call outside the measurement, so the server builds its dataset now.
        params = {"shop": shop, "date_start": "2000-01-01 00:00:00", "date_end": "2000-01-01 00:00:00", "limit": 1}
        requests.get(
            f"{self.origin}/sandbox/qstomizer/v3/orders", params=params, headers={"x-api-key": api_key}, timeout=120
        ).raise_for_status()

    def api_requests(self) -> int:
        """API calls the server has logged so far (list and detail)."""
        time.sleep(0.2)  # the log line is written just after the response is sent
        return sum(1 for line in self.log_text().splitlines() if "/sandbox/qstomizer/v3/order" in line)


@dataclass
class Phase:
    name: str
    wall: float
    requests: int
    wire: int
    queries: int | None
    cpu_self: float
    cpu_server: float | None
    customizations: int


class QueryCounter:
    """Counts SQL statements on the main thread's connection (the sync writes from that thread
    only; its worker threads do HTTP)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measure(name: str, server: SandboxServer, work, *, customizations: int) -> tuple[Phase, object]:
    from django.db import connection as db

    print(f"… {name}", file=sys.stderr, flush=True)
    counter = QueryCounter()
    wire_before, cpu_server_before, cpu_before = server.api_requests(), server.cpu_seconds(), time.process_time()
    with db.execute_wrapper(counter):
        started = time.perf_counter()
        result, made = work()
        wall = time.perf_counter() - started
    cpu_self = time.process_time() - cpu_before
    cpu_server_after = server.cpu_seconds()
    cpu_server = None if cpu_server_before is None or cpu_server_after is None else cpu_server_after - cpu_server_before
    phase = Phase(
        name=name,
        wall=wall,
        requests=made,
        wire=server.api_requests() - wire_before,
        queries=counter.count,
        cpu_self=cpu_self,
        cpu_server=cpu_server,
        customizations=customizations,
    )
    return phase, result


def bare_fetch(connection, *, start, end, concurrency: int):
    """The same listing and the same details with the same client and concurrency, no database.
    Details are submitted as soon as their window is listed; results are dropped on arrival."""
    from orders.services.connections import connection_client

    client = connection_client(connection)
    seen: set[int] = set()
    errors: list[BaseException] = []

    def done(future):
        if future.exception() is not None:
            errors.append(future.exception())

    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for window in client.iter_windows(start=start, end=end):
                for item in window.customizations:
                    if item.order_id not in seen:
                        seen.add(item.order_id)
                        pool.submit(client.customization, item.order_id).add_done_callback(done)
    finally:
        client.close()
    if errors:
        raise RuntimeError(f"the bare fetch had {len(errors)} failed detail calls; first: {errors[0]}")
    return len(seen), client.requests_made


def synced_models(roots: list) -> list:
    """`roots` and every model that refers to them, directly or not (sides, nodes, order lines,
    reviews, artwork...): the tables a sync fills."""
    found: list = []
    stack = list(roots)
    while stack:
        model = stack.pop()
        if model in found or model._meta.proxy or not model._meta.managed:
            continue
        found.append(model)
        # Hidden relations too (related_name="+", e.g. operations' notes): TRUNCATE refuses a table
        # that another one it does not name refers to.
        related = [
            f
            for f in model._meta.get_fields(include_hidden=True)
            if f.auto_created and not f.concrete and f.is_relation
        ]
        stack.extend(rel.through if rel.many_to_many else rel.related_model for rel in related)
        stack.extend(field.remote_field.through for field in model._meta.local_many_to_many)
    return found


def bench_reset(settings, origin: str, concurrency: int) -> tuple[object, str]:
    """Delete the previous run's connection and data, and create the connection afresh.

    Leaf tables first, loading primary keys only: a cascading delete from the top would load
    every row (JSON included) into memory, and the peak RSS printed would be the clean-up's.
    Then, when no other connection has data in them, the sync's tables are truncated. Deleted
    rows stay on disk until a vacuum (autovacuum may be off, as it is on the machine this was
    written on), so without that each run would scan more dead rows than the last. And not a
    VACUUM either: it records an empty table as "0 rows", the planner then picks sequential scans
    for the foreign-key checks, caches those plans for the session, and the first sync turns
    quadratic. A truncated table is "never measured", as in a freshly migrated database."""
    from django.db import connection as db

    from integrations.qstomizer import sandbox
    from orders.models import (
        Customization,
        CustomizationSide,
        DesignNode,
        OrderLine,
        StoreOrder,
        SyncRun,
        VendorConnection,
    )

    old = VendorConnection.objects.filter(name=CONNECTION_NAME)
    customizations = Customization.objects.filter(connection__in=old)
    DesignNode.objects.filter(side__customization__in=customizations).delete()
    OrderLine.objects.filter(customization__in=customizations).delete()
    CustomizationSide.objects.filter(customization__in=customizations).only("pk").delete()
    # Customization.connection is PROTECT: customizations go before their connection.
    customizations.only("pk").delete()
    StoreOrder.objects.filter(connection__in=old).only("pk").delete()
    SyncRun.objects.filter(connection__in=old).only("pk").delete()
    old.delete()
    models = synced_models([Customization, StoreOrder])
    if any(model._base_manager.exists() for model in models):
        state = "deleted (other data present, tables not truncated)"
    else:
        tables = ", ".join(db.ops.quote_name(model._meta.db_table) for model in models)
        with db.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables}")
        state = "truncated"
    connection = VendorConnection.objects.create(
        name=CONNECTION_NAME,
        kind="qstomizer",
        settings={"shop_domain": settings.SANDBOX_QSTOMIZER_SHOP, "base_url": sandbox.base_url(origin)},
        secrets={"api_key": settings.SANDBOX_API_KEY},
        detail_concurrency=concurrency,
        sync_every_minutes=None,
    )
    return connection, state


def rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def memory_compare(args: argparse.Namespace) -> int:
    """Peak RSS of a first sync at two sizes, each in a child process of its own (ru_maxrss is a
    process's high-water mark: one process cannot measure two runs). The child builds no
    ground-truth copy of the sandbox, so what grows with the size is the sync's alone."""
    import json
    import subprocess

    results = []
    load_before = os.getloadavg()[0]
    for size in args.memory_sizes:
        print(f"… first sync of {size:,} in a child process", file=sys.stderr, flush=True)
        command = [sys.executable, __file__, "--sync-only", "--size", str(size), "--concurrency", str(args.concurrency)]
        command += ["--database-url", args.database_url, "--server", args.server]
        done = subprocess.run(command, capture_output=True, text=True, cwd=BASE_DIR, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RSS ")]
        if done.returncode or not lines:
            print(done.stdout[-2000:], done.stderr[-4000:], sep="\n", file=sys.stderr)
            print(f"the child syncing {size:,} failed (exit {done.returncode})")
            return 1
        results.append(json.loads(lines[-1][4:]))
    small, large = results
    print()
    print(
        f"Qstomizer sync memory: first sync of {small['size']:,} and of {large['size']:,} customizations, "
        f"concurrency {args.concurrency}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print(
        f"Code: {code_version()}, run at {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print()
    print(f"{'customizations':>15} {'wall':>9} {'cust/s':>8} {'RSS before':>11} {'peak RSS':>9} {'growth':>8}")
    for r in results:
        print(
            f"{r['size']:>15,} {r['wall']:>7.1f} s {r['size'] / r['wall']:>8,.0f} {r['before']:>7.0f} MiB "
            f"{r['peak']:>5.0f} MiB {r['peak'] - r['before']:>+5.0f} MiB"
        )
    print()
    print(
        f"Peak RSS {large['size']:,} / {small['size']:,}: {large['peak'] / small['peak']:.2f}x "
        f"({large['peak']:.0f} MiB vs {small['peak']:.0f} MiB; {large['size'] // small['size']}x the customizations)"
    )
    ok = all(r["stored"] == r["size"] and r["status"] == "succeeded" for r in results)
    print("Correctness:", "every customization stored, both syncs succeeded -> OK" if ok else f"FAILED {results}")
    return 0 if ok else 1


def sync_only(args: argparse.Namespace) -> int:
    """One child of --memory: a first sync into emptied tables, then one line of JSON."""
    import json

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from orders.models import Customization, SyncRun
    from orders.services.sync import customizations_sync

    call_command("migrate", verbosity=0)
    server = SandboxServer(dict(os.environ), args.server)
    try:
        server.wait_ready(settings.SANDBOX_API_KEY, settings.SANDBOX_QSTOMIZER_SHOP)
        connection, _ = bench_reset(settings, server.origin, args.concurrency)
        before = rss_mib(resource.RUSAGE_SELF)
        started = time.perf_counter()
        run = customizations_sync(connection=connection, trigger=SyncRun.Trigger.COMMAND)
        wall = time.perf_counter() - started
        peak = rss_mib(resource.RUSAGE_SELF)
        stored = Customization.objects.filter(connection=connection).count()
    finally:
        server.stop()
    result = {"size": args.size, "wall": wall, "before": before, "peak": peak, "stored": stored, "status": run.status}
    print("RSS " + json.dumps(result))
    return 0


def main() -> int:
    args = parse_args()
    if args.memory:
        return memory_compare(args)
    env = bench_environment(args)
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    database_create(args.database_url, recreate=args.recreate_database)
    if args.sync_only:
        return sync_only(args)

    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection as db

    from integrations.qstomizer.sandbox import sandbox
    from integrations.qstomizer.types import PAGE_LIMIT
    from orders.models import Customization, SyncRun
    from orders.services.sync import customizations_sync

    call_command("migrate", verbosity=0)
    load_before = os.getloadavg()[0]
    box = sandbox()  # the ground truth: the same seeded data the server generates
    server = SandboxServer(env, args.server)
    problems: list[str] = []
    try:
        server.wait_ready(settings.SANDBOX_API_KEY, settings.SANDBOX_QSTOMIZER_SHOP)
        connection, reset_state = bench_reset(settings, server.origin, args.concurrency)

        def sync(since=None):
            def work():
                run = customizations_sync(connection=connection, since=since, trigger=SyncRun.Trigger.COMMAND)
                return run, run.requests_made

            return work

        rss_before_sync = rss_mib(resource.RUSAGE_SELF)
        first, run = measure("first sync (full)", server, sync(), customizations=args.size)
        rss_after_sync = rss_mib(resource.RUSAGE_SELF)
        stored = Customization.objects.filter(connection=connection).count()

        rows = len(box.rows_between(run.window_start, run.window_end))
        in_range = sum(1 for item in box.items if run.window_start <= item.created <= run.window_end)
        minimum = math.ceil(rows / PAGE_LIMIT) + in_range

        bare, bare_count = measure(
            "bare fetch (no database)",
            server,
            lambda: bare_fetch(connection, start=run.window_start, end=run.window_end, concurrency=args.concurrency),
            customizations=args.size,
        )
        second, run2 = measure("second sync (default window)", server, sync(), customizations=0)
        resync, run3 = measure("full re-sync, no changes", server, sync(run.window_start), customizations=args.size)
        pg_version = db.pg_version
    finally:
        server.stop()
    server_rss = rss_mib(resource.RUSAGE_CHILDREN)

    # -- correctness ---------------------------------------------------------------------------
    if stored != len(box.items):
        problems.append(f"{stored:,} Customization rows, but the sandbox has {len(box.items):,} items")
    if bare_count != len(box.items):
        problems.append(f"the bare fetch read {bare_count:,} customizations, the sandbox has {len(box.items):,}")
    for label, r in (("first sync", run), ("second sync", run2), ("full re-sync", run3)):
        if r.status != SyncRun.Status.SUCCEEDED:
            problems.append(f"{label}: {r.status}, {r.failed} failed; {r.errors[:3]}")
    for label, r in (("second sync", run2), ("full re-sync", run3)):
        if r.created or r.updated:
            problems.append(f"{label} wrote data: {r.created} created, {r.updated} updated")

    # -- report --------------------------------------------------------------------------------
    pg = f"PostgreSQL {pg_version // 10000}.{pg_version % 10000}"
    print()
    print(
        f"Qstomizer sync benchmark: {args.size:,} customizations ({rows:,} list rows), "
        f"concurrency {args.concurrency}, sandbox server {args.server}, {pg}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print(f"Previous bench data: {reset_state}")
    print(
        f"Code: {code_version()}, run at {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (other work on the machine skews times)"
    )
    print()
    header = f"{'phase':<30} {'wall':>9} {'cust/s':>9} {'requests':>9} {'on wire':>8} {'SQL':>7} {'CPU us':>8} {'CPU srv':>8}"
    print(header)
    print("-" * len(header))
    for phase in (first, bare, second, resync):
        rate = f"{phase.customizations / phase.wall:,.0f}" if phase.customizations else "-"
        server_cpu = f"{phase.cpu_server:.1f} s" if phase.cpu_server is not None else "?"
        print(
            f"{phase.name:<30} {phase.wall:>7.2f} s {rate:>9} {phase.requests:>9,} {phase.wire:>8,} {phase.queries:>7,} "
            f"{phase.cpu_self:>6.1f} s {server_cpu:>8}"
        )
    print()
    list_min = math.ceil(rows / PAGE_LIMIT)
    list_made = first.requests - (run.created + run.updated + run.failed)
    print(f"Throughput, full sync:   {args.size / first.wall:,.0f} customizations/s ({first.wall:.2f} s)")
    print(
        f"Requests, full sync:     {first.requests:,} vs minimum {minimum:,} "
        f"(= {list_min:,} list calls for {rows:,} rows at {PAGE_LIMIT}/call + {in_range:,} details): "
        f"{first.requests / minimum:.2f}x; about {list_made:,} of them list calls ({list_made / list_min:.1f}x the minimum)"
    )
    print(f"Sync / bare fetch:       {first.wall / bare.wall:.2f}x wall time ({first.wall:.2f} s vs {bare.wall:.2f} s)")
    print(f"Second sync:             {second.wall:.2f} s, {second.requests:,} requests, {second.queries:,} SQL")
    print(
        f"Full re-sync, unchanged: {resync.wall:.2f} s, {resync.requests:,} requests "
        f"({run3.unchanged:,} unchanged, {run3.created + run3.updated:,} written)"
    )
    print(
        f"Peak RSS:                this process {rss_before_sync:,.0f} MiB before the first sync (Django, "
        f"the sandbox's ground-truth copy), {rss_after_sync:,.0f} MiB after it, {rss_mib(resource.RUSAGE_SELF):,.0f} "
        f"MiB at the end; sandbox server {server_rss:,.0f} MiB"
    )
    print(f"Correctness:             {stored:,} Customization rows, sandbox has {len(box.items):,} items", end="")
    if problems:
        print(" -> FAILED")
        for problem in problems:
            print(f"  ! {problem}")
        return 1
    print(" -> OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
