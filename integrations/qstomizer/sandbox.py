"""A simulator of the Qstomizer v3 API, served by this app under /sandbox/qstomizer/ when
SANDBOX_ENABLED is on (never in production). It follows the vendor doc, quirks included:

- the {statusCode, headers, body:{version, error, error_message, data}} envelope;
- the key in `API_KEY` (also `x-api-key` or `Authorization: Bearer`);
- at most `limit` (1..250, default 25) rows per call, in no particular order, no cursor;
- dates shown to the minute, query bounds read to the second;
- a "burst" minute holding more customizations than one call returns;
- some order_ids listed twice, with another template_id (as in the doc's example);
- Get HD Design at backend/index.php?page=apiGenerateDesign, answering the doc's bare
  {"ok", "url", "expires_at", "cached"} (errors {"ok": false, "error"}), with a signed link,
  valid 15 minutes, to a real PNG whose pixel size depends on the template (`hd_sizes`); an
  expired or tampered link gets S3's 403 XML.

The data is generated from a seed, so every process serving it agrees (the HD links are signed
with a key derived from SECRET_KEY, for the same reason). Tests may change statuses and queue
faults in-process (`sandbox().set_status`, `sandbox().fail_next`), and shorten HD links'
lives (`hd_ttl_seconds`, `hd_expire_next_download`).

Random faults, seeded (`sandbox().set_faults(0.1)` in-process, or SANDBOX_QSTOMIZER_FAULTS=0.1
for `bin/run`, optionally with the kinds: "0.1:500,503,429,stall,cut"): each call to an endpoint
answers, with that probability, 500, 503, 429 with Retry-After, a stall before answering
(`stall_seconds`, 2.5 by default), or its real answer cut short mid-JSON (either
Content-Length longer than what is sent before the connection closes, or the JSON truncated).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache, wraps

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import path, reverse

from integrations.sandbox import pictures

from .types import HD_LINK_TTL_SECONDS, STATUSES

ANCHOR = datetime(2026, 10, 1, tzinfo=UTC)
SPREAD = timedelta(days=120)
PRODUCTS = [
    (522273, '2" x 2" Custom Rubber Stamp - No Handle / No Ink'),
    (512275, '2" x 2" Custom Rubber Stamp - Add Handle / No Ink'),
    (600101, "Classic T-Shirt"),
    (600102, "Ceramic Mug 11oz"),
    (600103, "Electric Guitar Pickguard"),
]
TEXTS = [
    "BASKETBALL",
    "Happy Birthday Anna",
    "Best Dad Ever",
    "Team Rocket 2026",
    "Mia & Leo",
    "Scunthorpe United",
    "Live Laugh Love",
    "Property of Sam",
    "Hello World",
    "Grandma's Kitchen",
]
FONTS = ["Carter One", "Roboto", "Pacifico", "Lobster", "Open Sans"]
COLOURS = ["#ffe599", "#000000", "#ff0000", "#1155cc", "#ffffff", "#6aa84f"]
SIDE_NAMES = ["Front", "Back", "Left sleeve"]
SIZES = ["Small", "Medium", "Large"]
# Pixel size of each template's HD file. The pickguard's is deliberately too small to print
# well, for preflight checks to catch.
HD_DEFAULT_SIZE = (2400, 2400)
HD_SIZES = {600103: (600, 600)}
HD_FILES_KEPT = 256  # generated PNGs kept in memory (a few KB each)
HD_EXPIRED_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
)


@dataclass
class FakeCustomization:
    order_id: int
    created: datetime
    status_id: int
    status_at: datetime
    templates: list[int]
    seed: int
    user_notes: str = ""


@dataclass
class Fault:
    endpoint: str
    status: int
    body: str | None = None
    headers: dict | None = None


FAULT_KINDS = ("500", "503", "429", "stall", "cut")
FAULT_ENDPOINTS = ("orders", "order", "hd", "hd_download")


@dataclass
class RandomFaults:
    """Each call to one of `endpoints` fails with probability `rate`, as one of `kinds` picked
    at random; the draws come from `seed`, so a run can be repeated. `injected` counts them."""

    rate: float
    seed: int = 7
    kinds: tuple[str, ...] = FAULT_KINDS
    endpoints: tuple[str, ...] = FAULT_ENDPOINTS
    stall_seconds: float = 2.5
    retry_after: int = 1
    injected: Counter = field(default_factory=Counter)

    def __post_init__(self):
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown or not 0 <= self.rate <= 1:
            raise ValueError(f"fault rate must be 0..1 and kinds among {FAULT_KINDS} (got {self.rate}, {unknown})")
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self, endpoint: str) -> str | None:
        if endpoint not in self.endpoints:
            return None
        with self._lock:  # the server answers from several threads
            if self._random.random() >= self.rate:
                return None
            kind = self._random.choice(self.kinds)
            if kind == "cut":
                kind = self._random.choice(["cut-length", "cut-json"])
            self.injected[kind] += 1
            return kind

    @classmethod
    def parse(cls, text: str, *, seed: int) -> RandomFaults | None:
        """SANDBOX_QSTOMIZER_FAULTS: "0.1" or "0.1:500,503,429,stall,cut"."""
        text = (text or "").strip()
        if not text:
            return None
        rate, _, kinds = text.partition(":")
        chosen = tuple(k.strip() for k in kinds.split(",") if k.strip()) or FAULT_KINDS
        return cls(rate=float(rate), seed=seed, kinds=chosen)


@dataclass
class QstomizerSandbox:
    size: int
    seed: int
    shop: str
    burst: int
    secret: bytes = b"qstomizer-sandbox"
    items: list[FakeCustomization] = field(default_factory=list)
    faults: deque = field(default_factory=deque)
    calls: dict = field(default_factory=lambda: {"orders": 0, "order": 0, "hd": 0, "hd_download": 0})
    # Get HD Design: template_id -> (width, height) of its HD file; how long a signed link lives
    # (0 or less: born expired); how many next downloads answer "expired" whatever their link.
    hd_sizes: dict = field(default_factory=lambda: dict(HD_SIZES))
    hd_ttl_seconds: int = HD_LINK_TTL_SECONDS
    hd_expire_next_download: int = 0
    # (order_id, side_id) already generated (the next answer says cached), the PNGs made, and
    # the API key each download carried ("" when none: the signed link is all it needs).
    hd_generated: set = field(default_factory=set)
    hd_files: dict = field(default_factory=dict)
    hd_download_keys: deque = field(default_factory=lambda: deque(maxlen=1000))
    random_faults: RandomFaults | None = None

    def __post_init__(self):
        rnd = random.Random(self.seed)
        self.burst_minute = burst_minute = ANCHOR - timedelta(days=3, hours=5, minutes=17)
        for index in range(self.size):
            if index < self.burst:
                created = burst_minute + timedelta(seconds=index % 60)
            else:
                created = ANCHOR - timedelta(seconds=rnd.randrange(int(SPREAD.total_seconds())))
            template = PRODUCTS[rnd.randrange(len(PRODUCTS))][0]
            templates = [template]
            if rnd.random() < 0.1:
                templates.append(next(p[0] for p in PRODUCTS if p[0] != template))
            status_id = rnd.choice([1, 1, 1, 3, 4, 4, 7, 7, 2, 5, 6])
            status_at = created + timedelta(minutes=rnd.randrange(0, 600))
            notes = rnd.choice(["", "", "Please, contact us before proceed.", "Gift wrap please"])
            self.items.append(
                FakeCustomization(
                    100000 + index, created, status_id, status_at, templates, rnd.randrange(1 << 30), notes
                )
            )
        self.items.sort(key=lambda item: item.created)
        self.by_id = {item.order_id: item for item in self.items}

    # -- test hooks ----------------------------------------------------------------------

    def set_status(self, order_id: int, status_id: int, at: datetime | None = None) -> None:
        item = self.by_id[order_id]
        item.status_id = status_id
        item.status_at = at or item.status_at + timedelta(minutes=5)

    def fail_next(
        self, endpoint: str, status: int, *, times: int = 1, body: str | None = None, headers: dict | None = None
    ) -> None:
        """The next `times` calls to `endpoint` ("orders", "order", "hd", "hd_download") answer
        `status`, with `body` or the doc's error for that endpoint, and `headers` (for example
        {"Retry-After": "3600"} on a 429)."""
        for _ in range(times):
            self.faults.append(Fault(endpoint, status, body, headers))

    def set_faults(self, rate: float, **options) -> RandomFaults | None:
        """Random faults from now on (`RandomFaults` options: seed, kinds, endpoints,
        stall_seconds, retry_after); rate 0 turns them off."""
        self.random_faults = RandomFaults(rate=rate, **options) if rate else None
        return self.random_faults

    # -- the API's answers -----------------------------------------------------------------

    def rows_between(self, start: datetime, end: datetime) -> list[dict]:
        rows = []
        for item in self.items:
            if start <= item.created <= end:
                for template in item.templates:
                    rows.append(self.row(item, template))
        return rows

    def row(self, item: FakeCustomization, template: int) -> dict:
        return {
            "order_id": item.order_id,
            "order_date": _minute(item.created),
            "status_id": item.status_id,
            "status_date": _minute(item.status_at),
            "hex_color": "",
            "template_id": template,
            "product_title": dict(PRODUCTS)[template],
            "comments": "",
            "user_notes": item.user_notes,
            "user_agent": "Mozilla/5.0 (sandbox)",
        }

    def side_ids(self, item: FakeCustomization) -> list[int]:
        """The side ids `detail()` shows: its first draw from the item's seed is the side count."""
        return [8000 + index for index in range(random.Random(item.seed).randint(1, 3))]

    def hd_size(self, item: FakeCustomization) -> tuple[int, int]:
        return self.hd_sizes.get(item.templates[0], HD_DEFAULT_SIZE)

    def hd_signature(self, file_path: str, expires: int) -> str:
        return hmac.new(self.secret, f"{file_path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def hd_png(self, item: FakeCustomization, side_id: int) -> bytes:
        """The side's HD file: a real PNG at the template's size, the side's texts in their
        colours and fonts on a transparent canvas (integrations/sandbox/pictures.py), the same
        bytes every time."""
        width, height = size = self.hd_size(item)
        key = (item.order_id, side_id, size)
        if key not in self.hd_files:
            while len(self.hd_files) >= HD_FILES_KEPT:
                del self.hd_files[next(iter(self.hd_files))]
            self.hd_files[key] = pictures.print_png(self.side_texts(item, side_id), width=width, height=height)
        return self.hd_files[key]

    def side_texts(self, item: FakeCustomization, side_id: int) -> tuple[pictures.Text, ...]:
        """The texts `detail()` puts on that side, as the pictures draw them."""
        for side in self.detail(item, "")["sides"]:
            if side["side_id"] == side_id:
                return tuple(
                    pictures.Text(
                        node["text"], node["fill"], node["stroke"] if node["hasStroke"] else "", node["fontFamily"]
                    )
                    for node in side["nodes"]
                    if node["type"] == "text"
                )
        return ()

    def detail(self, item: FakeCustomization, base: str) -> dict:
        rnd = random.Random(item.seed)
        template = item.templates[0]
        sides = []
        for side_index in range(rnd.randint(1, 3)):
            side_id = 8000 + side_index
            nodes = []
            for node_index in range(rnd.randint(0, 3)):
                if rnd.random() < 0.6:
                    nodes.append(
                        {
                            "type": "text",
                            "id": f"grupotexto{node_index}",
                            "position": {"x": round(rnd.uniform(0, 500), 2), "y": round(rnd.uniform(0, 500), 2)},
                            "fill": rnd.choice(COLOURS),
                            "hasStroke": rnd.random() < 0.5,
                            "stroke": "#000000",
                            "strokeWidth": 1.97,
                            "align": "center",
                            "fontSize": rnd.choice([24, 32, 40, 48]),
                            "fontFamily": rnd.choice(FONTS),
                            "text": rnd.choice(TEXTS),
                            "scale": {"x": 0.6845, "y": 0.6845},
                            "rotation": round(rnd.uniform(-10, 10), 3),
                        }
                    )
                else:
                    nodes.append(
                        {
                            "type": "image",
                            "formatOrigen": "clipart",
                            "id": f"grupoimage{node_index}",
                            "position": {"x": 308.94, "y": 160.99},
                            "scale": {"x": 0.9505, "y": 0.9505},
                            "rotation": 0,
                            "size": {"width": 200, "height": 202},
                            "src": f"{base}cdn/clipart/{node_index}.png",
                            "originalFileUrl": f"{base}cdn/clipart/{node_index}.png",
                        }
                    )
            image = f"{base}cdn/{self.shop}/orderimages/{item.order_id}-{side_id}"
            sides.append(
                {
                    "side_id": side_id,
                    "side_name": SIDE_NAMES[side_index],
                    "image_url": f"{image}.png",
                    "design_png": f"{image}-design.png" if side_index == 0 or rnd.random() < 0.5 else "",
                    "design_hd_url": f"{base}backend/index.php?page=apiGenerateDesign&id_order={item.order_id}&sideid={side_id}",
                    "generator_tool": f"{base}generator_tool/?sideid={side_id}&orderid={item.order_id}",
                    "nodes": nodes,
                }
            )
        size = rnd.choice(SIZES)
        orders = []
        for order_index in range(rnd.choice([0, 1, 1, 1, 1, 1, 1, 1, 2])):
            number = 3000 + (item.order_id + order_index * 7919) % 5000
            orders.append(
                {
                    "shopify_order_id": 4889333330000 + number,
                    "shopify_order_name": f"#{number}",
                    "shopify_id_product": 7504436314495,
                    "shopify_variant_id": 42618944895000 + SIZES.index(size),
                    "quantity": rnd.randint(1, 3),
                }
            )
        return {
            "customization_date": _minute(item.created),
            "status_id": item.status_id,
            "status_date": _minute(item.status_at),
            "hex_color": "",
            "template_id": template,
            "comments": "",
            "user_notes": item.user_notes,
            "user_agent": "Mozilla/5.0 (sandbox)",
            "sides": sides,
            "options_selected": {
                "variation_id": str(32000 + SIZES.index(size)),
                "option1": "Size",
                "option1_value": size,
                "option2": "Color",
                "option2_value": "White",
                "option3": None,
                "option3_value": None,
                "color": "#FFFFFF",
                "color_des": "White",
                "variantSelected": {
                    "id": 42232624808100 + SIZES.index(size),
                    "title": f"{size} / White",
                    "price": "25.00",
                    "sku": f"SKU-{template}-{size[0]}",
                    "inventory_quantity": 1000,
                    "qty": 1,
                },
                "isProductSummary": True,
            },
            "orders": orders,
        }


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y/%m/%d %H:%M")


@lru_cache(maxsize=4)
def _build(size: int, seed: int, shop: str, burst: int, secret: bytes, faults: str = "") -> QstomizerSandbox:
    box = QstomizerSandbox(size=size, seed=seed, shop=shop, burst=burst, secret=secret)
    box.random_faults = RandomFaults.parse(faults, seed=seed)
    return box


def sandbox() -> QstomizerSandbox:
    size = settings.SANDBOX_QSTOMIZER_SIZE
    secret = hmac.new(settings.SECRET_KEY.encode(), b"qstomizer-sandbox-hd-links", hashlib.sha256).digest()
    faults = getattr(settings, "SANDBOX_QSTOMIZER_FAULTS", "")
    return _build(size, settings.SANDBOX_SEED, settings.SANDBOX_QSTOMIZER_SHOP, min(300, size // 3), secret, faults)


def reset() -> None:
    _build.cache_clear()


# -- views -------------------------------------------------------------------------------


def _envelope(data, *, status: int = 200, error: str = "") -> JsonResponse:
    body = {"version": 3, "error": bool(error), "error_message": error, "data": data if not error else []}
    payload = {
        "statusCode": status,
        "headers": {
            "Content-type": "application/json",
            "access-control-allow-origin": "*",
            "API": "Qstomizer API v3.0",
        },
        "body": body,
    }
    return JsonResponse(payload, status=status)


def _key(request) -> str:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    # Django's own server drops headers with an underscore (API_KEY); x-api-key gets through.
    return request.META.get("HTTP_API_KEY") or request.headers.get("x-api-key", "")


def _hd_error(error: str, *, status: int) -> JsonResponse:
    """Get HD Design's errors are not in the orders' envelope: the doc gives {ok, error}."""
    return JsonResponse({"ok": False, "error": error}, status=status)


def _error(endpoint: str, error: str, *, status: int) -> HttpResponse:
    if endpoint == "hd":
        return _hd_error(error, status=status)
    return _envelope(None, status=status, error=error)


def _fault(endpoint: str, box: QstomizerSandbox) -> HttpResponse | None:
    box.calls[endpoint] = box.calls.get(endpoint, 0) + 1
    if not (box.faults and box.faults[0].endpoint == endpoint):
        return None
    fault = box.faults.popleft()
    if fault.body is not None:
        response = HttpResponse(fault.body, status=fault.status, content_type="application/json")
    elif endpoint == "hd_download":
        code = {403: "AccessDenied", 404: "NoSuchKey", 503: "SlowDown"}.get(fault.status, "InternalError")
        xml = f"<Error><Code>{code}</Code><Message>simulated error {fault.status}</Message></Error>"
        response = HttpResponse(xml, status=fault.status, content_type="application/xml")
    else:
        messages = {404: "Order not found", 429: "quota_exceeded", 503: "The HD file generation failed"}
        response = _error(endpoint, messages.get(fault.status, f"simulated error {fault.status}"), status=fault.status)
    for name, value in (fault.headers or {}).items():
        response[name] = value
    return response


def _random_faults(endpoint: str):
    """Wrap a view with the sandbox's random faults (when set) for `endpoint`."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            box = sandbox()
            faults = box.random_faults
            kind = faults.draw(endpoint) if faults else None
            if kind in ("500", "503"):
                return _error(endpoint, f"simulated error {kind}", status=int(kind))
            if kind == "429":
                response = _error(endpoint, "Too Many Requests", status=429)
                response["Retry-After"] = str(faults.retry_after)
                return response
            if kind == "stall":
                time.sleep(faults.stall_seconds)
            response = view(request, *args, **kwargs)
            if kind in ("cut-length", "cut-json"):
                return _cut(response, declare_whole=kind == "cut-length")
            return response

        return wrapped

    return decorate


def _cut(response: HttpResponse, *, declare_whole: bool) -> HttpResponse:
    """The answer cut in the middle. `declare_whole`: Content-Length says the whole length and
    the connection closes after the half is sent (a body cut short on the wire); otherwise the
    half is a complete HTTP answer whose JSON stops mid-way."""
    content = response.content
    cut = HttpResponse(content[: len(content) // 2], status=response.status_code)
    cut["Content-Type"] = response.get("Content-Type", "application/json")
    if declare_whole:
        cut["Content-Length"] = str(len(content))
        cut["Connection"] = "close"
    return cut


def _guard(request, endpoint: str, box: QstomizerSandbox):
    if fault := _fault(endpoint, box):
        return fault
    key = _key(request)
    if not key:
        return _error(endpoint, "Missing API_KEY header", status=401)
    if key != settings.SANDBOX_API_KEY:
        return _error(endpoint, "Invalid API_KEY", status=401)
    if endpoint in ("orders", "order") and request.GET.get("shop") != box.shop:
        # The real API answers an unknown shop with HTTP 200 and an error in the body.
        return _envelope(None, error="Shop not found")
    return None


def _parse(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value or "", "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


@_random_faults("orders")
def orders_view(request):
    box = sandbox()
    if denied := _guard(request, "orders", box):
        return denied
    start, end = _parse(request.GET.get("date_start")), _parse(request.GET.get("date_end"))
    if start is None or end is None:
        return _envelope(None, status=400, error="date_start and date_end must be YEAR-MONTH-DAY HOUR:MINUTE:SECOND")
    try:
        limit = int(request.GET.get("limit", 25))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 250:
        return _envelope(None, status=400, error="limit must be between 1 and 250")
    rows = box.rows_between(start, end)
    random.Random(f"{start}{end}{limit}").shuffle(rows)
    return _envelope(rows[:limit])


@_random_faults("order")
def order_view(request):
    box = sandbox()
    if denied := _guard(request, "order", box):
        return denied
    try:
        item = box.by_id[int(request.GET.get("orderId", ""))]
    except (KeyError, ValueError):
        return _envelope(None, status=404, error="Order not found")
    base = request.build_absolute_uri(reverse("sandbox-qstomizer-root"))
    return _envelope(box.detail(item, base))


@_random_faults("hd")
def hd_view(request):
    """Get HD Design (backend/index.php?page=apiGenerateDesign&id_order=..&sideid=..)."""
    box = sandbox()
    if denied := _guard(request, "hd", box):
        return denied
    if request.GET.get("page") != "apiGenerateDesign":
        return _hd_error("Unknown page", status=404)
    try:
        order_id, side_id = int(request.GET.get("id_order", "")), int(request.GET.get("sideid", ""))
    except ValueError:
        order_id = side_id = 0
    if not order_id or not side_id:
        return _hd_error("Missing id_order or sideid", status=400)
    item = box.by_id.get(order_id)
    if item is None or side_id not in box.side_ids(item):
        return _hd_error("Order not found", status=404)
    cached = (order_id, side_id) in box.hd_generated
    box.hd_generated.add((order_id, side_id))
    expires = int(time.time()) + box.hd_ttl_seconds
    file_path = reverse("sandbox-qstomizer-hd-file", kwargs={"order_id": order_id, "side_id": side_id})
    signature = box.hd_signature(file_path, expires)
    return JsonResponse(
        {
            "ok": True,
            "url": request.build_absolute_uri(f"{file_path}?expires={expires}&signature={signature}"),
            "expires_at": datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "cached": cached,
        }
    )


@_random_faults("hd_download")
def hd_file_view(request, order_id: int, side_id: int):
    """The signed link Get HD Design hands out, standing in for S3: no API key needed (the
    signature is the key), 403 with S3's XML once expired or if tampered with."""
    box = sandbox()
    box.hd_download_keys.append(_key(request))
    if fault := _fault("hd_download", box):
        return fault
    try:
        expires = int(request.GET.get("expires", ""))
    except ValueError:
        expires = 0
    expected = box.hd_signature(request.path, expires)
    valid = hmac.compare_digest(request.GET.get("signature", ""), expected)
    if box.hd_expire_next_download > 0:
        box.hd_expire_next_download -= 1
        valid = False
    item = box.by_id.get(order_id)
    if not valid or time.time() >= expires:
        return HttpResponse(HD_EXPIRED_XML, status=403, content_type="application/xml")
    if item is None or side_id not in box.side_ids(item):
        return HttpResponse("<Error><Code>NoSuchKey</Code></Error>", status=404, content_type="application/xml")
    return HttpResponse(box.hd_png(item, side_id), content_type="image/png")


def root_view(request):
    return JsonResponse({"sandbox": "Qstomizer API v3", "statuses": STATUSES})


IMAGE_NAME = re.compile(r"orderimages/(\d+)-(\d+)(-design)?\.png$")


def image_view(request, name: str):
    """Preview and design images. A side's preview is its product drawn with the side's texts on
    it, its design PNG the artwork alone (integrations/sandbox/pictures.py); other names (clipart)
    a card with the name on it. (A PNG, not an SVG: the back office refuses SVG from vendors,
    since an SVG may carry script.)"""
    box = sandbox()
    found = IMAGE_NAME.search(name)
    item = box.by_id.get(int(found[1])) if found else None
    if found and item is not None and int(found[2]) in box.side_ids(item):
        side_id = int(found[2])
        texts = box.side_texts(item, side_id)
        if found[3]:
            png = pictures.print_png(texts, width=600, height=600)
        else:
            title = dict(PRODUCTS)[item.templates[0]]
            side_name = SIDE_NAMES[side_id - 8000] if side_id - 8000 < len(SIDE_NAMES) else ""
            png = pictures.preview_png(title, texts, size=400, label=side_name)
    else:
        label = name.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", " ")
        png = pictures.preview_png("card", (pictures.Text(label[:40], "#444444"),), size=400)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "max-age=86400"
    return response


urlpatterns = [
    path("", root_view, name="sandbox-qstomizer-root"),
    path("v3/orders", orders_view, name="sandbox-qstomizer-orders"),
    path("v3/order", order_view, name="sandbox-qstomizer-order"),
    path("cdn/<path:name>", image_view, name="sandbox-qstomizer-image"),
    path("backend/index.php", hd_view, name="sandbox-qstomizer-hd"),
    path("hd-files/<int:order_id>-<int:side_id>.png", hd_file_view, name="sandbox-qstomizer-hd-file"),
]


def base_url(origin: str) -> str:
    """The connection base URL that points at this sandbox, served from `origin`."""
    return f"{origin.rstrip('/')}/sandbox/qstomizer/v3"


# -- the development demo (integrations/sandbox/demo.py) ---------------------------------------

# Templates whose HD file is too small to print (preflight stops them): the demo sends none.
DEMO_SKIP_TEMPLATES = tuple(HD_SIZES)


def demo_connection(origin: str, kind: str) -> dict:
    """The demo's Qstomizer connection to this sandbox served from `origin`."""
    return {
        "settings": {"shop_domain": settings.SANDBOX_QSTOMIZER_SHOP, "base_url": base_url(origin)},
        "secrets": {"api_key": settings.SANDBOX_API_KEY},
    }
