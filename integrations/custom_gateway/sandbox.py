"""A simulator of Custom Gateway's APIs, served by this app under /sandbox/custom-gateway/ when
SANDBOX_ENABLED is on (never in production). It follows the vendor doc (custom-gateway-api.txt):

Retailer side (Order-iT v2.2)
- POST order                     create an order; answers the array of created orders.
- status callbacks               `emit_status()` PUTs the doc's JSON to the order's
                                 status_callback_url, retrying on 4xx/5xx.
Supplier side
- order pushes                   `push_order()` POSTs a new order in the doc's push shape, signed
                                 with X-CustomGateway-Hmac (hex HMAC-SHA256 of the raw body).
- POST order/<id>/shipment       ships an order: one or two shipments with a label_url.
- PUT  stock/availability        the doc's [{"sku", "data": {"quantity_available"}}] array.

Authentication: `Authorization: Basic COMPANY:KEY`, as the doc writes it (literally) or base64
encoded (RFC 7617); COMPANY is SANDBOX_CUSTOM_GATEWAY_COMPANY (default "99999"), KEY is
SANDBOX_API_KEY. Anything else: 400 {"error": {"message": "Authentication failed", "code": 50000}}.
Errors are the doc's: HTTP 400 {"error": {"code", "message"}}, HTTP 500 {"error": {"code": null,
"message": "An unexpected error occured <32 hex>"}}.

Order validation, in this order, with the doc's codes: body not a JSON object (100);
company_ref_id present but blank (8030) or not ours (50000; absent is fine: the header says who we
are); external_ref (8031), shipping_address_1 (8032), shipping_postcode (8033),
shipping_country_code missing (8034) or not one of the 249 ISO 3166-1 alpha-2 codes, upper case
(8013); sale_datetime missing, not "YYYY-MM-DD HH:MM:SS" or in the future, UTC (8011: the doc has
no "missing" code for it, the sandbox requires it); required_dispatch_date, when given, not
"YYYY-MM-DD" or before today, UTC (8014); status_callback_url, when given, not an http(s) URL
with a host (8012; the sandbox does not look up DNS, so localhost is accepted);
shipping_note_url, when given, not http(s):// (0: the doc names no code); items missing or empty
(8000); then each item: type not 1-5 or 7 (8040), quantity not an integer > 0 (8041),
external_ref missing (8050); type 1 without external_url (8053) or external_thumbnail_url (8054);
type 2 without print_job_ref (8051) or one the sandbox does not know (8043: sandbox_designs.py); type 3
without print_on_demand_ref (0); type 5 without an integer textual_product_id (8052); type 7
without a non-empty external_urls array (8053), an entry without fullsize (8053), thumbnail
(8054) or name (0). Last, an external_ref used before (8001). 8042 (textual attributes) is never
answered: the doc does not say where the attributes go.

Sandbox triggers (the doc describes the behaviours, not what causes them):
- split orders: items whose sku starts with "SPLIT-" go to a second supplier, so an order mixing
  them with others is answered as TWO orders (same external_ref, their own ids and items);
- administrative errors: shipping_company "QC", or an item sku starting with "QC-", creates the
  order (HTTP 200) with has_error true, error_message "Failed to split order due to invalid
  supplier information" and status 32 (QC Query) (for a "QC-" sku: the order holding it);
- shipping: an order with one item line ships as one shipment, with more as two (the first line,
  then the rest). Shipment items' `id` is the order item's id (the doc's example is ambiguous).
  An unknown order id answers 400 code 0 "Order <id> not found"; shipping an order twice
  answers 400 code 0 "Order <id> has already been shipped" (the doc does not say; the sandbox
  refuses rather than pretend a replay is free), a cancelled one code 0 too. Orders created
  through Order-iT and orders pushed by `push_order()` can both be shipped.
- labels: served at labels/<shipment id>.pdf (a real one-page PDF: carrier, tracking, address)
  or .png when `label_format` is "png" at shipping time; no credentials needed, like S3 links.
- stock: the real answer's shape is unknown; the sandbox answers 200 {"updated": n, "skus": [...]}
  and keeps the levels in `stock`. A body that is not the doc's array: 400 code 100.

Test hooks on `sandbox()` (module-level state, `reset()` forgets everything):
- `fail_next(endpoint, status, *, times=1, body=None, headers=None)`: endpoints "orders",
  "shipping", "stock", "label", "asset"; the default body is the doc's 500 body for a 500, a
  code-0 error for other 4xx, a proxy's HTML page for other 5xx.
- `rate_limit_next(n)`: the next n API calls (orders, shipping, stock) answer 400 code 50004.
- `timeout_after_create_next(*, times=1, status=None)`: the next order creation is recorded, then
  answered only after `slow_seconds` (default 3) so a client with a shorter read timeout gives
  up although the order exists; with `status` (say 504) it is answered that status at once, a
  gateway's error page, instead.
- `label_format` ("pdf" | "png"), `auto_callbacks` (emit status 1/32 on creation and 8 on shipping,
  in the background), `callback_retry_interval` (seconds between callback retries from views).
- `echo_fail_next(status, *, times=1)`: the echo endpoint (echo/..., which records every request
  in `echo_requests`: a callback or push URL for tests and demos) answers `status`.
- records: `orders` (by id), `stock`, `stock_updates`, `callback_attempts`, `pushes`, `calls`.

Control endpoints (POST, for demos; JSON or form bodies):
- control/orders/<id or external_ref>/status {status, tracking, carrier, method}: emits the
  status callback in a background thread; 202.
- control/push {push_url, hmac_key}: pushes a generated order; answers the push's HTTP status.
- control/reset: forgets all state.

Ids and refs are derived from SANDBOX_SEED, so a fresh sandbox hands out the same ones every run.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt
from PIL import Image, ImageDraw, ImageFont
from requests.structures import CaseInsensitiveDict

from integrations.sandbox import pictures

from . import sandbox_products, sandbox_vpc
from .types import (
    DISPATCH_DATE_FORMAT,
    ITEM_TYPES,
    ORDER_STATUSES,
    PUSH_HMAC_HEADER,
    SALE_DATETIME_FORMAT,
    STATUS_CANCELLED,
    STATUS_DISPATCHED,
    STATUS_QC_QUERY,
    STATUS_RECEIVED,
    hmac_sha256_hex,
)

logger = logging.getLogger(__name__)

MOUNT = "/sandbox/custom-gateway"
DEFAULT_COMPANY = "99999"
SPLIT_PREFIX = "SPLIT-"
QC_PREFIX = "QC-"
QC_COMPANY = "QC"
QC_MESSAGE = "Failed to split order due to invalid supplier information"
HTTP_TIMEOUT = 10.0
ENDPOINTS = ("orders", "shipping", "stock", "label", "asset")

# ISO 3166-1 alpha-2: the 249 officially assigned codes.
_ISO_3166_ALPHA_2 = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
COUNTRY_CODES = frozenset(_ISO_3166_ALPHA_2.split())
PRINT_JOB_REF = re.compile(r"[0-9A-Fa-f]{18}")

# Generated push orders.
CUSTOMERS = [
    ("Ada Lovelace", "12 St James's Square", "", "", "London", "", "SW1Y 4JH", "GB"),
    ("Alan Turing", "Hollymeade", "Adlington Road", "", "Wilmslow", "Cheshire", "SK9 4LY", "GB"),
    ("Grace Hopper", "1 Navy Yard", "Suite 5", "", "Arlington", "VA", "22202", "US"),
    ("Marie Curie", "11 rue Pierre et Marie Curie", "", "", "Paris", "", "75005", "FR"),
    ("Niamh O'Brien", "Unit 4 (Rear)", "Pinewood Court", "", "Macclesfield", "", "SK10 2XR", "GB"),
]
PRODUCTS = [
    ("MUG-11OZ-WHT", "RET-MUG-11", "Ceramic Mug 11oz - White"),
    ("TEE-CLASSIC-M", "RET-TEE-M", "Classic T-Shirt - Medium"),
    ("CUSH-40-SQ", "RET-CUSH-40", "Square Cushion 40cm"),
    ("PHN-CASE-IP15", "RET-CASE-15", "Phone Case iPhone 15"),
]
CARRIERS = [("Royal Mail", "RM48"), ("Hermes", "Standard"), ("DPD", "Next Day")]


@dataclass
class SandboxOrder:
    id: int
    ref: str
    external_ref: str
    status: int
    source: str  # "order-it" (created through the API) or "push" (pushed to a supplier)
    payload: dict
    items: list[dict]  # {id, ref, external_ref, sku, quantity, ...}
    has_error: bool = False
    error_message: str = ""
    status_callback_url: str = ""
    shipping_carrier: str = ""
    shipping_method: str = ""
    shipping_tracking: str = ""
    shipments: list[dict] = field(default_factory=list)

    def created_answer(self) -> dict:
        """The order as Order-iT's answer shows it."""
        return {
            "id": self.id,
            "ref": self.ref,
            "external_ref": self.external_ref,
            "has_error": self.has_error,
            "error_message": self.error_message,
            "items": [
                {"id": item["id"], "ref": item["ref"], "external_ref": item["external_ref"]} for item in self.items
            ],
        }


