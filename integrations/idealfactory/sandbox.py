"""A simulator of Ideal Factory's OMS API (vendor doc: oms-api-v1.txt), served by this app under
/sandbox/idealfactory/ when SANDBOX_ENABLED is on (never in production). Its API root is
/sandbox/idealfactory/api/v1 (`base_url(origin)`); every call needs `Authorization: Bearer
SANDBOX_API_KEY` (else 401 {"message": "Unauthenticated."}).

The doc names neither HTTP methods (read: create POST, get GET, update PUT, delete DELETE) nor
the shape of its errors: the sandbox answers 400 {"message": "The given data was invalid.",
"errors": {field: [messages]}} for a missing or wrong required field, 404 {"message": ...} for an
unknown id, 405 for a method it does not take.

- orders: POST orders, GET / PUT / DELETE orders/<uid>. Required fields checked as the doc lists
  them (store_id, ecommerce_order_id, items; each item's ecommerce_order_item_id,
  ecommerce_variant_id, quantity >= 1, template_config (a string), thumbnails (an array); each
  address's type_id, address_1, post_code, city, country_code; each shipping's code and price).
  An ecommerce_order_item_id already used by another order: 400 (the OMS keys print files by it).
- print status: GET order-items/<ecommerce_order_item_id>/print moves the item one step per
  poll: received -> processing -> ready (url: print-files/<id>.pdf on this sandbox, a real small
  PDF, no credentials needed). An item whose template_config contains "fail" or whose id ends in
  "F" ends in processingfailed instead. An unknown item: 404.
- notification: POST _notify-url {"url": ...} registers where the sandbox POSTs
  {"ecommerce_order_item_id": id, "status": "ready"} (in a background thread) when an item
  becomes ready: on the poll that answered "processing" (the next one answers "ready"), so the
  notification is what brings the file in. `_echo/` records any request (for tests and the
  demo). The real OMS's format is unknown: the app treats any body as a trigger to poll.
- lost answers: an order whose ecommerce_order_id contains "LOST" (or the next one after
  `lose_next_create()`) is created, then answered only after `slow_seconds` (default 3), so a
  client with a shorter read timeout gives up although the order exists.
- catalogue: product-categories (UIDs), products and product-variants (integer ids), each
  POST / GET / PUT / DELETE; required fields as the doc lists them (400), unknown ids 404.
  A product's category_id may be a category UID or a number (the doc types it both ways).
- batch orders: POST batch-orders {order_items: [item UIDs], print_templates: [UIDs]} answers
  {uid, status: "Batching"}; GET batch-orders/<uid> (undocumented) shows "Batched", then
  "Printed". `batch_get_status = 405` makes that GET answer 405 (an OMS without it).
- faults: `fail_next(endpoint, status, *, times=1, body=None)` for "orders", "print", "catalogue",
  "batch"; the default body is {"message": "Simulated error"}.
- control: POST _reset forgets everything; GET "" shows a summary.

Ids are derived from SANDBOX_SEED, so a fresh sandbox hands out the same ones every run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import requests
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)

MOUNT = "/sandbox/idealfactory"
API = "api/v1"
ENDPOINTS = ("orders", "print", "catalogue", "batch")
LOST_MARKER = "LOST"
FAIL_MARKER = "fail"
HTTP_TIMEOUT = 5.0
PRINT_STEPS = ("received", "processing", "ready")
BATCH_STEPS = ("Batching", "Batched", "Printed")
DEMO_STORE = "demo-store"

REQUIRED = {
    "category": ("name",),
    "product": ("category_id", "name", "order_column", "active", "team_id"),
    "variant": ("name", "product_id", "country_id"),
}
INTEGER_FIELDS = {
    "category": ("default_dpi",),
    "product": ("order_column", "team_id", "default_dpi", "default_location_id"),
    "variant": (
        "product_id",
        "country_id",
        "product_variant_category_id",
        "price_id",
        "weight",
        "length",
        "width",
        "height",
        "default_dpi",
        "default_location_id",
    ),
}
COLLECTIONS = {"product-categories": "category", "products": "product", "product-variants": "variant"}
DELETE_MESSAGES = {
    "category": ("Product category successfully deleted", "category_id"),
    "product": ("Product successfully deleted", "product_id"),
    "variant": ("Product variant successfully deleted", "variant_id"),
}


@dataclass
class Item:
    uid: str
    store_item_id: str
    order_uid: str
    payload: dict
    polls: int = 0
    fails: bool = False
    notified: bool = False

    @property
    def status(self) -> str:
        step = PRINT_STEPS[min(self.polls, len(PRINT_STEPS) - 1)]
        return "processingfailed" if self.fails and step == "ready" else step


@dataclass
class Order:
    uid: str
    payload: dict
    items: list[Item]

    def answer(self) -> dict:
        return {
            **{key: value for key, value in self.payload.items() if key != "items"},
            "uid": self.uid,
            "ecommerce_order_id": self.payload.get("ecommerce_order_id"),
            "items": [
                {**item.payload, "uid": item.uid, "ecommerce_order_item_id": item.store_item_id} for item in self.items
            ],
        }


@dataclass
class Fault:
    endpoint: str
    status: int
    body: Any = None


@dataclass
class IdealFactorySandbox:
    seed: int
    orders: dict[str, Order] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)  # by ecommerce_order_item_id
    catalogue: dict[str, dict[str, dict]] = field(default_factory=lambda: {k: {} for k in REQUIRED})
    batches: dict[str, dict] = field(default_factory=dict)
    faults: deque = field(default_factory=deque)
    lost_creates: int = 0
    slow_seconds: float = 3.0
    batch_get_status: int = 200
    notify_url: str = ""
    notifications: list[dict] = field(default_factory=list)
    echo_requests: list[dict] = field(default_factory=list)
    calls: dict = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self):
        self._counter = 0
        self._next_int = {"product": 0, "variant": 0}

    # -- test hooks ---------------------------------------------------------------------------

    def fail_next(self, endpoint: str, status: int, *, times: int = 1, body: Any = None) -> None:
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; choose from {', '.join(ENDPOINTS)}")
        with self.lock:
            for _ in range(times):
                self.faults.append(Fault(endpoint, status, body))

    def lose_next_create(self, times: int = 1) -> None:
        """The next `times` order creations are recorded, then answered after `slow_seconds`."""
        with self.lock:
            self.lost_creates += times

    # -- ids ----------------------------------------------------------------------------------

    def uid(self, kind: str) -> str:
        with self.lock:
            self._counter += 1
            digest = hashlib.sha256(f"{self.seed}:{kind}:{self._counter}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def next_int(self, kind: str) -> str:
        with self.lock:
            self._next_int[kind] += 1
            return str(self._next_int[kind])

    # -- print files ----------------------------------------------------------------------------

    def poll(self, store_item_id: str) -> tuple[str, bool]:
        """The status this poll answers (then the item moves one step on), and whether the item
        has just become ready (this poll answered "processing", the next answers "ready"): the
        moment the OMS notifies, so that the notification is what brings the file in, not a
        poll that already saw it ready."""
        with self.lock:
            item = self.items[store_item_id]
            answered = item.status
            item.polls += 1
            became_ready = answered != "ready" and item.status == "ready" and not item.notified
            item.notified = item.notified or became_ready
            return answered, became_ready

    def notify(self, item: Item) -> None:
        url = self.notify_url
        if not url:
            return
        body = {"ecommerce_order_item_id": item.store_item_id, "status": "ready"}

        def post() -> None:
            try:
                status = requests.post(url, json=body, timeout=HTTP_TIMEOUT).status_code
            except requests.RequestException as exc:
                status = f"failed: {type(exc).__name__}"
            with self.lock:
                self.notifications.append({"url": url, "body": body, "status": status})

        threading.Thread(target=post, name="idealfactory-notify", daemon=True).start()


@lru_cache(maxsize=4)
def _build(seed: int) -> IdealFactorySandbox:
    return IdealFactorySandbox(seed=seed)


def sandbox() -> IdealFactorySandbox:
    return _build(settings.SANDBOX_SEED)


def reset() -> None:
    """Forget every order, item, catalogue record, batch, fault and recorded request."""
    _build.cache_clear()


def base_url(origin: str) -> str:
    """The API root of this sandbox served from `origin` (the connection's base_url)."""
    return f"{origin.rstrip('/')}{MOUNT}/{API}"


# -- helpers --------------------------------------------------------------------------------------


def _invalid(errors: dict[str, str]) -> JsonResponse:
    return JsonResponse(
        {"message": "The given data was invalid.", "errors": {key: [value] for key, value in errors.items()}},
        status=400,
    )


def _not_found(what: str) -> JsonResponse:
    return JsonResponse({"message": f"{what} not found."}, status=404)


def _not_allowed(allowed: list[str]) -> JsonResponse:
    response = JsonResponse({"message": "Method not allowed."}, status=405)
    response["Allow"] = ", ".join(allowed)
    return response


def _guard(request, endpoint: str, box: IdealFactorySandbox) -> HttpResponse | None:
    with box.lock:
        box.calls[endpoint] = box.calls.get(endpoint, 0) + 1
        fault = box.faults.popleft() if box.faults and box.faults[0].endpoint == endpoint else None
    if fault is not None:
        body = fault.body if fault.body is not None else {"message": "Simulated error"}
        if isinstance(body, dict | list):
            return JsonResponse(body, status=fault.status, safe=False)
        return HttpResponse(body, status=fault.status)
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), str(settings.SANDBOX_API_KEY).encode()
    ):
        return JsonResponse({"message": "Unauthenticated."}, status=401)
    return None


