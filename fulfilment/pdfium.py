"""PDFium (pypdfium2) is not thread-safe: pypdfium2 documents that a process must not call it from
two threads at once. Every use here (a partner print file's preview in a threaded worker, a label's
preview in a threaded web server) holds `PDFIUM_LOCK` from opening the document to closing it.
Without it, two print files previewed at once crashed the process with a segfault (seen in
bench/oms_requests.py, where the OMS's notifications make polls run in parallel)."""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.RLock()
