from celery import shared_task

from integrations.http import VendorRetryable

from .models import SyncRun, VendorConnection
from .services.sync import customizations_sync


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(VendorRetryable,),
    retry_backoff=60,
    retry_backoff_max=30 * 60,
    max_retries=5,
)
def sync_connection_task(self, connection_id: int, trigger: str = SyncRun.Trigger.MANUAL, user_id=None) -> dict:
    connection = VendorConnection.objects.filter(
        pk=connection_id, is_active=True, kind__in=VendorConnection.CUSTOMIZER_KINDS
    ).first()
    if connection is None:
        return {"skipped": "connection missing, inactive or not a customizer"}
    return customizations_sync(connection=connection, trigger=trigger, user=user_id and _user(user_id)).summary()


def _user(user_id):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id).first()


@shared_task(acks_late=True)
def rescreen_customizations_task() -> int:
    """Screen every customization not yet screened with the current bad-words list."""
    from .services.bad_words import customizations_screen

    return customizations_screen()


@shared_task(bind=True, acks_late=True, max_retries=6)
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