@dataclass
class Fault:
    endpoint: str
    status: int
    body: Any = None
    headers: dict | None = None


@dataclass
class CustomGatewaySandbox:
    seed: int
    company: str
    orders: dict[int, SandboxOrder] = field(default_factory=dict)
    stock: dict[str, int] = field(default_factory=dict)
    stock_updates: list[list[dict]] = field(default_factory=list)
    shipments: dict[int, dict] = field(default_factory=dict)  # shipment id -> {shipment, order_id, format}
    faults: deque = field(default_factory=deque)
    rate_limited: int = 0
    slow_creates: deque = field(default_factory=deque)  # None (sleep) or an HTTP status per creation
    slow_seconds: float = 3.0
    label_format: str = "pdf"
    auto_callbacks: bool = False
    callback_retry_interval: float = 2.0
    callback_attempts: list[dict] = field(default_factory=list)
    pushes: list[dict] = field(default_factory=list)
    echo_requests: list[dict] = field(default_factory=list)
    echo_faults: deque = field(default_factory=deque)
    calls: dict = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self):
        self._next_order = 1_000_000 + self.seed * 1000
        self._next_item = 5_000_000 + self.seed * 1000
        self._next_shipment = 7_000_000_000 + self.seed * 1000
        self._pushed = 0
        self._assets: dict[str, bytes] = {}

    # -- test hooks ------------------------------------------------------------------------

    def fail_next(
        self, endpoint: str, status: int, *, times: int = 1, body: Any = None, headers: dict | None = None
    ) -> None:
        """The next `times` calls to `endpoint` (orders, shipping, stock, label, asset) answer
        `status` with `body` (a dict is sent as JSON, a str as it is) or a default (see module doc)."""
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; choose from {', '.join(ENDPOINTS)}")
        with self.lock:
            for _ in range(times):
                self.faults.append(Fault(endpoint, status, body, headers))

    def rate_limit_next(self, n: int = 1) -> None:
        """The next `n` API calls (orders, shipping, stock) answer 400 code 50004."""
        with self.lock:
            self.rate_limited += n

    def timeout_after_create_next(self, *, times: int = 1, status: int | None = None) -> None:
        """The next `times` order creations are recorded, then answered after `slow_seconds` (or,
        with `status`, answered that status at once): the caller sees a failure, the order exists."""
        with self.lock:
            for _ in range(times):
                self.slow_creates.append(status)

    def echo_fail_next(self, status: int, *, times: int = 1) -> None:
        """The next `times` requests to the echo endpoint answer `status`."""
        with self.lock:
            for _ in range(times):
                self.echo_faults.append(status)

    def find(self, order_id_or_external_ref: int | str) -> SandboxOrder:
        """An order by its id, or by its external_ref when that names exactly one order."""
        key = str(order_id_or_external_ref).strip()
        with self.lock:
            if key.isdigit() and int(key) in self.orders:
                return self.orders[int(key)]
            matches = [order for order in self.orders.values() if order.external_ref == key]
        if not matches:
            raise LookupError(f"no sandbox order {key!r}")
        if len(matches) > 1:
            ids = ", ".join(str(order.id) for order in matches)
            raise ValueError(f"external_ref {key!r} names {len(matches)} orders (split: {ids}); use the id")
        return matches[0]

    # -- ids -----------------------------------------------------------------------------------

    def _ref(self, kind: str, number: int) -> str:
        """An 18-character upper-case hex reference like the doc's ("CF921CF10F59B3A258")."""
        return hashlib.sha256(f"{self.seed}:{kind}:{number}".encode()).hexdigest()[:18].upper()

    def _order_id(self) -> int:
        self._next_order += 1
        return self._next_order

    def _item_id(self) -> int:
        self._next_item += 1
        return self._next_item

    def _tracking(self, shipment_id: int) -> str:
        digest = hashlib.sha256(f"{self.seed}:tracking:{shipment_id}".encode()).hexdigest().upper()
        letters = "".join(chr(ord("A") + int(c, 16) % 26) for c in digest[:12])
        return letters

    # -- orders ----------------------------------------------------------------------------------

    def create(self, body: dict) -> list[SandboxOrder]:
        """Record a valid Order-iT order (split by supplier) and return the orders made."""
        groups: list[list[dict]] = [[], []]
        for item in body["items"]:
            groups[1 if str(item.get("sku") or "").startswith(SPLIT_PREFIX) else 0].append(item)
        qc_company = str(body.get("shipping_company") or "").strip() == QC_COMPANY
        created = []
        with self.lock:
            for group in (g for g in groups if g):
                order_id = self._order_id()
                items = []
                for item in group:
                    item_id = self._item_id()
                    items.append(dict(item, id=item_id, ref=self._ref("item", item_id)))
                has_error = qc_company or any(str(item.get("sku") or "").startswith(QC_PREFIX) for item in group)
                order = SandboxOrder(
                    id=order_id,
                    ref=self._ref("order", order_id),
                    external_ref=str(body["external_ref"]),
                    status=STATUS_QC_QUERY if has_error else STATUS_RECEIVED,
                    source="order-it",
                    payload=body,
                    items=items,
                    has_error=has_error,
                    error_message=QC_MESSAGE if has_error else "",
                    status_callback_url=str(body.get("status_callback_url") or ""),
                    shipping_carrier=str(body.get("shipping_carrier") or ""),
                    shipping_method=str(body.get("shipping_method") or ""),
                )
                self.orders[order_id] = order
                created.append(order)
        return created

    def external_ref_used(self, external_ref: str) -> bool:
        with self.lock:
            return any(o.external_ref == external_ref and o.source == "order-it" for o in self.orders.values())

    def ship(self, order: SandboxOrder, origin: str) -> list[dict]:
        """Ship `order`: one shipment for one item line, two (first line, the rest) for more."""
        with self.lock:
            lines = order.items
            groups = [lines] if len(lines) < 2 else [lines[:1], lines[1:]]
            carrier = (order.shipping_carrier or "hermes").lower().replace(" ", "")
            shipments = []
            for group in groups:
                self._next_shipment += 1
                shipment_id = self._next_shipment
                fmt = "png" if self.label_format == "png" else "pdf"
                shipment = {
                    "id": shipment_id,
                    "carrier": carrier,
                    "tracking": self._tracking(shipment_id),
                    "label_url": origin + reverse(f"sandbox-custom-gateway-label-{fmt}", args=[shipment_id]),
                    "items": [
                        {
                            "id": item["id"],
                            "order_id": order.id,
                            "quantity": item.get("quantity", 1),
                            "quantity_shipped": item.get("quantity", 1),
                        }
                        for item in group
                    ],
                }
                self.shipments[shipment_id] = {"shipment": shipment, "order_id": order.id, "format": fmt}
                shipments.append(shipment)
            order.shipments = shipments
            order.status = STATUS_DISPATCHED
            order.shipping_tracking = shipments[0]["tracking"]
            order.shipping_carrier = order.shipping_carrier or carrier
        return shipments

    # -- pushes -----------------------------------------------------------------------------------

    def new_push_order(self, origin: str) -> dict:
        """A new order for a supplier, in the doc's push shape, recorded so it can be shipped."""
        with self.lock:
            self._pushed += 1
            number = self._pushed
            rnd = random.Random(f"{self.seed}:push:{number}")
            order_id = self._order_id()
            name, a1, a2, a3, town, region, postcode, country = rnd.choice(CUSTOMERS)
            carrier, method = rnd.choice(CARRIERS)
            items = []
            for _ in range(rnd.choice([1, 1, 2, 3])):
                item_id = self._item_id()
                mapped_sku, sku, description = rnd.choice(PRODUCTS)
                item_type = rnd.choice([1, 2, 2, 7, 4])
                assets = []
                if item_type != 4:
                    for index, side in enumerate(["Front", "Back"][: 2 if item_type == 7 else 1], start=1):
                        asset = f"{order_id}-{item_id}-{index}"
                        assets.append(
                            {
                                "name": f"output-{index}.png",
                                "url": origin + reverse("sandbox-custom-gateway-asset", args=[asset]),
                                "description": side,
                            }
                        )
                items.append(
                    {
                        "id": item_id,
                        "type": item_type,
                        "mapped_sku": mapped_sku,
                        "sku": sku,
                        "description": description,
                        "quantity": rnd.randint(1, 3),
                        "assets": assets,
                    }
                )
            payload = {
                "id": order_id,
                "ref": self._ref("order", order_id),
                "external_ref": f"SHOP-{10000 + self.seed * 100 + number}",
                "customer_name": name,
                "shipping_address_1": a1,
                "shipping_address_2": a2,
                "shipping_address_3": a3,
                "shipping_address_4": town,
                "shipping_address_5": region,
                "shipping_postcode": postcode,
                "shipping_country_code": country,
                "shipping_carrier": carrier,
                "shipping_method": method,
                "items": items,
            }
        return payload

    def record_push(self, payload: dict) -> SandboxOrder:
        items = [
            dict(item, ref=self._ref("item", int(item.get("id") or 0)), external_ref=str(item.get("id") or ""))
            for item in payload.get("items") or []
            if isinstance(item, dict)
        ]
        order_id = int(payload["id"])
        order = SandboxOrder(
            id=order_id,
            ref=str(payload.get("ref") or self._ref("order", order_id)),
            external_ref=str(payload.get("external_ref") or ""),
            status=512,  # Sent to Supplier
            source="push",
            payload=payload,
            items=items,
            shipping_carrier=str(payload.get("shipping_carrier") or ""),
            shipping_method=str(payload.get("shipping_method") or ""),
        )
        with self.lock:
            self.orders[order_id] = order
        return order

    # -- files ----------------------------------------------------------------------------------

    def asset_png(self, name: str) -> bytes:
        """A pushed item's artwork: the print-file look (texts on a transparent canvas) with
        its name on it, small, since the sandbox only needs to serve something real."""
        with self.lock:
            if name not in self._assets:
                lines = tuple(pictures.Text(part[:30], "#1155cc", "#000000") for part in name.split("-")[:3] if part)
                while len(self._assets) >= 256:
                    del self._assets[next(iter(self._assets))]
                self._assets[name] = pictures.print_png(lines, width=240, height=240)
            return self._assets[name]


