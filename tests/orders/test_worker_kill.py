"""A real `celery worker` (prefork, two children) on Redis, killed mid-sync: SIGKILL of the busy
child, of an idle child, of the whole worker (then a new one is started). Each time every
customization ends stored once, with no human action, within a bounded wait.

The worker runs in a subprocess against the test database and the sandbox server, whose detail
calls after the first batch's are slowed, so that the sync is killed mid-way with a batch already
written; after the kill the sandbox answers at full speed (what the tests watch is the recovery,
not a slow vendor). Staleness, heartbeat and the Redis visibility timeout are shortened through
their env vars so that this takes seconds, not minutes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery.utils.nodenames import host_format
from django.db import connections

from config.celery import app
from integrations.qstomizer.sandbox import RandomFaults
from orders.models import Customization, SyncRun
from orders.services.sync import BATCH_SIZE
from orders.tasks import sync_connection_task
from tests.conftest import need

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
# Four missed heartbeats (SYNC_HEARTBEAT_SECONDS 0.5 below). Here a run wrongly taken for dead could
# only be taken over by the same sync, which waits for it anyway.
STALE_AFTER = 2
# Longer than a live worker holds a message (a redelivered sync waits at most STALE_AFTER + 1 s
# for the dead run's lock, then finishes the last ~20 details at full speed), or Redis would give
# it to a second child while it runs; it is what the whole-worker kill waits out.
VISIBILITY_TIMEOUT = 7
WAIT = 120.0
TASK_QUEUE = "celery"  # Celery's default, where sync_connection_task.delay() sends
# The workers the tests below start (one each, two for the whole-worker kill): one is always
# started ahead, up to this many.
WORKERS_IN_THIS_MODULE = 4


def wait_for(predicate, timeout=WAIT, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return sorted(int(p) for p in found)


def kill(pids: list[int]) -> None:
    """SIGKILL these processes (ours: the worker and its children), the gone ones skipped."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class Worker:
    """One `celery -A config worker` subprocess, prefork with two children. It starts on a queue
    of its own that nothing is sent to (a standby: see `standby`), and takes tasks once
    `consume()` has it consume the tasks' queue."""

    def __init__(self, env: dict, log: Path):
        uid = uuid.uuid4().hex[:8]
        self.name = f"killtest-{uid}@%h"
        self.standby_queue = f"killtest-standby-{uid}"
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "2"]
            + ["--loglevel", "INFO", "--without-gossip", "--without-mingle", "-n", self.name]
            + ["-Q", self.standby_queue],
            cwd=BASE_DIR,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> None:
        ready = wait_for(lambda: len(children(self.process.pid)) == 2 and "ready." in self.log.read_text(), 60)
        assert ready, self.tail()

    def consume(self) -> None:
        """Consume the tasks' queue from now on (and no longer the standby queue)."""
        destination = [host_format(self.name)]
        added = app.control.add_consumer(TASK_QUEUE, destination=destination, reply=True, timeout=10)
        assert added and all("ok" in answer for reply in added for answer in reply.values()), (added, self.tail())
        app.control.cancel_consumer(self.standby_queue, destination=destination, reply=True, timeout=10)

    def tail(self) -> str:
        return self.log.read_text()[-3000:] if self.log.exists() else ""

    def busy_and_idle_child(self) -> tuple[int, int]:
        """The child running the sync and the other one, as the worker itself reports them."""
        pids = children(self.process.pid)
        busy = []

        def found():
            # Asked of this worker only, so the answer comes as soon as it replies (a broadcast
            # waits out the whole timeout for other workers that may answer).
            active = app.control.inspect([host_format(self.name)], timeout=1.0, limit=1).active() or {}
            # The sync's child, not one running a task the sync queued (the dashboard's totals).
            busy[:] = [
                t["worker_pid"]
                for tasks in active.values()
                for t in tasks
                if t.get("worker_pid") in pids and t.get("name") == sync_connection_task.name
            ]
            return bool(busy)

        assert wait_for(found, 30), self.tail()
        return busy[0], next(pid for pid in pids if pid != busy[0])

    def kill_all(self) -> None:
        kill([self.process.pid, *children(self.process.pid)])
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """After the test: SIGKILL (a warm shutdown took ~2 s per worker and proves nothing here;
        what a killed worker leaves in Redis goes with `clear_tasks()`)."""
        if self.process.poll() is None:
            self.kill_all()


