"""Stock levels: edited here or imported from CSV, pushed to Custom Gateway's Stock API."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations.http import VendorError
from orders.models import VendorConnection
from orders.services.connections import connection_client

from ..models import StockLevel, StockPush
from .ratelimit import RateLimited, rate_limit_take

BATCH = 100
MAX_ROWS = 50_000


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


def stock_import_preview(connection: VendorConnection, text: str) -> list[ImportRow]:
    """Read a CSV (columns sku and quantity, any order, header required) into rows with their
    errors, without writing anything."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    sku_col = fields.get("sku")
    qty_col = fields.get("quantity") or fields.get("quantity_available") or fields.get("qty")
    if not sku_col or not qty_col:
        return [ImportRow(1, "", None, "The first line must name the columns: sku and quantity.")]
    rows, seen = [], {}
    for number, record in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            rows.append(ImportRow(number, "", None, f"More than {MAX_ROWS} rows: split the file."))
            break
        sku = (record.get(sku_col) or "").strip()
        raw = (record.get(qty_col) or "").strip()
        row = ImportRow(number, sku, None)
        if not sku:
            row.error = "No SKU."
        elif len(sku) > 255:
            row.error = "The SKU is longer than 255 characters."
        else:
            try:
                row.quantity = int(raw)
                if row.quantity < 0:
                    row.error = "The quantity cannot be negative."
            except ValueError:
                row.error = f"{raw!r} is not a whole number."
        if sku and sku in seen and not row.error:
            row.error = f"The SKU is already on line {seen[sku]}."
        seen.setdefault(sku, number)
        rows.append(row)
    current = dict(
        StockLevel.objects.filter(connection=connection, sku__in=[r.sku for r in rows if r.sku]).values_list(
            "sku", "quantity_available"
        )
    )
    for row in rows:
        row.current = current.get(row.sku)
    return rows


@transaction.atomic
def stock_import_apply(connection: VendorConnection, rows: list[ImportRow]) -> int:
    """Write the rows without errors (all or nothing if any row has an error)."""
    if any(row.error for row in rows):
        raise ValueError("fix the rows with errors first")
    levels = [StockLevel(connection=connection, sku=row.sku, quantity_available=row.quantity) for row in rows]
    StockLevel.objects.bulk_create(
        levels,
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
    with connection_client(connection) as client:
        for start in range(0, len(levels), BATCH):
            batch = levels[start : start + BATCH]
            body = [(level.sku, level.quantity_available) for level in batch]
            record.sent.append([{"sku": sku, "data": {"quantity_available": qty}} for sku, qty in body])
            try:
                rate_limit_take(connection)
                answer = client.update_stock(body)
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
