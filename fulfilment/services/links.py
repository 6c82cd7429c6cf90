"""Links the vendor can fetch artwork from until the order is processed.

With S3 (or any storage that signs its own URLs) the storage's URL is used. With local storage,
a signed, expiring link served by this app under PUBLIC_BASE_URL: never an open media folder."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.urls import reverse

from orders.models import CustomizationSide, SideArtwork
from orders.services.image_proxy import url_key

SALT = "fulfilment.artwork-link"


def artwork_url(artwork: SideArtwork) -> str:
    if not artwork.file:
        raise ValueError(f"{artwork} has no stored file")
    if not _is_local(default_storage):
        return default_storage.url(artwork.file.name)
    return _signed_link("fulfilment:artwork-file", {"a": artwork.pk, "s": artwork.sha256[:16]}, salt=SALT)


def artwork_from_token(token: str) -> SideArtwork | None:
    """The artwork a link points at, or None when the link is forged, stale or expired."""
    data = _signed_data(token, salt=SALT)
    if data is None:
        return None
    artwork = SideArtwork.objects.filter(pk=data.get("a", 0)).first()
    if artwork is None or not artwork.file or not artwork.sha256.startswith(data.get("s", "-")):
        return None
    return artwork


def _is_local(storage) -> bool:
    from django.core.files.storage import FileSystemStorage, InMemoryStorage

    return isinstance(storage, FileSystemStorage | InMemoryStorage) or isinstance(
        getattr(storage, "_wrapped", None), FileSystemStorage | InMemoryStorage
    )


PREVIEW_SALT = "fulfilment.preview-link"


def side_preview_url(side: CustomizationSide) -> str:
    """A link the partner can fetch a side's preview from ("" when the side has none): signed and
    expiring, served from our stored copy of the vendor's preview (the image proxy's), sniffed as
    an image on every serve. Signed with the preview URL's hash, so a changed preview is a new link."""
    if not side.preview_url:
        return ""
    return _signed_link(
        "fulfilment:side-preview", {"p": side.pk, "u": url_key(side.preview_url)[:16]}, salt=PREVIEW_SALT
    )


def side_from_preview_token(token: str) -> CustomizationSide | None:
    """The side a preview link points at, or None when the link is forged, stale or expired."""
    data = _signed_data(token, salt=PREVIEW_SALT)
    if data is None:
        return None
    side = CustomizationSide.objects.filter(pk=data.get("p", 0)).first()
    if side is None or not side.preview_url or not url_key(side.preview_url).startswith(data.get("u", "-")):
        return None
    return side


def _signed_link(view: str, data: dict, *, salt: str) -> str:
    token = signing.dumps(data, salt=salt, compress=True)
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{reverse(view, args=[token])}"


def _signed_data(token: str, *, salt: str) -> dict | None:
    """What a link signed with `salt` carries; None when it is forged or older than
    ARTWORK_LINK_MAX_AGE_DAYS."""
    try:
        data = signing.loads(token, salt=salt, max_age=settings.ARTWORK_LINK_MAX_AGE_DAYS * 86400)
    except signing.BadSignature:
        return None
    return data if isinstance(data, dict) else None


PACKING_SLIP_SALT = "fulfilment.packing-slip-link"


def packing_slip_url(order) -> str:
    """A link the partner can fetch the order's packing slip (a PDF made on each fetch) from:
    signed and expiring, bound to the order's reference, no login (the partner has none)."""
    if not order.pk:
        return ""
    return _signed_link("fulfilment:packing-slip", {"o": order.pk, "r": order.external_ref}, salt=PACKING_SLIP_SALT)


def order_from_packing_slip_token(token: str):
    """The fulfilment order a packing slip link points at, or None when it is forged or expired."""
    from ..models import FulfilmentOrder

    data = _signed_data(token, salt=PACKING_SLIP_SALT)
    if data is None or not isinstance(data.get("o"), int):
        return None
    return FulfilmentOrder.objects.filter(pk=data["o"], external_ref=data.get("r", "-")).first()
