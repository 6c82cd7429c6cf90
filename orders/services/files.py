"""Files downloaded from vendors (print files, shipping labels) into Django storage, and served
back from it. Both go through here so every file is identified by its bytes on the way in
(`integrations.filetypes.sniff`) and served with that type and hardened headers on the way out."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import default_storage

from integrations.filetypes import PRINT_FILE, FileRefused, Sniffed, sniff
from integrations.http import DownloadResult

__all__ = ["FileRefused", "download_stored"]


def download_stored(
    download: Callable[[IO[bytes]], DownloadResult],
    name: Callable[[DownloadResult, str], str],
    *,
    allowed: frozenset[str] = PRINT_FILE,
    what: str = "print file",
    inspect: Callable[[IO[bytes]], Any] | None = None,
) -> tuple[str, DownloadResult, Sniffed, Any]:
    """`download(tmp)` writes the file into a temporary file; its bytes are sniffed against
    `allowed` (FileRefused, with the reason in words, before anything reaches storage);
    `inspect(tmp)` may look at it; then it is saved to storage whole as `name(result, extension)`
    with the extension of the SNIFFED type. Returns the stored name, the download's result (its
    content_type is what the vendor claimed, for the record only), the sniffed type and what
    `inspect` returned. The caller records the file as ready only after this returns."""
    with tempfile.TemporaryFile() as tmp:
        result = download(tmp)
        sniffed = sniff(tmp, allowed, what=what)
        inspected = inspect(tmp) if inspect else None
        tmp.seek(0)
        filename = name(result, sniffed.extension)
        stored = default_storage.save(filename, File(tmp, name=filename))
    return stored, result, sniffed, inspected