def _json(request) -> tuple[Any, HttpResponse | None]:
    try:
        return json.loads(request.body or b"null"), None
    except ValueError as exc:
        return None, JsonResponse({"message": f"The body is not JSON: {exc}"}, status=400)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- orders -----------------------------------------------------------------------------------------


def validate_order(body: Any, box: IdealFactorySandbox, *, creating: bool, order_uid: str = "") -> dict[str, str]:
    if not isinstance(body, dict):
        return {"body": "The body must be a JSON object."}
    errors: dict[str, str] = {}
    required = ("store_id", "ecommerce_order_id", "items") if creating else ()
    for name in required:
        if _blank(body.get(name)):
            errors[name] = f"The {name} field is required."
    items = body.get("items")
    if items is not None:
        if not isinstance(items, list) or (creating and not items):
            errors["items"] = "The items must be a non-empty array."
        else:
            for index, item in enumerate(items):
                if not isinstance(item, dict):
                    errors[f"items.{index}"] = "Each item must be an object."
                    continue
                for name in ("ecommerce_order_item_id", "ecommerce_variant_id", "template_config"):
                    if _blank(item.get(name)) or not isinstance(item.get(name), str):
                        errors[f"items.{index}.{name}"] = f"The items.{index}.{name} field is required (a string)."
                quantity = item.get("quantity")
                if not _is_int(quantity) or quantity < 1:
                    errors[f"items.{index}.quantity"] = "The quantity must be an integer of at least 1."
                if not isinstance(item.get("thumbnails"), list):
                    errors[f"items.{index}.thumbnails"] = "The thumbnails field is required (an array)."
                known = box.items.get(str(item.get("ecommerce_order_item_id")))
                if known is not None and known.order_uid != order_uid:
                    errors[f"items.{index}.ecommerce_order_item_id"] = (
                        "The ecommerce order item id has already been taken."
                    )
    for index, address in enumerate(body.get("addresses") or []):
        if not isinstance(address, dict):
            errors[f"addresses.{index}"] = "Each address must be an object."
            continue
        for name in ("type_id", "address_1", "post_code", "city", "country_code"):
            if _blank(address.get(name)):
                errors[f"addresses.{index}.{name}"] = f"The addresses.{index}.{name} field is required."
        if address.get("type_id") not in (None, "", "billing", "shipping"):
            errors[f"addresses.{index}.type_id"] = "The type_id must be billing or shipping."
    for index, shipping in enumerate(body.get("shippings") or []):
        if not isinstance(shipping, dict) or _blank(shipping.get("code")):
            errors[f"shippings.{index}.code"] = "The shipping code is required."
        elif not isinstance(shipping.get("shipping_price"), int | float) or isinstance(
            shipping.get("shipping_price"), bool
        ):
            errors[f"shippings.{index}.shipping_price"] = "The shipping price is required (a number)."
    return errors


