"""Status callbacks under concurrent load: throughput against a bare view, and exactly-once.

    .venv/bin/python bench/callbacks.py [--connections 16] [--duration 30] [--threads 2]
                                        [--replay-duration 5] [--orders 1] [--conn-max-age N]
                                        [--server gunicorn|sandbox] [--workers 2] [--web-threads 8]
                                        [--apply deferred|inline] [--broker-url URL]
                                        [--celery-concurrency 2] [--database-url URL]

Run it once with `--apply inline` (callbacks applied in the request: before issue 13) and once
with the default `--apply deferred` (stored in one INSERT, applied by a Celery worker the bench
starts, `--celery-concurrency` processes, on `--broker-url`, default redis db 13): each run
prints its own ratio against the bare view measured in that run. With `deferred`, after each
callback phase the bench waits until the worker has applied everything (prints how long, and the
worker's CPU) before it checks exactly-once.

Needs wrk (`apt-get install -y --no-install-recommends wrk`) and PostgreSQL. The project is
served from a subprocess by gunicorn with config/gunicorn.conf.py (`--workers` processes of
`--web-threads` threads; the same for both targets) and bench/bare_wsgi.py, or with
`--server sandbox` by bench/sandbox_server.py (Django's threaded server with TCP_NODELAY), with
bench/bare_view.py as its URLconf: the project's URLs plus `/bench/bare/`, a view that
answers 200 "ok" and does no database work. wrk then runs, `--connections` kept-alive
connections over `--threads` threads:

1. a warm-up of 2 s on each target (not counted);
2. the bare view, `--duration` seconds;
3. the status callback endpoint (PUT /hooks/custom-gateway/<token>/status/), `--duration`
   seconds, every request a distinct callback: the same order, "Dispatched", a tracking number
   unique to the request (`L-<wrk thread>-<n>`). Both targets are sent the same requests;
4. one callback, the same body, replayed by all connections for `--replay-duration` seconds.

It prints requests/s and latency (p50, p99) per target and the ratio callback / bare, then the
exactly-once accounting: requests wrk sent and saw answered, requests the server logged,
IncomingRequest rows, distinct bodies among them, StatusEvent rows and outcomes. It exits 1
when that accounting is wrong: an answer other than 200; fewer rows than answers or more than
requests sent; a body stored twice; for distinct callbacks, a row not "applied" or not exactly
one StatusEvent per row; for the replay, not exactly one StatusEvent and one "applied" row,
the others "duplicate". Times are printed, never asserted. (wrk stops with up to one request
per connection in flight; the server may have handled it or not, hence "between answered and
sent" rather than one number.)

The callbacks refer to a FulfilmentOrder and its VendorOrder of a `bench-callbacks` Custom
Gateway connection (`--orders N` spreads them over N orders; default 1, the worst case, since
applying a callback locks its order's row). The previous run's bench rows are deleted first and,
when nothing else is in those tables, the tables are truncated (see bench/sync_qstomizer.py for
why truncated and not vacuumed).

The database defaults to postgres://postgres@127.0.0.1:5432/backoffice_bench_callbacks (created
if missing, migrated). As in the other benches, the shell's plain DATABASE_URL is ignored on
purpose, so a benchmark never writes into a development database: pass --database-url or set
BENCH_DATABASE_URL. Settings: config.settings.local with DEBUG off, CELERY_BROKER_URL=--broker-url.
The server connects to PostgreSQL as the project configures it (CONN_MAX_AGE, 60 s by
default); `--conn-max-age N` adds `?conn_max_age=N` to the server's database URL, e.g. 0 to see
a new connection per request.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import runpy
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import requests
from benchlib import ServerProcess, code_version, database_create, free_port, proc_stat

BASE_DIR = Path(__file__).resolve().parent.parent
SANDBOX_SERVER = BASE_DIR / "bench" / "sandbox_server.py"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/backoffice_bench_callbacks"
CONNECTION_NAME = "bench-callbacks"
REF_PREFIX = "BO-BENCH-"
FIRST_VENDOR_ID = 990_000
WARM_UP_SECONDS = 2
SETTLE_TIMEOUT = 30.0

# wrk's script. Every thread counts what it sends and what comes back; done() adds them up and
# prints one line of JSON with wrk's own figures. Globals, because thread:get() reads globals.
# wrk 4 calls request() once in its first thread to check it before anything is sent; that
# call is neither sent nor counted (`checked`).
WRK_SCRIPT = r"""
local threads = {}
tag, mode, orders, first_vendor_id, ref_prefix = "check", "same", 1, 0, "X"
sent, answered, ok, applied, duplicate, checked = 0, 0, 0, 0, 0, false

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  tag, mode, orders = args[1], args[2], tonumber(args[3])
  first_vendor_id, ref_prefix = tonumber(args[4]), args[5]
  checked = thread_id ~= 1
  wrk.method = "PUT"
  wrk.headers["Content-Type"] = "application/json"
