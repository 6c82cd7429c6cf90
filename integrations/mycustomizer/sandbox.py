"""A simulator of the MyCustomizer / Kickflip API, served by this app when SANDBOX_ENABLED is on
(never in production), twice: under /sandbox/kickflip/ and /sandbox/mycustomizer/. Both mounts
serve the same brand and data; the bad-words list (wordfilter) exists on the Kickflip mount
only, as in the docs, and is "Not Found" on the other.

It follows the vendor docs (kickflip-api.txt, mycustomizer-api.txt):

- GET  brands/{companyname}/orders        ?lastIndex &count &sortOrder &sortKey
- GET  brands/{companyname}/orders/{id}   by the order's `_id`, as in the doc's example
- GET  brands/{companyname}/designs       ?lastIndex &count &backwards &sortKey
- GET  brands/{companyname}/designs/{id}  by the design's `_id` (an order item's `design`)
- GET  brands/{companyname}/wordfilter    {"isActive": bool, "words": [...]}
- POST brands/{companyname}/wordfilter    {isActive?, words?} replaces them; answers the words
- `Authorization: Bearer <SANDBOX_API_KEY>`, else 401 "Invalid credentials";
- a company other than SANDBOX_KICKFLIP_COMPANY: 404 "Trying to launch invalid tenant." (checked
  before the token: the tenant has to be known to check its token);
- orders default to descending orderId, designs to backwards=false (ascending designId); an
  unknown sortOrder / sortKey / backwards value is HTTP 500 "Invalid sort value: { key: order }";
  the designs' sortKey is undocumented ("gluten-free"), so only the key the doc's example
  answer names, designId, is accepted;
- count defaults to 25 and cannot be 0; lastIndex 0 or absent is the first page, a lastIndex
  past collectionSize is refused (the docs name no error body for these two: the sandbox answers
  HTTP 500 "Bad request param: ..." like the documented bad sort);
- errors are plain text bodies, as the docs print them.

The docs leave open what a response's `lastIndex` means (see integrations.mycustomizer.client).
The sandbox answers "count" by default (records served so far: the only reading under which
the doc's stop rule, lastIndex == collectionSize, holds); tests can switch
`sandbox().last_index_reading` to "index" (0-based index of the last record served, a request's
lastIndex then meaning "after that record") or "echo" (the request's lastIndex repeated).

Data: SANDBOX_KICKFLIP_SIZE orders (default 150) generated from SANDBOX_SEED, so every process
serving it agrees. Each order's items point at designs; a few of those designs are missing from
the designs listing (reachable by id only), some designs were never ordered. Designs follow the
doc's shape: productionData, summary, designImages/designImage, price, and a configuration
mixing plain choices with text and logo choice objects. Personalised kinds: text, logo, image,
colour, font, material. Some texts would trip a bad-words list: "damn", "crap", and the
harmless "Scunthorpe". Order statuses other than "pending" are not in the docs (they show only
"pending" and "paid"): "inProduction", "shipped" and "canceled" are the sandbox's own.

Test hooks: `reset()`, `sandbox().add_order(...)` (a new order arriving, e.g. mid-pagination),
`sandbox().add_design(...)`, `sandbox().fail_next(endpoint, status)`, `sandbox().calls`.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt

from integrations.sandbox import pictures

from .types import (
    DEFAULT_COUNT,
    INVALID_CREDENTIALS,
    INVALID_SORT,
    INVALID_TENANT,
    NOT_FOUND,
    ORDER_SORT_KEYS,
    SORT_ORDERS,
    format_date,
)

app_name = "mycustomizer_sandbox"
# The two mounts; config/urls.py gives each its kind as URL namespace.
KINDS = {"kickflip": "Kickflip", "mycustomizer": "MyCustomizer"}

ANCHOR = datetime(2026, 9, 1, tzinfo=UTC)
SPREAD = timedelta(days=120)
ORDER_STORE = "5e55926a61f7b78c20f298f6"  # the `store` of the doc's order
DESIGN_STORE = "5e2a0143db252ec325e011f2"  # the `store` of the doc's design
DEFAULT_TEXT = "Your text"  # the doc's text choice; its summary entry then has no value
CURRENCIES = {"CAD": 0.7276461903834083, "USD": 1.0, "EUR": 1.0854}
STATUSES = ["pending", "pending", "pending", "pending", "inProduction", "inProduction", "shipped", "canceled"]
TEXTS = [
    DEFAULT_TEXT,
    "",
    "Jimi",
    "Rock On",
    "Happy Birthday Anna",
    "Best Dad Ever",
    "Mia & Leo",
    "Skate or Die",
    "Property of Sam",
    "Team Rocket 2026",
]
FLAGGED_TEXTS = ["Damn Fine Coffee", "Holy Crap Skate Co", "Scunthorpe United", "No damn regrets", "Crap Bag"]
INITIAL_WORDS = ["damn", "crap", "cunt", "bad word 2"]
LOGO_FILES = ["yourlogo.png", "team-logo.png", "band_logo_final.png", "monogram.png"]


@dataclass(frozen=True)
class Option:
    """One customer choice of a product. `kind` is the word the doc's productionData keys end
    with ("Body material", "Logo logo", "Sticker image", "Name font", "Name color"); a text
    choice is keyed by its label ("Your name"); "hidden" choices appear in the configuration
    only, as several of the doc's do."""

    component: str
    kind: str
    choices: tuple[str, ...] = ()

    def option_id(self, product: str) -> str:
        return "OPTION-" + _short_id(product, self.component, self.kind)

    def choice_id(self, product: str, choice: str) -> str:
        return "CHOICE-" + _short_id(product, self.component, self.kind, choice)


