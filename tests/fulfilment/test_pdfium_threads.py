"""PDFium is not thread-safe: print-file previews made in parallel threads (a threaded worker,
polls a notification triggers at once) must not crash the process. Without PDFIUM_LOCK this
test died with a segfault."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from fulfilment.services.print_files import _preview
from fulfilment.services.shipping import label_preview_png
from integrations.filetypes import PRINT_FILE, sniff
from integrations.idealfactory.sandbox import print_pdf


def test_previews_rendered_from_many_threads_at_once_all_come_out():
    pdf = print_pdf("THREADS", [f"line {n}" for n in range(20)])

    def render(n: int) -> tuple[int, int]:
        tmp = io.BytesIO(pdf)
        made = _preview(tmp, sniff(tmp, PRINT_FILE, what="print file")) if n % 2 else label_preview_png(pdf)
        return Image.open(io.BytesIO(made)).size

    with ThreadPoolExecutor(max_workers=8) as pool:
        sizes = list(pool.map(render, range(200)))

    assert len(sizes) == 200 and all(width > 0 and height > 0 for width, height in sizes)
