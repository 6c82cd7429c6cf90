"""Qstomizer API v3 client (vendor doc: qstomizer-api-v3.txt)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests

from integrations.http import VendorBadResponse, VendorClient, VendorRejected

from .types import DEFAULT_BASE_URL, PAGE_LIMIT, format_query_date

ONE_SECOND = timedelta(seconds=1)


@dataclass
class Listed:
    """One customization as the list call shows it. The list may show the same order_id on
    several rows (one per template, see the doc's example); they are merged here."""

    order_id: int
    rows: list[dict] = field(default_factory=list)

    @property
    def status_id(self) -> int | None:
        return self.rows[0].get("status_id")

    @property
    def status_date(self) -> str:
        return self.rows[0].get("status_date") or ""


@dataclass
class Window:
    """A slice [start, end] (both inclusive, to the second) of the listing, fully read unless
    `complete` is False: more rows in a single second than the API will return in one call."""

    start: datetime
    end: datetime
    customizations: list[Listed]
    complete: bool = True
    rows: int = 0


class QstomizerClient(VendorClient):
    vendor = "Qstomizer"

    def __init__(self, *, api_key: str, shop: str, base_url: str = DEFAULT_BASE_URL, **kwargs: Any):
        super().__init__(base_url=base_url or DEFAULT_BASE_URL, secrets=[api_key], **kwargs)
        self.shop = shop
        # The doc's header is API_KEY. Some proxies drop headers with underscores, so we also
        # send x-api-key, which the doc says is accepted too.
        self.session.headers.update({"API_KEY": api_key, "x-api-key": api_key, "Accept": "application/json"})

    # -- envelope -----------------------------------------------------------------------

    def unwrap(self, response: requests.Response) -> Any:
        """The `data` of an answer. The doc shows an envelope {statusCode, headers, body:{version,
        error, error_message, data}}; we also accept the bare body, a body sent as a JSON string,
        and treat an envelope statusCode >= 400 or `"error": true` as an error whatever the HTTP
        status said."""
        payload = self.parse_json(response)
        body = payload
        status = response.status_code
        if isinstance(payload, dict) and "body" in payload and "data" not in payload:
            body = payload["body"]
            if isinstance(body, str):
                try:
                    body = json.loads(body)
                except ValueError:
                    raise self._bad(response, "the answer's body is not valid JSON") from None
            envelope_status = payload.get("statusCode")
            if isinstance(envelope_status, int):
                status = envelope_status
        if not isinstance(body, dict):
            raise self._bad(response, "the answer has no body object")
        if body.get("error") or status >= 400:
            message = str(body.get("error_message") or body.get("error") or "the vendor reported an error")
            fake = requests.Response()
            fake.status_code = status if status >= 400 else 400
            fake._content = response.content
            raise self.error_for(fake, message)
        if "data" not in body:
            raise self._bad(response, "the answer has no data")
        return body["data"]

    def _bad(self, response: requests.Response, message: str) -> VendorBadResponse:
        return VendorBadResponse(
            message, vendor=self.vendor, status=response.status_code, excerpt=self.scrub(response.text[:300])
        )

    def describe_error(self, response: requests.Response) -> str:
        try:
            payload = response.json()
        except ValueError:
            return ""
        if isinstance(payload, dict):
            body = payload.get("body", payload)
            if isinstance(body, dict):
                return str(body.get("error_message") or body.get("error") or "")
        return ""

    # -- calls --------------------------------------------------------------------------

    def list_page(self, start: datetime, end: datetime, *, limit: int = PAGE_LIMIT) -> list[dict]:
        """One call to GET /orders for [start, end]."""
        params = {
            "shop": self.shop,
            "date_start": format_query_date(start),
            "date_end": format_query_date(end),
            "limit": limit,
        }
        data = self.unwrap(self.request("GET", "orders", params=params))
        if not isinstance(data, list):
            raise VendorBadResponse("the order list is not a list", vendor=self.vendor)
        for row in data:
            if not isinstance(row, dict) or "order_id" not in row:
                raise VendorBadResponse("a row of the order list has no order_id", vendor=self.vendor)
        return data

    def iter_windows(self, *, start: datetime, end: datetime, limit: int = PAGE_LIMIT) -> Iterator[Window]:
        """Read every customization dated in [start, end], once each.

        The API has no cursor, returns at most `limit` rows in no promised order, and shows
        dates to the minute while taking query bounds to the second. So we sweep time in
        windows: a window that comes back with fewer than `limit` rows is complete; a full one
        is shrunk and asked again. Windows are disjoint (inclusive, to the second), so no row is
        read twice except the same order_id on several rows, which we merge. The window width
        adapts to the density seen and a full window is bisected, so sparse years cost a few
        calls and dense minutes are split down to single seconds. Each turn either moves the
        cursor forward or halves the window, so the sweep always ends. A single second that still fills a page cannot be split further:
        that window is yielded with complete=False, for the caller to report, never hidden.
        """
        start = start.replace(microsecond=0)
        end = end.replace(microsecond=0)
        cursor = start
        width = _seconds(start, end)
        target = limit * 0.7
        # The end of the last window that came back full, and how many rows it is known to hold
        # past `cursor`: a window ending there need not be asked again while it is still full.
        full_end: datetime | None = None
        full_rows = 0
        previous_ids: set[int] = set()
        while cursor <= end:
            window_end = min(cursor + timedelta(seconds=width - 1), end)
            if full_end is not None and cursor <= full_end:
                if full_rows >= limit:  # [cursor, full_end] is certainly full: bisect it
                    window_end = min(
                        window_end, cursor + timedelta(seconds=max(1, _seconds(cursor, full_end) // 2) - 1)
                    )
                else:
                    window_end = min(window_end, full_end)
            rows = self.list_page(cursor, window_end, limit=limit)
            span = _seconds(cursor, window_end)
            if len(rows) >= limit and span > 1:
                full_end, full_rows = window_end, len(rows)
                width = span // 2
                continue
            listed = _merge(rows, skip=previous_ids)
            yield Window(cursor, window_end, listed, complete=len(rows) < limit, rows=len(rows))
            previous_ids = {c.order_id for c in listed}
            full_rows -= len(rows)
            cursor = window_end + ONE_SECOND
            # An empty window always widens the next one (x4). Dividing by max(rows, 1) treated it
            # as one row: with limit 1 (target 0.7) that shrank the width, and with limit 2 int()
            # kept a one-second width at one second, so after a single-second window the sweep
            # asked once per second for the rest of the range.
            growth = min(4.0, target / len(rows)) if rows else 4.0
            width = max(1, int(span * growth))

    def customization(self, order_id: int) -> dict:
        """GET /order: one customization with its sides, nodes, options and store orders."""
        data = self.unwrap(self.request("GET", "order", params={"shop": self.shop, "orderId": order_id}))
        if not isinstance(data, dict):
            raise VendorBadResponse(f"customization {order_id}: the answer is not an object", vendor=self.vendor)
        sides = data.get("sides", [])
        if not isinstance(sides, list) or any(not isinstance(side, dict) for side in sides):
            raise VendorBadResponse(f"customization {order_id}: its sides are not a list", vendor=self.vendor)
        return data

    def hd_design(self, design_hd_url: str) -> dict:
        """Step one of the HD download: a signed URL (valid 15 minutes) for one side's file."""
        payload = self.get_json(design_hd_url)
        if not isinstance(payload, dict) or not payload.get("ok") or not payload.get("url"):
            raise VendorRejected("the HD design was not generated", vendor=self.vendor)
        return payload


def _seconds(start: datetime, end: datetime) -> int:
    """How many whole seconds [start, end] covers, both ends included."""
    return int((end - start).total_seconds()) + 1


def _merge(rows: list[dict], *, skip: set[int]) -> list[Listed]:
    merged: dict[int, Listed] = {}
    for row in rows:
        order_id = int(row["order_id"])
        if order_id in skip:
            continue
        merged.setdefault(order_id, Listed(order_id)).rows.append(row)
    return list(merged.values())
