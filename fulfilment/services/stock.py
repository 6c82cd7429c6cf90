"""Stock levels: edited here or imported from CSV, pushed to the partner (its adapter's
`push_stock`)."""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import F, Q
from django.utils import timezone

from integrations.http import VendorError
from integrations.partners import StockLine
from orders.models import VendorConnection

from ..models import StockImport, StockLevel, StockPush
from .partners import connection_partner
from .ratelimit import RateLimited, rate_limit_take

logger = logging.getLogger(__name__)

BATCH = 100
WRITE_BATCH = 2_000

# The encodings a stock CSV can be read with: "auto" detects UTF-8 (with or without BOM) and
# UTF-16 / UTF-32 by their BOM; a legacy single-byte file must be named explicitly, since any bytes
# are "valid" Windows-1252 or Latin-1 and guessing would silently turn CAFÉ into CAFÃ‰.
ENCODINGS = {
    "auto": "Detect (UTF-8 or UTF-16)",
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252 (Excel on Windows)",
    "latin-1": "Latin-1 (ISO-8859-1)",
}
BOMS = [  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
# OWASP "CSV injection": a cell starting with one of these is run as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHAR_NAMES = {"\t": "a tab", "\r": "a carriage return"}
PREVIEW_ROWS = 200  # rows shown in the preview besides every error
PREVIEW_ERRORS = 1_000  # errors shown; the counts always cover the whole file


class StockImportError(ValueError):
    """The file as a whole cannot be read; the message says why in words."""


def _quantity_max() -> int:
    """The most the column holds: PostgreSQL's integer. The portable range (SQLite would store
    64 bits), so that a file that imports in development also imports in production."""
    field = StockLevel._meta.get_field("quantity_available")
    high = BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()][1]
    return high if high is not None else 2**31 - 1


def _sku_max() -> int:
    return StockLevel._meta.get_field("sku").max_length or 255


@dataclass
class ImportRow:
    line: int
    sku: str
    quantity: int | None
    error: str = ""
    current: int | None = None

    @property
    def change(self) -> str:
        if self.error:
            return "error"
        if self.current is None:
            return "new"
        return "unchanged" if self.current == self.quantity else "changed"


