"""The one way a stored vendor file is served back (staff artwork download, the vendor's signed
artwork link, shipping labels, label previews, image proxy): whatever view sends it, it goes out
with the type its bytes have, never the one stored beside it, and headers that keep a browser
from running anything in it.

Headers, after GitHub's raw and Google's user-content hosts:
- Content-Type: the SNIFFED type. The file is sniffed again on every serve, so a row stored
  before files were sniffed on the way in (an HTML page recorded as image/png) is refused here.
- X-Content-Type-Options: nosniff, so the browser never second-guesses that type.
- Content-Security-Policy: default-src 'none'; sandbox. `sandbox` gives the document an opaque
  origin with scripts, forms, popups and plugins off. Checked in real Chromium (156, Debian):
  its PDF viewer renders a PDF served with `sandbox`, top level and in an iframe (the viewer runs
  in its own process since the MimeHandlerView change; older Chromium showed a blank grey page),
  so PDFs keep `sandbox` too. An image opened directly is shown by Chromium in a synthesized
  page styled with inline styles, which `default-src 'none'` blocks (the console fills with CSP
  errors and the image loses its centring), so images add `style-src 'unsafe-inline'` (still no
  script of any kind: GitHub's raw sends the same). frame-ancestors 'self': our pages may embed
  it, no one else's.
- Content-Disposition: inline for images and PDFs (they are viewed), attachment for anything
  else (ZPL/EPL go to a thermal printer, not a browser), with our file name, never the vendor's.
"""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse

from integrations.filetypes import FileRefused, Sniffed, sniff

FILE_CSP = "default-src 'none'; frame-ancestors 'self'; sandbox"
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
VIEWABLE = {"image/png", "image/jpeg", "image/webp", "image/gif", "image/tiff", "application/pdf"}


def harden(response: HttpResponse, content_type: str = "") -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = IMAGE_CSP if content_type.startswith("image/") else FILE_CSP
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    response.setdefault("Cache-Control", "private, no-cache")
    return response


def refused_response(reason: str) -> HttpResponse:
    """A 403 saying in words why a stored file is not served (never the file)."""
    return harden(HttpResponse(reason, status=403, content_type="text/plain; charset=utf-8"))


def stored_file_response(
    file: FieldFile, *, allowed: frozenset[str], what: str, filename: str = "", download: bool = False
) -> HttpResponse:
    """Serve a stored file after sniffing it against `allowed`; a 404 when it is missing, a 403
    with the reason when its bytes are not what may be served here."""
    if not file:
        raise Http404("no file")
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    try:
        sniffed = sniff(handle, allowed, what=what)
    except FileRefused as exc:
        handle.close()
        return refused_response(f"Not served: this stored file is {exc}.")
    except Exception:
        handle.close()
        raise
    return sniffed_response(handle, sniffed, filename=filename or file.name.rsplit("/", 1)[-1], download=download)


def sniffed_response(handle, sniffed: Sniffed, *, filename: str, download: bool = False) -> FileResponse:
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    name = f"{stem}.{sniffed.extension}"  # the extension always says what the bytes are
    attachment = download or sniffed.content_type not in VIEWABLE
    response = FileResponse(handle, content_type=sniffed.content_type, as_attachment=attachment, filename=name)
    return harden(response, sniffed.content_type)


def placeholder_response(reason: str) -> HttpResponse:
    """A PNG that says why an image is not shown, in place of a broken image. 200, so that every
    browser draws it in the <img>; the reason is also in the X-Image-Refused header."""
    import io
    import textwrap

    from PIL import Image, ImageDraw

    lines = textwrap.wrap(reason, width=44)[:6]
    image = Image.new("RGB", (360, 40 + 16 * len(lines)), (246, 240, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, image.width - 1, image.height - 1], outline=(170, 60, 60))
    draw.text((12, 10), "Image not shown", fill=(150, 30, 30))
    for number, line in enumerate(lines):
        draw.text((12, 28 + 16 * number), line, fill=(60, 60, 60))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["X-Image-Refused"] = reason.encode("ascii", "replace").decode()[:300]
    return harden(response, "image/png")