@dataclass(frozen=True)
class Product:
    name: str
    product_id: str
    customizer_product_id: str
    price: int
    options: tuple[Option, ...]


PRODUCTS = (
    Product(
        "Custom Guitar",
        "5e2a0142c56085001093615b",
        "5e2a0142c56085001093615a",
        123,
        (
            Option("Body", "material", ("Bright Red", "Black", "Sunburst", "Olympic White")),
            Option("Pickguard", "material", ("White", "Black", "Tortoise")),
            Option("Controls", "material", ("Black", "Chrome", "Gold")),
            Option("Pickups", "material", ("White", "Black", "Zebra")),
            Option("Logo", "logo"),
            Option("Sticker", "image", ("Red heart", "Lightning bolt", "Skull", "Star")),
            Option("Name", "font", ("Bodoni", "Helvetica", "Pacifico")),
            Option("Name", "color", ("Red", "Black", "Gold", "White")),
            Option("Your name", "text"),
            Option("Strings", "hidden", ("Nickel", "Steel")),
            Option("Case", "hidden", ("Gig bag", "Hard case")),
        ),
    ),
    Product(
        "Custom Skateboard",
        "5e2a0142c56085001093616c",
        "5e2a0142c56085001093616b",
        89,
        (
            Option("Deck", "material", ("Maple", "Bamboo", "Carbon")),
            Option("Grip tape", "color", ("Black", "Clear", "Red")),
            Option("Wheels", "color", ("White", "Yellow", "Blue")),
            Option("Logo", "logo"),
            Option("Graphic", "image", ("Flames", "Palm tree", "Wave", "Skull")),
            Option("Deck text", "text"),
            Option("Deck text", "font", ("Impact", "Pacifico", "Roboto")),
            Option("Trucks", "hidden", ("Raw", "Black")),
        ),
    ),
    Product(
        "Custom Sneakers",
        "5e2a0142c56085001093617d",
        "5e2a0142c56085001093617c",
        150,
        (
            Option("Upper", "material", ("Leather", "Canvas", "Suede")),
            Option("Sole", "color", ("White", "Gum", "Black")),
            Option("Laces", "color", ("White", "Black", "Neon green")),
            Option("Tongue", "image", ("Star", "Lightning bolt", "Red heart")),
            Option("Heel text", "text"),
            Option("Heel text", "color", ("Black", "Gold", "Silver")),
        ),
    ),
)


@dataclass
class FakeDesign:
    oid: str
    created: datetime
    product: Product
    picks: dict[int, str]  # option index -> choice name (material, colour, font, image, hidden)
    text: str
    logo: tuple[str, str, int, datetime] | None  # (_id, originalFilename, size, date)
    images: list[tuple[str, int]]  # (_id, size)
    price: int
    listed: bool = True
    design_id: int = 0


