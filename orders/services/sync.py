"""customizations_sync: pull every customization of a connection, completely and idempotently.

Shape of a run: take the connection's lock (a SyncRun row in status "running", unique per
connection in the database), sweep the vendor's listing window by window, fetch the details
of what is new or changed, several at once, and write them in batches. Unchanged data is
compared, not written. One bad customization is recorded and skipped; a failed list call ends
the run with the reason, keeping what was already written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.http import VendorError, VendorRejected
from integrations.qstomizer.client import Listed, QstomizerClient
from integrations.qstomizer.types import PAGE_LIMIT, parse_date

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


def sync_run_start(connection: VendorConnection, *, trigger: str, user=None) -> SyncRun:
    """Take the connection's lock, or record a skipped run that says who holds it."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS)
    SyncRun.objects.filter(connection=connection, status=SyncRun.Status.RUNNING, heartbeat_at__lt=stale).update(
        status=SyncRun.Status.ABANDONED, finished_at=now, note="The worker stopped answering; the run was abandoned."
    )
    try:
        with transaction.atomic():
            return SyncRun.objects.create(connection=connection, trigger=trigger, requested_by=user)
    except IntegrityError:
        holder = SyncRun.objects.filter(connection=connection, status=SyncRun.Status.RUNNING).first()
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
) -> SyncRun:
    """Pull everything new or changed since `since` (default: the last complete sync, less the
    connection's look-back). Idempotent; records and returns a SyncRun. Raises VendorError when
    the vendor could not be read at all, after recording it on the run."""
    if not connection.is_active:
        raise ValueError(f"connection {connection.name!r} is inactive")
    if connection.kind not in VendorConnection.CUSTOMIZER_KINDS:
        raise ValueError(f"{connection.get_kind_display()} connections have no customizations to sync")
    run = sync_run_start(connection, trigger=trigger, user=user)
    if run.status == SyncRun.Status.SKIPPED:
        return run
    client = connection_client(connection)
    try:
        if connection.kind == VendorConnection.Kind.QSTOMIZER:
            QstomizerSync(connection, run, client, progress=progress, page_limit=page_limit).run(since)
        else:
            MyCustomizerSync(connection, run, client, progress=progress).run(since)
    except VendorError as exc:
        _finish(run, SyncRun.Status.FAILED, error=f"Stopped: {exc}", client=client)
        raise
    except Exception as exc:
        logger.exception("sync #%s of connection %s crashed", run.pk, connection.pk)
        _finish(
            run, SyncRun.Status.FAILED, error=f"Stopped by an internal error ({type(exc).__name__}).", client=client
        )
        raise
    finally:
        client.close()
    _finish(run, SyncRun.Status.PARTIAL if run.errors else SyncRun.Status.SUCCEEDED, client=client)
    return run


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
        pending: list[Listed] = []
        with ThreadPoolExecutor(max_workers=max(1, connection.detail_concurrency)) as pool:
            for window in self.client.iter_windows(start=since, end=end, limit=self.page_limit):
                if not window.complete:
                    record_error(
                        run,
                        f"More than {self.page_limit} customizations are dated {window.start:%Y-%m-%d %H:%M:%S}; "
                        f"the API returns at most {self.page_limit} for one second, so some of them may be missing.",
                    )
                pending.extend(window.customizations)
                while len(pending) >= BATCH_SIZE:
                    self._process(pending[:BATCH_SIZE], pool)
                    pending = pending[BATCH_SIZE:]
                run.progress = min(1.0, (window.end - since).total_seconds() / span)
                self._beat()
            if pending:
                self._process(pending, pool)
        # Everything before `synced_until` is in; a failed customization holds it back so that the
        # next sync reads it again.
        horizon = started if self.earliest_failure is None else min(started, self.earliest_failure)
        if connection.synced_until is None or horizon > connection.synced_until:
            VendorConnection.objects.filter(pk=connection.pk).update(synced_until=horizon)
            connection.synced_until = horizon

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
