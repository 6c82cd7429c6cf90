"""What a file IS, from its bytes: never from the Content-Type or the name a vendor gave it.

Plain Python (no Django). `sniff(fileobj, allowed)` returns the `Sniffed` type from the
allow-list or raises `FileRefused` with a reason in words a member of staff understands
("an HTML page, not a print file"). Images are opened and verified with Pillow under a
decompression-bomb bound; a PDF must start with `%PDF-` and pypdf must read its pages; ZPL and
EPL (thermal-printer label languages) are recognised as text, for labels only.

This follows what the careful file hosts do (GitHub's raw, Google's user-content domains): the
type decides how a file is served, so it is decided once, by us, from the content.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from typing import IO

PNG, JPEG, TIFF, WEBP, GIF, PDF = "image/png", "image/jpeg", "image/tiff", "image/webp", "image/gif", "application/pdf"
ZPL, EPL = "application/x-zpl", "application/x-epl"

EXTENSIONS = {PNG: "png", JPEG: "jpg", TIFF: "tif", WEBP: "webp", GIF: "gif", PDF: "pdf", ZPL: "zpl", EPL: "epl"}
NAMES = {PNG: "PNG image", JPEG: "JPEG image", TIFF: "TIFF image", WEBP: "WebP image", GIF: "GIF image"}
NAMES |= {PDF: "PDF", ZPL: "ZPL label", EPL: "EPL label"}
IMAGES = frozenset({PNG, JPEG, TIFF, WEBP, GIF})

# What each kind of file may be. GIF is allowed only for previews (item 5), never to print.
PRINT_FILE = frozenset({PNG, JPEG, TIFF, WEBP, PDF})
LABEL = frozenset({PNG, JPEG, TIFF, WEBP, PDF, ZPL, EPL})
PREVIEW_IMAGE = frozenset({PNG, JPEG, TIFF, WEBP, GIF})

# A decompression bomb is a small file that decodes to billions of pixels. Pillow's own bound
# (about 9450 x 9450, an 80 cm square at 300 dpi; print files for garments are ~4500 x 5400) is
# kept and made an error instead of a warning; anything larger is refused before it is decoded.
MAX_PIXELS = 89_478_485
HEAD = 4096


class FileRefused(ValueError):
    """The file is not one we accept here; `str(exc)` says what it is, in words."""


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGES

    @property
    def name(self) -> str:
        return NAMES[self.content_type]


_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
]

# Things vendors (or a proxy's error page, or an attacker) send instead of a print file.
_REFUSED_MAGIC = [
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"),
    (b"%!PS", "a PostScript file"),
]
_MARKUP = re.compile(rb"<\s*(!doctype\s+html|html|head|body|script|iframe|object|embed|meta|a\s|div|p\s|p>)", re.I)
_SVG = re.compile(rb"<\s*svg[\s>]", re.I)
_XML = re.compile(rb"^\s*<\?xml", re.I)
_SCRIPT = re.compile(rb"^\s*(function\b|var\b|let\b|const\b|import\b|\(function|window\.|document\.|alert\()", re.I)
_ZPL = re.compile(rb"^\s*(\^|~)[A-Z]{2}")
_EPL = re.compile(rb"^\s*\r?\n?N\r?\n", re.S)


def _describe(head: bytes) -> str:
    """What a refused file looks like, in words."""
    for magic, what in _REFUSED_MAGIC:
        if head.startswith(magic):
            return what
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _SVG.search(head):
        return "an SVG image (it may contain script)"
    if _MARKUP.search(head):
        return "an HTML page"
    if _XML.match(stripped):
        return "an XML document"
    if stripped[:1] in (b"{", b"["):
        return "a JSON document"
    if _SCRIPT.match(stripped):
        return "a script"
    if not head:
        return "an empty file"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "a file of unknown type"
    return "a text file"


def _magic_type(head: bytes) -> str | None:
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if _ZPL.match(head) and b"^XA" in head:
        return ZPL
    if _EPL.match(head):
        return EPL
    return None


def _verify_image(fileobj: IO[bytes], content_type: str) -> Sniffed:
    from PIL import Image, UnidentifiedImageError

    formats = {PNG: "PNG", JPEG: "JPEG", TIFF: "TIFF", WEBP: "WEBP", GIF: "GIF"}
    what = NAMES[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            fileobj.seek(0)
            with Image.open(fileobj, formats=[formats[content_type]]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise FileRefused(f"a {what} of {width}×{height} px, over the limit of {MAX_PIXELS:,} pixels")
                image.verify()
            # verify() checks the chunks and their checksums; decoding proves the pixel data is
            # all there (a truncated file passes verify but cannot be loaded).
            fileobj.seek(0)
            with Image.open(fileobj, formats=[formats[content_type]]) as image:
                image.load()
    except FileRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRefused(
            f"a {what} too large to open safely (over {MAX_PIXELS:,} pixels: a decompression bomb?)"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise FileRefused(f"a damaged or truncated {what} that cannot be opened") from None
    finally:
        fileobj.seek(0)
    return Sniffed(content_type, EXTENSIONS[content_type], width, height)


def _verify_pdf(fileobj: IO[bytes]) -> Sniffed:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        fileobj.seek(0)
        reader = PdfReader(fileobj, strict=False)
        pages = len(reader.pages)
    except (PyPdfError, OSError, ValueError, KeyError, TypeError) as exc:
        raise FileRefused(f"a damaged PDF that cannot be read ({str(exc)[:120]})") from None
    finally:
        fileobj.seek(0)
    if pages == 0:
        raise FileRefused("a PDF with no pages")
    return Sniffed(PDF, "pdf")


# A polyglot is a file that is a valid image or PDF and ALSO a web page or script to whatever
# reads it as one. We serve with nosniff, so a browser would not, but a print file has no reason
# to carry markup or PDF actions, and refusing it keeps it off every other reader too.
_ACTIVE = re.compile(rb"<\s*(script|html|!doctype\s+html|svg|iframe|object|embed)[\s>/]|javascript:", re.I)
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")
_SCAN_BLOCK = 1 << 20


def _active_content(fileobj: IO[bytes], content_type: str) -> str:
    """ "" or what active content the file carries (markup, script, PDF actions)."""
    fileobj.seek(0)
    tail = b""
    try:
        while block := fileobj.read(_SCAN_BLOCK):
            window = tail + block
            if _ACTIVE.search(window):
                return "markup or script"
            if content_type == PDF and _PDF_ACTIVE.search(window):
                return "PDF actions or scripts"
            tail = window[-32:]
    finally:
        fileobj.seek(0)
    return ""


def sniff(fileobj: IO[bytes], allowed: frozenset[str] = PRINT_FILE, *, what: str = "file") -> Sniffed:
    """The file's real type, if it is in `allowed`; else FileRefused saying what it is instead
    ("an HTML page, not a print file"). `what` names the role in the reason. Leaves the file at 0."""
    fileobj.seek(0)
    head = fileobj.read(HEAD)
    fileobj.seek(0)
    content_type = _magic_type(head)
    if content_type is None or content_type not in allowed:
        found = NAMES[content_type] if content_type else _describe(head)
        article = "" if found.startswith(("a ", "an ")) else ("an " if found[0] in "AEIOU" else "a ")
        raise FileRefused(f"{article}{found}, not {_article(what)}{what}")
    if content_type in IMAGES:
        sniffed = _verify_image(fileobj, content_type)
    elif content_type == PDF:
        sniffed = _verify_pdf(fileobj)
    else:
        sniffed = Sniffed(content_type, EXTENSIONS[content_type])
    hidden = _active_content(fileobj, content_type)
    if hidden:
        raise FileRefused(
            f"a {NAMES[content_type]} with {hidden} hidden in it (a polyglot), not {_article(what)}{what}"
        )
    return sniffed


def sniff_bytes(content: bytes, allowed: frozenset[str] = PRINT_FILE, *, what: str = "file") -> Sniffed:
    return sniff(io.BytesIO(content), allowed, what=what)


def _article(word: str) -> str:
    return "an " if word[:1].lower() in "aeiou" else "a "