end

local function callback(index, tracking)
  return string.format(
    '{"id": %d, "external_ref": "%s%05d", "ref": "CG%05d", "status": 8, "status_name": "Dispatched", '
      .. '"shipping_tracking": "%s", "shipping_method": "RM48", "shipping_carrier": "Royal Mail"}',
    first_vendor_id + index, ref_prefix, index, index, tracking)
end

function request()
  if not checked then
    checked = true
    return wrk.format(nil, nil, nil, callback(0, "check"))
  end
  sent = sent + 1
  local body
  if mode == "same" then
    body = callback(0, tag)
  else
    body = callback((sent - 1) % orders, tag .. "-" .. thread_id .. "-" .. sent)
  end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  answered = answered + 1
  if status == 200 then ok = ok + 1 end
  if body:find('"applied"', 1, true) then
    applied = applied + 1
  elseif body:find('"duplicate"', 1, true) then
    duplicate = duplicate + 1
  end
end

function done(summary, latency, requests)
  local total = {sent = 0, answered = 0, ok = 0, applied = 0, duplicate = 0}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(total) do total[key] = total[key] + thread:get(key) end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"duration_us": %d, "requests": %d, "connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, "sent": %d, '
      .. '"answered": %d, "ok": %d, "applied": %d, "duplicate": %d}\n',
    summary.duration, summary.requests, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, total.sent, total.answered,
    total.ok, total.applied, total.duplicate))
