"""Qstomizer API v3 client (vendor doc: qstomizer-api-v3.txt)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

import requests

from integrations.http import (
    DOWNLOAD_MAX_BYTES,
    EXCERPT_CHARS,
    DownloadExpired,
    DownloadResult,
    VendorBadResponse,
    VendorClient,
    VendorError,
    VendorRejected,
    VendorRetryable,
    VendorUnreadableBody,
    redact_url,
)
from integrations.sources import PrintFileQuotaExceeded

from .types import DEFAULT_BASE_URL, HD_HOSTS, PAGE_LIMIT, format_query_date, parse_iso_datetime

logger = logging.getLogger(__name__)

ONE_SECOND = timedelta(seconds=1)
# A signed HD link with less than this left is asked for again before downloading.
HD_LINK_MARGIN = timedelta(seconds=30)


class HdQuotaExceeded(PrintFileQuotaExceeded):
    """Get HD Design answered 429 "quota_exceeded": the plan's monthly HD generations are spent.
    Retrying before `resets_at` won't help. `resets_at` (aware, UTC) is when the answer said the
    quota resets (a Retry-After header, or a `resets_at` / `reset_at` / `reset` field), else None."""

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        status: int | None = None,
        excerpt: str = "",
        resets_at: datetime | None = None,
    ):
        super().__init__(message, vendor=vendor, status=status, excerpt=excerpt)
        self.resets_at = resets_at


@dataclass(frozen=True)
class HdLink:
    """A signed link to one side's HD file, as Get HD Design returns it. `url` is a bearer link
    (anyone holding it can download until it expires), so it stays out of the repr: never log
    it. `expires_at` is aware UTC, or None when the answer did not say (or said it unreadably)."""

    url: str = field(repr=False)
    expires_at: datetime | None
    cached: bool

    def expires_within(self, margin: timedelta = HD_LINK_MARGIN, *, now: datetime | None = None) -> bool:
        """True when the link has expired or will within `margin`; False when its expiry is unknown."""
        if self.expires_at is None:
            return False
        return self.expires_at - (now or datetime.now(UTC)) <= margin


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
    # The list and detail calls' 429 is a rate limit: the session waits (Retry-After, capped, or
    # backoff) and asks again, and one still there after that is "retry later". Get HD Design's
    # 429 "quota_exceeded" is final: it goes through `hd_session`, whose policy never retries a
    # 429 (see `hd_design()`).
    session_retries_429 = True
    retry_on_429 = True

    def __init__(self, *, api_key: str, shop: str, base_url: str = DEFAULT_BASE_URL, **kwargs: Any):
        super().__init__(base_url=base_url or DEFAULT_BASE_URL, secrets=[api_key], **kwargs)
        self.shop = shop
        # The doc's header is API_KEY. Some proxies drop headers with underscores, so we also
        # send x-api-key, which the doc says is accepted too.
        headers = {"API_KEY": api_key, "x-api-key": api_key, "Accept": "application/json"}
        self.session.headers.update(headers)
        # Get HD Design: the same key, its own retry policy (503 "generation failed" and other
        # 5xx retried with backoff; 429 never, since it means the monthly quota is spent).
        self.hd_session = self.build_session(retry_429=False)
        self.hd_session.headers.update(headers)

    def close(self) -> None:
        super().close()
        self.hd_session.close()

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
                    raise self.bad_response(
                        response, "the answer's body is not valid JSON", cls=VendorUnreadableBody
                    ) from None
            envelope_status = payload.get("statusCode")
            if isinstance(envelope_status, int):
                status = envelope_status
        if not isinstance(body, dict):
            raise self.bad_response(response, "the answer has no body object")
        if body.get("error") or status >= 400:
            message = str(body.get("error_message") or body.get("error") or "the vendor reported an error")
            raise self.error_in_body(response, status=status if status >= 400 else 400, message=message)
        if "data" not in body:
            raise self.bad_response(response, "the answer has no data")
        return body["data"]

    def describe_error(self, response: requests.Response) -> str:
        try:
            payload = response.json()
        except ValueError:
            return ""
        if isinstance(payload, dict):
            return _error_text(payload.get("body", payload))
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
        data = self.get_json("orders", params=params, parse=self.unwrap)
        if not isinstance(data, list):
            raise VendorBadResponse("the order list is not a list", vendor=self.vendor)
        for row in data:
            if not isinstance(row, dict) or "order_id" not in row:
                raise VendorBadResponse("a row of the order list has no order_id", vendor=self.vendor)
        return data

    def check(self) -> str:
        """One page of GET /orders for the last 30 days: the key, the shop and the URL in one read."""
        end = datetime.now(UTC)
        rows = self.list_page(end - timedelta(days=30), end)
        many = "at least " if len(rows) >= PAGE_LIMIT else ""
        return f"Connected to {self.vendor} ({self.shop}): {many}{len(rows)} customizations in the last 30 days."

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
        data = self.get_json("order", params={"shop": self.shop, "orderId": order_id}, parse=self.unwrap)
        if not isinstance(data, dict):
            raise VendorBadResponse(f"customization {order_id}: the answer is not an object", vendor=self.vendor)
        sides = data.get("sides", [])
        if not isinstance(sides, list) or any(not isinstance(side, dict) for side in sides):
            raise VendorBadResponse(f"customization {order_id}: its sides are not a list", vendor=self.vendor)
        return data

    def hd_design(self, design_hd_url: str) -> HdLink:
        """Get HD Design: a signed link (valid 15 minutes) to one side's print-ready file.

        `design_hd_url` is the side's `design_hd_url` from `customization()`, called as it is,
        with our API key (the doc's step two). Its host is not the API's: the key is only sent
        to a Qstomizer host (the doc's, or the base URL's host or domain), never to whatever a
        stored URL names, and redirects are not followed, since requests would carry the key
        headers to the redirect's host.

        Raises HdQuotaExceeded (429 "quota_exceeded": the monthly HD quota is spent),
        VendorRejected (401 credentials, 400 missing id_order or sideid, 404 "Order not found",
        HTTP 200 with ok=false or no url: "the HD design was not generated") and VendorRetryable
        (503 "generation failed", which the session has already retried with backoff, other
        5xx, unreadable JSON). Error bodies are read as the doc's {"ok": false, "error": "..."},
        or `error_message` / `message`, or the orders' envelope.
        """
        self._check_hd_url(design_hd_url)
        response = self.send("GET", design_hd_url, session=self.hd_session, allow_redirects=False)
        status = response.status_code
        if 300 <= status < 400:
            raise VendorRejected(
                "Get HD Design answered with a redirect, which is not followed with our API key",
                vendor=self.vendor,
                status=status,
            )
        if status >= 400:
            raise self._hd_error(response, status, _hd_body(_json_or_none(response)))
        payload = self.parse_json(response)
        body = _hd_body(payload)
        envelope_status = payload.get("statusCode") if isinstance(payload, dict) else None
        if isinstance(envelope_status, int) and envelope_status >= 400:
            raise self._hd_error(response, envelope_status, body)
        url = body.get("url") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not _truthy(body.get("ok")) or not isinstance(url, str) or not url:
            text = _error_text(body)
            if text == "quota_exceeded":
                raise self._hd_error(response, status, body)
            raise VendorRejected(
                "the HD design was not generated" + (f": {text}" if text else ""),
                vendor=self.vendor,
                status=status,
                excerpt=self.scrub(response.text[:EXCERPT_CHARS]),
            )
        if urlsplit(url).scheme not in ("http", "https"):
            raise VendorRejected("the HD design was not generated: its link is not an http(s) URL", vendor=self.vendor)
        link = HdLink(
            url=url, expires_at=parse_iso_datetime(body.get("expires_at")), cached=_truthy(body.get("cached"))
        )
        logger.info(
            "%s: HD link for %s (cached=%s, expires %s)",
            self.vendor,
            _hd_target(design_hd_url),
            link.cached,
            link.expires_at,
        )
        return link

    def hd_download(
        self, design_hd_url: str, fileobj: IO[bytes], *, max_bytes: int = DOWNLOAD_MAX_BYTES
    ) -> tuple[HdLink, DownloadResult]:
        """Both steps of the doc's HD flow for one side: ask for a signed link, download the
        file into `fileobj`. Returns the link used and what was written.

        1. `hd_design()`. A link already expired, or expiring within 30 seconds, is asked for
           once more (the vendor may hand back a cached link near its end).
        2. `download()` through the bare session: the signed link gets no API key.
        3. If the file host refuses the link as expired (DownloadExpired: 403/410), ask for ONE
           fresh link, rewind `fileobj` to where it was on entry and truncate it there, and
           download again. A second refusal raises DownloadExpired.

        So at most three link requests and two downloads. A link that still looks expired by
        our clock is tried anyway: the file host's clock is the one that decides. Errors are
        those of `hd_design()` and `download()`; on any of them `fileobj` may hold part of a
        body, and it is the caller's to discard.
        """
        link = self.hd_design(design_hd_url)
        if link.expires_within(HD_LINK_MARGIN):
            logger.info("%s: the HD link for %s expires too soon, asking again", self.vendor, _hd_target(design_hd_url))
            link = self.hd_design(design_hd_url)
        start = fileobj.tell() if getattr(fileobj, "seekable", lambda: False)() else None
        try:
            return link, self.download(link.url, fileobj, max_bytes=max_bytes)
        except DownloadExpired:
            logger.info(
                "%s: the HD link for %s expired, asking for a fresh one", self.vendor, _hd_target(design_hd_url)
            )
        link = self.hd_design(design_hd_url)
        if start is not None:
            fileobj.seek(start)
            fileobj.truncate()
        return link, self.download(link.url, fileobj, max_bytes=max_bytes)

    def _check_hd_url(self, design_hd_url: str) -> None:
        if not design_hd_url:
            raise VendorRejected("this side has no design_hd_url", vendor=self.vendor)
        try:
            parts, base = urlsplit(design_hd_url), urlsplit(self.base_url)
            host, base_host = (parts.hostname or "").lower(), (base.hostname or "").lower()
        except ValueError:
            raise VendorRejected("the design_hd_url is not a URL", vendor=self.vendor) from None
        labels = base_host.split(".")
        base_domain = ".".join(labels[1:]) if len(labels) >= 3 else ""
        known = host in HD_HOSTS or host == base_host or (base_domain and host.endswith("." + base_domain))
        secure = parts.scheme == "https" or (parts.scheme == "http" and base.scheme == "http")
        if not (known and secure):
            raise VendorRejected(
                f"refusing to send the API key to {redact_url(design_hd_url)}: not a Qstomizer HTTPS URL",
                vendor=self.vendor,
            )

    def _hd_error(self, response: requests.Response, status: int, body: Any) -> VendorError:
        text = _error_text(body)
        excerpt = self.scrub(response.text[:EXCERPT_CHARS])
        if status == 429 or text == "quota_exceeded":
            resets_at = _quota_reset(response, body)
            message = "monthly HD quota reached" + (f", resets on {resets_at:%Y-%m-%d}" if resets_at else "")
            return HdQuotaExceeded(message, vendor=self.vendor, status=status, excerpt=excerpt, resets_at=resets_at)
        if status >= 500:
            message = text or "the HD file generation failed; try again in a few seconds"
            return VendorRetryable(self.scrub(message), vendor=self.vendor, status=status, excerpt=excerpt)
        if status == 401:
            message = text or "the credentials were refused"
        elif status == 404:
            message = text or "Order not found"
        else:
            message = text or "the request was rejected"
        return VendorRejected(self.scrub(message), vendor=self.vendor, status=status, excerpt=excerpt)


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _hd_body(payload: Any) -> Any:
    """The object holding ok/url/error: the doc's bare answer, or the same inside the orders'
    envelope ({"body": {...}}, the body possibly a JSON string, possibly under "data")."""
    if isinstance(payload, dict) and "ok" not in payload and "body" in payload:
        payload = payload["body"]
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except ValueError:
                return None
    if isinstance(payload, dict) and "ok" not in payload and isinstance(payload.get("data"), dict):
        return {**payload, **payload["data"]}
    return payload


def _error_text(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("error_message", "error", "message"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _hd_target(design_hd_url: str) -> str:
    """The side a design_hd_url asks for ("order 1789921 side 8443"), for logs."""
    query = parse_qs(urlsplit(design_hd_url).query)
    return f"order {query.get('id_order', ['?'])[0]} side {query.get('sideid', ['?'])[0]}"


def _quota_reset(response: requests.Response, body: Any) -> datetime | None:
    """When a spent quota resets, if the answer says: the doc does not say how it would, so we
    read a `resets_at` / `reset_at` / `reset` field (ISO 8601, a date, an HTTP date, a Unix time
    or seconds from now), then a Retry-After header (seconds or an HTTP date)."""
    now = datetime.now(UTC)
    if isinstance(body, dict):
        for key in ("resets_at", "reset_at", "reset", "resets_on", "reset_date"):
            moment = _moment(body.get(key), now)
            if moment is not None:
                return moment
    return _moment(response.headers.get("Retry-After"), now, seconds_only=True)


def _moment(value: Any, now: datetime, *, seconds_only: bool = False) -> datetime | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            value = float(text)
        else:
            moment = parse_iso_datetime(text)
            if moment is not None:
                return moment
            try:
                moment = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    if not isinstance(value, int | float) or value < 0:
        return None
    try:
        if seconds_only or value < 1e9:  # seconds from now
            return now + timedelta(seconds=value)
        if value > 1e12:  # a Unix time in milliseconds
            value /= 1000
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


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
