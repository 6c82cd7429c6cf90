"""The reconciler: what a crashed worker left half-done is found and started again.

At-least-once delivery (Celery's acks_late) covers a task whose worker died while a broker
still holds its message; this covers the rest (a broker that lost it, the filesystem broker
that takes messages off disk on receipt, a task that was never queued because the process died
between commit and `delay`). Everything it starts is idempotent, so running it twice, or while
the original task is still around, is harmless.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from config.celery import queue_on_commit
from integrations.http import VendorError

from ..models import Customization, SideArtwork, SyncRun
from ..text import counted
from .queue import ARTWORK_FETCH_TASK, SYNC_TASK
from .sync import ABANDONED_NOTE, SyncLockHeldByEarlierAttempt, customizer_kinds, sync_runs_abandon_stale

logger = logging.getLogger(__name__)

REQUEUED_NOTE = ABANDONED_NOTE + " A new sync was queued."


def work_reconcile() -> dict:
    return {"syncs": syncs_reconcile(), "artwork": artwork_reconcile()}


def syncs_reconcile() -> int:
    """Mark running syncs whose heartbeat stopped as abandoned, and queue a new sync of each
    such connection (it resumes from where the dead run got to). Returns how many were queued."""
    queued = 0
    for run in sync_runs_abandon_stale():
        connection = run.connection
        if not connection.is_active or connection.kind not in customizer_kinds():
            continue
        SyncRun.objects.filter(pk=run.pk).update(note=REQUEUED_NOTE)
        queue_on_commit(SYNC_TASK, connection.pk, trigger=SyncRun.Trigger.SCHEDULE)
        logger.warning("sync #%s of connection %s was abandoned; a new sync is queued", run.pk, connection.pk)
        queued += 1
    return queued


def artwork_reconcile() -> int:
    """Queue the fetch again of artwork stuck in FETCHING past ARTWORK_STALE_FETCH_SECONDS (its
    worker died) and of PENDING artwork of approved customizations that nothing has touched for
    ARTWORK_PENDING_REQUEUE_SECONDS (its task was lost). The fetch claims the side itself, so a
    duplicate is a no-op. Returns how many were queued."""
    now = timezone.now()
    stale_fetch = now - timedelta(seconds=settings.ARTWORK_STALE_FETCH_SECONDS)
    idle_pending = now - timedelta(seconds=settings.ARTWORK_PENDING_REQUEUE_SECONDS)
    stuck = SideArtwork.objects.filter(state=SideArtwork.State.FETCHING, started_at__lt=stale_fetch)
    waiting = SideArtwork.objects.filter(
        state=SideArtwork.State.PENDING,
        updated_at__lt=idle_pending,
        side__customization__decision=Customization.Decision.APPROVED,
    )
    side_ids = sorted(set(stuck.values_list("side_id", flat=True)) | set(waiting.values_list("side_id", flat=True)))
    if not side_ids:
        return 0
    # Touched now, so the next pass waits a full interval again before re-queueing them.
    SideArtwork.objects.filter(side_id__in=side_ids, state=SideArtwork.State.PENDING).update(updated_at=now)
    for side_id in side_ids:
        queue_on_commit(ARTWORK_FETCH_TASK, side_id)
    logger.info("reconciler: queued the print-file fetch of %s again", counted(len(side_ids), "side"))
    return len(side_ids)


def sync_task_gave_up(*, task_id: str, attempts: int, exc: BaseException) -> None:
    """A sync task stopped for good (its retries are spent). Each attempt recorded its own run;
    the last one of this task says so in words. A run still marked running (the database was
    gone) is left to `syncs_reconcile`, which abandons it and queues a new sync."""
    reason = str(exc) if isinstance(exc, VendorError | SyncLockHeldByEarlierAttempt) else type(exc).__name__
    note = f"The worker gave up after {attempts} attempts: {reason}"
    try:
        run = (
            SyncRun.objects.filter(task_id=task_id)
            .exclude(status=SyncRun.Status.RUNNING)
            .order_by("-started_at")
            .first()
            if task_id
            else None
        )
        if run is not None:
            SyncRun.objects.filter(pk=run.pk).update(note=(f"{run.note} {note}" if run.note else note)[:2000])
    except DatabaseError:
        run = None
    logger.warning("sync task %s: %s", task_id, note)