@lru_cache(maxsize=4)
def _build(seed: int, company: str) -> CustomGatewaySandbox:
    return CustomGatewaySandbox(seed=seed, company=company)


def sandbox() -> CustomGatewaySandbox:
    company = str(getattr(settings, "SANDBOX_CUSTOM_GATEWAY_COMPANY", DEFAULT_COMPANY))
    return _build(settings.SANDBOX_SEED, company)


def reset() -> None:
    """Forget every order, shipment, stock level, queued fault and recorded request."""
    _build.cache_clear()
    sandbox_designs.reset()


def base_url(origin: str) -> dict[str, str]:
    """The client's three URLs pointing at this sandbox served from `origin`: keyword arguments
    for CustomGatewayClient (orders_url, shipping_url with {order_id}, stock_url)."""
    root = f"{origin.rstrip('/')}{MOUNT}"
    return {
        "orders_url": f"{root}/order",
        "shipping_url": f"{root}/order/{{order_id}}/shipment",
        "stock_url": f"{root}/stock/availability",
    }


# -- what the vendor sends ---------------------------------------------------------------------


def php_json(payload: Any) -> bytes:
    """JSON as PHP's json_encode writes it (the vendor runs PHP, see the doc's samples): compact,
    non-ASCII as \\uXXXX and "/" escaped as "\\/". Re-encoding a parsed body in Python gives other
    bytes, which is why a push's HMAC must be checked over the raw body."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


def emit_status(
    order_id_or_external_ref: int | str,
    status_code: int,
    *,
    tracking: str = "",
    carrier: str = "",
    method: str = "",
    extra: dict | None = None,
    retries: int = 5,
    retry_interval: float = 0.0,
) -> list[dict]:
    """Send the order's status callback as OMS does: a PUT of the doc's JSON body ({id,
    external_ref, ref, status, status_name, shipping_tracking, shipping_method, shipping_carrier},
    plus `extra`) to the order's status_callback_url. A 4xx or 5xx answer (or no answer) is
    retried up to `retries` more times, `retry_interval` seconds apart (the doc: up to 5 times at
    2-hour intervals). Blank tracking / carrier / method keep the order's current values.

    Synchronous; views run it in a thread. Every attempt is appended to the sandbox's
    `callback_attempts` ({url, order_id, order_status, attempt, status_code (None: no answer),
    body}) and the attempts of this call are returned. Raises LookupError for an unknown order,
    ValueError for an unknown status, an ambiguous external_ref or an order without a callback URL."""
    box = sandbox()
    order = box.find(order_id_or_external_ref)
    if status_code not in ORDER_STATUSES:
        raise ValueError(f"unknown order status {status_code!r}")
    if not order.status_callback_url:
        raise ValueError(f"order {order.id} has no status_callback_url")
    with box.lock:
        order.status = status_code
        order.shipping_tracking = tracking or order.shipping_tracking
        order.shipping_carrier = carrier or order.shipping_carrier
        order.shipping_method = method or order.shipping_method
        body = {
            "id": order.id,
            "external_ref": order.external_ref,
            "ref": order.ref,
            "status": status_code,
            "status_name": ORDER_STATUSES[status_code],
            "shipping_tracking": order.shipping_tracking,
            "shipping_method": order.shipping_method,
            "shipping_carrier": order.shipping_carrier,
            **(extra or {}),
        }
    raw = php_json(body)
    attempts = []
    for attempt in range(1, retries + 2):
        try:
            response = requests.put(
                order.status_callback_url,
                data=raw,
                headers={"Content-Type": "application/json", "User-Agent": "CustomGateway-Sandbox/OMS"},
                timeout=HTTP_TIMEOUT,
            )
            status = response.status_code
        except requests.RequestException as exc:
            logger.info("custom gateway sandbox: callback to %s failed: %s", order.status_callback_url, exc)
            status = None
        record = {
            "url": order.status_callback_url,
            "order_id": order.id,
            "order_status": status_code,
            "attempt": attempt,
            "status_code": status,
            "body": body,
        }
        with box.lock:
            box.callback_attempts.append(record)
        attempts.append(record)
        if status is not None and status < 400:
            break
        if attempt <= retries and retry_interval > 0:
            time.sleep(retry_interval)
    return attempts


def push_order(push_url: str, hmac_key: str, *, order: dict | None = None, origin: str | None = None) -> int:
    """Push a new order to a supplier's `push_url` as the doc describes: a JSON POST of the push
    shape (id, ref, external_ref, customer_name, shipping_address_1..5, shipping_postcode,
    shipping_country_code, shipping_carrier, shipping_method, items [{id, type, mapped_sku, sku,
    description, quantity, assets: [{name, url, description}]}]) with X-CustomGateway-Hmac, the
    hex HMAC-SHA256 of the exact body bytes with `hmac_key`.

    The order is generated (deterministic from SANDBOX_SEED and how many were pushed), `order`'s
    keys replacing the generated ones; it is recorded so it can be shipped. Asset URLs point at
    this sandbox served from `origin` (default: push_url's scheme and host, the usual case of one
    server). Returns the receiver's HTTP status, 0 when it did not answer. Every push is appended
    to `pushes` ({url, status_code, body (bytes), hmac, order})."""
    box = sandbox()
    if origin is None:
        parts = urlsplit(push_url)
        origin = f"{parts.scheme}://{parts.netloc}"
    payload = box.new_push_order(origin.rstrip("/"))
    payload.update(order or {})
    box.record_push(payload)
    raw = php_json(payload)
    signature = hmac_sha256_hex(hmac_key, raw)
    try:
        response = requests.post(
            push_url,
            data=raw,
            headers={
                "Content-Type": "application/json",
                PUSH_HMAC_HEADER: signature,
                "User-Agent": "CustomGateway-Sandbox/OMS",
            },
            timeout=HTTP_TIMEOUT,
        )
        status = response.status_code
    except requests.RequestException as exc:
        logger.info("custom gateway sandbox: push to %s failed: %s", push_url, exc)
        status = 0
    with box.lock:
        box.pushes.append({"url": push_url, "status_code": status, "body": raw, "hmac": signature, "order": payload})
    return status


def _emit_in_background(order: SandboxOrder, status_code: int, **kwargs: Any) -> None:
    box = sandbox()
    kwargs.setdefault("retry_interval", box.callback_retry_interval)

    def run():
        try:
            emit_status(order.id, status_code, **kwargs)
        except (LookupError, ValueError) as exc:
            logger.info("custom gateway sandbox: no callback for order %s: %s", order.id, exc)

    threading.Thread(target=run, name=f"cg-sandbox-callback-{order.id}", daemon=True).start()


# -- labels -----------------------------------------------------------------------------------


def label_lines(box: CustomGatewaySandbox, shipment_id: int) -> list[str]:
    """What a label shows: carrier, tracking, the recipient's name and address."""
    record = box.shipments[shipment_id]
    shipment = record["shipment"]
    order = box.orders[record["order_id"]]
    payload = order.payload
    name = payload.get("customer_name") or payload.get("shipping_company") or ""
    address = [payload.get(f"shipping_address_{n}") for n in range(1, 6)]
    lines = [str(name)] + [str(line) for line in address if line]
    lines += [str(payload.get("shipping_postcode") or ""), str(payload.get("shipping_country_code") or "")]
    return [
        f"Carrier: {shipment['carrier']}",
        f"Tracking: {shipment['tracking']}",
        f"Order {order.id} / {order.external_ref}",
        f"Shipment {shipment_id}",
        "",
        "Deliver to:",
        *[line for line in lines if line],
    ]


