"""customizations_sync: pull every customization of a connection, completely and idempotently.

Shape of a run: take the connection's lock (a SyncRun row in status "running", unique per
connection in the database), sweep the vendor's listing window by window, fetch the details
of what is new or changed, several at once, and write them in batches. Unchanged data is
compared, not written. One bad customization is recorded and skipped; a failed list call ends
the run with the reason, keeping what was already written.

Progress is kept as it goes (Stripe's and Celery's at-least-once advice: make every step
resumable): the end of the last window all of whose customizations are written, never past a
customization that failed, is the run's `read_until` and the connection's `synced_until`, so a
run that stops (vendor, database, or a killed worker) is resumed there by the next one, less the
look-back, as after a complete run. While a run works, a heartbeat thread keeps its lock fresh;
a lock whose heartbeat stopped for SYNC_STALE_AFTER_SECONDS is taken over.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import Q
from django.utils import timezone

from integrations.http import VendorError, VendorRejected
from integrations.qstomizer.client import Listed, QstomizerClient
from integrations.qstomizer.types import PAGE_LIMIT, parse_date
from integrations.registry import Capability

from ..models import SyncRun, VendorConnection
from .connections import connection_client
from .mycustomizer_sync import MyCustomizerSync
from .qstomizer_mapping import listing_rows, map_customization
from .sync_base import ConnectionSync, record_error
from .writer import existing_state

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
# The doc's own example queries from 2000-01-01: the first sync reads everything from there.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# The doc names no time zone for its dates; a day's margin past "now" covers any shop's clock.
CLOCK_MARGIN = timedelta(days=1)

Progress = Callable[[SyncRun], None]

ABANDONED_NOTE = "The worker stopped answering; the run was abandoned."


class SyncLockHeldByEarlierAttempt(Exception):
    """The lock is held by an earlier attempt of this same task (a redelivery after its worker
    died): not another sync to give way to, but our own dead run, whose heartbeat has not gone
    stale yet. The caller tries again after `retry_in` seconds and then takes over."""

    def __init__(self, run: SyncRun, retry_in: int):
        self.run = run
        self.retry_in = retry_in
        super().__init__(f"sync #{run.pk} of this task still holds the lock; trying again in {retry_in} s")


def sync_runs_abandon_stale(connection: VendorConnection | None = None) -> list[SyncRun]:
    """Mark running syncs whose heartbeat stopped for SYNC_STALE_AFTER_SECONDS as abandoned, and
    return them. Idempotent: a run is abandoned once (the UPDATE re-checks the state)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS)
    runs = SyncRun.objects.filter(status=SyncRun.Status.RUNNING, heartbeat_at__lt=stale)
    if connection is not None:
        runs = runs.filter(connection=connection)
    abandoned = []
    for run in runs.select_related("connection"):
        if (
            SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING, heartbeat_at__lt=stale).update(
                status=SyncRun.Status.ABANDONED, finished_at=now, note=ABANDONED_NOTE
            )
            == 1
        ):
            abandoned.append(run)
    return abandoned


def sync_run_start(connection: VendorConnection, *, trigger: str, user=None, task_id: str = "") -> SyncRun:
    """Take the connection's lock, or record a skipped run that says who holds it. Raises
    SyncLockHeldByEarlierAttempt when the holder is an earlier attempt of task `task_id`."""
    sync_runs_abandon_stale(connection)
    now = timezone.now()
    try:
        with transaction.atomic():
            return SyncRun.objects.create(connection=connection, trigger=trigger, requested_by=user, task_id=task_id)
    except IntegrityError:
        holder = SyncRun.objects.filter(connection=connection, status=SyncRun.Status.RUNNING).first()
        if holder is not None and task_id and holder.task_id == task_id:
            stale_at = holder.heartbeat_at + timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS)
            raise SyncLockHeldByEarlierAttempt(holder, max(1, int((stale_at - now).total_seconds()) + 1)) from None
        since = f" since {timezone.localtime(holder.started_at):%Y-%m-%d %H:%M:%S}" if holder else ""
        note = f"Skipped: sync #{holder.pk if holder else '?'} of this connection is already running{since}."
        return SyncRun.objects.create(
            connection=connection,
            trigger=trigger,
            requested_by=user,
            status=SyncRun.Status.SKIPPED,
            finished_at=now,
            note=note,
        )


