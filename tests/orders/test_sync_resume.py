"""A sync that stops (vendor, database, dead worker) keeps what it achieved and the next one
resumes there; the lock is a heartbeat; the reconciler finishes what crashed workers left."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connections
from django.db import connection as db_connection
from django.utils import timezone

from integrations.http import VendorRejected
from orders.models import Customization, SideArtwork, SyncRun
from orders.services import reconcile
from orders.services import sync as sync_service
from orders.services.sync import (
    EPOCH,
    Heartbeat,
    SyncLockHeldByEarlierAttempt,
    customizations_sync,
    sync_run_start,
)
from tests.factories import CustomizationFactory, SideArtworkFactory, VendorConnectionFactory

pytestmark = pytest.mark.django_db(transaction=True)

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 10, so that a sweep of the test sandbox's 120 customizations writes in steps."""
    monkeypatch.setattr(sync_service, "BATCH_SIZE", 10)


def stored_ids(connection) -> list[str]:
    return list(Customization.objects.filter(connection=connection).values_list("external_id", flat=True))


def once_after(read: int, action):
    """A progress callback that runs `action(run)` once, when `read` customizations were read."""
    done = []

    def progress(run):
        if not done and run.fetched >= read:
            done.append(run.pk)
            action(run)

    return progress


# -- resume -----------------------------------------------------------------------------------


def test_a_run_that_fails_mid_sweep_keeps_its_progress_and_the_next_resumes_there(
    qstomizer_connection, sandbox, small_batches
):
    progress = once_after(40, lambda run: sandbox.fail_next("orders", 401))  # the next list call is refused

    with pytest.raises(VendorRejected):
        customizations_sync(connection=qstomizer_connection, progress=progress, page_limit=25)

    failed = SyncRun.objects.get()
    qstomizer_connection.refresh_from_db()
    assert failed.status == SyncRun.Status.FAILED
    assert failed.read_until is not None
    assert qstomizer_connection.synced_until == failed.read_until
    kept = stored_ids(qstomizer_connection)
    assert 40 <= len(kept) < len(sandbox.items)
    # Everything dated before the watermark is stored.
    before = {str(i.order_id) for i in sandbox.items if i.created < failed.read_until}
    assert before <= set(kept)

    again = customizations_sync(connection=qstomizer_connection, page_limit=25)

    # The second run starts at the watermark less the look-back, as after a complete run.
    assert again.window_start == failed.read_until - timedelta(days=qstomizer_connection.lookback_days)
    assert again.window_start > EPOCH
    assert again.status == SyncRun.Status.SUCCEEDED, again.errors
    ids = stored_ids(qstomizer_connection)
    assert len(ids) == len(set(ids)) == len(sandbox.items)


def test_the_watermark_never_passes_a_customization_that_failed(qstomizer_connection, sandbox, small_batches):
    sandbox.fail_next("order", 404)  # the first detail call fails
    progress = once_after(60, lambda run: sandbox.fail_next("orders", 401))

    with pytest.raises(VendorRejected):
        customizations_sync(connection=qstomizer_connection, progress=progress, page_limit=25)

    run = SyncRun.objects.get()
    assert run.failed == 1
    skipped = next(error for error in run.errors if error.startswith("Customization "))
    failed_item = sandbox.by_id[int(skipped.split()[1])]
    assert str(failed_item.order_id) not in stored_ids(qstomizer_connection)
    # Windows after it were written, but the watermark stays at its date (to the minute, as
    # the list shows dates), so the next run reads it again.
    assert run.read_until is not None and run.read_until <= failed_item.created.replace(second=0)
    assert any(i.created > run.read_until for i in sandbox.items if str(i.order_id) in stored_ids(qstomizer_connection))

    again = customizations_sync(connection=qstomizer_connection, page_limit=25)
    assert again.status == SyncRun.Status.SUCCEEDED
    assert str(failed_item.order_id) in stored_ids(qstomizer_connection)


# -- the lock ---------------------------------------------------------------------------------


def test_a_redelivered_task_meeting_its_own_fresh_run_waits_then_takes_over(qstomizer_connection, sandbox):
    dead = sync_run_start(qstomizer_connection, trigger=SyncRun.Trigger.SCHEDULE, task_id="task-1")

    with pytest.raises(SyncLockHeldByEarlierAttempt) as held:
        customizations_sync(connection=qstomizer_connection, task_id="task-1")
    assert held.value.run.pk == dead.pk
    assert 0 < held.value.retry_in <= 121  # within SYNC_STALE_AFTER_SECONDS (120) and a second

    other = customizations_sync(connection=qstomizer_connection, task_id="task-2")
    assert other.status == SyncRun.Status.SKIPPED  # another task gives way, as before

    SyncRun.objects.filter(pk=dead.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=121))
    run = customizations_sync(connection=qstomizer_connection, task_id="task-1")

    assert run.status == SyncRun.Status.SUCCEEDED
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.ABANDONED
    assert len(stored_ids(qstomizer_connection)) == len(sandbox.items)


def test_the_heartbeat_thread_keeps_the_lock_fresh_and_closes_its_connection(qstomizer_connection):
    run = sync_run_start(qstomizer_connection, trigger=SyncRun.Trigger.SCHEDULE)
    old = timezone.now() - timedelta(hours=1)
    SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=old)

    beat = Heartbeat(run.pk, interval=0.05)
    beat.start()
    fresh = wait_for(lambda: SyncRun.objects.get(pk=run.pk).heartbeat_at > old)
    beat.stop()

    assert fresh
    assert not beat._thread.is_alive()
    # A run that beats is never taken as stale.
    assert sync_service.sync_runs_abandon_stale(qstomizer_connection) == []


