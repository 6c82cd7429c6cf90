"""Links the vendor can fetch artwork from until the order is processed.

With S3 (or any storage that signs its own URLs) the storage's URL is used. With local storage,
a signed, expiring link served by this app under PUBLIC_BASE_URL: never an open media folder."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.urls import reverse

from orders.models import SideArtwork

SALT = "fulfilment.artwork-link"


def artwork_url(artwork: SideArtwork) -> str:
    if not artwork.file:
        raise ValueError(f"{artwork} has no stored file")
    if not _is_local(default_storage):
        return default_storage.url(artwork.file.name)
    token = signing.dumps({"a": artwork.pk, "s": artwork.sha256[:16]}, salt=SALT, compress=True)
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{reverse('fulfilment:artwork-file', args=[token])}"


def artwork_from_token(token: str) -> SideArtwork | None:
    """The artwork a link points at, or None when the link is forged, stale or expired."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.ARTWORK_LINK_MAX_AGE_DAYS * 86400)
    except signing.BadSignature:
        return None
    artwork = SideArtwork.objects.filter(pk=data.get("a")).first()
    if artwork is None or not artwork.file or not artwork.sha256.startswith(data.get("s", "-")):
        return None
    return artwork


def _is_local(storage) -> bool:
    from django.core.files.storage import FileSystemStorage, InMemoryStorage

    return isinstance(storage, FileSystemStorage | InMemoryStorage) or isinstance(
        getattr(storage, "_wrapped", None), FileSystemStorage | InMemoryStorage
    )