def _items(box: IdealFactorySandbox, order_uid: str, payloads: list[dict]) -> list[Item]:
    made = []
    for payload in payloads:
        store_item_id = str(payload["ecommerce_order_item_id"])
        fails = store_item_id.endswith("F") or FAIL_MARKER in str(payload.get("template_config") or "").lower()
        made.append(
            Item(uid=box.uid("item"), store_item_id=store_item_id, order_uid=order_uid, payload=payload, fails=fails)
        )
    return made


@csrf_exempt
def orders_view(request):
    if request.method != "POST":
        return _not_allowed(["POST"])
    box = sandbox()
    if denied := _guard(request, "orders", box):
        return denied
    body, bad = _json(request)
    if bad:
        return bad
    with box.lock:
        if errors := validate_order(body, box, creating=True):
            return _invalid(errors)
        uid = box.uid("order")
        order = Order(uid=uid, payload=body, items=_items(box, uid, body["items"]))
        box.orders[uid] = order
        for item in order.items:
            box.items[item.store_item_id] = item
        lost = box.lost_creates > 0 or LOST_MARKER in str(body.get("ecommerce_order_id"))
        if box.lost_creates > 0:
            box.lost_creates -= 1
        answer = {
            "uid": uid,
            "ecommerce_order_id": body["ecommerce_order_id"],
            "items": [{"uid": item.uid, "ecommerce_order_item_id": item.store_item_id} for item in order.items],
        }
    if lost:
        time.sleep(box.slow_seconds)
    return JsonResponse(answer)