# -- a database lost mid-sync ----------------------------------------------------------------


def test_a_database_connection_dropped_mid_sync_fails_the_run_in_words_and_the_next_resumes(
    qstomizer_connection, sandbox, small_batches, require_postgres
):
    def terminate_own_backend(run):
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]

        def kill():
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            connections["default"].close()

        killer = threading.Thread(target=kill)
        killer.start()
        killer.join()

    with pytest.raises(DatabaseError):
        customizations_sync(
            connection=qstomizer_connection, progress=once_after(40, terminate_own_backend), page_limit=25
        )

    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.FAILED
    assert run.finished_at is not None
    assert any("connection to the database was lost" in error for error in run.errors), run.errors
    assert not any("Traceback" in error or "File " in error for error in run.errors)
    assert run.read_until is not None

    again = customizations_sync(connection=qstomizer_connection, page_limit=25)
    assert again.window_start == run.read_until - timedelta(days=qstomizer_connection.lookback_days)
    assert again.status == SyncRun.Status.SUCCEEDED
    ids = stored_ids(qstomizer_connection)
    assert len(ids) == len(set(ids)) == len(sandbox.items)


# -- the reconciler ----------------------------------------------------------------------------


@pytest.fixture
def queued(monkeypatch):
    """The tasks the reconciler queues (on commit, by name), by name and arguments."""
    from config.celery import app
    from orders.services.queue import ARTWORK_FETCH_TASK, SYNC_TASK

    sent = []
    short = {SYNC_TASK: "sync", ARTWORK_FETCH_TASK: "artwork"}
    monkeypatch.setattr(app, "send_task", lambda name, args=(), **k: sent.append((short[name], tuple(args))))
    return sent


def test_the_reconciler_abandons_a_stale_sync_and_queues_a_new_one_once(qstomizer_connection, queued):
    stale = sync_run_start(qstomizer_connection, trigger=SyncRun.Trigger.SCHEDULE)
    SyncRun.objects.filter(pk=stale.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    cg = VendorConnectionFactory(kind="custom_gateway", company="9")
    other = sync_run_start(cg, trigger=SyncRun.Trigger.SCHEDULE)  # not a customizer: not re-queued
    SyncRun.objects.filter(pk=other.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    fresh_connection = VendorConnectionFactory()
    fresh = sync_run_start(fresh_connection, trigger=SyncRun.Trigger.SCHEDULE)

    assert reconcile.work_reconcile()["syncs"] == 1
    assert reconcile.work_reconcile()["syncs"] == 0  # idempotent

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == SyncRun.Status.ABANDONED
    assert "A new sync was queued" in stale.note
    assert fresh.status == SyncRun.Status.RUNNING
    assert queued == [("sync", (qstomizer_connection.pk,))]


def test_the_reconciler_requeues_stuck_and_orphaned_artwork_only(queued, settings):
    long_ago = timezone.now() - timedelta(days=1)
    approved = CustomizationFactory(decision=Customization.Decision.APPROVED)
    undecided = CustomizationFactory()
    stuck = SideArtworkFactory(side__customization=approved, state=SideArtwork.State.FETCHING, started_at=long_ago)
    orphan = SideArtworkFactory(side__customization=approved)
    busy = SideArtworkFactory(side__customization=approved, state=SideArtwork.State.FETCHING, started_at=timezone.now())
    waiting = SideArtworkFactory(side__customization=undecided)
    ready = SideArtworkFactory(side__customization=approved, state=SideArtwork.State.READY)
    SideArtwork.objects.filter(pk__in=[orphan.pk, waiting.pk, ready.pk]).update(updated_at=long_ago)

    assert reconcile.work_reconcile()["artwork"] == 2
    assert sorted(args[0] for _, args in queued) == sorted([stuck.side_id, orphan.side_id])
    assert busy.side_id not in [args[0] for _, args in queued]

    # The orphan was touched: the next pass leaves it alone for a full interval.
    queued.clear()
    reconcile.work_reconcile()
    assert [args[0] for _, args in queued] == [stuck.side_id]


def test_the_reconciler_runs_every_minute_on_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reconcile-syncs-and-artwork"]
    assert entry["task"] == "orders.tasks.sync_reconcile_task"
    assert entry["schedule"] == 60


# -- sync_vendor with nothing to sync -----------------------------------------------------------


@pytest.mark.parametrize("case", ["custom_gateway", "inactive", "unknown"])
def test_sync_vendor_with_nothing_to_sync_says_so_in_one_line(case):
    if case == "custom_gateway":
        VendorConnectionFactory(name="CG", kind="custom_gateway", company="9")
        name, expected = "CG", "nothing to sync: 'CG' is a Custom Gateway connection"
    elif case == "inactive":
        VendorConnectionFactory(name="Old shop", is_active=False)
        name, expected = "Old shop", "nothing to sync: connection 'Old shop' is inactive"
    else:
        name, expected = "Nope", "no connection 'Nope'"

    with pytest.raises(CommandError, match=expected):
        call_command("sync_vendor", name, "--no-progress")
    assert SyncRun.objects.count() == 0

    # As an operator runs it: one line on stderr, exit status 1, no traceback.
    database = connections["default"].settings_dict
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        if db_connection.vendor == "postgresql"
        else f"sqlite:///{database['NAME']}",
    }
    if db_connection.vendor != "postgresql":
        return  # an in-memory SQLite test database is not reachable from another process
    done = subprocess.run(
        [sys.executable, "manage.py", "sync_vendor", name, "--no-progress"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.startswith("CommandError")]
    assert len(lines) == 1 and expected in lines[0]
    assert "Traceback" not in done.stderr


def wait_for(predicate, timeout=30.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