def label_pdf(title: str, lines: list[str], barcode: str) -> bytes:
    """A one-page A6 PDF (Helvetica, WinAnsi), written by hand: header, body, xref, trailer."""

    def text(value: str) -> str:
        value = value.encode("cp1252", "replace").decode("cp1252")
        return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    width, height = 298, 420
    ops = [
        "0 0 0 RG 2 w 12 12 274 396 re S",
        f"BT /F2 16 Tf 24 380 Td ({text(title)}) Tj ET",
        "BT /F1 11 Tf 14 TL 24 350 Td",
    ]
    for line in lines:
        ops.append(f"({text(line)}) Tj T*")
    ops.append("ET")
    # A barcode-like band from the tracking number (decoration: not a real symbology).
    x = 24.0
    bits = [(char, bit) for char in barcode.encode("ascii", "replace") for bit in range(7)]
    for char, bit in bits:
        bar = 1.0 + ((char >> bit) & 1) * 1.5
        if x + bar > width - 24:
            break
        if (char + bit) % 2 == 0:
            ops.append(f"{x:.1f} 40 {bar:.1f} 60 re f")
        x += bar + 1.0
    ops.append(f"BT /F1 10 Tf 24 26 Td ({text(barcode)}) Tj ET")
    content = "\n".join(ops).encode("cp1252", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
            "/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>"
        ).encode(),
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode() + b"0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def label_png(title: str, lines: list[str]) -> bytes:
    image = Image.new("L", (600, 900), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle([10, 10, 589, 889], outline=0, width=4)
    draw.text((40, 40), title, fill=0, font=ImageFont.load_default(size=34))
    draw.multiline_text((40, 110), "\n".join(lines), fill=0, font=ImageFont.load_default(size=26), spacing=10)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# -- views --------------------------------------------------------------------------------------


def _error(code: int | None, message: str, *, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _internal_error() -> JsonResponse:
    return _error(None, f"An unexpected error occured {random.getrandbits(128):032X}", status=500)


def _fault(endpoint: str, box: CustomGatewaySandbox) -> HttpResponse | None:
    with box.lock:
        box.calls[endpoint] = box.calls.get(endpoint, 0) + 1
        if not (box.faults and box.faults[0].endpoint == endpoint):
            return None
        fault = box.faults.popleft()
    if isinstance(fault.body, dict | list):
        response: HttpResponse = JsonResponse(fault.body, status=fault.status, safe=False)
    elif fault.body is not None:
        response = HttpResponse(fault.body, status=fault.status)
    elif fault.status == 500:
        response = _internal_error()
    elif fault.status >= 500:
        page = f"<html><body><h1>{fault.status}</h1>The server is unavailable (sandbox).</body></html>"
        response = HttpResponse(page, status=fault.status, content_type="text/html")
    else:
        response = _error(0, f"Simulated error {fault.status}", status=fault.status)
    for name, value in (fault.headers or {}).items():
        response[name] = value
    return response


def _authenticated(request, box: CustomGatewaySandbox) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "basic" or not token:
        return False
    if ":" not in token:  # RFC 7617: base64 of "company:key" (base64 has no colon)
        try:
            token = base64.b64decode(token, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return False
    company, _, key = token.partition(":")
    return hmac.compare_digest(company.encode(), box.company.encode()) and hmac.compare_digest(
        key.encode(), str(settings.SANDBOX_API_KEY).encode()
    )


def _guard(request, endpoint: str, box: CustomGatewaySandbox) -> HttpResponse | None:
    if fault := _fault(endpoint, box):
        return fault
    if not _authenticated(request, box):
        return _error(50000, "Authentication failed")
    with box.lock:
        if box.rate_limited > 0:
            box.rate_limited -= 1
            return _error(50004, "Rate limit exceeded")
    return None


def _origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _http_url(value: Any) -> bool:
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value.strip()):
        return False
    try:
        parts = urlsplit(value.strip())
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def validate_order(body: Any, box: CustomGatewaySandbox, *, now: datetime | None = None) -> tuple[int, str] | None:
    """The first problem with an Order-iT order as (code, message), or None (see the module doc)."""
    now = now or datetime.now(UTC)
    if not isinstance(body, dict):
        return 100, "Invalid JSON: the request body must be a JSON object"
    if "company_ref_id" in body:
        if _blank(body["company_ref_id"]):
            return 8030, "'company_ref_id' not specified"
        if str(body["company_ref_id"]).strip() != box.company:
            return 50000, "Authentication failed"
    for field_name, code in (
        ("external_ref", 8031),
        ("shipping_address_1", 8032),
        ("shipping_postcode", 8033),
        ("shipping_country_code", 8034),
    ):
        if _blank(body.get(field_name)):
            return code, f"'{field_name}' not specified"
    if body["shipping_country_code"] not in COUNTRY_CODES:
        return (
            8013,
            f"'shipping_country_code' is not a valid ISO 3166-1 alpha-2 code: {body['shipping_country_code']!r}",
        )
    try:
        sold = datetime.strptime(str(body.get("sale_datetime") or ""), SALE_DATETIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return 8011, "'sale_datetime' must be in the format YYYY-MM-DD HH:MM:SS"
    if sold > now:
        return 8011, "'sale_datetime' cannot be in the future"
    if not _blank(body.get("required_dispatch_date")):
        try:
            dispatch = datetime.strptime(str(body["required_dispatch_date"]), DISPATCH_DATE_FORMAT).date()
        except ValueError:
            return 8014, "'required_dispatch_date' must be in the format YYYY-MM-DD"
        if dispatch < now.date():
            return 8014, "'required_dispatch_date' cannot be in the past."
    if not _blank(body.get("status_callback_url")) and not _http_url(body["status_callback_url"]):
        return 8012, "'status_callback_url' is not a valid URL"
    if not _blank(body.get("shipping_note_url")) and not _http_url(body["shipping_note_url"]):
        return 0, "'shipping_note_url' must begin with http:// or https://"
    items = body.get("items")
    if not isinstance(items, list) or not items:
        return 8000, "No items"
    for position, item in enumerate(items):
        where = f"item #{position}"
        if not isinstance(item, dict):
            return 100, f"Invalid JSON: {where} must be an object"
        item_type = item.get("type")
        if isinstance(item_type, bool) or item_type not in ITEM_TYPES:
            return 8040, f"Invalid item type for {where}: {item_type!r}"
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            return 8041, f"Invalid item quantity for {where}: {quantity!r}"
        if _blank(item.get("external_ref")):
            return 8050, f"'external_ref' not specified for {where}"
        if item_type == 1:
            if _blank(item.get("external_url")):
                return 8053, f"'external_url' not specified for {where}"
            if _blank(item.get("external_thumbnail_url")):
                return 8054, f"'external_thumbnail_url' not specified for {where}"
        elif item_type == 2:
            if _blank(item.get("print_job_ref")):
                return 8051, f"'print_job_ref' not specified for {where}"
            if not sandbox_designs.print_job_known(str(item["print_job_ref"]).strip()):
                return 8043, f"Invalid print job for {where}: {item['print_job_ref']!r}"
        elif item_type == 3:
            if _blank(item.get("print_on_demand_ref")):
                return 0, f"'print_on_demand_ref' not specified for {where}"
        elif item_type == 5:
            product = item.get("textual_product_id")
            if isinstance(product, bool) or not isinstance(product, int):
                return 8052, f"'textual_product_id' not specified for {where}"
        elif item_type == 7:
            urls = item.get("external_urls")
            if not isinstance(urls, list) or not urls:
                return 8053, f"'external_urls' not specified for {where}"
            for index, url in enumerate(urls):
                url = url if isinstance(url, dict) else {}
                if _blank(url.get("fullsize")):
                    return 8053, f"'fullsize' not specified for external URL #{index} of {where}"
                if _blank(url.get("thumbnail")):
                    return 8054, f"'thumbnail' not specified for external URL #{index} of {where}"
                if _blank(url.get("name")):
                    return 0, f"'name' not specified for external URL #{index} of {where}"
    if box.external_ref_used(str(body["external_ref"])):
        return 8001, f"An order already exists with external_ref '{body['external_ref']}'"
    return None


@csrf_exempt
def orders_view(request):
    """POST order: Order-iT v2.2."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    box = sandbox()
    if denied := _guard(request, "orders", box):
        return denied
    try:
        body = json.loads(request.body or b"")
    except ValueError as exc:
        return _error(100, f"Invalid JSON: {exc}")
    if problem := validate_order(body, box):
        return _error(*problem)
    orders = box.create(body)
    if box.auto_callbacks:
        for order in orders:
            if order.status_callback_url:
                _emit_in_background(order, order.status)
    answer = JsonResponse([order.created_answer() for order in orders], safe=False)
    with box.lock:
        slow = box.slow_creates.popleft() if box.slow_creates else False
    if slow is not False:
        if slow is not None:
            page = f"<html><body><h1>{slow} Gateway Timeout</h1></body></html>"
            return HttpResponse(page, status=slow, content_type="text/html")
        time.sleep(box.slow_seconds)
    return answer


@csrf_exempt
def shipment_view(request, order_id: int):
    """POST order/<id>/shipment: the order shipping API."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    box = sandbox()
    if denied := _guard(request, "shipping", box):
        return denied
    with box.lock:
        order = box.orders.get(order_id)
        if order is None:
            return _error(0, f"Order {order_id} not found")
        if order.shipments:
            return _error(0, f"Order {order_id} has already been shipped")
        if order.status == STATUS_CANCELLED:
            return _error(0, f"Order {order_id} has been cancelled")
        shipments = box.ship(order, _origin(request))
    if box.auto_callbacks and order.status_callback_url:
        _emit_in_background(order, STATUS_DISPATCHED)
    return JsonResponse(shipments, safe=False)


@csrf_exempt
def stock_view(request):
    """PUT stock/availability: the stock API."""
    if request.method != "PUT":
        return HttpResponseNotAllowed(["PUT"])
    box = sandbox()
    if denied := _guard(request, "stock", box):
        return denied
    try:
        body = json.loads(request.body or b"")
    except ValueError as exc:
        return _error(100, f"Invalid JSON: {exc}")
    if not isinstance(body, list):
        return _error(100, "Invalid JSON: the body must be an array of {sku, data: {quantity_available}}")
    levels = {}
    for position, entry in enumerate(body):
        data = entry.get("data") if isinstance(entry, dict) else None
        sku = entry.get("sku") if isinstance(entry, dict) else None
        quantity = data.get("quantity_available") if isinstance(data, dict) else None
        if _blank(sku) or not isinstance(sku, str):
            return _error(100, f"Invalid JSON: element #{position} has no sku")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            return _error(100, f"Invalid JSON: element #{position} ({sku}) needs data.quantity_available >= 0")
        levels[sku] = quantity
    with box.lock:
        box.stock.update(levels)
        box.stock_updates.append(body)
    return JsonResponse({"updated": len(levels), "skus": list(levels)})


def label_view(request, shipment_id: int, fmt: str):
    """A shipment's label, as its label_url gives it: no credentials, like a file host's link."""
    box = sandbox()
    if fault := _fault("label", box):
        return fault
    with box.lock:
        if shipment_id not in box.shipments:
            return HttpResponse("Not Found", status=404, content_type="text/plain")
        lines = label_lines(box, shipment_id)
        tracking = box.shipments[shipment_id]["shipment"]["tracking"]
    title = "CUSTOM GATEWAY SANDBOX"
    if fmt == "png":
        return HttpResponse(label_png(title, lines), content_type="image/png")
    response = HttpResponse(label_pdf(title, lines, tracking), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="label-{shipment_id}.pdf"'
    return response


def label_pdf_view(request, shipment_id: int):
    return label_view(request, shipment_id, "pdf")


def label_png_view(request, shipment_id: int):
    return label_view(request, shipment_id, "png")


def asset_view(request, name: str):
    """A pushed item's artwork: a small PNG with its name on it."""
    box = sandbox()
    if fault := _fault("asset", box):
        return fault
    response = HttpResponse(box.asset_png(name), content_type="image/png")
    response["Cache-Control"] = "max-age=86400"
    return response


@csrf_exempt
def echo_view(request, tail: str = ""):
    """Records the request (method, path, headers (case-insensitive), raw body) and answers 200, or a queued
    `echo_fail_next` status: a callback or push receiver for tests and demos."""
    box = sandbox()
    with box.lock:
        box.echo_requests.append(
            {
                "method": request.method,
                "path": request.path,
                "headers": CaseInsensitiveDict(request.headers),
                "body": request.body,
            }
        )
        status = box.echo_faults.popleft() if box.echo_faults else 200
    return JsonResponse({"ok": status < 400}, status=status)


def _control_body(request) -> dict:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    return request.POST.dict()


@csrf_exempt
def control_status_view(request, ref: str):
    """POST control/orders/<id or external_ref>/status {status, tracking, carrier, method}."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    body = _control_body(request)
    try:
        status_code = int(body.get("status", ""))
    except (TypeError, ValueError):
        return JsonResponse({"error": "status must be one of the doc's status codes"}, status=400)
    if status_code not in ORDER_STATUSES:
        return JsonResponse({"error": f"unknown status {status_code}"}, status=400)
    try:
        order = sandbox().find(ref)
    except LookupError as exc:
        return JsonResponse({"error": str(exc)}, status=404)
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if not order.status_callback_url:
        return JsonResponse({"error": f"order {order.id} has no status_callback_url"}, status=400)
    _emit_in_background(
        order,
        status_code,
        tracking=str(body.get("tracking") or ""),
        carrier=str(body.get("carrier") or ""),
        method=str(body.get("method") or ""),
    )
    return JsonResponse(
        {"queued": True, "order_id": order.id, "status": status_code, "callback_url": order.status_callback_url},
        status=202,
    )


@csrf_exempt
def control_push_view(request):
    """POST control/push {push_url, hmac_key}: push a generated order now."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    body = _control_body(request)
    push_url, key = body.get("push_url"), body.get("hmac_key")
    if not _http_url(push_url) or not isinstance(key, str) or not key:
        return JsonResponse({"error": "push_url (http or https) and hmac_key are required"}, status=400)
    status = push_order(push_url, key, origin=_origin(request))
    pushed = sandbox().pushes[-1]
    return JsonResponse({"status_code": status, "order": pushed["order"]})


@csrf_exempt
def control_reset_view(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    reset()
    return JsonResponse({"reset": True})


def root_view(request):
    box = sandbox()
    with box.lock:
        orders = [
            {
                "id": order.id,
                "external_ref": order.external_ref,
                "source": order.source,
                "status": order.status,
                "status_name": ORDER_STATUSES.get(order.status, ""),
                "has_error": order.has_error,
                "shipments": [shipment["id"] for shipment in order.shipments],
            }
            for order in box.orders.values()
        ]
        summary = {
            "sandbox": "Custom Gateway (Order-iT v2.2, order shipping, stock, pushes)",
            "company_ref_id": box.company,
            "urls": base_url(_origin(request)),
            "echo_url": request.build_absolute_uri(reverse("sandbox-custom-gateway-echo")),
            "orders": orders,
            "stock": dict(box.stock),
            "callback_attempts": len(box.callback_attempts),
            "pushes": len(box.pushes),
        }
    return JsonResponse(summary)


urlpatterns = [
    path("", root_view, name="sandbox-custom-gateway-root"),
    path("order", orders_view, name="sandbox-custom-gateway-orders"),
    path("order/", orders_view),
    path("order/<int:order_id>/shipment", shipment_view, name="sandbox-custom-gateway-shipment"),
    path("stock/availability", stock_view, name="sandbox-custom-gateway-stock"),
    path("labels/<int:shipment_id>.pdf", label_pdf_view, name="sandbox-custom-gateway-label-pdf"),
    path("labels/<int:shipment_id>.png", label_png_view, name="sandbox-custom-gateway-label-png"),
    path("assets/<str:name>.png", asset_view, name="sandbox-custom-gateway-asset"),
    path("echo/", echo_view, name="sandbox-custom-gateway-echo"),
    path("echo/<path:tail>", echo_view),
    path("control/orders/<str:ref>/status", control_status_view, name="sandbox-custom-gateway-control-status"),
    path("control/push", control_push_view, name="sandbox-custom-gateway-control-push"),
    path("control/reset", control_reset_view, name="sandbox-custom-gateway-control-reset"),
]


# -- the development demo (integrations/sandbox/demo.py) ---------------------------------------

# What the vendor does with the demo's n-th order: In Production; Dispatched with tracking; nothing.
DEMO_ORDER_STATUSES = [(512, {}), (8, {"tracking": "RM123456789GB", "carrier": "Royal Mail"}), (None, {})]


def demo_connection(origin: str, kind: str) -> dict:
    """The demo's Custom Gateway connection to this sandbox served from `origin` (its push HMAC
    key is the app's own: the demo makes one up)."""
    return {
        "settings": {
            "company": settings.SANDBOX_CUSTOM_GATEWAY_COMPANY,
            **base_url(origin),
            "designer_url": f"{origin.rstrip('/')}{MOUNT}",
            **sandbox_products.urls(origin),
            **sandbox_vpc.vpc_settings(origin),  # the demo's Virtual Product Creator
        },
        "secrets": {
            "api_key": settings.SANDBOX_API_KEY,
            "oauth_client_id": sandbox_products.client_id(),
            "oauth_client_secret": settings.SANDBOX_API_KEY,
        },
    }


def demo_order_progress(origin: str, external_ref: str, step: int) -> None:
    """The sandbox served from `origin` calls back with the demo's `step`-th status for the order."""
    status, extra = DEMO_ORDER_STATUSES[step] if step < len(DEMO_ORDER_STATUSES) else (None, {})
    if status:
        requests.post(
            f"{origin.rstrip('/')}{MOUNT}/control/orders/{external_ref}/status",
            json={"status": status, **extra},
            timeout=HTTP_TIMEOUT,
        )


def demo_push(origin: str, config: Any, push_url: str) -> None:
    """The sandbox served from `origin` pushes one generated order to `push_url`, signed with the
    connection's push HMAC key (`config`: its ConnectionConfig)."""
    requests.post(
        f"{origin.rstrip('/')}{MOUNT}/control/push",
        json={"push_url": push_url, "hmac_key": config.secrets["push_hmac_key"]},
        timeout=30,
    )


# The designer and product side (issue 11), each its own module: the fake Smartlink designer, saved
# designs and print jobs, the product manager (OAuth, GraphQL, User Image API), the VPC.
from . import sandbox_designs, sandbox_smartlinks  # noqa: E402

for _module in (sandbox_smartlinks, sandbox_designs, sandbox_products, sandbox_vpc):
    urlpatterns += _module.urlpatterns
demo_saved_design, demo_print_jobs = sandbox_designs.demo_saved_design, sandbox_designs.demo_print_jobs