@dataclass
class FakeOrder:
    oid: str
    order_id: int
    created: datetime
    date: datetime  # the shop's order date: need not follow creation (imported orders)
    currency: str
    history: list[tuple[str, datetime]]
    items: list[tuple[int, FakeDesign]]


@dataclass
class Fault:
    endpoint: str
    status: int
    body: str


@dataclass
class MyCustomizerSandbox:
    size: int
    seed: int
    company: str
    orders: list[FakeOrder] = field(default_factory=list)
    designs: list[FakeDesign] = field(default_factory=list)
    wordfilter: dict = field(default_factory=lambda: {"isActive": True, "words": list(INITIAL_WORDS)})
    faults: deque = field(default_factory=deque)
    calls: dict = field(default_factory=dict)
    last_index_reading: str = "count"  # or "index", "echo": see the module docstring

    def __post_init__(self):
        self.random = rnd = random.Random(self.seed)
        spread_ms = int(SPREAD.total_seconds() * 1000)
        moments = sorted(ANCHOR - timedelta(milliseconds=rnd.randrange(spread_ms)) for _ in range(self.size))
        designs: list[FakeDesign] = []
        for moment in moments:
            items = []
            for _ in range(rnd.choice([1, 1, 1, 2, 2, 3])):
                reused = [d for d in designs if d.created < moment]
                if reused and rnd.random() < 0.1:
                    design = rnd.choice(reused)  # the same design ordered again
                else:
                    design = self._new_design(moment - timedelta(milliseconds=rnd.randrange(300_000, 3 * 86_400_000)))
                    design.listed = rnd.random() >= 0.06
                    designs.append(design)
                items.append((rnd.randint(1, 3), design))
            self.orders.append(self._new_order(moment, items))
        for _ in range(self.size // 4):  # designs saved but never ordered
            designs.append(self._new_design(ANCHOR - timedelta(milliseconds=rnd.randrange(spread_ms))))
        designs.sort(key=lambda design: design.created)
        for number, design in enumerate(designs, start=1):
            design.design_id = number
            design.oid = _object_id(design.created, rnd)
        for position, text in zip(range(1, len(designs), 3), FLAGGED_TEXTS, strict=False):
            designs[position].text = text
        if self.orders and all(design.listed for design in designs):
            self.orders[0].items[0][1].listed = False  # at least one design is reachable by id only
        self.designs = designs
        self.orders.sort(key=lambda order: order.created)
        for number, order in enumerate(self.orders, start=1):
            order.order_id = number

    def _new_design(self, created: datetime) -> FakeDesign:
        rnd = self.random
        product = rnd.choice(PRODUCTS)
        picks = {index: rnd.choice(option.choices) for index, option in enumerate(product.options) if option.choices}
        logo = None
        if any(option.kind == "logo" for option in product.options) and rnd.random() < 0.7:
            logo_date = created - timedelta(minutes=rnd.randrange(1, 120))
            logo = (_object_id(logo_date, rnd), rnd.choice(LOGO_FILES), rnd.randrange(4_000, 400_000), logo_date)
        images = [(_object_id(created, rnd), rnd.randrange(200_000, 900_000)) for _ in range(rnd.choice([1, 1, 2]))]
        price = product.price + rnd.choice([0, 0, 10, 25, 40])
        return FakeDesign("", created, product, picks, rnd.choice(TEXTS), logo, images, price)

    def _new_order(self, created: datetime, items: list[tuple[int, FakeDesign]]) -> FakeOrder:
        rnd = self.random
        status = rnd.choice(STATUSES)
        history = [("pending", created)]
        if status in ("inProduction", "shipped"):
            history.append(("inProduction", created + timedelta(hours=rnd.randrange(2, 48))))
        if status in ("shipped", "canceled"):
            history.append((status, history[-1][1] + timedelta(hours=rnd.randrange(2, 96))))
        # The doc's example order is dated 12 days before its first status: the shop's date.
        lag = timedelta(minutes=rnd.randrange(1, 30)) if rnd.random() < 0.85 else timedelta(days=rnd.randrange(1, 20))
        return FakeOrder(
            _object_id(created, rnd), 0, created, created - lag, rnd.choice(list(CURRENCIES)), history, items
        )

    # -- test hooks ----------------------------------------------------------------------

    def add_design(self, *, text: str | None = None, listed: bool = True, created: datetime | None = None) -> dict:
        """A new design, last by designId. Returns its id (`_id`)."""
        latest = max((design.created for design in self.designs), default=ANCHOR)
        design = self._new_design(created or latest + timedelta(minutes=1))
        design.design_id = max((d.design_id for d in self.designs), default=0) + 1
        design.oid = _object_id(design.created, self.random)
        design.listed = listed
        if text is not None:
            design.text = text
        self.designs.append(design)
        return {"id": design.oid, "designId": design.design_id}

    def add_order(self, *, designs: int = 1, design_ids: list[str] | None = None, quantity: int = 1) -> dict:
        """A new order arriving now (last by orderId): on `design_ids`, or on `designs` new
        designs. Returns the order as the API shows it."""
        latest = max((order.created for order in self.orders), default=ANCHOR)
        created = max(latest, max((d.created for d in self.designs), default=ANCHOR)) + timedelta(minutes=1)
        by_id = {design.oid: design for design in self.designs}
        if design_ids is None:
            design_ids = [self.add_design(created=created - timedelta(seconds=30))["id"] for _ in range(designs)]
        order = self._new_order(created, [(quantity, by_id.get(oid) or self._design(oid)) for oid in design_ids])
        order.order_id = max((o.order_id for o in self.orders), default=0) + 1
        order.history = [("pending", created)]
        self.orders.append(order)
        return self.order_payload(order)

    def fail_next(self, endpoint: str, status: int, *, times: int = 1, body: str | None = None) -> None:
        """The next call(s) to `endpoint` (orders, order, designs, design, wordfilter) fail."""
        default = {401: INVALID_CREDENTIALS, 404: NOT_FOUND, 500: "Internal Server Error", 503: "Service Unavailable"}
        for _ in range(times):
            self.faults.append(Fault(endpoint, status, body if body is not None else default.get(status, "Error")))

    def _design(self, oid: str) -> FakeDesign:
        for design in self.designs:
            if design.oid == oid:
                return design
        raise KeyError(oid)

    # -- the API's answers -----------------------------------------------------------------

    def order_payload(self, order: FakeOrder) -> dict:
        status = order.history[-1][0]
        return {
            "currency": order.currency,
            "status": status,
            "paymentStatus": "refunded" if status == "canceled" else "paid",
            "statusHistory": [{"status": name, "date": format_date(moment)} for name, moment in order.history],
            "exchangeRateAtCreation": CURRENCIES[order.currency],
            "transactionFeePercentage": 1.9,
            "trial": False,
            "_id": order.oid,
            "eCommerceOrderId": str(1014154653754 + order.order_id * 1031),
            "eCommerceOrderName": f"#{1000 + order.order_id}",
            "store": ORDER_STORE,
            "items": [{"quantity": quantity, "design": design.oid} for quantity, design in order.items],
            "totalPrice": sum(quantity * design.price for quantity, design in order.items),
            "date": format_date(order.date),
            "orderId": order.order_id,
            "__v": 0,
            "id": order.oid,
        }

    def design_payload(self, design: FakeDesign, base: str) -> dict:
        """The doc's design shape. `base` is the sandbox's absolute root URL (for the images)."""
        product = design.product
        cdn = f"{base}cdn/{self.company}/"
        production, summary, configuration = [], [], {}
        for index, option in enumerate(product.options):
            option_id = option.option_id(product.name)
            if option.kind == "text":
                configuration[option_id] = {
                    "id": option.choice_id(product.name, "Default text"),
                    "type": "text",
                    "name": "Default text",
                    "views": [{"type": "text", "text": design.text}],
                }
                entry = {"key": option.component}
                if design.text and design.text != DEFAULT_TEXT:
                    entry["value"] = design.text
                summary.append(entry)
                continue
            if option.kind == "logo":
                if design.logo is None:
                    choice_id = option.choice_id(product.name, "No logo")
                    configuration[option_id] = choice_id
                    value = "No logo"
                else:
                    logo_id, original, size, moment = design.logo
                    choice_id = option.choice_id(product.name, "Custom logo")
                    value = f"{cdn}{logo_id}.png"
                    configuration[option_id] = {
                        "id": choice_id,
                        "name": "Custom logo",
                        "code": "",
                        "description": "",
                        "thumbnail": None,
                        "type": "logo",
                        "views": [
                            {
                                "type": "logo",
                                "logo": {
                                    "_id": logo_id,
                                    "originalFilename": original,
                                    "size": size,
                                    "date": format_date(moment),
                                    "filename": f"{logo_id}.png",
                                    "url": value,
                                    "id": logo_id,
                                },
                            }
                        ],
                    }
                ref = {"optionId": option_id, "choiceId": choice_id}
                production.append({"key": f"{option.component} logo", "value": value, "ref": ref})
                continue
            choice = design.picks[index]
            choice_id = option.choice_id(product.name, choice)
            configuration[option_id] = choice_id
            if option.kind != "hidden":
                ref = {"optionId": option_id, "choiceId": choice_id}
                production.append({"key": f"{option.component} {option.kind}", "value": choice, "ref": ref})
            if option.kind in ("material", "image"):
                summary.append({"key": option.component, "value": choice})
        slug = product.name.lower().replace(" ", "")
        images = [
            {
                "_id": image_id,
                "originalFilename": f"{slug}-{design.design_id}-{number}.png",
                "size": size,
                "date": format_date(design.created),
                "filename": f"{image_id}.png",
                "url": f"{cdn}{image_id}.png",
                "__v": 0,
            }
            for number, (image_id, size) in enumerate(design.images, start=1)
        ]
        return {
            "productionData": production,
            "summary": summary,
            "designImages": images,
            "_id": design.oid,
            "price": design.price,
            "configuration": configuration,
            "productId": product.product_id,
            "productName": product.name,
            "customizerProductId": product.customizer_product_id,
            "designImage": dict(images[0]),
            "store": DESIGN_STORE,
            "createdAt": format_date(design.created),
            "updatedAt": format_date(design.created),
            "designId": design.design_id,
            "__v": 0,
            "id": design.oid,
        }

    def page(self, records: list, last_index: int, count: int) -> tuple[list, int, int]:
        """(records of the page, the answer's lastIndex, collectionSize) for a request's
        lastIndex (0 = first page) under `last_index_reading`."""
        reading = self.last_index_reading
        start = last_index + 1 if reading == "index" and last_index else last_index
        chunk = records[start : start + count]
        answer = {
            "count": start + len(chunk),
            "index": max(start + len(chunk) - 1, 0),
            "echo": last_index,
        }[reading]
        return chunk, answer, len(records)


def _short_id(*parts: str) -> str:
    """A stable 6-character base-36 id, like the doc's OPTION-3yvzws / CHOICE-3z0yrg."""
    number = int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:6], "big")
    digits = ""
    for _ in range(6):
        number, digit = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
    return digits


