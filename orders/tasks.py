"""Celery entry points of `orders`: thin, each calls one service, all in one declarative style.

Every task here may run twice (acks_late: a task whose worker died is delivered again), so each
is idempotent: the sync is keyed by vendor ids and takes a lock, the artwork fetch claims its
side, the re-screen only screens what is not screened yet. Transient failures are retried by
Celery itself (`autoretry_for`, exponential backoff with jitter, at most `max_retries`); when the
retries are spent, `on_failure` records the outcome in words through a service. Services never
import this module: they queue these tasks by name (`orders.services.queue`)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError

from config.celery import failure_cause, reliable_task
from integrations.http import VendorRetryable
from integrations.registry import Capability

from .models import CustomizationSide, SyncRun, VendorConnection
from .services import artwork as artwork_services
from .services import bad_words as bad_words_services
from .services import reconcile as reconcile_services
from .services import sync as sync_services
from .services import thumbnails as thumbnail_services
from .services.queue import ARTWORK_FETCH_TASK, RESCREEN_TASK, SYNC_RECONCILE_TASK, SYNC_TASK, THUMBNAILS_MIRROR_TASK

# Worth trying again soon: the vendor or the network, and a database that is briefly gone ("too
# many clients already", a restart, a failover). A lost database ends a sync run as failed
# (recorded on a new connection); trying again resumes from where it got to.
TRANSIENT = (VendorRetryable, OperationalError, InterfaceError)
DATABASE_GONE = (OperationalError, InterfaceError)

# Every task is acknowledged when done and given back to the queue when its worker process dies
# (acks_late, reject_on_worker_lost). Backoff doubles from `retry_backoff` seconds, with full
# jitter, to at most RETRY_BACKOFF_MAX (under the broker's visibility timeout).
# How often a redelivered sync waits for its own dead run's lock to go stale before giving up.
LOCK_TAKEOVER_RETRIES = 10


def _sync_gave_up(self, exc, task_id, args, kwargs, einfo) -> None:
    reconcile_services.sync_task_gave_up(task_id=task_id, attempts=self.request.retries + 1, exc=failure_cause(exc))


@reliable_task(
    name=SYNC_TASK,
    autoretry_for=TRANSIENT,
    retry_backoff=60,
    max_retries=5,
    on_failure=_sync_gave_up,
)
def sync_connection_task(self, connection_id: int, trigger: str = SyncRun.Trigger.MANUAL, user_id=None) -> dict:
    connection = (
        VendorConnection.objects.filter(pk=connection_id, is_active=True)
        .with_capability(Capability.CUSTOMIZER_SYNC)
        .first()
    )
    if connection is None:
        return {"skipped": "connection missing, inactive or not a customizer"}
    task_id = self.request.id or ""
    if task_id:
        # Delivered again after this task had already finished (its worker died before the
        # acknowledgement): the work is done.
        done = (
            SyncRun.objects.filter(task_id=task_id, status__in=[SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL])
            .order_by("-started_at")
            .first()
        )
        if done is not None:
            return done.summary()
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        run = sync_services.customizations_sync(connection=connection, trigger=trigger, user=user, task_id=task_id)
    except sync_services.SyncLockHeldByEarlierAttempt as held:
        # Our own earlier attempt died holding the lock: not a sync to give way to. Come back
        # once its heartbeat is stale (a countdown of our own, not the backoff's), then take
        # over (the lock is re-checked then).
        raise self.retry(countdown=held.retry_in, max_retries=LOCK_TAKEOVER_RETRIES, exc=held) from None
    return run.summary()


@reliable_task(
    name=RESCREEN_TASK,
    autoretry_for=DATABASE_GONE,
    retry_backoff=30,
    max_retries=3,
)
def rescreen_customizations_task(self) -> int:
    """Screen every customization not yet screened with the current bad-words list."""
    return bad_words_services.customizations_screen()


def _artwork_gave_up(self, exc, task_id, args, kwargs, einfo) -> None:
    side_id = args[0] if args else kwargs.get("side_id")
    artwork_services.artwork_fetch_gave_up(side_id, attempts=self.request.retries + 1, exc=failure_cause(exc))


@reliable_task(
    name=ARTWORK_FETCH_TASK,
    autoretry_for=(VendorRetryable,),
    retry_backoff=30,
    max_retries=6,
    on_failure=_artwork_gave_up,
)
def artwork_fetch_task(self, side_id: int) -> str:
    """Fetch one side's print file; retried with backoff while the vendor says "try again"; the
    side fails with the reason once the retries are spent."""
    side = CustomizationSide.objects.filter(pk=side_id).first()
    if side is None:
        return "side gone"
    artwork = artwork_services.artwork_fetch(side)
    return artwork.state if artwork else "skipped"


@reliable_task(
    name=SYNC_RECONCILE_TASK,
    autoretry_for=DATABASE_GONE,
    retry_backoff=10,
    max_retries=3,
)
def sync_reconcile_task(self) -> dict:
    """Every minute (beat): finish what crashed workers left. Idempotent."""
    return reconcile_services.work_reconcile()


@reliable_task(
    name=THUMBNAILS_MIRROR_TASK,
    autoretry_for=(VendorRetryable, *DATABASE_GONE),
    retry_backoff=30,
    max_retries=thumbnail_services.MAX_ATTEMPTS - 1,
)
def side_thumbnails_mirror_task(self, side_ids: list[int]) -> dict:
    """Mirror these sides' vendor previews into storage as thumbnails; sides already mirrored are
    skipped, so a retry (or a second delivery) fetches only what is still missing."""
    return thumbnail_services.side_thumbnails_mirror(side_ids)
