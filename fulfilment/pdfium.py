"""PDFium (pypdfium2) is not thread-safe: pypdfium2 documents that a process must not call it from
two threads at once. Every use here (a partner print file's preview in a threaded worker, a label's
preview in a threaded web server) holds `PDFIUM_LOCK` from opening the document to closing it.
Without it, two print files previewed at once crashed the process with a segfault (seen in
bench/oms_requests.py, where the OMS's notifications make polls run in parallel)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

PDFIUM_LOCK = threading.RLock()


def pdf_pages_render(content: bytes, *, pages: int, scale: Callable[[float, float], float]) -> list[Any]:
    """The first `pages` pages of a PDF as PIL images, each rendered at `scale(width, height)` of
    its size in points; the document is opened, rendered and closed under PDFIUM_LOCK."""
    import pypdfium2 as pdfium

    images = []
    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(content)
        try:
            for index in range(min(len(document), pages)):
                page = document[index]
                try:
                    images.append(page.render(scale=scale(*page.get_size())).to_pil())
                finally:
                    page.close()
        finally:
            document.close()
    return images