@csrf_exempt
def order_view(request, uid: str):
    box = sandbox()
    if request.method not in ("GET", "PUT", "DELETE"):
        return _not_allowed(["GET", "PUT", "DELETE"])
    if denied := _guard(request, "orders", box):
        return denied
    with box.lock:
        order = box.orders.get(uid)
        if order is None:
            return _not_found("Order")
        if request.method == "GET":
            return JsonResponse(order.answer())
        if request.method == "DELETE":
            del box.orders[uid]
            for item in order.items:
                box.items.pop(item.store_item_id, None)
            return JsonResponse({"message": "Order successfully deleted", "order_uid": uid})
        body, bad = _json(request)
        if bad:
            return bad
        if errors := validate_order(body, box, creating=False, order_uid=uid):
            return _invalid(errors)
        order.payload = {**order.payload, **{key: value for key, value in body.items() if key != "items"}}
        if "items" in body:
            # Items sent again are remade (their print files start over); the others are kept.
            for item in _items(box, uid, body["items"]):
                old = box.items.get(item.store_item_id)
                order.items = [i for i in order.items if i.store_item_id != item.store_item_id] + [item]
                if old is not None:
                    item.uid = old.uid
                box.items[item.store_item_id] = item
        return JsonResponse(order.answer())


def print_view(request, item_id: str):
    if request.method != "GET":
        return _not_allowed(["GET"])
    box = sandbox()
    if denied := _guard(request, "print", box):
        return denied
    if item_id not in box.items:
        return _not_found("Order item")
    status, became_ready = box.poll(item_id)
    url = _origin(request) + reverse("sandbox-idealfactory-print-file", args=[item_id]) if status == "ready" else None
    if became_ready:
        box.notify(box.items[item_id])
    return JsonResponse({"ecommerce_order_item_id": item_id, "status": status, "url": url})


