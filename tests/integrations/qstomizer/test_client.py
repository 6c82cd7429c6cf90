"""QstomizerClient against vendor HTTP faked at the boundary with `responses`.

The payloads come from the vendor doc (tests/fixtures/qstomizer/). The window sweep is checked
against a fake Qstomizer server that behaves as the doc describes: no cursor, at most `limit`
rows per call in no particular order, query bounds read to the second, dates shown to the minute.
"""

from __future__ import annotations

import json
import math
import random
import traceback
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
import responses

from integrations.http import VendorBadResponse, VendorError, VendorRejected, VendorRetryable
from integrations.qstomizer.client import QstomizerClient
from integrations.qstomizer.types import format_query_date, parse_date

BASE_URL = "https://api.test/v3"
ORDERS_URL = f"{BASE_URL}/orders"
ORDER_URL = f"{BASE_URL}/order"
API_KEY = "secret-key-123"
SHOP = "mystore.myshopify.com"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "qstomizer"

START = datetime(2000, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def envelope(data, *, status_code: int = 200, error: bool = False, error_message: str = "") -> dict:
    """The doc's answer shape: {statusCode, headers, body: {version, error, error_message, data}}."""
    return {
        "statusCode": status_code,
        "headers": {"Content-type": "application/json", "API": "Qstomizer API v3.0"},
        "body": {"version": 3, "error": error, "error_message": error_message, "data": data},
    }


@pytest.fixture
def client():
    with QstomizerClient(api_key=API_KEY, shop=SHOP, base_url=BASE_URL, backoff=0, retries=2) as client:
        yield client


@pytest.fixture
def vendor():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def assert_no_key(exc: VendorError) -> None:
    for text in (str(exc), exc.excerpt, exc.message, repr(exc), "".join(traceback.format_exception(exc))):
        assert API_KEY not in text


# -- the doc's examples -------------------------------------------------------------------


def test_list_example_merges_rows_of_one_order_into_one_customization(client, vendor):
    vendor.get(ORDERS_URL, json=fixture("orders_list.json"))

    windows = list(client.iter_windows(start=START, end=END, limit=25))

    assert len(windows) == 1
    window = windows[0]
    assert window.complete
    assert window.rows == 2
    assert [c.order_id for c in window.customizations] == [779092]
    listed = window.customizations[0]
    assert sorted(row["template_id"] for row in listed.rows) == [512275, 522273]
    assert listed.status_id == 1
    assert listed.status_date == "2022/09/01 01:43"


def test_list_page_returns_the_doc_rows(client, vendor):
    vendor.get(ORDERS_URL, json=fixture("orders_list.json"))

    rows = client.list_page(START, END, limit=2)

    assert [(row["order_id"], row["template_id"]) for row in rows] == [(779092, 522273), (779092, 512275)]
    assert rows[0]["user_notes"] == "Please, contact us before proceed."


def test_detail_example_parses_with_sides_and_nodes(client, vendor):
    vendor.get(ORDER_URL, json=fixture("order_detail.json"))

    data = client.customization(1789921)

    assert [side["side_name"] for side in data["sides"]] == ["Front", "Back"]
    front, back = data["sides"]
    assert [node["type"] for node in front["nodes"]] == ["image", "text"]
    assert front["nodes"][1]["text"] == "BASKETBALL"
    assert back["nodes"] == []
    assert front["design_hd_url"].endswith("id_order=1789921&sideid=8443")
    assert data["orders"][0]["shopify_order_name"] == "#3891"
    query = parse_qs(urlsplit(vendor.calls[0].request.url).query)
    assert query == {"shop": [SHOP], "orderId": ["1789921"]}


# -- what we send -------------------------------------------------------------------------


def test_sends_the_key_in_both_headers_and_the_query_the_doc_asks_for(client, vendor):
    vendor.get(ORDERS_URL, json=envelope([]))

    client.list_page(
        datetime(2022, 9, 1, 1, 43, 10, tzinfo=UTC), datetime(2022, 12, 31, 23, 59, 59, tzinfo=UTC), limit=50
    )

    request = vendor.calls[0].request
    assert request.headers["API_KEY"] == API_KEY
    assert request.headers["x-api-key"] == API_KEY
    query = parse_qs(urlsplit(request.url).query)
    assert query == {
        "shop": [SHOP],
        "date_start": ["2022-09-01 01:43:10"],
        "date_end": ["2022-12-31 23:59:59"],
        "limit": ["50"],
    }
    assert API_KEY not in request.url


# -- errors -------------------------------------------------------------------------------


def test_http_200_with_error_in_the_body_is_rejected_with_the_vendors_message(client, vendor):
    vendor.get(ORDERS_URL, json=fixture("error_shop.json"))

    with pytest.raises(VendorRejected) as caught:
        client.list_page(START, END)

    assert "The shop mystore.myshopify.com is not registered in Qstomizer" in str(caught.value)
    assert not isinstance(caught.value, VendorRetryable)


def test_envelope_status_401_inside_http_200_is_rejected_as_401(client, vendor):
    vendor.get(ORDERS_URL, json=envelope(None, status_code=401, error_message="Invalid API_KEY"))

    with pytest.raises(VendorRejected) as caught:
        client.list_page(START, END)

    assert caught.value.status == 401
    assert "Invalid API_KEY" in str(caught.value)


def test_malformed_json_is_a_retryable_bad_response(client, vendor):
    vendor.get(ORDERS_URL, body="<html><body>502 Bad Gateway</body></html>", content_type="text/html")

    with pytest.raises(VendorBadResponse) as caught:
        client.list_page(START, END)

    assert isinstance(caught.value, VendorRetryable)
    assert "not valid JSON" in str(caught.value)
    assert "502 Bad Gateway" in caught.value.excerpt


def test_503_twice_then_200_succeeds_through_the_session_retry(client, vendor):
    vendor.get(ORDERS_URL, status=503, body="busy")
    vendor.get(ORDERS_URL, status=503, body="busy")
    vendor.get(ORDERS_URL, json=fixture("orders_list.json"))

    rows = client.list_page(START, END)

    assert [row["order_id"] for row in rows] == [779092, 779092]
    assert len(vendor.calls) == 3


def test_persistent_503_is_retryable(client, vendor):
    vendor.get(ORDERS_URL, status=503, body="busy")

    with pytest.raises(VendorRetryable) as caught:
        client.list_page(START, END)

    assert caught.value.status == 503
    assert len(vendor.calls) == 3  # the first try and retries=2


def test_timeout_is_retryable(client, vendor):
    vendor.get(ORDERS_URL, body=requests.exceptions.ReadTimeout())

    with pytest.raises(VendorRetryable) as caught:
        client.list_page(START, END)

    assert "did not answer in time" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        {"error": f"Invalid API_KEY {API_KEY}"},
        envelope(None, status_code=401, error=True, error_message=f"Invalid API_KEY: {API_KEY}"),
    ],
    ids=["bare", "envelope"],
)
def test_401_is_rejected_and_never_shows_the_key(client, vendor, body):
    vendor.get(ORDERS_URL, status=401, json=body)

    with pytest.raises(VendorRejected) as caught:
        client.list_page(START, END)

    assert caught.value.status == 401
    assert "Invalid API_KEY" in str(caught.value)
    assert "***" in caught.value.excerpt  # the echoed key was scrubbed, not the whole excerpt dropped
    assert_no_key(caught.value)