def stock_csv_decode(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The text of an uploaded CSV and the encoding it was read with. Never replaces a byte: what is
    not valid in the detected (or chosen) encoding is a StockImportError that says where, and
    suggests the explicit choice."""
    if encoding not in ENCODINGS:
        raise StockImportError(f"Unknown encoding {encoding!r}: choose one of {', '.join(ENCODINGS)}.")
    used = encoding
    if encoding == "auto":
        used = next((name for bom, name in BOMS if data.startswith(bom)), "utf-8")
    elif encoding == "utf-8":
        used = "utf-8-sig"  # a BOM, if there is one, is not part of the first column's name
    if b"\x00" in data and not used.startswith(("utf-16", "utf-32")):
        raise StockImportError(
            "This is not a text file (it contains NUL bytes). Upload a CSV; a UTF-16 file needs its "
            "byte-order mark, or choose UTF-16."
        )
    try:
        text = data.decode(used)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 1].hex().upper()
        label = ENCODINGS.get(encoding if encoding != "auto" else "utf-8", used)
        raise StockImportError(
            f"The file is not valid {label}: byte 0x{bad} on line {line} cannot be read. If it was saved "
            "by Excel or another Windows program, choose Windows-1252 (or Latin-1) as the encoding."
        ) from None
    return text.removeprefix("\ufeff"), used.removesuffix("-sig")


def _separator(header: str) -> str:
    """The separator of the header line: the most frequent of , ; and tab outside quotes."""
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {sep: outside.count(sep) for sep in SEPARATORS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _sku_error(raw: str, sku: str) -> str:
    limit = _sku_max()
    if not sku:
        return "No SKU."
    first = raw.lstrip(" ")[:1]
    if first in FORMULA_STARTS or sku[:1] in FORMULA_STARTS:
        start = first if first in FORMULA_STARTS else sku[:1]
        shown = CHAR_NAMES.get(start, repr(start))
        return (
            f"The SKU starts with {shown}, so a spreadsheet would run it as a formula: SKUs cannot start "
            "with = + - @, a tab or a carriage return."
        )
    if any(unicodedata.category(char) == "Cc" for char in sku):
        return "The SKU contains a control character (a line break, tab or similar)."
    if len(sku) > limit:
        return f"The SKU is longer than {limit} characters."
    return ""


def _quantity(raw: str) -> tuple[int | None, str]:
    """Whole numbers written with ASCII digits only. "1,000" and "12.0" are refused with a reason
    rather than guessed at: in a semicolon file from a European Excel "1,000" is one, and "12.000"
    twelve thousand."""
    limit = _quantity_max()
    if not raw:
        return None, "No quantity."
    if re.fullmatch(r"-\s*[0-9]+", raw):
        return None, "The quantity cannot be negative."
    if not re.fullmatch(r"\+?[0-9]+", raw):
        if re.fullmatch(r"[0-9]+([.,' ][0-9]+)+", raw):
            return None, f"{raw!r} is not a whole number: write it with digits only, no separators or decimals."
        return None, f"{raw!r} is not a whole number."
    value = int(raw.lstrip("+"))
    if value > limit:
        return None, f"{value} is more than the largest stock level, {limit}."
    return value, ""


def stock_import_preview(connection: VendorConnection, text: str) -> list[ImportRow]:
    """Read a CSV (columns sku and quantity, any order, header required; separated by commas,
    semicolons or tabs) into rows with their errors, without writing anything."""
    text = text.removeprefix("\ufeff")
    header = text.split("\n", 1)[0]
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(header))
        names = next(reader, [])
    except csv.Error as exc:
        return [ImportRow(1, "", None, f"The first line cannot be read as CSV ({exc}).")]
    fields = {name.strip().lower(): index for index, name in enumerate(names)}
    sku_col = fields.get("sku")
    qty_col = next((fields[name] for name in ("quantity", "quantity_available", "qty") if name in fields), None)
    if sku_col is None or qty_col is None:
        return [ImportRow(1, "", None, "The first line must name the columns: sku and quantity.")]
    max_rows = settings.STOCK_IMPORT_MAX_ROWS
    rows: list[ImportRow] = []
    seen: dict[str, int] = {}
    line = reader.line_num + 1
    while True:
        try:
            record = next(reader, None)
        except csv.Error as exc:
            rows.append(ImportRow(line, "", None, f"This line cannot be read as CSV ({exc})."))
            break
        if record is None:
            break
        number, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue  # blank lines (a trailing one, most often) are not rows
        if len(rows) >= max_rows:
            rows.append(ImportRow(number, "", None, f"More than {max_rows} rows: split the file."))
            break
        raw_sku = record[sku_col] if sku_col < len(record) else ""
        sku = raw_sku.strip()
        row = ImportRow(number, sku, None, _sku_error(raw_sku, sku))
        if not row.error:
            row.quantity, row.error = _quantity((record[qty_col] if qty_col < len(record) else "").strip())
        if len(sku) > _sku_max():
            row.sku = sku[: _sku_max()] + "…"  # shown capped; it is an error anyway
        elif sku and sku in seen and not row.error:
            row.error = f"The SKU is already on line {seen[sku]}."
        if sku and not row.error:
            seen.setdefault(sku, number)
        rows.append(row)
    skus = [row.sku for row in rows if row.sku and not row.error]
    current: dict[str, int] = {}
    for start in range(0, len(skus), 5_000):
        current.update(
            StockLevel.objects.filter(connection=connection, sku__in=skus[start : start + 5_000]).values_list(
                "sku", "quantity_available"
            )
        )
    for row in rows:
        row.current = current.get(row.sku)
    return rows


def stock_import_counts(rows: list[ImportRow]) -> dict[str, int]:
    counts = dict.fromkeys(("new", "changed", "unchanged", "error"), 0)
    for row in rows:
        counts[row.change] += 1
    return counts


def stock_import_shown(rows: list[ImportRow]) -> list[ImportRow]:
    """What a preview shows of a large file: the first PREVIEW_ROWS rows and every error (up to
    PREVIEW_ERRORS), in file order."""
    shown, errors = [], 0
    for index, row in enumerate(rows):
        if row.error:
            errors += 1
        if index < PREVIEW_ROWS or (row.error and errors <= PREVIEW_ERRORS):
            shown.append(row)
    return shown


def stock_imports_prune() -> int:
    """Delete staged imports older than STOCK_IMPORT_TTL_MINUTES."""
    cutoff = timezone.now() - timedelta(minutes=settings.STOCK_IMPORT_TTL_MINUTES)
    return StockImport.objects.filter(created_at__lt=cutoff).delete()[0]


def stock_import_stage(
    connection: VendorConnection, user, data: bytes, *, encoding: str = "auto", filename: str = ""
) -> StockImport:
    """Keep an uploaded CSV on the server for its preview and confirmation (decoded once, here)."""
    if len(data) > settings.STOCK_IMPORT_MAX_BYTES:
        raise StockImportError(
            f"The file is larger than {settings.STOCK_IMPORT_MAX_BYTES:,} bytes, the most a stock import takes: split it."
        )
    text, used = stock_csv_decode(data, encoding)
    if not text.strip():
        raise StockImportError("The file is empty.")
    stock_imports_prune()
    return StockImport.objects.create(
        connection=connection, user=user, text=text, encoding=used, filename=filename[:255]
    )


def stock_import_staged(pk, *, user, connection: VendorConnection) -> StockImport:
    """The staged import `pk` of this user and connection, if it has not expired."""
    cutoff = timezone.now() - timedelta(minutes=settings.STOCK_IMPORT_TTL_MINUTES)
    try:
        return StockImport.objects.get(pk=pk, user=user, connection=connection, created_at__gte=cutoff)
    except (StockImport.DoesNotExist, ValidationError, ValueError):
        raise StockImportError(
            "This preview has expired, or was made by someone else or for another connection: upload the file again."
        ) from None


def stock_import_discard(pk, *, user) -> None:
    """Forget a staged import of this user (replaced by a new upload, or used)."""
    StockImport.objects.filter(pk=pk, user=user).delete()


@transaction.atomic
def stock_import_apply(connection: VendorConnection, rows: list[ImportRow]) -> int:
    """Write the rows without errors (all or nothing if any row has an error)."""
    if any(row.error for row in rows):
        raise ValueError("fix the rows with errors first")
    levels = [StockLevel(connection=connection, sku=row.sku, quantity_available=row.quantity or 0) for row in rows]
    StockLevel.objects.bulk_create(
        levels,
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["connection", "sku"],
        update_fields=["quantity_available", "updated_at"],
    )
    return len(levels)


def stock_changed(connection: VendorConnection):
    return StockLevel.objects.filter(connection=connection).filter(
        Q(pushed_quantity__isnull=True) | ~Q(pushed_quantity=F("quantity_available"))
    )


def stock_push(connection: VendorConnection, levels, *, user=None, progress=None) -> StockPush:
    """PUT the levels in batches; record what was sent and each answer. A failed batch stops the
    push (the rest stay "changed" for the next one)."""
    levels = list(levels.order_by("sku") if hasattr(levels, "order_by") else levels)
    record = StockPush(connection=connection, user=user, status=StockPush.Status.SUCCEEDED)
    pushed = 0
    with connection_partner(connection) as partner:
        for start in range(0, len(levels), BATCH):
            batch = levels[start : start + BATCH]
            lines = [StockLine(level.sku, level.quantity_available) for level in batch]
            record.sent.append(partner.stock_body(lines))
            try:
                rate_limit_take(connection)
                answer = partner.push_stock(lines)
            except (VendorError, RateLimited) as exc:
                record.answers.append({"error": str(exc)})
                record.error = str(exc)
                record.status = StockPush.Status.PARTIAL if pushed else StockPush.Status.FAILED
                break
            record.answers.append(answer)
            now = timezone.now()
            for level in batch:
                StockLevel.objects.filter(pk=level.pk, quantity_available=level.quantity_available).update(
                    pushed_quantity=level.quantity_available, pushed_at=now
                )
            pushed += len(batch)
            if progress:
                progress(pushed, len(levels))
    record.count = pushed
    record.save()
    return record


def stock_push_failed(connection_id: int, *, user_id: int | None = None, exc: BaseException) -> StockPush | None:
    """The push task stopped before it could record its push (its retries spent, or something
    unexpected): the push history says so in words."""
    if isinstance(exc, VendorError):
        error = str(exc)
    elif isinstance(exc, DatabaseError):
        error = f"Not pushed: the database was unavailable ({type(exc).__name__}). Push the levels again."
    else:
        error = f"Not pushed: stopped by an internal error ({type(exc).__name__}). Push the levels again."
    try:
        if not VendorConnection.objects.filter(pk=connection_id).exists():
            return None
        user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        return StockPush.objects.create(
            connection_id=connection_id, user=user, status=StockPush.Status.FAILED, error=error
        )
    except DatabaseError:
        logger.error("stock push of connection %s failed and could not be recorded: %s", connection_id, error)
        return None