def customizations_sync(
    *,
    connection: VendorConnection,
    since: datetime | None = None,
    trigger: str = SyncRun.Trigger.MANUAL,
    user=None,
    progress: Progress | None = None,
    page_limit: int = PAGE_LIMIT,
    task_id: str = "",
) -> SyncRun:
    """Pull everything new or changed since `since` (default: where the last sync got to, less
    the connection's look-back). Idempotent; records and returns a SyncRun. Raises VendorError
    when the vendor could not be read at all, and DatabaseError when the database went away,
    after recording either on the run; NothingToSync for a connection that has no
    customizations to sync."""
    if not connection.is_active:
        raise NothingToSync(f"connection {connection.name!r} is inactive")
    if not connection.spec.has(Capability.CUSTOMIZER_SYNC):
        raise NothingToSync(
            f"connection {connection.name!r} is a {connection.get_kind_display()} connection: "
            "it has no customizations to sync"
        )
    run = sync_run_start(connection, trigger=trigger, user=user, task_id=task_id)
    if run.status == SyncRun.Status.SKIPPED:
        return run
    # Where the last run got to, as stored now that we hold the lock (not as the caller read it).
    connection.refresh_from_db(fields=["synced_until"])
    client = connection_client(connection)
    heartbeat = Heartbeat(run.pk, interval=settings.SYNC_HEARTBEAT_SECONDS)
    heartbeat.start()
    try:
        if connection.spec.has(Capability.PRINT_FILES):  # TODO(sync): the spec's source
            QstomizerSync(connection, run, client, progress=progress, page_limit=page_limit).run(since)
        else:
            MyCustomizerSync(connection, run, client, progress=progress).run(since)
    except VendorError as exc:
        _finish(run, SyncRun.Status.FAILED, error=f"Stopped: {exc}", client=client)
        raise
    except DatabaseError as exc:
        logger.warning("sync #%s of connection %s lost its database: %s", run.pk, connection.pk, type(exc).__name__)
        _finish_on_fresh_connection(run, client, exc)
        raise
    except Exception as exc:
        logger.exception("sync #%s of connection %s crashed", run.pk, connection.pk)
        _finish(
            run, SyncRun.Status.FAILED, error=f"Stopped by an internal error ({type(exc).__name__}).", client=client
        )
        raise
    finally:
        heartbeat.stop()
        client.close()
    _finish(run, SyncRun.Status.PARTIAL if run.errors else SyncRun.Status.SUCCEEDED, client=client)
    return run


class NothingToSync(ValueError):
    """The connection has no customizations to sync (inactive, or a fulfilment partner)."""


class Heartbeat:
    """Keeps a running sync's lock fresh from a thread of its own, every `interval` seconds,
    however long one vendor call or one batch takes; on its own database connection, closed
    when it stops. A worker that dies stops beating, and its run goes stale within
    SYNC_STALE_AFTER_SECONDS."""

    def __init__(self, run_pk: int, *, interval: float):
        self.run_pk = run_pk
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"sync-{run_pk}-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=max(5.0, self.interval))

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    SyncRun.objects.filter(pk=self.run_pk, status=SyncRun.Status.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as exc:  # try again at the next beat, on a new connection
                    logger.warning("sync #%s: heartbeat failed (%s)", self.run_pk, type(exc).__name__)
                    db_connection.close()
        finally:
            db_connection.close()


def _finish_on_fresh_connection(run: SyncRun, client, exc: DatabaseError) -> None:
    """Record a run stopped by a lost database on a new connection (the old one is dead)."""
    with contextlib.suppress(DatabaseError):
        db_connection.close()
    resume = f" The next sync resumes from {run.read_until:%Y-%m-%d %H:%M:%S} UTC." if run.read_until else ""
    record_error(
        run,
        f"Stopped: the connection to the database was lost ({type(exc).__name__}). "
        f"What was written before is kept.{resume}",
    )
    try:
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.FAILED,
            finished_at=timezone.now(),
            errors=run.errors,
            requests_made=client.requests_made,
        )
        run.status = SyncRun.Status.FAILED
    except DatabaseError:
        # Still no database: the run stays "running" with a stopped heartbeat, and is marked
        # abandoned once stale (by the reconciler or the next sync).
        logger.error("sync #%s: could not record its failure either", run.pk)


def _finish(run: SyncRun, status: str, *, client, error: str | None = None) -> None:
    if error:
        record_error(run, error)
    run.status = status
    run.finished_at = timezone.now()
    run.requests_made = client.requests_made
    if status == SyncRun.Status.SUCCEEDED:
        run.progress = 1.0
    run.save()