# -- the window sweep against a fake Qstomizer --------------------------------------------


class FakeQstomizer:
    """GET /orders as the doc describes it: rows dated in [date_start, date_end] (to the second),
    shuffled, at most `limit` of them, dates shown to the minute only."""

    MAX_CALLS = 2_000  # a sweep that loops fails loudly instead of hanging the suite

    def __init__(self, rows: list[tuple[int, datetime, int]], *, seed: int = 0):
        self.rows = rows  # (order_id, exact moment, template_id)
        self.random = random.Random(seed)
        self.calls = 0

    def __call__(self, request):
        self.calls += 1
        assert self.calls <= self.MAX_CALLS, "the sweep does not end"
        if request.headers.get("API_KEY") != API_KEY:
            return 401, {}, json.dumps(envelope(None, status_code=401, error=True, error_message="Invalid API_KEY"))
        query = parse_qs(urlsplit(request.url).query)
        start = datetime.strptime(query["date_start"][0], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        end = datetime.strptime(query["date_end"][0], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        limit = int(query.get("limit", ["25"])[0])
        found = [row for row in self.rows if start <= row[1] <= end]
        self.random.shuffle(found)
        data = [
            {
                "order_id": order_id,
                "order_date": moment.strftime("%Y/%m/%d %H:%M"),
                "status_id": 1,
                "status_date": moment.strftime("%Y/%m/%d %H:%M"),
                "hex_color": "",
                "template_id": template_id,
                "product_title": f"Product {template_id}",
                "comments": "",
                "user_notes": "",
                "user_agent": "",
            }
            for order_id, moment, template_id in found[:limit]
        ]
        return 200, {"Content-Type": "application/json"}, json.dumps(envelope(data))


def serve(vendor, fake: FakeQstomizer) -> FakeQstomizer:
    vendor.add_callback(responses.GET, ORDERS_URL, callback=fake)
    return fake


def sweep(client, *, limit: int, start: datetime = START, end: datetime = END):
    windows = list(client.iter_windows(start=start, end=end, limit=limit))
    ids = [c.order_id for window in windows for c in window.customizations]
    return windows, ids


def assert_tiles(windows, start: datetime, end: datetime) -> None:
    """The windows cover [start, end] exactly: contiguous, disjoint, to the second."""
    assert windows[0].start == start
    assert windows[-1].end == end
    for before, after in zip(windows, windows[1:], strict=False):
        assert after.start == before.end + timedelta(seconds=1)


def test_sweep_reads_a_year_of_orders_each_exactly_once(client, vendor):
    rng = random.Random(1)
    year = datetime(2025, 1, 1, tzinfo=UTC)
    seconds = rng.sample(range(365 * 24 * 3600), 1_000)
    fake = serve(vendor, FakeQstomizer([(100_000 + i, year + timedelta(seconds=s), 7) for i, s in enumerate(seconds)]))

    windows, ids = sweep(client, limit=50)

    assert Counter(ids) == Counter(range(100_000, 101_000))
    assert all(window.complete for window in windows)
    assert_tiles(windows, START, END)
    assert fake.calls == client.requests_made
    assert fake.calls < 3 * math.ceil(1_000 / 50) + 25


@pytest.mark.parametrize("per_second", [1, 2])
def test_sweep_reads_a_minute_holding_more_orders_than_one_call_returns(client, vendor, per_second):
    rng = random.Random(2)
    burst = datetime(2024, 3, 5, 14, 7, tzinfo=UTC)
    rows = [(1_000 + i, burst + timedelta(seconds=i // per_second), 7) for i in range(60 * per_second)]
    # and a month of quieter traffic either side, none of it inside the burst minute
    around = [rng.choice([-1, 1]) * rng.randrange(60, 30 * 86_400) for _ in range(60)]
    rows += [(5_000 + i, burst + timedelta(seconds=offset), 7) for i, offset in enumerate(around)]
    fake = serve(vendor, FakeQstomizer(rows))

    windows, ids = sweep(client, limit=25)

    assert Counter(ids) == Counter(order_id for order_id, _, _ in rows)
    assert all(window.complete for window in windows)
    assert_tiles(windows, START, END)
    assert fake.calls < 200


def test_sweep_ends_and_reports_a_second_holding_more_than_one_call_returns(client, vendor):
    crowded = datetime(2024, 6, 1, 12, 0, 30, tzinfo=UTC)
    rows = [(1_000 + i, crowded, 7) for i in range(30)]
    rows += [(2_000 + i, crowded + timedelta(minutes=i - 20), 7) for i in range(40) if i != 20]
    fake = serve(vendor, FakeQstomizer(rows))

    windows, ids = sweep(client, limit=25)

    incomplete = [window for window in windows if not window.complete]
    assert len(incomplete) == 1
    assert incomplete[0].start == incomplete[0].end == crowded
    assert incomplete[0].rows == 25
    assert len(incomplete[0].customizations) == 25
    assert len(set(ids)) == len(ids)
    assert {oid for oid in ids if oid >= 2_000} == {2_000 + i for i in range(40) if i != 20}
    assert len([oid for oid in ids if oid < 2_000]) == 25  # the most one call shows of that second
    assert_tiles(windows, START, END)
    assert fake.calls < 200


def test_sweep_merges_an_order_listed_with_two_templates(client, vendor):
    rng = random.Random(4)
    base = datetime(2023, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(200):
        moment = base + timedelta(seconds=rng.randrange(90 * 86_400))
        rows.append((3_000 + i, moment, 522273))
        if i % 5 == 0:
            rows.append((3_000 + i, moment, 512275))
    fake = serve(vendor, FakeQstomizer(rows))

    windows, _ = sweep(client, limit=25)

    listed = [c for window in windows for c in window.customizations]
    assert Counter(c.order_id for c in listed) == Counter(range(3_000, 3_200))
    for customization in listed:
        expected = [512275, 522273] if (customization.order_id - 3_000) % 5 == 0 else [522273]
        assert sorted(row["template_id"] for row in customization.rows) == expected
    assert sum(window.rows for window in windows) == len(rows)
    assert fake.calls < 200


def test_sweep_over_an_empty_range_makes_one_call(client, vendor):
    fake = serve(vendor, FakeQstomizer([(1, datetime(2024, 1, 1, tzinfo=UTC), 7)]))

    windows, ids = sweep(client, limit=25, start=datetime(2025, 1, 1, tzinfo=UTC), end=datetime(2025, 2, 1, tzinfo=UTC))

    assert ids == []
    assert fake.calls == 1
    assert len(windows) == 1
    assert windows[0].complete


# -- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022/09/01 01:43", datetime(2022, 9, 1, 1, 43, tzinfo=UTC)),
        ("2022-09-01 01:43:10", datetime(2022, 9, 1, 1, 43, 10, tzinfo=UTC)),
    ],
)
def test_parse_date_reads_the_docs_formats_as_utc(value, expected):
    parsed = parse_date(value)

    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["yesterday", "2022/13/01 01:43", "01/09/2022 01:43", "2022-09-01T01:43:10Z"])
def test_parse_date_rejects_junk(value):
    with pytest.raises(ValueError, match="unreadable date"):
        parse_date(value)


def test_format_query_date_writes_utc_to_the_second():
    assert format_query_date(datetime(2022, 9, 1, 3, 43, 10, tzinfo=UTC) + timedelta(microseconds=5)) == (
        "2022-09-01 03:43:10"
    )
    madrid = datetime(2022, 9, 1, 3, 43, 10, tzinfo=ZoneInfo("Europe/Madrid"))
    assert format_query_date(madrid) == "2022-09-01 01:43:10"


@pytest.mark.parametrize("limit", [1, 2])
def test_sweep_with_a_tiny_limit_still_widens_over_empty_time(client, vendor, limit):
    # Regression: after a one-second window an empty window shrank (limit 1) or kept (limit 2)
    # the next window's width, so the sweep asked once per second for the rest of the range.
    rng = random.Random(5)
    year = datetime(2025, 1, 1, tzinfo=UTC)
    sparse = [(6_000 + i, year + timedelta(seconds=s), 7) for i, s in enumerate(rng.sample(range(365 * 86_400), 10))]
    crowded = [(7_000 + i, datetime(2024, 12, 1, 8, 0, 0, tzinfo=UTC), 7) for i in range(3)]
    fake = serve(vendor, FakeQstomizer(sparse + crowded))

    windows, ids = sweep(client, limit=limit)

    assert len(set(ids)) == len(ids)
    assert {oid for oid in ids if oid < 7_000} == set(range(6_000, 6_010))
    assert len([oid for oid in ids if oid >= 7_000]) == limit
    assert_tiles(windows, START, END)
    assert fake.calls < 600
