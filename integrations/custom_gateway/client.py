"""Custom Gateway client (vendor doc: custom-gateway-api.txt): Order-iT v2.2 order creation for
retailers, and the order shipping and stock APIs for suppliers.

Every endpoint's URL is a parameter (the doc lost them; see types.DEFAULT_*_URL). Errors come as
HTTP 400 {"error": {"code": N, "message": "..."}} or HTTP 500 {"error": {"code": null, "message":
"An unexpected error occured <ID>"}}; both are raised as CustomGatewayError subclasses, which
carry the vendor's `.code` and `.vendor_message`:

    CustomGatewayError(VendorError)                          .code, .vendor_message
      OrderRejected(.., VendorRejected)          any other code, or a 4xx without one
      OrderAlreadyExists(.., VendorRejected)     8001: external_ref already used
      CredentialsRejected(.., VendorRejected)    50000-50003 (and a bare 401/403)
      RateLimitedByVendor(.., VendorRetryable)   50004 (and a bare 429): slow down, retry later
      CustomGatewayServerError(.., VendorRetryable)  5xx: the vendor's fault, retry later

Network failures and timeouts raise the base VendorRetryable (no `.code`): read it with
getattr(exc, "code", None). A POST (create_order, ship_order) is never retried here: after a
timeout the order may exist, and sending it again answers 8001 (OrderAlreadyExists), which is
how the caller finds out.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

import requests

from integrations.http import (
    EXCERPT_CHARS,
    DownloadResult,
    VendorClient,
    VendorError,
    VendorRejected,
    VendorRetryable,
)

from .types import (
    CREDENTIAL_CODES,
    DEFAULT_ORDERS_URL,
    DEFAULT_SHIPPING_URL,
    DEFAULT_STOCK_URL,
    DUPLICATE_ORDER,
    RATE_LIMITED,
    describe_error_code,
)

logger = logging.getLogger(__name__)

AUTH_STYLES = ("literal", "base64")
STOCK_BATCH_SIZE = 100


class CustomGatewayError(VendorError):
    """An error answer from Custom Gateway. `code` is the vendor's error code (None when the answer
    had none: a 500, or a body we could not read); `vendor_message` is its message, verbatim
    (for a 500 it holds the long identifier the doc asks us to quote to them)."""

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        status: int | None = None,
        excerpt: str = "",
        code: int | None = None,
        vendor_message: str = "",
    ):
        super().__init__(message, vendor=vendor, status=status, excerpt=excerpt)
        self.code = code
        self.vendor_message = vendor_message


class OrderRejected(CustomGatewayError, VendorRejected):
    """The request is wrong (a missing field, a bad country code, an unknown order to ship...):
    fix the data, sending it again as it is won't help."""


class OrderAlreadyExists(CustomGatewayError, VendorRejected):
    """8001: an order with this external_ref exists already. After a timeout this usually means
    our earlier attempt did create it: reconcile, don't resend."""


class CredentialsRejected(CustomGatewayError, VendorRejected):
    """50000-50003: wrong company reference ID or API key, an account that may not receive
    orders or is deactivated, or an IP address not on the white list."""