class QstomizerSync(ConnectionSync):
    def __init__(self, connection, run: SyncRun, client: QstomizerClient, *, progress=None, page_limit=PAGE_LIMIT):
        super().__init__(connection, run, client, progress=progress)
        self.page_limit = page_limit
        self.earliest_failure: datetime | None = None

    def run(self, since: datetime | None) -> None:
        connection, run = self.connection, self.run_record
        started = timezone.now()
        if since is None:
            since = (
                connection.synced_until - timedelta(days=connection.lookback_days) if connection.synced_until else EPOCH
            )
        end = started + CLOCK_MARGIN
        run.window_start, run.window_end = since, end
        run.save(update_fields=["window_start", "window_end"])
        span = max((end - since).total_seconds(), 1.0)
        self.started = started
        # The connection's resume point moves with this run only when the run started at or
        # before it: a run asked to start later (--since) must not jump a gap.
        self.advances_connection = connection.synced_until is None or since <= connection.synced_until
        pending: list[Listed] = []
        queued = written = 0
        # (customizations queued once a window was read, that window's end): a window is done
        # once that many are written.
        windows: deque[tuple[int, datetime]] = deque()
        with ThreadPoolExecutor(max_workers=max(1, connection.detail_concurrency)) as pool:
            for window in self.client.iter_windows(start=since, end=end, limit=self.page_limit):
                if not window.complete:
                    record_error(
                        run,
                        f"More than {self.page_limit} customizations are dated {window.start:%Y-%m-%d %H:%M:%S}; "
                        f"the API returns at most {self.page_limit} for one second, so some of them may be missing.",
                    )
                pending.extend(window.customizations)
                queued += len(window.customizations)
                windows.append((queued, window.end))
                while len(pending) >= BATCH_SIZE:
                    self._process(pending[:BATCH_SIZE], pool)
                    written += BATCH_SIZE
                    pending = pending[BATCH_SIZE:]
                    self._read_up_to(windows, written)
                if not pending:
                    self._read_up_to(windows, written)
                run.progress = min(1.0, (window.end - since).total_seconds() / span)
                self._beat()
            if pending:
                self._process(pending, pool)
                written += len(pending)
                self._read_up_to(windows, written)
        # Everything before `synced_until` is in; a failed customization holds it back so that the
        # next sync reads it again.
        horizon = started if self.earliest_failure is None else min(started, self.earliest_failure)
        self._record_read_until(horizon, connection_too=True)
        connection.refresh_from_db(fields=["synced_until"])

    def _read_up_to(self, windows: deque, written: int) -> None:
        """Move the watermark past every window whose customizations are all written: to the
        second after its end, never past now, never past a customization that failed."""
        end = None
        while windows and windows[0][0] <= written:
            end = windows.popleft()[1]
        if end is None:
            return
        mark = min(end + timedelta(seconds=1), self.started)
        if self.earliest_failure is not None:
            mark = min(mark, self.earliest_failure)
        run = self.run_record
        if run.read_until is not None and mark <= run.read_until:
            return
        self._record_read_until(mark, connection_too=self.advances_connection)

    def _record_read_until(self, mark: datetime, *, connection_too: bool) -> None:
        """The run read everything up to `mark`; so did the connection (it only moves forward)."""
        self.run_record.read_until = mark
        SyncRun.objects.filter(pk=self.run_record.pk).update(read_until=mark)
        if connection_too:
            VendorConnection.objects.filter(pk=self.connection.pk).filter(
                Q(synced_until__isnull=True) | Q(synced_until__lt=mark)
            ).update(synced_until=mark)

    def _process(self, batch: list[Listed], pool: ThreadPoolExecutor) -> None:
        run = self.run_record
        batch = _merged(batch)
        run.fetched += len(batch)
        state = existing_state(self.connection, [str(item.order_id) for item in batch])
        to_fetch = []
        for item in batch:
            known = state.get(str(item.order_id))
            if known is not None and known.listing == listing_rows(item) and known.payload_hash:
                run.unchanged += 1
            else:
                to_fetch.append(item)
        mapped = []
        for item, result in zip(to_fetch, pool.map(self._fetch, to_fetch), strict=True):
            if isinstance(result, Exception):
                self._failed(item, result)
                continue
            try:
                mapped.append(map_customization(item, result))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                self._failed(item, ValueError(f"unreadable data ({exc})"))
        self._write(mapped, state)
        self._beat()

    def _fetch(self, item: Listed):
        try:
            return self.client.customization(item.order_id)
        except VendorRejected as exc:
            if exc.status in (401, 403):
                raise  # the credentials are wrong: every other call would fail too
            return exc
        except VendorError as exc:
            return exc

    def _failed(self, item: Listed, exc: Exception) -> None:
        self.skip(item.order_id, exc)
        try:
            dated = parse_date(item.rows[0].get("order_date")) or self.run_record.window_start
        except ValueError:
            dated = self.run_record.window_start
        if self.earliest_failure is None or dated < self.earliest_failure:
            self.earliest_failure = dated


def _merged(batch: list[Listed]) -> list[Listed]:
    """One entry per order_id, whatever windows its rows came from."""
    merged: dict[int, Listed] = {}
    for item in batch:
        if item.order_id in merged:
            merged[item.order_id].rows.extend(row for row in item.rows if row not in merged[item.order_id].rows)
        else:
            merged[item.order_id] = item
    return list(merged.values())
