"""Ideal Factory OMS client (vendor doc: oms-api-v1.txt): orders, print-file status, the product
catalogue (categories, products, variants) and batch orders, with `Authorization: Bearer TOKEN`.

HTTP methods: the doc gives an endpoint and a sentence per call and shows a method only in its
examples (PUT for updates, POST for creates). We read: create = POST on the collection, get =
GET, update = PUT, delete = DELETE on `<collection>/<id>`. POSTs are never retried (VendorClient's
policy: urllib3 retries idempotent methods only); a timeout or a 5xx on a create raises
VendorRetryable and the caller must find out (the partner's `probe`) whether it was created.

Errors: the doc says only that "Error responses include details about the issue in JSON format"
(no shape). We read `message`, `error` (string or object with `message`), `errors` (a list or
an object of field -> messages, Laravel's shape) and `details`, and show them in words:

    IdealFactoryError(VendorError)                 .details (the vendor's words)
      RequestRejected(.., VendorRejected)          400 and other 4xx
      TokenRefused(.., VendorRejected)             401 / 403
      NotFoundAtVendor(.., VendorRejected)         404
      BatchReadNotSupported(.., NotSupported)      404 / 405 on GET /batch-orders/{uid}
      IdealFactoryServerError(.., VendorRetryable) 5xx

The API token is never in a message, an excerpt or a log line (`scrub`).
"""

from __future__ import annotations

import logging
import secrets as _secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from integrations.http import EXCERPT_CHARS, VendorClient, VendorError, VendorRejected, VendorRetryable

from ..partners import NotSupported
from .types import ID_CHARS, MESSAGE_CHARS

logger = logging.getLogger(__name__)

# The catalogue's collections, by the neutral kind's value.
CATALOGUE_PATHS = {"category": "product-categories", "product": "products", "variant": "product-variants"}


class IdealFactoryError(VendorError):
    """An error answer from the OMS; `details` is what it said, in its words (scrubbed)."""

    def __init__(self, message: str, *, vendor: str, status: int | None = None, excerpt: str = "", details: str = ""):
        super().__init__(message, vendor=vendor, status=status, excerpt=excerpt)
        self.details = details


class RequestRejected(IdealFactoryError, VendorRejected):
    """400 (or another 4xx): our request is wrong; the details say why."""


class TokenRefused(IdealFactoryError, VendorRejected):
    """401 / 403: the API token was refused (or may not do this)."""


class NotFoundAtVendor(IdealFactoryError, VendorRejected):
    """404: no such order, order item or catalogue record at the OMS."""


class BatchReadNotSupported(IdealFactoryError, VendorRejected, NotSupported):
    """GET /batch-orders/{uid} answered 404 or 405: the doc documents no such call, so either the
    OMS does not offer it or it does not know the batch; either way nothing can be read."""


class IdealFactoryServerError(IdealFactoryError, VendorRetryable):
    """5xx: the OMS failed or is unavailable; try again later (after a create: probe first)."""


