"""CSV export of admin lists (orders.admin.export): the rows the list selects, readable, safe to
open in a spreadsheet, and streamed."""

from __future__ import annotations

import csv
import datetime
import io
import tracemalloc
import types

import pytest
from django.utils import timezone

from fulfilment.models import FulfilmentOrder, StockLevel
from orders.admin import export as export_module
from orders.admin.export import csv_cell_safe, csv_rows
from orders.models import Customization, ReviewDecision
from tests.factories import (
    CustomizationFactory,
    FulfilmentOrderFactory,
    ShipmentFactory,
    StoreOrderFactory,
    VendorConnectionFactory,
    staff_in,
)


def parsed(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def viewer_client(client, db):
    client.force_login(staff_in("Viewer"))
    return client


@pytest.mark.parametrize(
    "value, shown",
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+2", "'+1+2"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Plain text", "Plain text"),
        ("", ""),
    ],
)
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_prefixed(value, shown):
    assert csv_cell_safe(value) == shown


def test_values_are_written_as_people_read_them(db):
    connection = VendorConnectionFactory(name="=cmd|' /C calc'!A0")
    CustomizationFactory(
        connection=connection,
        external_id="A-1",
        status=Customization.Status.ARTWORK_APPROVAL_PENDING,
        decision=Customization.Decision.APPROVED,
        customized_at=datetime.datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=datetime.UTC),
        has_bad_words=True,
    )
    rows = list(
        csv.reader(
            io.StringIO(
                "".join(
                    csv_rows(
                        Customization.objects.all(),
                        [
                            ("external_id", "Vendor id"),
                            ("connection__name", "Connection"),
                            ("status", "Status"),
                            ("decision", "Decision"),
                            ("decided_at", "Decided at"),
                            ("customized_at", "Customized at"),
                            ("has_bad_words", "Bad words"),
                        ],
                    )
                ).lstrip("\ufeff")
            )
        )
    )
    assert rows == [
        ["Vendor id", "Connection", "Status", "Decision", "Decided at", "Customized at", "Bad words"],
        [
            "A-1",
            "'=cmd|' /C calc'!A0",
            Customization.Status.ARTWORK_APPROVAL_PENDING.label,
            "Approved",
            "",
            "2026-03-04T05:06:07+00:00",
            "yes",
        ],
    ]


def test_the_export_has_exactly_the_rows_the_filters_search_and_ordering_select_on_every_page(viewer_client):
    connection = VendorConnectionFactory(name="Shop")
    approved = [
        CustomizationFactory(connection=connection, external_id=f"{n:03d}", decision="approved") for n in range(60)
    ]
    CustomizationFactory.create_batch(5, connection=connection, decision="rejected")

    # The list shows 50 a page; the export has all 60, in the list's order (vendor id, descending).
    rows = parsed(viewer_client.get("/admin/orders/customization/export.csv?decision__exact=approved&o=-1"))
    assert rows[0][:3] == ["Vendor id", "Connection", "Status"]
    ids = [row[0] for row in rows[1:]]
    assert ids == sorted((c.external_id for c in approved), reverse=True)

    # Searched: the same rows as the list's search.
    rows = parsed(viewer_client.get("/admin/orders/customization/export.csv?q=042"))
    assert [row[0] for row in rows[1:]] == ["042"]


def test_the_list_links_its_export_with_its_current_filters(viewer_client):
    CustomizationFactory(decision="approved")
    page = viewer_client.get("/admin/orders/customization/?decision__exact=approved&p=1").content.decode()
    assert 'id="export-csv"' in page
    assert 'href="/admin/orders/customization/export.csv?decision__exact=approved"' in page


def test_a_bad_filter_is_refused_with_the_reason(viewer_client):
    response = viewer_client.get("/admin/orders/customization/export.csv?customized_at__gte=not-a-date")
    assert response.status_code == 400
    assert "cannot be exported" in response.content.decode()


