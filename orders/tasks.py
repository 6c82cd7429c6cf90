"""Celery entry points. Every task here may run twice (acks_late: a task whose worker died is
delivered again), so each is idempotent: the sync is keyed by vendor ids and takes a lock, the
artwork fetch claims its side, the re-screen only screens what is not screened yet."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from integrations.http import VendorRetryable
from integrations.registry import Capability

from .models import SyncRun, VendorConnection
from .services.sync import SyncLockHeldByEarlierAttempt, customizations_sync

# How often a redelivered sync waits for its own dead run's lock to go stale before giving up.
LOCK_TAKEOVER_RETRIES = 10


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # A lost database connection ends the run as failed (recorded on a new connection); trying
    # again resumes from where it got to.
    autoretry_for=(VendorRetryable, OperationalError, InterfaceError),
    retry_backoff=60,
    retry_backoff_max=30 * 60,
    max_retries=5,
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
    try:
        run = customizations_sync(
            connection=connection, trigger=trigger, user=user_id and _user(user_id), task_id=task_id
        )
    except SyncLockHeldByEarlierAttempt as held:
        # Our own earlier attempt died holding the lock: not a sync to give way to. Come back
        # once its heartbeat is stale, then take over (the lock is re-checked then).
        raise self.retry(countdown=held.retry_in, max_retries=LOCK_TAKEOVER_RETRIES, exc=held) from None
    return run.summary()


def _user(user_id):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id).first()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def rescreen_customizations_task() -> int:
    """Screen every customization not yet screened with the current bad-words list."""
    from .services.bad_words import customizations_screen

    return customizations_screen()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=6)
def artwork_fetch_task(self, side_id: int) -> str:
    """Fetch one side's print file; retried with backoff while the vendor says "try again"."""
    from .models import CustomizationSide, SideArtwork
    from .services.artwork import artwork_fetch

    side = CustomizationSide.objects.filter(pk=side_id).first()
    if side is None:
        return "side gone"
    try:
        artwork = artwork_fetch(side)
    except VendorRetryable as exc:
        if self.request.retries >= self.max_retries:
            SideArtwork.objects.filter(side_id=side_id).update(
                state=SideArtwork.State.FAILED, error=f"Gave up after {self.request.retries + 1} attempts: {exc}"
            )
            return "failed"
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 1800)) from None
    return artwork.state if artwork else "skipped"


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sync_reconcile_task() -> dict:
    """Every minute (beat): finish what crashed workers left. Idempotent."""
    from .services.reconcile import work_reconcile

    return work_reconcile()
