"""Vendor previews mirrored into our storage in the background, so the lists, the review queue and
the create-order screen show a thumbnail of ours and never load the vendor's host.

A sync that writes sides with a preview URL queues `side_thumbnails_mirror` for them (by task
name, after the commit). Each side's preview is fetched once through the image proxy's safe path
(orders/services/image_proxy.py: http(s) only, a public address outside SANDBOX, redirects
checked, a size cap, the bytes sniffed and verified by Pillow, SVG refused), kept whole as the
proxy's stored copy (so the full-size view needs no fetch either), and shrunk to a thumbnail of
at most THUMBNAIL_PX. A side whose thumbnail was made from its current preview URL is skipped:
running again fetches nothing. Content that is refused (hostile, not an image) is recorded with
the reason and not tried again until the URL changes; a vendor that is down is recorded as
failed and retried with backoff by the task, at most MAX_ATTEMPTS times. Nothing here is fatal
to a sync: until a thumbnail is ready, pages fall back to the proxy link.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image, ImageOps

from config.celery import queue_on_commit
from integrations.filetypes import FileRefused
from integrations.http import VendorError, VendorRetryable
from integrations.markup import http_url

from ..models import CustomizationSide, ProxiedImage
from ..text import counted
from . import image_proxy
from .queue import THUMBNAILS_MIRROR_TASK

logger = logging.getLogger(__name__)

THUMBNAIL_PX = 240  # the longest edge: lists show 40-80 px (sharp on 3x screens); the review shows the whole copy
MAX_ATTEMPTS = 4  # tries of a side whose vendor did not answer, before it stays failed
BATCH = 500  # sides per queued task
READY, REFUSED, FAILED = "ready", "refused", "failed"


def thumbnails_queue(side_ids: Iterable[int]) -> None:
    """Queue the mirroring of these sides' previews once the transaction commits (unless
    settings.THUMBNAILS_MIRROR is off)."""
    if not settings.THUMBNAILS_MIRROR:
        return
    ids = sorted({int(pk) for pk in side_ids})
    for start in range(0, len(ids), BATCH):
        queue_on_commit(THUMBNAILS_MIRROR_TASK, ids[start : start + BATCH])


class ThumbnailsPending(VendorRetryable):
    """Some previews could not be fetched now (the vendor is down or slow): try again later."""


def side_thumbnails_mirror(side_ids: Iterable[int]) -> dict[str, int]:
    """Mirror each side's preview (see the module docstring). Returns counts by outcome; raises
    ThumbnailsPending (a VendorRetryable, so the task backs off and tries again) when a side's
    vendor was unreachable and it has tries left, after recording every other side's outcome."""
    counts = {"ready": 0, "kept": 0, "refused": 0, "failed": 0, "none": 0}
    pending = []
    for side in CustomizationSide.objects.filter(pk__in=list(side_ids)).order_by("pk"):
        outcome = side_thumbnail_mirror(side)
        counts[outcome] += 1
        if outcome == FAILED and side.thumbnail_attempts < MAX_ATTEMPTS:
            pending.append(side.pk)
    if pending:
        raise ThumbnailsPending(
            f"{counted(len(pending), 'preview')} not fetched yet; trying again", vendor="image host"
        )
    return counts


def side_thumbnail_mirror(side: CustomizationSide) -> str:
    """One side: "kept" when its thumbnail is already of its preview (nothing fetched), "none"
    when it has no http(s) preview, else the new state ("ready", "refused", "failed")."""
    url = http_url(side.preview_url)
    if not url:
        return "none"
    if side.thumbnail_source == url and (
        side.thumbnail_state in (READY, REFUSED) or side.thumbnail_attempts >= MAX_ATTEMPTS
    ):
        return "kept"
    attempts = side.thumbnail_attempts + 1 if side.thumbnail_source == url else 1
    fields = {"thumbnail_source": url, "thumbnail_attempts": attempts, "thumbnail_error": ""}
    try:
        stored = _original(url)
        fields |= {"thumbnail": _shrunk(stored, url), "thumbnail_state": READY}
    except VendorRetryable as exc:
        logger.info("thumbnail of side %s not fetched now: %s", side.pk, exc)
        fields |= {"thumbnail_state": FAILED, "thumbnail_error": image_proxy._reason(exc)}
    except (FileRefused, VendorError, ValueError, OSError, Image.DecompressionBombError) as exc:
        logger.info("thumbnail of side %s refused: %s", side.pk, exc)
        fields |= {"thumbnail_state": REFUSED, "thumbnail_error": image_proxy._reason(exc)}
    old = side.thumbnail.name if side.thumbnail else ""
    CustomizationSide.objects.filter(pk=side.pk).update(**fields)
    for name, value in fields.items():
        setattr(side, name, value)
    if old and old != fields.get("thumbnail", old):
        default_storage.delete(old)
    return side.thumbnail_state


def _original(url: str) -> str:
    """The stored whole copy of the image at `url`: the proxy's, when it already has one, else
    fetched now through the proxy's checks and recorded there."""
    key = image_proxy.url_key(url)
    known = ProxiedImage.objects.filter(url_hash=key, state=ProxiedImage.State.READY).first()
    if known is not None and known.file and default_storage.exists(str(known.file.name)):
        return str(known.file.name)
    try:
        stored, result, sniffed = image_proxy._fetch(url, key)
    except VendorRetryable:
        raise
    except (FileRefused, VendorError, ValueError) as exc:
        ProxiedImage.objects.update_or_create(
            url_hash=key,
            defaults={"url": url, "state": ProxiedImage.State.REFUSED, "file": "", "error": image_proxy._reason(exc)},
        )
        raise
    ProxiedImage.objects.update_or_create(
        url_hash=key,
        defaults={
            "url": url,
            "state": ProxiedImage.State.READY,
            "file": stored,
            "content_type": sniffed.content_type,
            "size_bytes": result.size,
            "error": "",
        },
    )
    return stored


def _shrunk(stored: str, url: str) -> str:
    """A PNG of at most THUMBNAIL_PX made from the stored (already sniffed and verified) image."""
    with default_storage.open(stored, "rb") as source, Image.open(source) as image:
        image.draft("RGB", (THUMBNAIL_PX, THUMBNAIL_PX))  # JPEG: decode at a smaller scale
        picture = ImageOps.exif_transpose(image)
        picture.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX), Image.Resampling.LANCZOS)
        if picture.mode not in ("RGB", "RGBA"):
            picture = picture.convert("RGBA")
        buffer = io.BytesIO()
        picture.save(buffer, "PNG", optimize=True)
    key = hashlib.sha256(url.encode()).hexdigest()
    return default_storage.save(f"thumbnails/{key[:2]}/{key}.png", ContentFile(buffer.getvalue()))


def thumbnail_url(side: CustomizationSide) -> str:
    """Where a page shows this side's thumbnail: our stored copy once mirrored from its current
    preview, else the image proxy's link (which fetches it on first view), else ""."""
    url = http_url(side.preview_url)
    if not url:
        return ""
    if side.thumbnail_state == READY and side.thumbnail and side.thumbnail_source == url:
        # The version in the link changes with the file, so the browser's cache can keep it.
        version = hashlib.sha256(str(side.thumbnail.name).encode()).hexdigest()[:12]
        return reverse("admin:orders_side_thumbnail", args=[side.pk, version])
    return image_proxy.proxy_url(url)