def clear_tasks(url: str) -> None:
    """No task message left in this suite's Redis db, queued or unacknowledged (the queue
    bindings the standby workers declared stay)."""
    redis.Redis.from_url(url).delete(TASK_QUEUE, "unacked", "unacked_index", "unacked_mutex")


@pytest.fixture(scope="module")
def worker_env(redis_url, django_db_setup):
    need(connections["default"].vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://...)")
    redis.Redis.from_url(redis_url).flushdb()  # this suite's Redis db: no message left from earlier runs
    database = connections["default"].settings_dict
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": (
                f"postgres://{database['USER']}{':' + database['PASSWORD'] if database['PASSWORD'] else ''}"
                f"@{database['HOST']}:{database['PORT']}/{database['NAME']}"
            ),
            "TEST_REDIS_URL": redis_url,
            "SYNC_STALE_AFTER_SECONDS": str(STALE_AFTER),
            "SYNC_HEARTBEAT_SECONDS": "0.5",
            "CELERY_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CELERY_BROKER_RESTORE_SWEEP_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


class Standby:
    """The next worker, started ahead: a worker's start-up (~2 s, much more on a loaded machine)
    is spent while the test before waits on its worker, not on the test's own clock. A test's
    workers are taken from here; each starts consuming the tasks' queue when it is taken (for
    the broker, a new worker appears then), and the one after it is started at once."""

    def __init__(self, env: dict, logs: Path, budget: int):
        self.env, self.logs, self.budget = env, logs, budget
        self.started: list[Worker] = []
        self.next: Worker | None = None
        self._start_next()

    def _start_next(self) -> None:
        if self.budget > 0:
            self.budget -= 1
            self.next = Worker(self.env, self.logs / f"worker-{len(self.started)}.log")
            self.started.append(self.next)

    def take(self) -> Worker:
        worker = self.next or Worker(self.env, self.logs / f"worker-{len(self.started)}.log")
        if worker not in self.started:
            self.started.append(worker)
        self.next = None
        worker.wait_ready()
        worker.consume()
        self._start_next()
        return worker

    def stop(self) -> None:
        for worker in self.started:
            worker.stop()


@pytest.fixture(scope="module")
def standby(worker_env, tmp_path_factory):
    workers = Standby(worker_env, tmp_path_factory.mktemp("workers"), budget=WORKERS_IN_THIS_MODULE)
    yield workers
    workers.stop()
    clear_tasks(worker_env["TEST_REDIS_URL"])


@pytest.fixture
def workers(standby, worker_env, qstomizer_connection):
    clear_tasks(worker_env["TEST_REDIS_URL"])
    taken: list[Worker] = []

    def start() -> Worker:
        taken.append(standby.take())
        return taken[-1]

    yield start
    for worker in taken:
        worker.stop()
    clear_tasks(worker_env["TEST_REDIS_URL"])  # no unacked message left to later tests


@dataclasses.dataclass
class StallAfterFirstBatch(RandomFaults):
    """The sandbox's stall fault on every detail call after the first `fast` ones."""

    fast: int = BATCH_SIZE
    answered: int = 0

    def draw(self, endpoint: str) -> str | None:
        with self._lock:
            self.answered += endpoint == "order"
            if self.answered <= self.fast:
                return None
        return super().draw(endpoint)


