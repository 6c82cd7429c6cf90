"""A corpus of hostile files a vendor (or whoever controls a vendor's file host) could send in
place of a print file or label, each with the Content-Type it claims, and a tiny urlconf that
serves them over real HTTP (the `hostile_host` fixture) so the real download path is exercised.
(The app's own URLs beside them: `reverse()` works when this module is the URLconf.)"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from functools import cache
from urllib.parse import urlsplit

from django.core.files.base import ContentFile
from django.http import Http404, HttpResponse
from django.urls import include, path
from PIL import Image, PngImagePlugin

SCRIPT = b"<script>window.__pwned = 1; alert(document.domain)</script>"


def png(width: int = 40, height: int = 30, colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def pdf(text: str = "label") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), (255, 255, 255)).save(buffer, "PDF")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _bomb() -> bytes:
    """A PNG that says it is 30000×30000 (900 million pixels) in a few hundred bytes: opening it
    for real would take gigabytes."""
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 30001 * 8, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _polyglot() -> bytes:
    """A valid PNG that is also an HTML page to a browser that sniffs (script in a tEXt chunk)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<html><body>" + SCRIPT.decode() + "</body></html>")
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def _pdf_with_html() -> bytes:
    """A readable PDF with an HTML page after it and a JavaScript open action."""
    body = pdf()
    return body.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>", 1) + (
        b"\n<html><body>" + SCRIPT + b"</body></html>\n"
    )


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("design.png", png())
        archive.writestr("index.html", b"<html>" + SCRIPT + b"</html>")
    return buffer.getvalue()


@cache
def corpus() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, the Content-Type the host claims). Every one must be refused as a print
    file and as a label."""
    return {
        "html-as-png": (b"<!DOCTYPE html><html><body>" + SCRIPT + b"</body></html>", "image/png"),
        "svg-with-script": (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=1">'
            + SCRIPT
            + b"</svg>",
            "image/svg+xml",
        ),
        "svg-as-png": (b'<svg xmlns="http://www.w3.org/2000/svg">' + SCRIPT + b"</svg>", "image/png"),
        "javascript": (b"window.__pwned = 1; alert(document.cookie);", "image/png"),
        "zip-archive": (_zip(), "application/pdf"),
        "png-header-then-html": (png()[:16] + b"<html>" + SCRIPT + b"</html>", "image/png"),
        "png-polyglot": (_polyglot(), "text/html"),
        "pdf-with-html-payload": (_pdf_with_html(), "application/pdf"),
        "truncated-png": (png(400, 300)[:200], "image/png"),
        "decompression-bomb": (_bomb(), "image/png"),
        "empty": (b"", "image/png"),
        "json-error-page": (b'{"error": "AccessDenied"}', "image/png"),
    }


# What each is called in the recorded reason.
REASONS = {
    "html-as-png": "an HTML page",
    "svg-with-script": "an SVG image (it may contain script)",
    "svg-as-png": "an SVG image (it may contain script)",
    "javascript": "a script",
    "zip-archive": "a ZIP archive",
    "png-header-then-html": "a damaged or truncated PNG image",
    "png-polyglot": "a PNG image with markup or script hidden in it",
    "pdf-with-html-payload": "a PDF with markup or script hidden in it",
    "truncated-png": "a damaged or truncated PNG image",
    "decompression-bomb": "too large to open safely",
    "empty": "an empty file",
    "json-error-page": "a JSON document",
}


# Rows as they were stored before files were sniffed: the vendor's Content-Type taken at its word.


def stored_artwork(content: bytes, claimed: str, name: str = "design.png"):
    from orders.models import SideArtwork
    from tests.factories import SideFactory

    artwork = SideArtwork.objects.create(
        side=SideFactory(), state=SideArtwork.State.READY, content_type=claimed, sha256="ab" * 32
    )
    artwork.file.save(f"artwork/test/{name}", ContentFile(content), save=True)
    return artwork


def stored_label(content: bytes, claimed: str, name: str = "label.pdf"):
    from fulfilment.models import PushedOrder, Shipment, ShippingLabel
    from tests.factories import VendorConnectionFactory

    connection = VendorConnectionFactory(kind="custom_gateway", company="1")
    order = PushedOrder.objects.create(connection=connection, vendor_id=str(PushedOrder.objects.count() + 1), raw={})
    shipment = Shipment.objects.create(order=order, vendor_id="1", raw={})
    label = ShippingLabel.objects.create(shipment=shipment, state=ShippingLabel.State.READY, content_type=claimed)
    label.file.save(f"labels/test/{name}", ContentFile(content), save=True)
    return label


def file_urls(artwork=None, label=None) -> list[str]:
    """Every URL that serves these files: staff download and the vendor's signed link, label."""
    from django.urls import reverse

    from fulfilment.services.links import artwork_url

    urls = []
    if artwork is not None:
        urls.append(reverse("admin:orders_reviewitem_artwork_file", args=[artwork.pk]))
        urls.append(urlsplit(artwork_url(artwork)).path)
    if label is not None:
        urls.append(reverse("admin:fulfilment_pushedorder_label", args=[label.pk]))
    return urls


SERVED: dict[str, int] = {}


def serve(request, name: str):
    SERVED[name] = SERVED.get(name, 0) + 1
    if name == "good.png":
        return HttpResponse(png(), content_type="application/octet-stream")
    if name == "good.pdf":
        return HttpResponse(pdf(), content_type="text/html")
    if name == "label.zpl":
        return HttpResponse(b"^XA^FO50,50^ADN,36,20^FDRM123456789GB^FS^XZ", content_type="text/html")
    try:
        content, claimed = corpus()[name]
    except KeyError:
        raise Http404 from None
    return HttpResponse(content, content_type=claimed)


urlpatterns = [
    path("hostile/<str:name>", serve, name="hostile-file"),
    path("", include("config.urls")),
]