def test_the_export_needs_a_login(client, db):
    response = client.get("/admin/orders/customization/export.csv")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_every_list_exports_with_human_headers_and_labels(viewer_client, gateway):
    decided = CustomizationFactory(decision="approved")
    ReviewDecision.objects.create(customization=decided, action="approve", previous="rejected", reason="ok")
    StoreOrderFactory(name="#1001", status="paid")
    FulfilmentOrderFactory(connection=gateway, external_ref="BO-9", state=FulfilmentOrder.State.DRAFT)
    StockLevel.objects.create(connection=gateway, sku="MUG-1", quantity_available=4)
    ShipmentFactory(order__connection=gateway, carrier="hermes", tracking="H123")

    expected = {
        "/admin/orders/customization/": ["Vendor id", decided.external_id],
        "/admin/orders/storeorder/": ["Order", "#1001"],
        "/admin/orders/reviewdecision/": ["At", "Approved", "Rejected"],
        "/admin/fulfilment/fulfilmentorder/": ["Reference", "BO-9", "Draft"],
        "/admin/fulfilment/stocklevel/": ["SKU", "MUG-1", "4"],
        "/admin/fulfilment/shipment/": ["Tracking number", "H123", "hermes"],
    }
    for url, cells in expected.items():
        rows = parsed(viewer_client.get(url + "export.csv"))
        flat = [cell for row in rows for cell in row]
        assert all(cell in flat for cell in cells), (url, rows)
        assert len(rows) == 2, (url, rows)
        assert 'id="export-csv"' in viewer_client.get(url).content.decode(), url


def _streamed(response) -> tuple[int, int, int, int]:
    """(chunks, characters, biggest chunk, peak bytes allocated while streaming)."""
    assert response.streaming
    tracemalloc.start()
    chunks, total, biggest = 0, 0, 0
    try:
        for chunk in response.streaming_content:
            chunks += 1
            total += len(chunk)
            biggest = max(biggest, len(chunk))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return chunks, total, biggest, peak


def test_more_than_ten_thousand_rows_stream_in_chunks_with_flat_memory(viewer_client, gateway, monkeypatch):
    StockLevel.objects.bulk_create(
        [
            StockLevel(connection=gateway, sku=f"{'A' if n < 3000 else 'B'}-{n:06d}-" + "x" * 60, quantity_available=n)
            for n in range(12_000)
        ]
    )
    monkeypatch.setattr(export_module, "CHUNK_SIZE", 500)

    response = viewer_client.get("/admin/fulfilment/stocklevel/export.csv?o=1")
    assert isinstance(response.streaming_content, types.GeneratorType) or hasattr(
        response.streaming_content, "__next__"
    )
    chunks, total, biggest, peak = _streamed(response)
    # The header, then 24 chunks of 500 rows: never the whole file at once.
    assert chunks == 1 + 12_000 // 500
    assert total > 1_000_000
    assert biggest < total / 20

    # Flat: four times the rows, not four times the memory (a quarter of the rows, searched).
    small_chunks, small_total, _, small_peak = _streamed(
        viewer_client.get("/admin/fulfilment/stocklevel/export.csv?q=A-")
    )
    assert small_chunks == 1 + 3000 // 500 and small_total * 3.5 < total
    assert peak < small_peak * 1.5, (peak, small_peak)
    assert peak < total / 2, (peak, total)


def test_timezone_aware_times_are_written_in_utc(db, gateway):
    when = timezone.make_aware(
        datetime.datetime(2026, 6, 1, 12, 0), timezone=datetime.timezone(datetime.timedelta(hours=2))
    )
    FulfilmentOrderFactory(connection=gateway, external_ref="BO-T", sent_at=when)
    text = "".join(csv_rows(FulfilmentOrder.objects.all(), [("external_ref", "Ref"), ("sent_at", "Sent")]))
    assert "BO-T,2026-06-01T10:00:00+00:00" in text