def _object_id(moment: datetime, rnd: random.Random) -> str:
    """A MongoDB-style id as the doc's: 8 hex digits of the creation time, then 16 random."""
    return f"{int(moment.timestamp()):08x}{rnd.getrandbits(64):016x}"


@lru_cache(maxsize=4)
def _build(size: int, seed: int, company: str) -> MyCustomizerSandbox:
    return MyCustomizerSandbox(size=size, seed=seed, company=company)


def sandbox() -> MyCustomizerSandbox:
    size = getattr(settings, "SANDBOX_KICKFLIP_SIZE", 150)
    return _build(size, settings.SANDBOX_SEED, getattr(settings, "SANDBOX_KICKFLIP_COMPANY", "demo-brand"))


def reset() -> None:
    """Forget added orders and designs, queued faults and the wordfilter's changes."""
    _build.cache_clear()


def base_url(origin: str, kind: str) -> str:
    """The connection base URL that points at this sandbox's `kind` mount, served from `origin`."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")
    return f"{origin.rstrip('/')}/sandbox/{kind}"


# -- views -------------------------------------------------------------------------------


def _text(body: str, status: int) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def _kind(request) -> str:
    namespace = request.resolver_match.namespace if request.resolver_match else ""
    return namespace if namespace in KINDS else "mycustomizer"


def _root(request) -> str:
    return request.build_absolute_uri(reverse(f"{_kind(request)}:root"))


def _guard(request, endpoint: str, company: str, box: MyCustomizerSandbox) -> HttpResponse | None:
    box.calls[endpoint] = box.calls.get(endpoint, 0) + 1
    if box.faults and box.faults[0].endpoint == endpoint:
        fault = box.faults.popleft()
        return _text(fault.body, fault.status)
    if company != box.company:
        return _text(INVALID_TENANT, 404)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or token.strip() != settings.SANDBOX_API_KEY:
        return _text(INVALID_CREDENTIALS, 401)
    return None


def _number_param(request, name: str, default: int) -> int | None:
    value = request.GET.get(name)
    if value is None or value == "":
        return default
    return int(value) if value.isdigit() else None


def _listing(request, records: list, build, *, sort_order: str, sort_key: str) -> HttpResponse:
    box = sandbox()
    last_index = _number_param(request, "lastIndex", 0)
    count = _number_param(request, "count", DEFAULT_COUNT)
    if count is None or count == 0:
        return _text("Bad request param: count must be a number other than 0", 500)
    if last_index is None or last_index > len(records):
        return _text("Bad request param: lastIndex must be a number, at most collectionSize", 500)
    chunk, answer, total = box.page(records, last_index, count)
    pagination = {
        "collectionSize": total,
        "resultSize": len(chunk),
        "lastIndex": answer,
        "sortOrder": sort_order,
        "sortKey": sort_key,
    }
    return JsonResponse({"pagination": pagination, "results": [build(record) for record in chunk]})


def orders_view(request, company: str):
    box = sandbox()
    if denied := _guard(request, "orders", company, box):
        return denied
    sort_key = request.GET.get("sortKey", "orderId")
    sort_order = request.GET.get("sortOrder", "descending")
    if sort_key not in ORDER_SORT_KEYS or sort_order not in SORT_ORDERS:
        return _text(f"{INVALID_SORT}: {{ {sort_key}: {sort_order} }}", 500)
    if sort_key == "orderId":
        records = sorted(box.orders, key=lambda order: order.order_id)
    else:
        records = sorted(box.orders, key=lambda order: (order.date, order.order_id))
    if sort_order == "descending":
        records.reverse()
    return _listing(request, records, box.order_payload, sort_order=sort_order, sort_key=sort_key)


def order_view(request, company: str, order_id: str):
    box = sandbox()
    if denied := _guard(request, "order", company, box):
        return denied
    order = next((order for order in box.orders if order.oid == order_id), None)
    if order is None:
        return _text(NOT_FOUND, 404)
    return JsonResponse(box.order_payload(order))


def designs_view(request, company: str):
    box = sandbox()
    if denied := _guard(request, "designs", company, box):
        return denied
    backwards = request.GET.get("backwards", "false").lower()
    sort_key = request.GET.get("sortKey", "designId")
    if backwards not in ("true", "false") or sort_key != "designId":
        return _text(f"{INVALID_SORT}: {{ {sort_key}: {request.GET.get('backwards', 'false')} }}", 500)
    records = sorted((design for design in box.designs if design.listed), key=lambda design: design.design_id)
    if backwards == "true":
        records.reverse()
    base = _root(request)
    return _listing(
        request,
        records,
        lambda design: box.design_payload(design, base),
        sort_order="descending" if backwards == "true" else "ascending",
        sort_key=sort_key,
    )


def design_view(request, company: str, design_id: str):
    box = sandbox()
    if denied := _guard(request, "design", company, box):
        return denied
    design = next((design for design in box.designs if design.oid == design_id), None)
    if design is None:
        return _text(NOT_FOUND, 404)
    return JsonResponse(box.design_payload(design, _root(request)))


@csrf_exempt
def wordfilter_view(request, company: str):
    if _kind(request) != "kickflip":
        return _text(NOT_FOUND, 404)  # MyCustomizer's API has no wordfilter
    box = sandbox()
    if denied := _guard(request, "wordfilter", company, box):
        return denied
    if request.method == "GET":
        return JsonResponse(dict(box.wordfilter, words=list(box.wordfilter["words"])))
    if request.method != "POST":
        return _text(NOT_FOUND, 404)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _text("Bad request param: the body is not JSON", 400)
    if not isinstance(body, dict):
        return _text("Bad request param: the body is not an object", 400)
    words, active = body.get("words"), body.get("isActive")
    if words is not None and (not isinstance(words, list) or not all(isinstance(word, str) for word in words)):
        return _text("Bad request param: words must be an array of strings", 400)
    if active is not None and not isinstance(active, bool):
        return _text("Bad request param: isActive must be a boolean", 400)
    if words is not None:
        box.wordfilter["words"] = list(words)
    if active is not None:
        box.wordfilter["isActive"] = active
    # The doc's answer to the POST is the bare list of words.
    return JsonResponse(list(box.wordfilter["words"]), safe=False)


def root_view(request):
    kind = _kind(request)
    box = sandbox()
    return JsonResponse(
        {
            "sandbox": f"{KINDS[kind]} API",
            "company": box.company,
            "lastIndexReading": box.last_index_reading,
            "orders": len(box.orders),
            "designs": sum(design.listed for design in box.designs),
            "wordfilter": kind == "kickflip",
        }
    )


def image_view(request, company: str, name: str):
    """Design images: the product drawn with the design's text in its colour and font, its
    body in the chosen material's colour (integrations/sandbox/pictures.py); logos and unknown
    names a card with the file's name on it."""
    found = _picture_owner(sandbox(), name.rsplit(".", 1)[0])
    if found is None:
        png = pictures.preview_png("card", (pictures.Text(name[:40], "#444444"),), size=240)
    else:
        design, view = found
        png = pictures.preview_png(
            design.product.name, design_texts(design), size=400, body=_body_colour(design), label=view
        )
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "max-age=86400"
    return response