def print_file_view(request, item_id: str):
    """The print file a ready item's url points at: a real one-page PDF, no credentials needed."""
    box = sandbox()
    with box.lock:
        item = box.items.get(item_id)
        if item is None or item.polls < len(PRINT_STEPS) or item.status != "ready":
            return HttpResponse("Not Found", status=404, content_type="text/plain")
        lines = [
            f"Item {item.store_item_id}",
            f"Order {item.order_uid}",
            f"Variant {item.payload.get('ecommerce_variant_id')}",
        ]
    response = HttpResponse(print_pdf("IDEAL FACTORY SANDBOX", lines), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{item_id}.pdf"'
    return response


def print_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page A6 PDF (Helvetica), written by hand: header, body, xref, trailer."""

    def esc(value: str) -> str:
        value = value.encode("latin-1", "replace").decode("latin-1")
        return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = [
        "0 0 0 RG 2 w 12 12 274 396 re S",
        f"BT /F1 16 Tf 24 380 Td ({esc(title)}) Tj ET",
        "BT /F1 11 Tf 14 TL 24 350 Td",
    ]
    ops += [f"({esc(line)}) Tj T*" for line in lines] + ["ET"]
    content = "\n".join(ops).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 420] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode() + b"0000000000 65535 f \n"
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# -- catalogue ------------------------------------------------------------------------------------


def validate_record(kind: str, body: Any, *, creating: bool) -> dict[str, str]:
    if not isinstance(body, dict):
        return {"body": "The body must be a JSON object."}
    errors = {}
    if creating:
        for name in REQUIRED[kind]:
            if _blank(body.get(name)):
                errors[name] = f"The {name.replace('_', ' ')} field is required."
    for name in INTEGER_FIELDS[kind]:
        if body.get(name) is not None and not _is_int(body[name]):
            errors[name] = f"The {name.replace('_', ' ')} must be an integer."
    if kind == "product" and body.get("category_id") is not None and not isinstance(body["category_id"], int | str):
        errors["category_id"] = "The category id must be an id."
    if "active" in body and not isinstance(body["active"], bool):
        errors["active"] = "The active field must be true or false."
    if not _blank(body.get("name")) and not isinstance(body.get("name"), str):
        errors["name"] = "The name must be a string."
    return errors


@csrf_exempt
def collection_view(request, collection: str):
    kind = COLLECTIONS[collection]
    if request.method != "POST":
        return _not_allowed(["POST"])
    box = sandbox()
    if denied := _guard(request, "catalogue", box):
        return denied
    body, bad = _json(request)
    if bad:
        return bad
    if errors := validate_record(kind, body, creating=True):
        return _invalid(errors)
    with box.lock:
        record_id = box.uid(kind) if kind == "category" else box.next_int(kind)
        record = {**body, ("uid" if kind == "category" else "id"): record_id if kind == "category" else int(record_id)}
        if kind != "category":
            record.setdefault("uuid", box.uid(kind))
        box.catalogue[kind][record_id] = record
    return JsonResponse(record)


@csrf_exempt
def record_view(request, collection: str, record_id: str):
    kind = COLLECTIONS[collection]
    if request.method not in ("GET", "PUT", "DELETE"):
        return _not_allowed(["GET", "PUT", "DELETE"])
    box = sandbox()
    if denied := _guard(request, "catalogue", box):
        return denied
    with box.lock:
        record = box.catalogue[kind].get(record_id)
        if record is None:
            return _not_found(
                {"category": "Product category", "product": "Product", "variant": "Product variant"}[kind]
            )
        if request.method == "GET":
            return JsonResponse(record)
        if request.method == "DELETE":
            del box.catalogue[kind][record_id]
            message, key = DELETE_MESSAGES[kind]
            return JsonResponse({"message": message, key: record_id if kind == "category" else int(record_id)})
        body, bad = _json(request)
        if bad:
            return bad
        if errors := validate_record(kind, body, creating=False):
            return _invalid(errors)
        record.update({key: value for key, value in body.items() if key not in ("id", "uid")})
        return JsonResponse(record)


# -- batch orders ---------------------------------------------------------------------------------


@csrf_exempt
def batches_view(request):
    if request.method != "POST":
        return _not_allowed(["POST"])
    box = sandbox()
    if denied := _guard(request, "batch", box):
        return denied
    body, bad = _json(request)
    if bad:
        return bad
    if not isinstance(body, dict):
        return _invalid({"body": "The body must be a JSON object."})
    errors = {}
    for name in ("order_items", "print_templates"):
        value = body.get(name)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            errors[name] = f"The {name.replace('_', ' ')} must be a non-empty array of UIDs."
    with box.lock:
        known = {item.uid for item in box.items.values()}
        if not errors:
            unknown = [v for v in body["order_items"] if v not in known]
            if unknown:
                errors["order_items"] = f"Unknown order item UIDs: {', '.join(unknown[:5])}."
        if errors:
            return _invalid(errors)
        uid = box.uid("batch")
        box.batches[uid] = {"uid": uid, "polls": 0, **body}
    return JsonResponse({"uid": uid, "status": BATCH_STEPS[0]})


def batch_view(request, uid: str):
    if request.method != "GET":
        return _not_allowed(["GET"])
    box = sandbox()
    if denied := _guard(request, "batch", box):
        return denied
    if box.batch_get_status != 200:
        return JsonResponse({"message": "Method not allowed."}, status=box.batch_get_status)
    with box.lock:
        batch = box.batches.get(uid)
        if batch is None:
            return _not_found("Batch order")
        batch["polls"] += 1
        status = BATCH_STEPS[min(batch["polls"], len(BATCH_STEPS) - 1)]
    return JsonResponse({"uid": uid, "status": status})


# -- sandbox-only endpoints ----------------------------------------------------------------------


@csrf_exempt
def notify_url_view(request):
    """POST _notify-url {"url": ...}: where the sandbox POSTs when an item becomes ready ("" stops)."""
    if request.method != "POST":
        return _not_allowed(["POST"])
    body, bad = _json(request)
    if bad:
        return bad
    url = body.get("url") if isinstance(body, dict) else None
    if not isinstance(url, str) or (url and not url.startswith(("http://", "https://"))):
        return JsonResponse({"message": "url must be an http(s) URL, or empty"}, status=400)
    box = sandbox()
    with box.lock:
        box.notify_url = url
    return JsonResponse({"url": url})


@csrf_exempt
def echo_view(request, tail: str = ""):
    box = sandbox()
    with box.lock:
        box.echo_requests.append({"method": request.method, "path": request.path, "body": request.body})
    return JsonResponse({"ok": True})


@csrf_exempt
def reset_view(request):
    if request.method != "POST":
        return _not_allowed(["POST"])
    reset()
    return JsonResponse({"reset": True})


def root_view(request):
    box = sandbox()
    with box.lock:
        summary = {
            "sandbox": "Ideal Factory OMS API v1",
            "base_url": base_url(_origin(request)),
            "orders": [
                {
                    "uid": o.uid,
                    "ecommerce_order_id": o.payload.get("ecommerce_order_id"),
                    "items": {i.store_item_id: i.status for i in o.items},
                }
                for o in box.orders.values()
            ],
            "catalogue": {kind: len(records) for kind, records in box.catalogue.items()},
            "batches": len(box.batches),
            "notify_url": box.notify_url,
            "notifications": len(box.notifications),
        }
    return JsonResponse(summary)


urlpatterns = [
    path("", root_view, name="sandbox-idealfactory-root"),
    path(f"{API}/orders", orders_view, name="sandbox-idealfactory-orders"),
    path(f"{API}/orders/<str:uid>", order_view, name="sandbox-idealfactory-order"),
    path(f"{API}/order-items/<str:item_id>/print", print_view, name="sandbox-idealfactory-print"),
    path(f"{API}/batch-orders", batches_view, name="sandbox-idealfactory-batches"),
    path(f"{API}/batch-orders/<str:uid>", batch_view, name="sandbox-idealfactory-batch"),
    path("print-files/<str:item_id>.pdf", print_file_view, name="sandbox-idealfactory-print-file"),
    path("_notify-url", notify_url_view, name="sandbox-idealfactory-notify-url"),
    path("_echo/", echo_view, name="sandbox-idealfactory-echo"),
    path("_echo/<path:tail>", echo_view),
    path("_reset", reset_view, name="sandbox-idealfactory-reset"),
]
for _collection in COLLECTIONS:
    urlpatterns += [
        path(f"{API}/{_collection}", collection_view, {"collection": _collection}),
        path(f"{API}/{_collection}/<str:record_id>", record_view, {"collection": _collection}),
    ]


# -- the development demo (integrations/sandbox/demo.py) -----------------------------------------


def demo_connection(origin: str, kind: str) -> dict:
    """The demo's Ideal Factory connection to this sandbox served from `origin`."""
    return {
        "settings": {"base_url": base_url(origin), "store_ids": DEMO_STORE, "create_print_files": True},
        "secrets": {"api_token": settings.SANDBOX_API_KEY},
    }


def demo_order_progress(origin: str, external_ref: str, step: int) -> None:
    """Nothing to push: the OMS moves print files along as they are polled."""


# The demo routes mugs here (a routing rule on the product title; the other partner takes the rest)
# and sends this many orders of one design each, the last one's item made to fail.
DEMO_ROUTE = {"product_contains": "mug"}
DEMO_ORDERS = 2
# The demo's catalogue, pushed to this sandbox: one category, one product, two variants (the
# first is what the demo's mug template is sent as), plus print templates for batch orders (made
# by hand in the OMS dashboard: any UID does here).
DEMO_CATALOGUE = {
    "category": {"name": "Drinkware", "default_dpi": 300, "description": "Mugs and bottles"},
    "product": {"name": "Ceramic Mug", "code": "MUG", "order_column": 1, "active": True, "team_id": 1},
    "variants": [
        {"name": "Ceramic Mug 11oz White", "country_id": 826, "weight": 350, "customs_code": "6912002300"},
        {"name": "Ceramic Mug 15oz White", "country_id": 826, "weight": 420, "customs_code": "6912002300"},
    ],
}
DEMO_PRINT_TEMPLATES = [
    ("7d6c1f0e-2f7a-4c3e-9a51-3b8e1f6a2c01", "Mug wrap 2-up (A4)"),
    ("0b9e4d2a-6c15-4f8b-8e3d-52a7c9f1b402", "Mug wrap 4-up (A3)"),
]


def demo_failing_ref(reference: str) -> str:
    """An order line reference whose print file this sandbox fails (its ecommerce_order_item_id
    ends in "F": it ends in processingfailed)."""
    return reference if reference.endswith("F") else f"{reference}F"


def demo_register_notify_url(origin: str, url: str) -> None:
    """Tell the sandbox served from `origin` where to POST when a print file becomes ready (the
    connection's print-files hook), over HTTP as the demo's worker is not the web process."""
    response = requests.post(f"{origin.rstrip('/')}{MOUNT}/_notify-url", json={"url": url}, timeout=HTTP_TIMEOUT)
    response.raise_for_status()
