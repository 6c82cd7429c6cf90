"""Files downloaded from vendors (print files, shipping labels) into Django storage."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import default_storage

from integrations.http import DownloadResult

EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/svg+xml": "svg",
    "application/pdf": "pdf",
}


def extension_for(content_type: str) -> str:
    return EXTENSIONS.get(content_type.split(";")[0].strip().lower(), "bin")


def download_stored(
    download: Callable[[IO[bytes]], DownloadResult],
    name: Callable[[DownloadResult, str], str],
    *,
    inspect: Callable[[IO[bytes]], Any] | None = None,
) -> tuple[str, DownloadResult, Any]:
    """`download(tmp)` writes the file into a temporary file; `inspect(tmp)` may look at it; then
    it is saved to storage whole as `name(result, extension)`. Returns the stored name, the
    download's result and what `inspect` returned. Nothing reaches storage unless the download
    completed, and the caller records the file as ready only after this returns."""
    with tempfile.TemporaryFile() as tmp:
        result = download(tmp)
        inspected = inspect(tmp) if inspect else None
        tmp.seek(0)
        filename = name(result, extension_for(result.content_type))
        stored = default_storage.save(filename, File(tmp, name=filename))
    return stored, result, inspected