end
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--duration", type=int, default=30, help="seconds per target (default 30)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--replay-duration", type=int, default=5, help="seconds of one callback replayed (default 5)")
    parser.add_argument(
        "--orders", type=int, default=1, help="orders the distinct callbacks are spread over (default 1)"
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="CONN_MAX_AGE of the server's database connection (default: the project's setting)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"PostgreSQL URL (default $BENCH_DATABASE_URL or {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument(
        "--server",
        choices=("gunicorn", "sandbox"),
        default="gunicorn",
        help="gunicorn (config/gunicorn.conf.py, the production server; default) or bench/sandbox_server.py",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes for both targets (default 2)")
    parser.add_argument("--web-threads", type=int, default=8, help="threads per gunicorn worker (default 8)")
    parser.add_argument(
        "--apply",
        choices=("deferred", "inline"),
        default="deferred",
        help="status callbacks stored and applied by a Celery worker (default), or applied in the request (before)",
    )
    parser.add_argument(
        "--broker-url",
        default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13"),
        help="Celery broker of the server and the bench's worker (default $BENCH_BROKER_URL or redis db 13)",
    )
    parser.add_argument("--celery-concurrency", type=int, default=2, help="the bench worker's processes (default 2)")
    parser.add_argument(
        "--worker-after-load",
        action="store_true",
        help="start the Celery worker only once wrk has stopped (the answer path measured alone)",
    )
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)  # the server subprocess
    args = parser.parse_args()
    if args.serve is not None:
        return args
    if min(args.connections, args.duration, args.threads, args.replay_duration, args.orders) < 1:
        parser.error("--connections, --duration, --threads, --replay-duration and --orders must be at least 1")
    if args.threads > args.connections:
        parser.error("--threads cannot exceed --connections (wrk gives each thread connections / threads)")
    if args.connections % args.threads:
        parser.error("--connections must be a multiple of --threads (wrk drops the remainder)")
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL")
    return args


def serve(port: int) -> None:
    """The server subprocess: bench/sandbox_server.py, with bench/bare_view.py as the URLconf."""
    sys.path.insert(0, str(BASE_DIR))
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.bare_view"
    sys.argv = [str(SANDBOX_SERVER), str(port)]
    runpy.run_path(str(SANDBOX_SERVER), run_name="__main__")


def bench_environment(args: argparse.Namespace) -> tuple[dict[str, str], dict[str, str]]:
    """Settings of this process and of the server: the bench database, DEBUG off (with DEBUG
    on Django keeps every query in memory), no broker to reach."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": args.database_url,
            "CELERY_BROKER_URL": args.broker_url,
            "HOOK_STATUS_CALLBACKS_DEFERRED": "true" if args.apply == "deferred" else "false",
            "DJANGO_DEBUG": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.setdefault("LOG_LEVEL", "WARNING")  # the server's request log has its own handler
    server_env = dict(env)
    if args.conn_max_age is not None:
        separator = "&" if "?" in args.database_url else "?"
        server_env["DATABASE_URL"] = f"{args.database_url}{separator}conn_max_age={args.conn_max_age}"
    return env, server_env


class Server(ServerProcess):
    """The project in a subprocess, serving the bench's URLs (the bare view included): gunicorn
    with the project's config/gunicorn.conf.py (its access log, on stdout, kept with stderr), or
    bench/sandbox_server.py."""

    def __init__(self, env: dict[str, str], args: argparse.Namespace | None = None):
        if args is None or args.server == "sandbox":
            super().__init__([__file__, "--serve", "{port}"], env)
            return
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "config/gunicorn.conf.py",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={args.workers}",
            f"--threads={args.web_threads}",
            '--access-logformat=%(h)s "%(r)s" %(s)s %(b)s',
            "bench.bare_wsgi:application",
        ]
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log
        )

    def cpu_seconds(self) -> float | None:
        """The server's CPU: the process and its live children (gunicorn's workers)."""
        own = super().cpu_seconds()
        if own is None:
            return None
        for pid in children_of(self.process.pid):
            try:
                fields = proc_stat(pid)
            except OSError:
                continue
            own += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return own

    def wait_ready(self) -> None:
        super().wait_ready(lambda: requests.put(f"{self.origin}/bench/bare/", data=b"{}", timeout=2).status_code == 200)

    def logged(self, fragment: str) -> Counter:
        """Requests logged so far whose line holds `fragment`, by status code."""
        counts: Counter = Counter()
        for line in self.log_text().splitlines():
            if fragment in line and '" ' in line:
                counts[line.rsplit('" ', 1)[1].split()[0]] += 1
        return counts


def children_of(pid: int) -> list[int]:
    """The live child processes of `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(proc_stat(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


class Worker:
    """The Celery worker that applies deferred callbacks (prefork, `--celery-concurrency`)."""

    def __init__(self, env: dict[str, str], concurrency: int):
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
        )

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in [self.process.pid, *children_of(self.process.pid)]:
            try:
                fields = proc_stat(pid)
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def unapplied(connection) -> int:
    from fulfilment.models import IncomingRequest

    return IncomingRequest.objects.filter(connection=connection, outcome="received").count()


def drain(connection, timeout: float = 600.0) -> float:
    """Seconds until the worker has applied every stored callback (none left `received`)."""
    start = time.monotonic()
    while unapplied(connection) and time.monotonic() - start < timeout:
        time.sleep(0.2)
    return time.monotonic() - start


def postmaster_pid() -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine; None otherwise."""
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        if not Path(f"/proc/{backend}/comm").read_text().startswith("postgres"):
            return None
        return int(proc_stat(backend)[1])
    except (OSError, ValueError):
        return None


def postgres_cpu(postmaster: int | None) -> float | None:
    """CPU seconds used so far by the PostgreSQL server (all its databases, so other work on it
    counts too): the postmaster, its live children, and the children it has reaped (with no
    CONN_MAX_AGE every request's connection is a backend process that exits)."""
    if postmaster is None:
        return None
    try:
        fields = proc_stat(postmaster)
    except OSError:
        return None
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = proc_stat(int(entry.name))
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            ticks += sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs, from /proc/stat (Linux); None elsewhere."""
    try:
        fields = [int(f) for f in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


@dataclass
class Run:
    name: str
    wrk: dict
    server_cpu: float | None
    postgres_cpu: float | None
    wrk_cpu: float
    machine_busy: float | None
    load: float

    @property
    def seconds(self) -> float:
        return self.wrk["duration_us"] / 1e6

    @property
    def rate(self) -> float:
        return self.wrk["requests"] / self.seconds

    @property
    def socket_errors(self) -> int:
        return sum(self.wrk[key] for key in ("connect", "read", "write", "timeout"))


def wrk_run(
    name: str,
    url: str,
    args: argparse.Namespace,
    script: str,
    server: Server,
    postmaster: int | None,
    *,
    seconds: int,
    tag: str,
    mode: str,
) -> Run:
    print(f"… {name} ({seconds} s)", file=sys.stderr, flush=True)
    command = [
        "wrk",
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={seconds}s",
        "--timeout=30s",
        f"--script={script}",
        url,
        "--",
        tag,
        mode,
        str(args.orders),
        str(FIRST_VENDOR_ID),
        REF_PREFIX,
    ]
    cpu_before, pg_before, machine_before = server.cpu_seconds(), postgres_cpu(postmaster), machine_cpu()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_after, pg_after, machine_after = server.cpu_seconds(), postgres_cpu(postmaster), machine_cpu()
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH-RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    busy = None
    if machine_before and machine_after and machine_after[1] > machine_before[1]:
        busy = (machine_after[0] - machine_before[0]) / (machine_after[1] - machine_before[1])
    return Run(
        name=name,
        wrk=json.loads(lines[-1].removeprefix("BENCH-RESULT ")),
        server_cpu=None if cpu_before is None or cpu_after is None else cpu_after - cpu_before,
        postgres_cpu=None if pg_before is None or pg_after is None else pg_after - pg_before,
        wrk_cpu=(children_after.ru_utime + children_after.ru_stime)
        - (children_before.ru_utime + children_before.ru_stime),
        machine_busy=busy,
        load=os.getloadavg()[0],
    )


def fulfilment_models(roots: list) -> list:
    """`roots` and every model that refers to them, directly or not: the tables a run fills."""
    found: list = []
    stack = list(roots)
    while stack:
        model = stack.pop()
        if model in found or model._meta.proxy or not model._meta.managed:
            continue
        found.append(model)
        stack.extend(rel.through if rel.many_to_many else rel.related_model for rel in model._meta.related_objects)
        stack.extend(field.remote_field.through for field in model._meta.local_many_to_many)
    return found


def bench_reset(orders: int):
    """Delete the previous run's connection and rows, truncate the tables when nothing else is
    in them, and create the connection and its orders afresh."""
    from django.db import connection as db

    from fulfilment.models import FulfilmentOrder, IncomingRequest, VendorOrder
    from orders.models import VendorConnection

    old = VendorConnection.objects.filter(name=CONNECTION_NAME)
    IncomingRequest.objects.filter(connection__in=old).only("pk").delete()
    FulfilmentOrder.objects.filter(connection__in=old).delete()  # cascades to vendor orders and events
    old.delete()
    models = fulfilment_models([IncomingRequest, FulfilmentOrder, VendorOrder])
    if any(model._base_manager.exists() for model in models):
        state = "deleted (other data present, tables not truncated)"
    else:
        tables = ", ".join(db.ops.quote_name(model._meta.db_table) for model in models)
        with db.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables} CASCADE")  # the bench database: tables that refer to them too
        state = "truncated"
    connection = VendorConnection.objects.create(
        name=CONNECTION_NAME,
        kind="custom_gateway",
        settings={"company": "99999"},
        secrets={"api_key": "x"},
        sync_every_minutes=None,
    )
    for index in range(orders):
        external_ref = f"{REF_PREFIX}{index:05d}"
        order = FulfilmentOrder.objects.create(
            connection=connection,
            external_ref=external_ref,
            state=FulfilmentOrder.State.SENT,
            shipping_address_1="1 Bench Road",
            shipping_postcode="SK10 2XR",
            shipping_country_code="GB",
        )
        VendorOrder.objects.create(
            connection=connection,
            fulfilment_order=order,
            vendor_id=str(FIRST_VENDOR_ID + index),
            ref=f"CG{index:05d}",
            external_ref=external_ref,
        )
    return connection, state


def rows_count(connection) -> int:
    from fulfilment.models import IncomingRequest

    return IncomingRequest.objects.filter(connection=connection).count()


def settle(server: Server, connection, fragment: str) -> None:
    """Wait until the server has finished what wrk left in flight: the log and the rows stop
    growing (nothing else calls this server)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    last = None
    while time.monotonic() < deadline:
        now = (sum(server.logged(fragment).values()), rows_count(connection))
        if now == last:
            return
        last = now
        time.sleep(0.5)


@dataclass
class Accounting:
    """What wrk sent and saw, what the server logged, what the database holds, for one phase."""

    name: str
    sent: int
    answered: int
    ok: int
    logged: int
    rows: int
    distinct: int
    events: int
    outcomes: Counter
    problems: list[str]

    @property
    def in_flight(self) -> int:
        return self.sent - self.answered


def phase_tag(tracking: str) -> str:
    """The phase a callback was sent in, from its tracking number: `L-1-7` -> `L`, `R` -> `R`."""
    return tracking.split("-", 1)[0]


def stored_callbacks(connection) -> dict[str, list[tuple]]:
    """The bench connection's IncomingRequest rows, (pk, body, outcome) by phase tag."""
    from fulfilment.models import IncomingRequest

    rows: dict[str, list[tuple]] = {}
    for pk, body, outcome in IncomingRequest.objects.filter(connection=connection).values_list("pk", "body", "outcome"):
        try:
            tracking = str(json.loads(body).get("shipping_tracking", ""))
        except (ValueError, AttributeError):
            tracking = "?"
        rows.setdefault(phase_tag(tracking), []).append((pk, body, outcome))
    return rows


def accounting(
    name: str, run: Run, logged: int, rows: list[tuple], connection, *, tag: str, replay: bool
) -> Accounting:
    """The exactly-once check of one phase: wrk's counts, the server's log, the rows of `tag`."""
    from django.db.models import Q

    from fulfilment.models import StatusEvent

    events = list(
        StatusEvent.objects.filter(fulfilment_order__connection=connection)
        .filter(Q(shipping_tracking=tag) | Q(shipping_tracking__startswith=f"{tag}-"))
        .values_list("incoming_id", "shipping_tracking")
    )
    sent, answered, ok = run.wrk["sent"], run.wrk["answered"], run.wrk["ok"]
    bodies = Counter(body for _, body, _ in rows)
    outcomes = Counter(outcome for *_, outcome in rows)
    problems = []
    if ok != answered or run.wrk["status"]:
        problems.append(f"{answered - ok:,} answer(s) other than 200")
    if not answered <= len(rows) <= sent:
        problems.append(f"{len(rows):,} rows: not between the {answered:,} answered and the {sent:,} sent")
    if replay:
        if len(bodies) > 1:
            problems.append(f"{len(bodies):,} different bodies stored for one callback replayed")
        applied_ids = {pk for pk, _, outcome in rows if outcome == "applied"}
        if len(events) != 1 or {incoming for incoming, _ in events} != applied_ids:
            problems.append(f"{len(events):,} StatusEvents for one callback replayed, not 1 (of the applied row)")
        if outcomes["applied"] != 1 or outcomes["duplicate"] != len(rows) - 1:
            problems.append(f"outcomes {dict(outcomes)}: not 1 applied and the rest duplicate")
        if run.wrk["applied"] > 1:
            problems.append(f"{run.wrk['applied']} answers said 'applied'")
    else:
        if len(bodies) != len(rows):
            twice = sum(1 for count in bodies.values() if count > 1)
            problems.append(f"{twice:,} bodies stored more than once")
        if outcomes["applied"] != len(rows):
            problems.append(f"outcomes {dict(outcomes)}: not all applied")
        row_ids = {pk for pk, *_ in rows}
        event_ids = Counter(incoming for incoming, _ in events)
        if len(events) != len(rows) or set(event_ids) != row_ids or max(event_ids.values(), default=1) > 1:
            problems.append(f"{len(events):,} StatusEvents for {len(rows):,} rows: not one event per row")
    return Accounting(
        name=name,
        sent=sent,
        answered=answered,
        ok=ok,
        logged=logged,
        rows=len(rows),
        distinct=len(bodies),
        events=len(events),
        outcomes=outcomes,
        problems=problems,
    )


def main() -> int:
    args = parse_args()
    if args.serve is not None:
        serve(args.serve)
        return 0
    if shutil.which("wrk") is None:
        print(
            "bench/callbacks.py needs the load tool wrk. On Debian or Ubuntu:\n"
            "    apt-get install -y --no-install-recommends wrk",
            file=sys.stderr,
        )
        return 2
    env, server_env = bench_environment(args)
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    database_create(args.database_url)

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection as db
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    connection, reset_state = bench_reset(args.orders)
    hook_path = reverse("fulfilment:hook", args=[connection.spec.slug, connection.hook_token, "status"])
    fragment = "/hooks/custom-gateway/"
    postmaster = postmaster_pid()
    load_before = os.getloadavg()[0]

    server = Server(server_env, args)
    deferred = args.apply == "deferred"
    worker = Worker(server_env, args.celery_concurrency) if deferred and not args.worker_after_load else None
    drains: dict[str, float] = {}
    worker_cpu_done = 0.0
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    try:
        script.write(WRK_SCRIPT)
        script.close()
        server.wait_ready()
        bare_url, hook_url = f"{server.origin}/bench/bare/", f"{server.origin}{hook_path}"

        def phase(name: str, url: str, seconds: int, tag: str, mode: str) -> tuple[Run, int]:
            before = sum(server.logged(fragment).values())
            run = wrk_run(name, url, args, script.name, server, postmaster, seconds=seconds, tag=tag, mode=mode)
            settle(server, connection, fragment)
            nonlocal worker_cpu_done
            if deferred and url == hook_url:
                if args.worker_after_load:
                    late = Worker(server_env, args.celery_concurrency)
                    try:
                        drains[name] = drain(connection)
                        worker_cpu_done += late.cpu_seconds()
                    finally:
                        late.stop()
                else:
                    drains[name] = drain(connection)
            return run, sum(server.logged(fragment).values()) - before

        phase("warm-up, bare view", bare_url, WARM_UP_SECONDS, "Wb", "distinct")
        phase("warm-up, callbacks", hook_url, WARM_UP_SECONDS, "W", "distinct")
        bare, _ = phase("bare view", bare_url, args.duration, "B", "distinct")
        load, load_logged = phase("callbacks, all distinct", hook_url, args.duration, "L", "distinct")
        replay, replay_logged = phase("one callback replayed", hook_url, args.replay_duration, "R", "same")
        stored = stored_callbacks(connection)
        checks = [
            accounting("distinct callbacks", load, load_logged, stored.get("L", []), connection, tag="L", replay=False),
            accounting(
                "one callback replayed", replay, replay_logged, stored.get("R", []), connection, tag="R", replay=True
            ),
        ]
        strays = {tag: len(rows) for tag, rows in stored.items() if tag not in ("W", "L", "R")}
        not_200 = {code: n for code, n in server.logged(fragment).items() if code != "200"}
        pg_version = db.pg_version
        worker_cpu = (worker.cpu_seconds() if worker is not None else 0.0) + worker_cpu_done
    finally:
        server.stop()
        if worker is not None:
            worker.stop()
        os.unlink(script.name)

    # -- report --------------------------------------------------------------------------------
    pg = f"PostgreSQL {pg_version // 10000}.{pg_version % 10000}"
    conn_max_age = "project default" if args.conn_max_age is None else str(args.conn_max_age)
    server_label = (
        f"gunicorn (config/gunicorn.conf.py) {args.workers} workers x {args.web_threads} threads, for both targets"
        if args.server == "gunicorn"
        else "bench/sandbox_server.py (threaded, TCP_NODELAY)"
    )
    applied_label = (
        f"by a Celery worker ({args.celery_concurrency} processes, {args.broker_url}"
        f"{', started once wrk had stopped' if args.worker_after_load else ', running during the load'})"
        if args.apply == "deferred"
        else "in the request (HOOK_STATUS_CALLBACKS_DEFERRED off)"
    )
    print()
    print(
        f"Status callback benchmark: wrk, {args.connections} connections, {args.threads} threads, "
        f"{args.duration} s per target; {args.orders} order(s); server: {server_label}, "
        f"CONN_MAX_AGE {conn_max_age}; callbacks applied {applied_label}; {pg}, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}"
    )
    print(f"Previous bench data: {reset_state}")
    print(
        f"Code: {code_version()}, run at {time.strftime('%Y-%m-%d %H:%M %Z')}, load average {load_before:.1f} "
        f"before, {os.getloadavg()[0]:.1f} after (other work on the machine skews times)"
    )
    print()
    header = (
        f"{'target':<24} {'requests':>9} {'req/s':>8} {'p50':>9} {'p99':>9} {'max':>9} {'non-200':>8} "
        f"{'sock err':>8} {'CPU srv':>8} {'CPU pg':>8} {'CPU wrk':>8} {'machine':>8} {'load':>5}"
    )
    print(header)
    print("-" * len(header))
    for run in (bare, load, replay):
        w = run.wrk
        server_cpu = f"{run.server_cpu:.1f} s" if run.server_cpu is not None else "?"
        pg_cpu = f"{run.postgres_cpu:.1f} s" if run.postgres_cpu is not None else "?"
        busy = f"{run.machine_busy:.0%}" if run.machine_busy is not None else "?"
        print(
            f"{run.name:<24} {w['requests']:>9,} {run.rate:>8,.0f} {w['p50_us'] / 1000:>6.1f} ms "
            f"{w['p99_us'] / 1000:>6.1f} ms {w['max_us'] / 1000:>6.0f} ms {w['status']:>8,} {run.socket_errors:>8,} "
            f"{server_cpu:>8} {pg_cpu:>8} {run.wrk_cpu:>6.1f} s {busy:>8} {run.load:>5.1f}"
        )
    print()
    print(
        f"Callbacks / bare view:   {load.rate / bare.rate:.2f}x the requests per second "
        f"({load.rate:,.0f} vs {bare.rate:,.0f}); p50 {load.wrk['p50_us'] / bare.wrk['p50_us']:.1f}x, "
        f"p99 {load.wrk['p99_us'] / bare.wrk['p99_us']:.1f}x"
    )

    def per_request(run: Run, seconds: float | None) -> str:
        return "?" if seconds is None else f"{1000 * seconds / max(1, run.wrk['requests']):.2f} ms"

    print(
        f"CPU per request:         server {per_request(bare, bare.server_cpu)} bare, "
        f"{per_request(load, load.server_cpu)} callback; PostgreSQL {per_request(bare, bare.postgres_cpu)} bare, "
        f"{per_request(load, load.postgres_cpu)} callback"
    )
    if deferred:
        drained = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in drains.items())
        print(
            f"Worker:                  applied everything stored {drained} after wrk stopped; its CPU over the "
            f"whole run {worker_cpu:.1f} s ({per_request(load, worker_cpu)} per distinct callback, replays and "
            "warm-up included)"
        )
    print(
        "(CPU pg: the whole PostgreSQL server, other databases' work included; machine: how busy all "
        "CPUs were, other processes included; load: load average after the target)"
    )
    print()
    header = (
        f"{'exactly once':<24} {'sent':>7} {'answered':>9} {'in flight':>9} {'logged':>7} {'rows':>7} "
        f"{'distinct':>8} {'events':>7}  outcomes"
    )
    print(header)
    print("-" * len(header))
    for check in checks:
        outcomes = ", ".join(f"{key} {value:,}" for key, value in sorted(check.outcomes.items()))
        print(
            f"{check.name:<24} {check.sent:>7,} {check.answered:>9,} {check.in_flight:>9,} {check.logged:>7,} "
            f"{check.rows:>7,} {check.distinct:>8,} {check.events:>7,}  {outcomes} "
            f"-> {'FAILED' if check.problems else 'OK'}"
        )
    print(
        "(answered: 200 answers wrk received; in flight: sent but unanswered when wrk stopped; logged: "
        "callback requests in the server's log; rows: IncomingRequest rows; distinct: distinct bodies "
        "among them; events: StatusEvent rows)"
    )
    problems = [f"{check.name}: {problem}" for check in checks for problem in check.problems]
    if strays:
        problems.append(f"callbacks stored that no phase sent (by tracking prefix): {strays}")
    if not_200:
        problems.append(f"the server logged callback answers other than 200: {not_200}")
    if problems:
        print("Exactly once: FAILED")
        for problem in problems:
            print(f"  ! {problem}")
        return 1
    print("Exactly once: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
