"""Vendor images shown in the admin, served from our own origin (GitHub's Camo, Zulip's camo).

Pages never hotlink a vendor host (the site CSP allows images from 'self' only). A vendor URL is
turned into a signed link to our proxy view (`proxy_url`); the first view fetches it once through
the bare download session (timeout, size cap, no credentials), refusing non-http(s) URLs and
hosts on loopback, link-local or private addresses (unless SANDBOX_ENABLED, where the vendor
simulators run on this machine), sniffs the bytes (PNG, JPEG, WebP, TIFF, GIF; SVG refused),
stores it, and records the outcome in ProxiedImage. Later views serve the stored copy. A refused
fetch is recorded with its reason and tried again after RETRY_REFUSED_AFTER. The link is signed
so the proxy fetches only URLs our own pages put there, never one typed into the address bar.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from integrations.filetypes import PREVIEW_IMAGE, FileRefused
from integrations.http import VendorClient, VendorError, VendorRetryable, public_address_refusal
from integrations.markup import http_url

from ..models import ProxiedImage
from .files import download_stored

logger = logging.getLogger(__name__)

SALT = "orders.image-proxy"
MAX_BYTES = 20 * 1024 * 1024
RETRY_REFUSED_AFTER = timedelta(hours=1)


class ImageHostClient(VendorClient):
    vendor = "image host"


def proxy_url(url: object) -> str:
    """Our link for a vendor image URL, or "" when it is not an http(s) URL at all."""
    url = http_url(url)
    if not url:
        return ""
    # No timestamp in the signature: one URL, one link, so the browser's cache works.
    return reverse("admin:orders_vendor_image", args=[signing.Signer(salt=SALT).sign_object(url, compress=True)])


def url_from_token(token: str) -> str:
    try:
        return http_url(signing.Signer(salt=SALT).unsign_object(token))
    except signing.BadSignature:
        return ""


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def proxied_image(url: str) -> ProxiedImage:
    """The stored copy of the image at `url`, fetching it when there is none yet (or when the
    last try was refused more than RETRY_REFUSED_AFTER ago)."""
    key = url_key(url)
    known = ProxiedImage.objects.filter(url_hash=key).first()
    if known and (known.state == ProxiedImage.State.READY or known.fetched_at > timezone.now() - RETRY_REFUSED_AFTER):
        return known
    fields = {"url": url, "file": "", "content_type": "", "size_bytes": None, "error": ""}
    try:
        stored, result, sniffed = _fetch(url, key)
    except VendorRetryable as exc:
        # A timeout, a refused connection, a 5xx: the next view tries again. Kept for an hour
        # like a refusal, a busy moment would blank a page's images for that long.
        logger.info("image proxy could not fetch %s now: %s", key[:12], exc)
        unsaved = known or ProxiedImage(url_hash=key, url=url)
        unsaved.state, unsaved.error = ProxiedImage.State.REFUSED, _reason(exc)
        return unsaved
    except (FileRefused, VendorError, ValueError) as exc:
        logger.info("image proxy refused %s: %s", key[:12], exc)
        fields |= {"state": ProxiedImage.State.REFUSED, "error": _reason(exc)}
    else:
        fields |= {"state": ProxiedImage.State.READY, "file": stored, "content_type": sniffed.content_type}
        fields["size_bytes"] = result.size
    image, _ = ProxiedImage.objects.update_or_create(url_hash=key, defaults=fields)
    return image


def _reason(exc: Exception) -> str:
    if isinstance(exc, FileRefused):
        return f"The vendor's image is {exc}."
    return f"The vendor's image could not be fetched: {exc}"[:500]


def _fetch(url: str, key: str):
    check = (lambda _url: "") if settings.SANDBOX_ENABLED else public_address_refusal
    refusal = check(url)
    if refusal:
        raise ValueError(f"not fetched: {refusal}")
    with ImageHostClient(base_url="", retries=1, connect_timeout=5, read_timeout=15) as client:

        def each_hop(response, *args, **kwargs):
            # A redirect is followed only to another public http(s) address.
            if response.is_redirect:
                target = http_url(urljoin(response.url, response.headers.get("Location", "")))
                why = check(target) if target else "not an http(s) URL"
                if why:
                    raise ValueError(f"not fetched: it redirects to a URL whose {why.removeprefix('its ')}")

        client.download_session.hooks["response"].append(each_hop)
        stored, result, sniffed = download_stored(
            lambda tmp: client.download(url, tmp, max_bytes=MAX_BYTES),
            lambda result, extension: f"proxied/{key[:2]}/{key}.{extension}",
            allowed=PREVIEW_IMAGE,
            what="image",
        )
    return stored, result, sniffed