class RateLimitedByVendor(CustomGatewayError, VendorRetryable):
    """50004: the rate limit (1000 an hour, 10000 a day) is spent. Not a failed order: slow down
    and send it again later. `retry_after` is the Retry-After header in seconds, if sent (the
    doc does not say it is)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class CustomGatewayServerError(CustomGatewayError, VendorRetryable):
    """A 5xx: the vendor's internal error (the doc: report it, quoting the full message with its
    long identifier, which is kept in the message) or an unavailable server. Retry later; for a
    POST, first check whether the order was created (resending answers 8001 if it was)."""


class CustomGatewayClient(VendorClient):
    vendor = "Custom Gateway"

    def __init__(
        self,
        *,
        company_ref_id: str,
        api_key: str,
        orders_url: str = DEFAULT_ORDERS_URL,
        shipping_url: str = DEFAULT_SHIPPING_URL,
        stock_url: str = DEFAULT_STOCK_URL,
        auth_style: str = "literal",
        **kwargs: Any,
    ):
        company_ref_id = str(company_ref_id).strip() if company_ref_id is not None else ""
        if not company_ref_id:
            raise ValueError(f"{self.vendor} needs the company reference ID")
        if not api_key:
            raise ValueError(f"{self.vendor} needs the API key")
        if auth_style not in AUTH_STYLES:
            raise ValueError(f"auth_style must be one of {', '.join(AUTH_STYLES)}, not {auth_style!r}")
        shipping_url = shipping_url or DEFAULT_SHIPPING_URL
        if "{order_id}" not in shipping_url:
            raise ValueError("shipping_url must contain {order_id}")
        # The doc writes the header as `Authorization: Basic COMPANYREFID:APIKEY`, in its text and in
        # every sample (curl -H, Guzzle headers), never through curl -u or Guzzle's 'auth' option,
        # which would base64-encode it. We read it literally: "literal" (the default) sends the pair
        # as it is, not RFC 7617's base64. "base64" sends the RFC form, in case the vendor (or a
        # proxy in front of it) wants that instead.
        credentials = f"{company_ref_id}:{api_key}"
        token = base64.b64encode(credentials.encode()).decode("ascii") if auth_style == "base64" else credentials
        header = f"Basic {token}"
        super().__init__(
            base_url=orders_url or DEFAULT_ORDERS_URL,
            # Longest first: scrubbing the whole header before the key leaves no part of it behind.
            secrets=[header, token, credentials, api_key],
            **kwargs,
        )
        self.company_ref_id = company_ref_id
        self.auth_style = auth_style
        self.orders_url = orders_url or DEFAULT_ORDERS_URL
        self.shipping_url = shipping_url
        self.stock_url = stock_url or DEFAULT_STOCK_URL
        self.session.headers.update({"Authorization": header, "Accept": "application/json"})

    # -- retailers: Order-iT -------------------------------------------------------------------

    def create_order(self, order: Mapping[str, Any]) -> list[dict]:
        """POST one order (the doc's order object) to Order-iT. Returns the orders created: the
        vendor may split one order into several (one per supplier), each
        {id, ref, external_ref, has_error, error_message, items: [{id, ref, external_ref}]},
        all sharing our external_ref. An order created with has_error=true is created all the same,
        in status 32 (QC Query): its error_message is for staff, not an API failure.

        `company_ref_id` is added to the body when missing (the doc lists it as an order field and
        has an error, 8030, for its absence, although its own example leaves it out), as an integer
        when it is all digits (the doc types it integer). A different company_ref_id in `order`
        raises ValueError: the vendor would answer that it does not match the key.

        Never retried here (a POST). Raises OrderAlreadyExists (8001), OrderRejected (other codes),
        CredentialsRejected (50000-50003), RateLimitedByVendor (50004), CustomGatewayServerError
        (5xx), VendorRetryable (timeout, connection), VendorBadResponse (unreadable answer)."""
        if not isinstance(order, Mapping):
            raise TypeError("order must be a mapping (the doc's order object)")
        body = dict(order)
        ours: int | str = int(self.company_ref_id) if self.company_ref_id.isdigit() else self.company_ref_id
        given = body.get("company_ref_id")
        if given is None or given == "":
            body["company_ref_id"] = ours
        elif str(given).strip() != self.company_ref_id:
            raise ValueError(f"the order's company_ref_id {given!r} is not the connection's ({self.company_ref_id})")
        response = self.request("POST", self.orders_url, json=body)
        orders = self._records(response, what="created orders")
        for created in orders:
            if created.get("has_error"):
                logger.warning(
                    "%s: order %s (external_ref %s) was created with an administrative error: %s",
                    self.vendor,
                    created.get("id"),
                    created.get("external_ref"),
                    created.get("error_message"),
                )
        if len(orders) > 1:
            logger.info(
                "%s: external_ref %s was split into %s orders: %s",
                self.vendor,
                body.get("external_ref"),
                len(orders),
                ", ".join(str(created.get("id")) for created in orders),
            )
        return orders

    def check(self) -> str:
        """Order-iT has one endpoint and no read: POST an order with no items, which the vendor
        must refuse (8000, or another order error) after checking the credentials (50000-50003)
        and the rate limit. Creates nothing; counts as one request towards the rate limit."""
        ours: int | str = int(self.company_ref_id) if self.company_ref_id.isdigit() else self.company_ref_id
        try:
            response = self.request("POST", self.orders_url, json={"company_ref_id": ours, "items": []})
            orders = self._records(response, what="orders")
        except OrderRejected as exc:  # refused as an order, so the credentials were accepted
            code = f", code {exc.code}" if getattr(exc, "code", None) else ""
            return (
                f"Connected to {self.vendor} (company {self.company_ref_id}): the credentials were accepted "
                f"(an empty test order was refused as it must be{code}; nothing was created)."
            )
        raise self.bad_response(
            response, f"an order with no items was accepted ({len(orders)} created): tell Custom Gateway"
        )

    # -- suppliers: shipping, stock -------------------------------------------------------------

    def ship_order(self, order_id: int | str) -> list[dict]:
        """POST to the order shipment endpoint: ships the order with the shipping service the
        accounts are set up for. Returns the shipments created, one or more, each
        {id, carrier, tracking, label_url, items: [{id, order_id, quantity, quantity_shipped}]};
        each shipment's items say which of the order's items it holds.

        `order_id` is the order's numeric id. Never retried here (a POST): a retry could ship
        twice. Errors as create_order()."""
        text = str(order_id).strip()
        if isinstance(order_id, bool) or not text.isdigit():
            raise ValueError(f"order_id must be the order's numeric id, not {order_id!r}")
        response = self.request("POST", self.shipping_url.format(order_id=text))
        return self._records(response, what="shipments")

    def update_stock(self, levels: Iterable[tuple[str, int]]) -> Any:
        """PUT stock levels to the availability endpoint, as the doc's JSON array
        [{"sku": "ABC", "data": {"quantity_available": 10}}, ...], in one request.

        `levels` are (sku, quantity) pairs: the sku a non-empty string, the quantity an int >= 0,
        each sku once; anything else raises ValueError before anything is sent. Use
        iter_stock_batches() to split a long list (the doc names no limit).

        A PUT sets levels, so sending it twice is harmless: the session retries it with backoff on
        timeouts and 500/502/503/504. The doc shows no answer: returns the parsed JSON, the text
        if it is not JSON, or None for an empty body. An error body raises as create_order()."""
        body = [{"sku": sku, "data": {"quantity_available": quantity}} for sku, quantity in _stock_levels(levels)]
        response = self.request("PUT", self.stock_url, json=body)
        if not response.content.strip():
            return None
        try:
            payload = response.json()
        except ValueError:
            return response.text
        self._raise_if_error_body(payload, response)
        return payload

    @staticmethod
    def iter_stock_batches(levels: Iterable[tuple[str, int]], size: int = STOCK_BATCH_SIZE) -> Iterator[list]:
        """`levels` in lists of at most `size` (see the module function)."""
        return iter_stock_batches(levels, size)

    def download_label(self, label_url: str, fileobj: IO[bytes]) -> DownloadResult:
        """Stream a shipment's label (label_url, usually a PDF) into `fileobj`, through the bare
        download session: no credentials go to the label's host."""
        return self.download(label_url, fileobj)

    # -- answers and errors ---------------------------------------------------------------------

    def _records(self, response: requests.Response, *, what: str) -> list[dict]:
        """The answer's array of objects, each with an id. A bare object with an id is taken as
        an array of one; an error body in an HTTP 200 raises like the error it is."""
        payload = self.parse_json(response)
        self._raise_if_error_body(payload, response)
        if isinstance(payload, dict) and "id" in payload:
            payload = [payload]
        if not isinstance(payload, list) or not payload:
            raise self.bad_response(response, f"the {what} are not a non-empty array")
        for record in payload:
            if not isinstance(record, dict) or record.get("id") in (None, ""):
                raise self.bad_response(response, f"one of the {what} has no id")
        return payload

    def _raise_if_error_body(self, payload: Any, response: requests.Response) -> None:
        """An HTTP 200 carrying the doc's error object raises as that error would (a code: 400)."""
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            code, _ = _error_fields(payload)
            status = response.status_code if response.status_code >= 400 else (400 if code is not None else 500)
            raise self.error_in_body(response, status=status)

    def error_for(self, response: requests.Response, message: str | None = None) -> VendorError:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        code, vendor_message = _error_fields(payload)
        return self._error(response, response.status_code, code, vendor_message)

    def _error(self, response: requests.Response, status: int, code: int | None, vendor_message: str) -> VendorError:
        vendor_message = self.scrub(vendor_message)
        said = f' Custom Gateway said: "{vendor_message}"' if vendor_message else ""
        kwargs: dict[str, Any] = {
            "vendor": self.vendor,
            "status": status,
            "excerpt": self.scrub(response.text[:EXCERPT_CHARS]),
            "code": code,
            "vendor_message": vendor_message,
        }
        if code == DUPLICATE_ORDER:
            return OrderAlreadyExists(f"[{code}] {describe_error_code(code)}{said}", **kwargs)
        if code == RATE_LIMITED or (code is None and status == 429):
            text = describe_error_code(RATE_LIMITED)
            prefix = f"[{code}] " if code is not None else ""
            return RateLimitedByVendor(f"{prefix}{text}{said}", retry_after=_retry_after(response), **kwargs)
        if code in CREDENTIAL_CODES:
            return CredentialsRejected(f"[{code}] {describe_error_code(code)}{said}", **kwargs)
        if code is None and status in (401, 403):
            return CredentialsRejected(f"the credentials were refused.{said}", **kwargs)
        if status >= 500:
            if vendor_message:
                text = f"Custom Gateway had an internal error; report it to them quoting the full message:{said}"
            else:
                text = "Custom Gateway had an internal error or is unavailable; try again later."
            if code is not None:
                text = f"[{code}] {text}"
            return CustomGatewayServerError(text, **kwargs)
        if code is None:
            return OrderRejected(f"the request was rejected.{said}", **kwargs)
        return OrderRejected(f"[{code}] {describe_error_code(code)}{said}", **kwargs)


def iter_stock_batches(levels: Iterable[tuple[str, int]], size: int = STOCK_BATCH_SIZE) -> Iterator[list]:
    """`levels` in lists of at most `size` pairs, in order, reading `levels` lazily (a generator
    of a million rows is fine). Each list can be given to update_stock()."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError("size must be a whole number of at least 1")
    batch: list = []
    for level in levels:
        batch.append(level)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _stock_levels(levels: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    if isinstance(levels, str | bytes | Mapping):
        raise ValueError("levels must be a list of (sku, quantity) pairs")
    checked: list[tuple[str, int]] = []
    seen: set[str] = set()
    for position, level in enumerate(levels):
        try:
            sku, quantity = level
        except (TypeError, ValueError):
            raise ValueError(f"stock level #{position} is not a (sku, quantity) pair: {level!r}") from None
        if not isinstance(sku, str) or not sku.strip():
            raise ValueError(f"stock level #{position}: the sku must be a non-empty string, not {sku!r}")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise ValueError(f"stock level #{position} ({sku}): the quantity must be an integer >= 0, not {quantity!r}")
        if sku in seen:
            raise ValueError(f"stock level #{position}: sku {sku!r} appears twice; which level wins is undocumented")
        seen.add(sku)
        checked.append((sku, quantity))
    return checked


def _error_fields(payload: Any) -> tuple[int | None, str]:
    """(code, message) of the doc's {"error": {"code": N, "message": "..."}}; the same fields at the
    top level are read too. A code sent as a digit string counts; null or anything else is None."""
    if not isinstance(payload, dict):
        return None, ""
    error = payload.get("error")
    fields = error if isinstance(error, dict) else payload
    code = fields.get("code")
    if isinstance(code, bool):
        code = None
    elif isinstance(code, str) and code.strip().isdigit():
        code = int(code.strip())
    elif not isinstance(code, int):
        code = None
    message = fields.get("message")
    if not isinstance(message, str) and isinstance(error, str):
        message = error
    return code, " ".join(message.split()) if isinstance(message, str) else ""


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
