"""customizations_sync: pull every customization of a connection, completely and idempotently.

One sync for every customizer app: the vendor's source (`connection.spec.source`, see
integrations.sources) yields neutral records, with the vendor's paging quirks and payload
mapping kept in `integrations/<vendor>/`; this module upserts them and records the run.

Shape of a run: take the connection's lock (a SyncRun row in status "running", unique per
connection in the database), read the source's listing page by page, fetch the details of what
is new or changed, several at once, and write them in batches. Unchanged data is compared, not
written. One bad customization is recorded and skipped; a failed list call ends the run with the
reason, keeping what was already written. A source whose store orders have a listing of their
own is walked after that, their lines pointing at customizations (read by id when missing).

Progress is kept as it goes (Stripe's and Celery's at-least-once advice: make every step
resumable): for a source whose listing can be read from a date, the end of the last page all of
whose customizations are written, never past a customization that failed, is the run's
`read_until` and the connection's `synced_until`, so a run that stops (vendor, database, or a
killed worker) is resumed there by the next one, less the look-back, as after a complete run.
While a run works, a heartbeat thread keeps its lock fresh; a lock whose heartbeat stopped for
SYNC_STALE_AFTER_SECONDS is taken over.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import Q
from django.utils import timezone

from integrations.http import VendorError, VendorRejected
from integrations.registry import Capability, specs_with
from integrations.sources import CustomizationRecord, CustomizationSource, Listed, Skipped, StoreOrderRecord, Unreadable

from ..models import SyncRun, VendorConnection
from ..signals import announce, customizations_synced, sync_run_finished
from .bad_words import records_screen
from .connections import connection_client
from .payloads import payload_hash
from .writer import (
    Known,
    customization_pks,
    customizations_write,
    existing_state,
    store_orders_known,
    store_orders_write,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
# Batches queued (their details fetched) beyond the one being written: the fetches run ahead of
# the writes by at most this many, which also bounds what is held in memory.
IN_FLIGHT = 2
# The first sync of a dated source reads everything from here.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
MAX_RECORDED_ERRORS = 200

Progress = Callable[[SyncRun], None]

ABANDONED_NOTE = "The worker stopped answering; the run was abandoned."


def customizer_kinds() -> list[str]:
    """The connection kinds whose customizations are synced: Capability.CUSTOMIZER_SYNC, with a source."""
    return [spec.kind for spec in specs_with(Capability.CUSTOMIZER_SYNC) if spec.source is not None]


def record_error(run: SyncRun, message: str) -> None:
    if len(run.errors) < MAX_RECORDED_ERRORS:
        run.errors.append(message)
    elif len(run.errors) == MAX_RECORDED_ERRORS:
        run.errors.append("… more errors were not recorded.")


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
    page_limit: int | None = None,
    task_id: str = "",
) -> SyncRun:
    """Pull everything new or changed since `since` (default: where the last sync got to, less
    the connection's look-back). Idempotent; records and returns a SyncRun. Raises VendorError
    when the vendor could not be read at all, and DatabaseError when the database went away,
    after recording either on the run; NothingToSync for a connection that has no
    customizations to sync. `page_limit`: the vendor's page size, where it has one (default the
    vendor's maximum)."""
    if not connection.is_active:
        raise NothingToSync(f"connection {connection.name!r} is inactive")
    spec = connection.spec
    if not spec.has(Capability.CUSTOMIZER_SYNC) or spec.source is None:
        raise NothingToSync(
            f"connection {connection.name!r} is a {spec.label} connection: it has no customizations to sync"
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
        source = spec.source(client, page_size=page_limit)
        CustomizationsSync(connection, run, source, progress=progress).run(since)
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
        _announce_finished(run)
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
    if status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL):
        # Finished reading, with or without a skipped customization: a source that cannot say how
        # far it is (Kickflip's listing has no dates or totals) otherwise stopped at the 50% its
        # store-order phase starts at.
        run.progress = 1.0
    run.save()
    _announce_finished(run)


def _announce_finished(run: SyncRun) -> None:
    announce(sync_run_finished, sender=SyncRun, run=run)


@dataclass
class _Queued:
    """A batch of the listing whose details are being fetched, waiting for its write."""

    size: int  # list entries, before merging (what the watermark counts)
    items: list[Listed | Skipped]
    ids: set[str]
    state: dict[str, Known]
    recheck: bool
    unchanged: int = 0
    fetching: dict[str, Future] = field(default_factory=dict)


class CustomizationsSync:
    """One run's work over a source: pages in, details fetched several at once, batches written,
    the watermark moved, the SyncRun's counters kept."""

    def __init__(
        self,
        connection: VendorConnection,
        run: SyncRun,
        source: CustomizationSource,
        *,
        progress: Progress | None = None,
    ):
        self.connection = connection
        self.run_record = run
        self.source = source
        self.progress = progress
        self.earliest_failure: datetime | None = None
        self.orders_read = self.orders_written = 0
        self.in_flight: deque[_Queued] = deque()
        self.write_failed = False
        # (customizations queued once a page was read, what that page read up to): a page is done
        # once that many are written.
        self.pages: deque[tuple[int, datetime | None]] = deque()
        self.written = 0

    def run(self, since: datetime | None) -> None:
        with ThreadPoolExecutor(max_workers=max(1, self.connection.detail_concurrency)) as pool:
            self.pool = pool
            try:
                if self.source.dated:
                    self._read_dated(since)
                else:
                    self._read_all()
                if self.source.lists_store_orders:
                    self._read_store_orders()
            except BaseException:
                # Stopped: the details still queued are not fetched.
                pool.shutdown(wait=False, cancel_futures=True)
                raise

    # -- customizations ---------------------------------------------------------------------

    def _read_dated(self, since: datetime | None) -> None:
        """A listing read from a date on: from `since` (default: the connection's watermark less
        its look-back), keeping the watermark as the pages are written."""
        connection, run = self.connection, self.run_record
        started = timezone.now()
        if since is None:
            since = (
                connection.synced_until - timedelta(days=connection.lookback_days) if connection.synced_until else EPOCH
            )
        end = started + self.source.clock_margin
        run.window_start, run.window_end = since, end
        run.save(update_fields=["window_start", "window_end"])
        self.started = started
        # The connection's resume point moves with this run only when the run started at or
        # before it: a run asked to start later (--since) must not jump a gap.
        self.advances_connection = connection.synced_until is None or since <= connection.synced_until
        queued = 0
        pending: list[Listed | Skipped] = []
        with self._draining_on_vendor_error():
            for page in self.source.customizations(start=since, end=end):
                for warning in page.warnings:
                    record_error(run, warning)
                pending.extend(page.items)
                queued += len(page.items)
                self.pages.append((queued, page.read_until))
                while len(pending) >= BATCH_SIZE:
                    self._submit(pending[:BATCH_SIZE])
                    pending = pending[BATCH_SIZE:]
                if not pending and not self.in_flight:
                    self._read_up_to(self.pages, self.written)
                if page.progress is not None:
                    run.progress = page.progress
                self._beat()
        if pending:
            self._submit(pending)
        self._drain()
        # Everything before `synced_until` is in; a failed customization holds it back so that the
        # next sync reads it again.
        horizon = started if self.earliest_failure is None else min(started, self.earliest_failure)
        self._record_read_until(horizon, connection_too=True)
        connection.refresh_from_db(fields=["synced_until"])

    def _read_all(self) -> None:
        """A listing that cannot be read from a date: all of it, every time, compared before writing."""
        run = self.run_record
        run.window_end = timezone.now()
        run.save(update_fields=["window_end"])
        pending: list[Listed | Skipped] = []
        with self._draining_on_vendor_error():
            for page in self.source.customizations(start=EPOCH, end=run.window_end):
                pending.extend(page.items)
                while len(pending) >= BATCH_SIZE:
                    self._submit(pending[:BATCH_SIZE])
                    pending = pending[BATCH_SIZE:]
        if pending:
            self._submit(pending)
        self._drain()

    def _read_up_to(self, pages: deque, written: int) -> None:
        """Move the watermark past every page whose customizations are all written: to what it
        read up to, never past now, never past a customization that failed."""
        mark = None
        while pages and pages[0][0] <= written:
            mark = pages.popleft()[1] or mark
        if mark is None:
            return
        mark = min(mark, self.started)
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

    def _submit(self, batch: list[Listed | Skipped]) -> None:
        """Queue one batch of the listing: what is unchanged is counted, what is new or changed
        has its details asked for (the pool's threads fetch them while earlier batches are
        written). Once more than IN_FLIGHT batches are queued, the oldest is written: the
        listing, the fetches and the writes overlap, and memory holds at most that many."""
        merged = self._merged(batch)
        ids = [item.external_id for item in merged if isinstance(item, Listed)]
        # An id also in a batch still being fetched is read again when written (that batch's
        # write may have changed it).
        overlaps = any(external_id in queued.ids for queued in self.in_flight for external_id in ids)
        state = existing_state(self.connection, ids)
        queued = _Queued(size=len(batch), items=merged, ids=set(ids), state=state, recheck=overlaps)
        for item in merged:
            if isinstance(item, Skipped) or item.record is not None:
                continue
            if _unchanged(state.get(item.external_id), item):
                queued.unchanged += 1
            else:
                queued.fetching[item.external_id] = self.pool.submit(self._detail, item)
        self.in_flight.append(queued)
        while len(self.in_flight) > IN_FLIGHT:
            self._write_oldest()

    def _drain(self) -> None:
        while self.in_flight:
            self._write_oldest()

    @contextlib.contextmanager
    def _draining_on_vendor_error(self):
        """A listing that fails part-way still has the batches already queued written (their
        details are being fetched) before the error ends the run, as when they were written in
        turn: the watermark keeps all of that progress."""
        try:
            yield
        except VendorError:
            if not self.write_failed:  # after a failed write, later batches must not move the watermark
                self._drain()
            raise

    def _write_oldest(self) -> None:
        """Write the oldest queued batch, once its details are in, and move the watermark."""
        queued = self.in_flight.popleft()
        try:
            self._write_queued(queued)
        except BaseException:
            self.write_failed = True
            raise

    def _write_queued(self, queued: _Queued) -> None:
        run = self.run_record
        run.fetched += len(queued.items)
        run.unchanged += queued.unchanged
        records: list[CustomizationRecord] = []
        for item in queued.items:
            if isinstance(item, Skipped):
                self._failed(item, item.reason)
            elif item.record is not None:
                records.append(item.record)
            elif (future := queued.fetching.get(item.external_id)) is not None:
                result = future.result()
                if isinstance(result, Exception):
                    self._failed(item, result)
                else:
                    records.append(result)
        state = queued.state
        if queued.recheck:
            state = existing_state(self.connection, [record.external_id for record in records])
        self._write(records, state)
        self.written += queued.size
        if self.source.dated:
            self._read_up_to(self.pages, self.written)
        self._beat()

    def _merged(self, batch: list[Listed | Skipped]) -> list[Listed | Skipped]:
        """One entry per customization, whatever pages it was listed on."""
        merged: dict[str, Listed | Skipped] = {}
        for item in batch:
            first = merged.get(item.external_id)
            if first is None:
                merged[item.external_id] = item
            elif isinstance(first, Listed) and isinstance(item, Listed):
                merged[item.external_id] = self.source.merge(first, item)
        return list(merged.values())

    def _detail(self, item: Listed) -> CustomizationRecord | Exception:
        return _call(self.source.detail, item)

    def _failed(self, item: Listed | Skipped, exc: Exception | str) -> None:
        self.skip(item.what if isinstance(item, Skipped) else item.external_id, exc)
        if not self.source.dated:
            return
        dated = (item.dated if isinstance(item, Listed) else None) or self.run_record.window_start
        if dated is not None and (self.earliest_failure is None or dated < self.earliest_failure):
            self.earliest_failure = dated

    def _write(self, records: list[CustomizationRecord], state: dict[str, Known]) -> None:
        """Screen a batch of records in memory, then write it with its flags."""
        run = self.run_record
        outcome = customizations_write(self.connection, records, state, records_screen(records))
        run.created += outcome.created
        run.updated += outcome.updated
        run.unchanged += outcome.unchanged
        if outcome.written:
            # Announced per batch, once it is committed (the automation rules act on it).
            announce(
                customizations_synced,
                sender=SyncRun,
                connection=self.connection,
                customization_ids=outcome.written_pks,
            )

    def skip(self, what, exc: Exception | str) -> None:
        self.run_record.failed += 1
        record_error(self.run_record, f"Customization {what} was skipped: {exc}")
        logger.warning("connection %s: customization %s skipped: %s", self.connection.pk, what, exc)

    def _beat(self) -> None:
        run = self.run_record
        run.heartbeat_at = timezone.now()
        run.requests_made = self.source.requests_made
        run.save(
            update_fields=[
                "heartbeat_at",
                "progress",
                "fetched",
                "created",
                "updated",
                "unchanged",
                "failed",
                "errors",
                "requests_made",
                "note",
            ]
        )
        if self.progress:
            self.progress(run)

    # -- store orders -------------------------------------------------------------------------

    def _read_store_orders(self) -> None:
        run = self.run_record
        run.progress = max(run.progress, 0.5)
        self._beat()
        batch: list[StoreOrderRecord | Skipped] = []
        for order in self.source.store_orders():
            batch.append(order)
            if len(batch) >= BATCH_SIZE:
                self._store_orders(batch)
                batch = []
        self._store_orders(batch)
        run.note = f"{self.orders_read} orders read, {self.orders_written} new or changed."[:255]

    def _store_orders(self, orders: list[StoreOrderRecord | Skipped]) -> None:
        if not orders:
            return
        run = self.run_record
        read: dict[str, StoreOrderRecord] = {}
        for order in orders:
            if isinstance(order, Skipped):
                record_error(run, f"Order {order.what} was skipped: {order.reason}")
                run.failed += 1
                continue
            read[order.external_id] = order
        self.orders_read += len(read)
        known = store_orders_known(self.connection, read)
        digests = {key: payload_hash(order.raw) for key, order in read.items()}
        changed = [order for key, order in read.items() if known.get(key) != digests[key]]
        if not changed:
            self._beat()
            return
        wanted = {line.customization_id for order in changed for line in order.lines}
        self._customizations_missing(wanted)
        customizations = customization_pks(self.connection, wanted)
        # An order with a customization that could not be read is kept without its fingerprint,
        # so the next sync sees it as changed and tries that customization again.
        to_write = []
        for order in changed:
            complete = all(line.customization_id in customizations for line in order.lines)
            to_write.append((order, digests[order.external_id] if complete else ""))
        for error in store_orders_write(self.connection, to_write, customizations):
            record_error(run, error)
        self.orders_written += len(changed)
        self._beat()

    def _customizations_missing(self, external_ids: set[str]) -> None:
        """A customization a store order names but the listing did not show: read it by id."""
        present = set(customization_pks(self.connection, external_ids))
        missing = sorted(external_ids - present)
        if not missing:
            return
        run = self.run_record
        records = []
        for external_id, result in zip(missing, self.pool.map(self._by_id, missing), strict=True):
            if isinstance(result, Unreadable):
                run.fetched += 1
                self.skip(external_id, result)
            elif isinstance(result, Exception):
                self.skip(external_id, result)
            else:
                run.fetched += 1
                records.append(result)
        self._write(records, existing_state(self.connection, [record.external_id for record in records]))
        self._beat()

    def _by_id(self, external_id: str) -> CustomizationRecord | Exception:
        return _call(self.source.customization, external_id)


def _unchanged(known: Known | None, item: Listed) -> bool:
    """What we hold came from the same list rows: no detail call needed."""
    return known is not None and bool(known.payload_hash) and known.listing == list(item.listing)


def _call(read: Callable, arg):
    """A detail read, in a worker thread: its failure is returned, to be recorded, except refused
    credentials, which end the run (every other call would fail too)."""
    try:
        return read(arg)
    except VendorRejected as exc:
        if exc.status in (401, 403):
            raise
        return exc
    except (VendorError, Unreadable) as exc:
        return exc
