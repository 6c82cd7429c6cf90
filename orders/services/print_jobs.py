"""Print jobs staff add by reference (a vendor's designer made them; the store captured their
refs): each becomes a customization of the connection, through the same writer and screening
as a sync. The vendor's spec maps a ref to a record (`VendorSpec.print_job`); adding the same ref
twice writes nothing the second time. Vendor-neutral."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction

from integrations.registry import UnknownVendor

from ..models import VendorConnection
from .bad_words import records_screen
from .writer import customizations_write, existing_state

MAX_REFS = 10_000
MAX_UPLOAD_BYTES = 1_000_000
BATCH = 500
# Column names a CSV may carry its refs under (else its first column).
REF_COLUMNS = ("printjobref", "print_job_ref", "print job ref", "ref", "reference")


class PrintJobsRefused(ValueError):
    """The request cannot be done at all (the connection has no print jobs, too many refs); in words."""


@dataclass
class PrintJobsOutcome:
    created: int = 0
    unchanged: int = 0
    updated: int = 0
    invalid: list[str] = field(default_factory=list)  # "ref: why", in words

    def summary(self) -> str:
        said = f"{self.created} added, {self.unchanged} already here"
        if self.updated:
            said += f", {self.updated} updated"
        if self.invalid:
            said += f", {len(self.invalid)} refused ({'; '.join(self.invalid[:5])}{'; ...' if len(self.invalid) > 5 else ''})"
        return said + "."


def refs_from_text(text: str) -> list[str]:
    """Refs pasted in a box: separated by new lines, commas, semicolons or spaces."""
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


def refs_from_csv(data: bytes) -> list[str]:
    """Refs from a CSV file: the column named printJobRef (or print_job_ref, ref, reference), else
    the first column; a first row that is a header is skipped. PrintJobsRefused in words."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise PrintJobsRefused(f"the file is over {MAX_UPLOAD_BYTES // 1000} kB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PrintJobsRefused(f"the file is not UTF-8 text (byte {exc.start})") from None
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise PrintJobsRefused(f"the file is not CSV: {exc}") from None
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((header.index(name) for name in REF_COLUMNS if name in header), None)
    body = rows[1:] if column is not None else rows
    column = column or 0
    return [row[column].strip() for row in body if len(row) > column and row[column].strip()]


def print_jobs_add(
    connection: VendorConnection, refs: Iterable[str], *, progress: Callable[[int, int], None] | None = None
) -> PrintJobsOutcome:
    """Add these print jobs to `connection` as customizations; `progress(done, total)` after each
    batch. A bad ref is refused in words, the others are added."""
    try:
        make = connection.spec.print_job
    except UnknownVendor:
        make = None
    if make is None:
        raise PrintJobsRefused(f"{connection.name}'s vendor has no print jobs to add")
    unique = list(dict.fromkeys(ref.strip() for ref in refs if ref and ref.strip()))
    if len(unique) > MAX_REFS:
        raise PrintJobsRefused(f"{len(unique)} refs at once is too many (at most {MAX_REFS})")
    outcome = PrintJobsOutcome()
    records = []
    for ref in unique:
        try:
            records.append(make(ref))
        except ValueError as exc:
            outcome.invalid.append(f"{ref[:60]}: {exc}")
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        with transaction.atomic():
            state = existing_state(connection, [record.external_id for record in batch])
            written = customizations_write(connection, batch, state, records_screen(batch))
        outcome.created += written.created
        outcome.updated += written.updated
        outcome.unchanged += written.unchanged
        if progress:
            progress(min(start + BATCH, len(records)), len(records))
    return outcome