def clean_id(value: Any, what: str) -> str:
    """A vendor id or store item id: text (an integer id is taken as its digits), 1-64 printable
    characters; else ValueError in words."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{what} must be text, not {type(value).__name__}")
    text = str(value).strip()
    if not text:
        raise ValueError(f"{what} is empty")
    if len(text) > ID_CHARS or not text.isprintable():
        raise ValueError(f"{what} must be at most {ID_CHARS} printable characters")
    return text


def path_id(value: Any, what: str) -> str:
    """`clean_id`, percent-encoded whole for a URL path (a "/" in it cannot reach another path)."""
    return quote(clean_id(value, what), safe="")


def error_details(payload: Any) -> str:
    """The OMS's error details as one line of words ("" when the body says nothing we can read)."""
    if isinstance(payload, str):
        return " ".join(payload.split())[:MESSAGE_CHARS]
    if not isinstance(payload, dict):
        return ""
    parts: list[str] = []
    for key in ("message", "error", "detail", "details"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            parts.append(value.strip())
        elif isinstance(value, dict) and isinstance(value.get("message"), str):
            parts.append(value["message"].strip())
    errors = payload.get("errors")
    if isinstance(errors, dict):
        for field_name, messages in list(errors.items())[:20]:
            if isinstance(messages, list):
                said = "; ".join(str(m) for m in messages[:5] if isinstance(m, str | int | float))
            else:
                said = str(messages) if isinstance(messages, str | int | float) else ""
            parts.append(f"{field_name}: {said}" if said else str(field_name))
    elif isinstance(errors, list):
        for entry in errors[:20]:
            if isinstance(entry, str):
                parts.append(entry)
            elif isinstance(entry, dict) and isinstance(entry.get("message"), str):
                where = entry.get("field")
                parts.append(f"{where}: {entry['message']}" if isinstance(where, str) else entry["message"])
    text = " ".join(" ".join(parts).split())
    return text[:MESSAGE_CHARS]


class IdealFactoryClient(VendorClient):
    vendor = "Ideal Factory"

    def __init__(self, *, base_url: str, api_token: str, **kwargs: Any):
        if not base_url:
            raise ValueError(f"{self.vendor} needs the API root URL (the doc names no host)")
        if not api_token:
            raise ValueError(f"{self.vendor} needs the API token")
        super().__init__(base_url=base_url, secrets=[api_token], **kwargs)
        self.session.headers.update({"Authorization": f"Bearer {api_token}", "Accept": "application/json"})

    # -- orders -----------------------------------------------------------------------------------

    def create_order(self, body: Mapping[str, Any]) -> dict:
        """POST /orders: {uid, ecommerce_order_id, items: [{uid, ecommerce_order_item_id}]}. Never
        retried: a timeout or 5xx raises VendorRetryable and the order may exist."""
        return self._object(self.request("POST", "orders", json=dict(body)), "created order", need_uid=True)

    def order(self, uid: str) -> dict:
        """GET /orders/{uid}: "similar to the Create Order response"."""
        return self._object_get(f"orders/{path_id(uid, 'the order UID')}", "order", need_uid=True)

    def update_order(self, uid: str, body: Mapping[str, Any]) -> dict:
        """PUT /orders/{uid} (the doc's example): only the fields given change."""
        return self._object(
            self.request("PUT", f"orders/{path_id(uid, 'the order UID')}", json=dict(body)), "updated order"
        )

    def delete_order(self, uid: str) -> dict:
        """DELETE /orders/{uid}: {"message": "Order successfully deleted", "order_uid": ...}."""
        return self._object(self.request("DELETE", f"orders/{path_id(uid, 'the order UID')}"), "deletion answer")

    def print_status(self, store_item_id: str) -> dict:
        """GET /order-items/{ecommerce_order_item_id}/print: {ecommerce_order_item_id, status, url}.
        404 (NotFoundAtVendor): the OMS has no item with that id."""
        return self._object_get(f"order-items/{path_id(store_item_id, 'the store item id')}/print", "print status")

    # -- the catalogue ----------------------------------------------------------------------------

    def catalogue_create(self, kind: str, body: Mapping[str, Any]) -> dict:
        return self._object(self.request("POST", self._collection(kind), json=dict(body)), f"created {kind}")

    def catalogue_get(self, kind: str, vendor_id: str) -> dict:
        return self._object_get(f"{self._collection(kind)}/{path_id(vendor_id, f'the {kind} id')}", kind)

    def catalogue_update(self, kind: str, vendor_id: str, body: Mapping[str, Any]) -> dict:
        path = f"{self._collection(kind)}/{path_id(vendor_id, f'the {kind} id')}"
        return self._object(self.request("PUT", path, json=dict(body)), f"updated {kind}")

    def catalogue_delete(self, kind: str, vendor_id: str) -> dict:
        path = f"{self._collection(kind)}/{path_id(vendor_id, f'the {kind} id')}"
        return self._object(self.request("DELETE", path), "deletion answer")

    def _collection(self, kind: str) -> str:
        try:
            return CATALOGUE_PATHS[str(kind)]
        except KeyError:
            raise ValueError(f"unknown catalogue kind {kind!r}") from None

    # -- batch orders -------------------------------------------------------------------------------

    def create_batch(self, order_items: list[str], print_templates: list[str]) -> dict:
        """POST /batch-orders {order_items: [item UIDs], print_templates: [template UIDs]}:
        {uid, status: "Batching"}. Both lists must be non-empty (the doc requires them)."""
        items = [clean_id(value, "an order item UID") for value in order_items]
        templates = [clean_id(value, "a print template UID") for value in print_templates]
        if not items or not templates:
            raise ValueError("a batch order needs at least one order item UID and one print template UID")
        body = {"order_items": items, "print_templates": templates}
        return self._object(self.request("POST", "batch-orders", json=body), "batch order", need_uid=True)

    def batch(self, uid: str) -> dict:
        """GET /batch-orders/{uid}: undocumented (the REST pattern of the other resources). A 404 or
        405 raises BatchReadNotSupported, in words."""
        try:
            return self._object_get(f"batch-orders/{path_id(uid, 'the batch UID')}", "batch order")
        except IdealFactoryError as exc:
            if exc.status not in (404, 405):
                raise
            raise BatchReadNotSupported(
                f"the OMS cannot show batch order {uid} (HTTP {exc.status}): its doc documents no call to read a "
                "batch order, so either it offers none or it does not know this UID. Check it in the OMS dashboard.",
                vendor=self.vendor,
                excerpt=exc.excerpt,
                details=exc.details,
            ) from None

    # -- Test connection ------------------------------------------------------------------------------

    def check(self) -> str:
        """One cheap authenticated read that needs no record: the print status of a random item id
        nobody has. 404 means reachable and the token accepted; 401/403 the token refused."""
        probe = f"bo-check-{_secrets.token_hex(6)}"
        try:
            self.print_status(probe)
        except NotFoundAtVendor:
            return (
                f"Connected to {self.vendor} at {self.base_url}: the API token was accepted "
                "(a print-status read of a made-up item answered 404 Not Found, as it must)."
            )
        except TokenRefused as exc:
            raise TokenRefused(
                f"the OMS at {self.base_url} refused the API token (HTTP {exc.status}): check it.",
                vendor=self.vendor,
                status=exc.status,
                excerpt=exc.excerpt,
                details=exc.details,
            ) from None
        return (
            f"Connected to {self.vendor} at {self.base_url}: the API token was accepted "
            "(a made-up item's print status was answered; odd, but the OMS is reachable)."
        )

    # -- answers and errors -----------------------------------------------------------------------------

    def _object_get(self, path: str, what: str, *, need_uid: bool = False) -> dict:
        return self.get_json(path, parse=lambda response: self._object(response, what, need_uid=need_uid))

    def _object(self, response: requests.Response, what: str, *, need_uid: bool = False) -> dict:
        if not need_uid and not response.content.strip():
            # An update or delete the doc says answers "details" or "a confirmation": an empty 2xx
            # (say 204) is taken as done rather than as an unreadable answer to retry.
            return {}
        payload = self.parse_json(response)
        if isinstance(payload, dict) and isinstance(payload.get("data"), dict) and len(payload) <= 3:
            payload = payload["data"]  # a Laravel resource wrapper, should the OMS use one
        if not isinstance(payload, dict):
            raise self.bad_response(response, f"the {what} is not a JSON object")
        if need_uid and (not isinstance(payload.get("uid"), str | int) or str(payload.get("uid")).strip() == ""):
            raise self.bad_response(response, f"the {what} has no uid")
        return payload

    def error_for(self, response: requests.Response, message: str | None = None) -> VendorError:
        status = response.status_code
        try:
            payload: Any = response.json()
        except ValueError:
            payload = None
        details = self.scrub(error_details(payload))
        said = f' The OMS said: "{details}"' if details else ""
        kwargs: dict[str, Any] = {
            "vendor": self.vendor,
            "status": status,
            "excerpt": self.scrub(response.text[:EXCERPT_CHARS]),
            "details": details,
        }
        if status in (401, 403):
            text = "the API token was refused" if status == 401 else "the API token may not do this"
            return TokenRefused(f"{text}.{said}", **kwargs)
        if status == 404:
            return NotFoundAtVendor(f"not found.{said}", **kwargs)
        if status >= 500:
            return IdealFactoryServerError(
                f"the OMS had an internal error or is unavailable; try again later.{said}", **kwargs
            )
        return RequestRejected(f"the request was refused.{said}", **kwargs)