@pytest.fixture
def slow_sandbox(sandbox, qstomizer_connection):
    """The first batch's detail calls (BATCH_SIZE of the 120) are answered at once; each later one
    takes 0.5 s, two at a time: the sync has written its first batch (the progress the tests wait
    for) and still has ~5 s of work when it is killed. (Before, every call took 0.15 s: ~8 s to
    the first batch, then 1.5 s in which to kill it, which one run missed.) A test calls
    `full_speed(sandbox)` once it has killed."""
    sandbox.random_faults = StallAfterFirstBatch(rate=1.0, kinds=("stall",), endpoints=("order",), stall_seconds=0.5)
    qstomizer_connection.detail_concurrency = 2
    qstomizer_connection.save()
    return sandbox


def full_speed(box) -> None:
    """The kill is done: the vendor answers at once from now on, so the recovery does not also
    wait out the simulated slowness (calls already stalling finish their stall)."""
    box.set_faults(0)


def running_with_progress() -> bool:
    return SyncRun.objects.filter(status=SyncRun.Status.RUNNING, fetched__gt=0).exists()


def all_stored_once(box) -> bool:
    ids = list(Customization.objects.values_list("external_id", flat=True))
    return len(ids) == len(set(ids)) == len(box.items)


def complete(box) -> bool:
    return SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).exists() and all_stored_once(box)


def assert_complete(box, worker: Worker) -> None:
    assert wait_for(lambda: complete(box)), (list(SyncRun.objects.values("status", "note", "errors")), worker.tail())
    ids = list(Customization.objects.values_list("external_id", flat=True))
    assert sorted(ids) == sorted(str(item.order_id) for item in box.items)


def test_sigkill_of_the_busy_child_mid_sync_ends_complete(workers, qstomizer_connection, slow_sandbox):
    worker = workers()
    sync_connection_task.delay(qstomizer_connection.pk)
    assert wait_for(running_with_progress, 60), worker.tail()

    busy, _idle = worker.busy_and_idle_child()
    os.kill(busy, signal.SIGKILL)
    full_speed(slow_sandbox)

    assert_complete(slow_sandbox, worker)
    # The killed child's run was taken over (abandoned), the same task finished the sync.
    runs = list(SyncRun.objects.order_by("started_at"))
    assert runs[0].status == SyncRun.Status.ABANDONED
    assert runs[-1].status == SyncRun.Status.SUCCEEDED
    assert runs[-1].task_id == runs[0].task_id


def test_sigkill_of_an_idle_child_loses_nothing_and_later_tasks_still_run(workers, qstomizer_connection, slow_sandbox):
    worker = workers()
    sync_connection_task.delay(qstomizer_connection.pk)
    assert wait_for(running_with_progress, 60), worker.tail()

    _busy, idle = worker.busy_and_idle_child()
    os.kill(idle, signal.SIGKILL)
    full_speed(slow_sandbox)

    assert_complete(slow_sandbox, worker)
    # The worker is not wedged: a sync queued after the kill runs too (twice over, so that
    # both children, the replacement included, take one).
    sync_connection_task.delay(qstomizer_connection.pk)
    assert wait_for(lambda: SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).count() == 2), worker.tail()
    sync_connection_task.delay(qstomizer_connection.pk)
    assert wait_for(lambda: SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).count() == 3), worker.tail()
    assert all_stored_once(slow_sandbox)


def test_sigkill_of_the_whole_worker_then_a_new_one_ends_complete(workers, qstomizer_connection, slow_sandbox):
    worker = workers()
    sync_connection_task.delay(qstomizer_connection.pk)
    assert wait_for(running_with_progress, 60), worker.tail()

    worker.kill_all()
    assert not all_stored_once(slow_sandbox)  # it really was cut off mid-sync
    full_speed(slow_sandbox)
    replacement = workers()

    # Redis gives the unacknowledged message to the new worker after the visibility timeout;
    # it waits for the dead run's lock to go stale and takes over.
    assert_complete(slow_sandbox, replacement)
    assert SyncRun.objects.filter(status=SyncRun.Status.ABANDONED).count() == 1
