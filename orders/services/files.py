"""Files downloaded from vendors (print files, shipping labels, proxied images) into Django
storage, each identified by its bytes on the way in (`integrations.filetypes.sniff`). Serving
them back is `orders.file_responses`."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import IO

from django.core.files import File
from django.core.files.storage import default_storage

from integrations.filetypes import PRINT_FILE, Sniffed, sniff
from integrations.http import DownloadResult


def download_stored(
    download: Callable[[IO[bytes]], DownloadResult],
    name: Callable[[DownloadResult, str], str],
    *,
    allowed: frozenset[str] = PRINT_FILE,
    what: str = "print file",
    inspect: Callable[[IO[bytes], Sniffed], None] | None = None,
) -> tuple[str, DownloadResult, Sniffed]:
    """`download(tmp)` writes the file into a temporary file; its bytes are sniffed against
    `allowed` (FileRefused, with the reason in words, before anything reaches storage); then it
    is saved to storage whole as `name(result, extension)` with the extension of the SNIFFED
    type. Returns the stored name, the download's result (its content_type is what the vendor
    claimed, for the record only) and the sniffed type (with its pixel size for images). The caller records the file as ready only after this returns.
    `inspect(tmp, sniffed)`, when given, reads the file before it is stored (to measure or preview
    it: one read of the bytes already here, not a second fetch from storage)."""
    with tempfile.TemporaryFile() as tmp:
        result = download(tmp)
        sniffed = sniff(tmp, allowed, what=what)
        if inspect is not None:
            inspect(tmp, sniffed)
            tmp.seek(0)
        filename = name(result, sniffed.extension)
        stored = default_storage.save(filename, File(tmp, name=filename))
    return stored, result, sniffed