def _picture_owner(box: MyCustomizerSandbox, image_id: str) -> tuple[FakeDesign, str] | None:
    """The design whose rendered image (not logo) has this id, and which view it is."""
    owners = box.__dict__.get("_picture_owners")
    if owners is None or len(owners) < len(box.designs):
        owners = {
            ident: (design, f"View {number}")
            for design in box.designs
            for number, (ident, _size) in enumerate(design.images, start=1)
        }
        box.__dict__["_picture_owners"] = owners
    return owners.get(image_id)


def design_texts(design: FakeDesign) -> tuple[pictures.Text, ...]:
    """The design's text with the colour and font chosen for it."""
    fill, font = "#000000", ""
    for index, option in enumerate(design.product.options):
        if option.kind == "color" and option.component.lower() in _text_component(design).lower():
            fill = design.picks.get(index, fill)
        if option.kind == "font":
            font = design.picks.get(index, font)
    return (pictures.Text(design.text, fill, "", font),)


def _text_component(design: FakeDesign) -> str:
    return next((option.component for option in design.product.options if option.kind == "text"), "")


def _body_colour(design: FakeDesign) -> str:
    for index, option in enumerate(design.product.options):
        if option.kind in ("material", "color") and index in design.picks:
            return design.picks[index]
    return "#ffffff"


urlpatterns = [
    path("", root_view, name="root"),
    path("brands/<str:company>/orders", orders_view, name="orders"),
    path("brands/<str:company>/orders/<str:order_id>", order_view, name="order"),
    path("brands/<str:company>/designs", designs_view, name="designs"),
    path("brands/<str:company>/designs/<str:design_id>", design_view, name="design"),
    path("brands/<str:company>/wordfilter", wordfilter_view, name="wordfilter"),
    path("cdn/<str:company>/<str:name>", image_view, name="image"),
]


# -- the development demo (integrations/sandbox/demo.py) ---------------------------------------


def demo_connection(origin: str, kind: str) -> dict | None:
    """The demo's Kickflip connection to this sandbox served from `origin` (its word filter is
    the one the bad-words list pulls and pushes); no MyCustomizer one (the same API again)."""
    if kind != "kickflip":
        return None
    return {
        "settings": {"company": settings.SANDBOX_KICKFLIP_COMPANY, "base_url": base_url(origin, kind)},
        "secrets": {"api_key": settings.SANDBOX_API_KEY},
    }
