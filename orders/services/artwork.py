"""Print-ready artwork: fetched after approval, measured, checked, and stored in Django storage.

A file is written to a temporary file first, measured (size, SHA-256, pixels), saved to storage,
and only then is the side marked ready, in one UPDATE: a crash at any point leaves it pending or
fetching (taken again once stale), never ready with half a file.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from config.celery import queue_on_commit
from integrations.filetypes import PRINT_FILE, FileRefused
from integrations.http import VendorError, VendorRetryable
from integrations.registry import Capability
from integrations.sources import PrintFileQuotaExceeded

from ..models import CustomizationSide, PrintRequirement, SideArtwork, VendorConnection
from .connections import connection_client
from .files import download_stored
from .queue import ARTWORK_FETCH_TASK

logger = logging.getLogger(__name__)

State = SideArtwork.State


def _stale_fetch() -> timedelta:
    """A fetch that has said nothing for this long is taken as dead and may be started again."""
    return timedelta(seconds=settings.ARTWORK_STALE_FETCH_SECONDS)


def _claim(side: CustomizationSide, *, retry_failed: bool) -> SideArtwork | None:
    artwork, _ = SideArtwork.objects.get_or_create(side=side)
    states = [State.PENDING, State.FAILED] if retry_failed else [State.PENDING]
    stale = timezone.now() - _stale_fetch()
    claimed = (
        SideArtwork.objects.filter(pk=artwork.pk)
        .filter(Q(state__in=states) | Q(state=State.FETCHING, started_at__lt=stale))
        .update(state=State.FETCHING, started_at=timezone.now(), attempts=F("attempts") + 1, error="")
    )
    if not claimed:
        return None
    artwork.refresh_from_db()
    return artwork


def _requirement(connection: VendorConnection, template_id: str) -> PrintRequirement | None:
    if not template_id:
        return None
    return (
        PrintRequirement.objects.filter(template_id=template_id)
        .filter(Q(connection=connection) | Q(connection=None))
        .order_by(F("connection").desc(nulls_last=True))
        .first()
    )


def preflight(artwork: SideArtwork, requirement: PrintRequirement | None) -> str:
    """Why this artwork needs attention before print, or "" when it is fine."""
    if requirement is None:
        return ""
    if artwork.width is None or artwork.height is None:
        return f"Its pixel size could not be read ({artwork.content_type or 'unknown type'}); check it by hand."
    if artwork.width < requirement.min_width or artwork.height < requirement.min_height:
        return (
            f"{artwork.width}×{artwork.height} px is below the {requirement.min_width}×{requirement.min_height} px "
            f"template {requirement.template_id} needs."
        )
    return ""


def artwork_fetch(side: CustomizationSide, *, retry_failed: bool = False) -> SideArtwork | None:
    """Fetch and store one side's print file. Returns the artwork, or None when another worker
    has it or it is already done. Raises VendorRetryable (after recording it) when trying again
    later may help; everything else ends in a recorded state."""
    side = CustomizationSide.objects.select_related("customization__connection").get(pk=side.pk)
    artwork = _claim(side, retry_failed=retry_failed)
    if artwork is None:
        return None
    customization = side.customization
    connection = customization.connection

    def name(result, extension):
        return (
            f"artwork/{connection.pk}/{customization.external_id}/{side.external_id}-{result.sha256[:12]}.{extension}"
        )

    spec = connection.spec
    try:
        with connection_client(connection) as client:
            if spec.has(Capability.PRINT_FILES) and spec.source is not None and side.design_hd_url:
                # The vendor's own print-ready file, through its own call (e.g. a signed HD link).
                source = spec.source(client)
                download = lambda tmp: source.print_file_download(side.design_hd_url, tmp)  # noqa: E731
            elif side.design_url:
                download = lambda tmp: client.download(side.design_url, tmp)  # noqa: E731
            else:
                raise ValueError("the vendor gives no print file for this side")
            stored, result, sniffed = download_stored(download, name, allowed=PRINT_FILE, what="print file")
    except PrintFileQuotaExceeded as exc:
        resets = f" It resets on {exc.resets_at:%Y-%m-%d}." if getattr(exc, "resets_at", None) else ""
        return _record(artwork, State.FAILED, f"Monthly HD quota reached.{resets}")
    except VendorRetryable as exc:
        _record(artwork, State.PENDING, f"Will try again: {exc}")
        raise
    except FileRefused as exc:
        # Never ready, never in a fulfilment payload: the side fails with what the file is.
        return _record(artwork, State.FAILED, f"The vendor's file is {exc}.")
    except (VendorError, ValueError) as exc:
        return _record(artwork, State.FAILED, str(exc))
    artwork.file.name = stored
    artwork.width, artwork.height = sniffed.width, sniffed.height
    artwork.size_bytes, artwork.sha256 = result.size, result.sha256
    artwork.content_type = sniffed.content_type  # what the bytes are, not what the vendor said
    artwork.source_url = result.url[:1000]  # without its query: the download drops the signature
    problem = preflight(artwork, _requirement(connection, customization.template_id))
    artwork.state = State.NEEDS_ATTENTION if problem else State.READY
    artwork.error = problem
    artwork.accepted_by, artwork.accepted_at = None, None  # a new file: any acceptance was of the old one
    artwork.fetched_at = timezone.now()
    artwork.save()
    return artwork


def _record(artwork: SideArtwork, state: str, error: str) -> SideArtwork:
    logger.info("artwork %s: %s (%s)", artwork.pk, state, error)
    SideArtwork.objects.filter(pk=artwork.pk).update(state=state, error=error[:2000], updated_at=timezone.now())
    artwork.state, artwork.error = state, error
    return artwork


def artwork_retry(artwork: SideArtwork) -> None:
    """Staff pressed retry: the side goes back to pending and is fetched in the background."""
    SideArtwork.objects.filter(pk=artwork.pk).exclude(state=State.FETCHING).update(
        state=State.PENDING, error="", accepted_by=None, accepted_at=None
    )
    queue_on_commit(ARTWORK_FETCH_TASK, artwork.side_id)


class NotAcceptable(Exception):
    """Only a file that needs attention (stored, measured, short of the preflight) can be accepted."""


def artwork_accept(artwork: SideArtwork, *, user) -> SideArtwork:
    """A Manager accepts a print file that needs attention anyway: it becomes ready (so it can be
    ordered), keeping the problem it had, who accepted it and when."""
    accepted_at = timezone.now()
    done = SideArtwork.objects.filter(pk=artwork.pk, state=State.NEEDS_ATTENTION).update(
        state=State.READY, accepted_by=user, accepted_at=accepted_at, updated_at=accepted_at
    )
    if not done:
        artwork.refresh_from_db(fields=["state"])
        raise NotAcceptable(f"it is {artwork.get_state_display().lower()}, not waiting for attention")
    logger.info("artwork %s: accepted anyway by user %s (%s)", artwork.pk, user.pk, artwork.error)
    artwork.refresh_from_db()
    return artwork


def artwork_fetch_gave_up(side_id: int, *, attempts: int, exc: BaseException) -> None:
    """The fetch task's retries are spent (or it stopped on something unexpected): the side
    fails with the reason in words, for staff to Retry."""
    if isinstance(exc, VendorError):
        error = f"Gave up after {attempts} attempts: {exc}"
    else:
        error = f"Stopped by an internal error ({type(exc).__name__})."
    SideArtwork.objects.filter(side_id=side_id).update(
        state=State.FAILED, error=error[:2000], updated_at=timezone.now()
    )
