"""Fulfilment partners: the adapter interface the fulfilment services call, and the neutral typed
records that cross it, both ways.

A partner (a print house we send orders to, or a retailer that pushes orders to us) is one
adapter in `integrations/<vendor>/partner.py`, registered with `partner=` in the vendor's spec.
Everything that knows the vendor's wire format (building its order body, its error codes and
their words, reading its callbacks and pushes) lives there; the fulfilment app sees only what is
here. What a partner supports is declared by its spec's `Capability` set; a method it cannot do
raises `NotSupported`.

Plain Python: no Django model (the registry reads settings.VENDORS, nothing more).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from .registry import ConnectionConfig, Hook

# -- the neutral vocabulary ---------------------------------------------------------------------


class FulfilmentStatus(enum.StrEnum):
    """Where a partner says an order is, in our words. The partner maps its own codes onto these
    (its code and name are kept beside them). The app declares their order (fulfilment.statuses).

    The progress steps are as fine as the partners that exist need: Custom Gateway tells apart
    "sent to supplier" from "received by supplier" and "sent to shipper" from "received by
    shipper", and a late older one is recorded as ignored, so each is a status of its own. A
    partner without a step simply never reports it."""

    ACCEPTED = "accepted"  # the partner has it
    ROUTED = "routed"  # passed on to a production site
    AT_SITE = "at_site"  # the production site has it
    IN_PRODUCTION = "in_production"
    PACKED = "packed"  # made, handed over for shipping
    COLLECTED = "collected"  # the carrier has it
    SHIPPED = "shipped"
    SHIPPED_CONFIRMED = "shipped_confirmed"  # shipped, and the retailer told so
    ON_HOLD = "on_hold"
    PROBLEM = "problem"  # the partner queries something (an address, a file) before going on
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[FulfilmentStatus, str] = {
    FulfilmentStatus.ACCEPTED: "Accepted",
    FulfilmentStatus.ROUTED: "Routed to a production site",
    FulfilmentStatus.AT_SITE: "At the production site",
    FulfilmentStatus.IN_PRODUCTION: "In production",
    FulfilmentStatus.PACKED: "Packed for the carrier",
    FulfilmentStatus.COLLECTED: "With the carrier",
    FulfilmentStatus.SHIPPED: "Shipped",
    FulfilmentStatus.SHIPPED_CONFIRMED: "Shipped (retailer notified)",
    FulfilmentStatus.ON_HOLD: "On hold",
    FulfilmentStatus.PROBLEM: "Problem (queried by the partner)",
    FulfilmentStatus.CANCELLED: "Cancelled",
}


@dataclass(frozen=True)
class VendorStatus:
    """One status as a partner reported it: ours (None when it is not one we act on), and the
    partner's own code (a string: the next partner's codes are words) and name."""

    status: FulfilmentStatus | None
    code: str
    name: str


class NotSupported(Exception):
    """The partner's API cannot do this (cancel an order, read a status on demand, ...)."""


class HookInvalid(ValueError):
    """An authentic request whose body cannot be used as it is; the message says why, in words."""


# -- sending orders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    name: str = ""
    email: str = ""
    telephone: str = ""
    company: str = ""
    line_1: str = ""
    line_2: str = ""
    line_3: str = ""
    town: str = ""
    region: str = ""
    postcode: str = ""
    country_code: str = ""  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class PrintFile:
    url: str
    name: str = ""  # the print area (side), e.g. "Front"


@dataclass(frozen=True)
class LineToSend:
    reference: str  # ours, unique in the order
    quantity: int
    sku: str
    description: str
    files: tuple[PrintFile, ...]
    # Ours, unique across every order we ever send to the partner (a partner that keys print
    # files by the store's item id, e.g. Ideal Factory, needs it so): "<order ref>-<line ref>".
    store_item_id: str = ""
    variant_id: str = ""  # the partner's variant for this line (a catalogue mapping), "" if none
    price: Decimal | None = None  # per item
    # The customizer's configuration of the design (JSON-able); a partner encodes it its way.
    design: Mapping[str, Any] = field(default_factory=dict)
    thumbnails: tuple[str, ...] = ()  # preview image URLs the partner can fetch
    properties: Mapping[str, Any] = field(default_factory=dict)
    # What kind of item it is (LineKind): artwork (print files, the default), a partner's
    # pre-made print-on-demand sample, a stock item (no artwork), a textual item.
    kind: str = "artwork"
    print_on_demand_ref: str = ""  # LineKind.PRINT_ON_DEMAND: the partner's sample
    textual_product_id: int | None = None  # LineKind.TEXTUAL: the partner's product
    colour: str = ""
    size: str = ""


class LineKind(enum.StrEnum):
    """What a line is (LineToSend.kind); a partner that cannot take a kind says so in `problems`."""

    ARTWORK = "artwork"
    PRINT_ON_DEMAND = "print_on_demand"
    STOCK = "stock"
    TEXTUAL = "textual"


@dataclass(frozen=True)
class Customer:
    email: str = ""
    store_customer_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""


@dataclass(frozen=True)
class OrderToSend:
    reference: str  # ours, unique: makes sending idempotent
    sold_at: datetime
    address: Address
    lines: tuple[LineToSend, ...]
    callback_url: str = ""  # where the partner reports statuses, if it calls back
    shipping_method: str = ""
    shipping_carrier: str = ""
    dispatch_by: date | None = None
    # The store's side, for partners that keep it (Ideal Factory): its order id and number.
    store_order_id: str = ""
    store_order_number: str = ""
    partner_store: str = ""  # the partner's store id, when a connection has several
    customer: Customer | None = None
    billing: Address | None = None  # None: same as the shipping address
    shipping_price: Decimal | None = None
    total_price: Decimal | None = None
    subtotal_price: Decimal | None = None
    currency: str = ""
    note: str = ""
    coupon_code: str = ""
    payment_trans_id: str = ""  # the payment's transaction id
    # A packing slip this back office makes for the order (a signed, public link to a PDF).
    packing_slip_url: str = ""


@dataclass(frozen=True)
class OrderChanges:
    """What staff change on a sent order (FULFILMENT_UPDATE): only the fields that are not None
    are sent."""

    note: str | None = None
    shipping_method: str | None = None
    shipping_price: Decimal | None = None
    address: Address | None = None
    billing: Address | None = None
    customer: Customer | None = None
    total_price: Decimal | None = None
    subtotal_price: Decimal | None = None
    currency: str | None = None
    # The lines again (a partner may remake their print files when it gets them anew).
    lines: tuple[LineToSend, ...] | None = None


class ProbeOutcome(enum.StrEnum):
    """After a send whose answer was lost (a timeout, a 5xx), what the partner says it has."""

    RECEIVED = "received"  # it has the order (`created` says what, when it can be told)
    NOT_RECEIVED = "not_received"  # it has none of it: sending again makes no second order
    UNKNOWN = "unknown"  # cannot be told (yet): nothing is sent again


@dataclass(frozen=True)
class ProbeResult:
    outcome: ProbeOutcome
    message: str  # in words, for the order's timeline
    created: CreatedOrder | None = None  # RECEIVED, when the partner's ids can be recovered


@dataclass(frozen=True)
class CreatedLine:
    reference: str
    vendor_id: str
    vendor_ref: str = ""


@dataclass(frozen=True)
class CreatedOrder:
    """One order created at the partner; one of ours may become several (one per site)."""

    vendor_id: str
    ref: str = ""
    reference: str = ""
    has_error: bool = False  # created, but queried by the partner (its message is for staff)
    error_message: str = ""
    status: VendorStatus | None = None  # the status it was created in, when the answer says
    lines: tuple[CreatedLine, ...] = ()


class SendError(enum.StrEnum):
    DUPLICATE = "duplicate"  # the partner already has an order with our reference
    REJECTED = "rejected"  # our order is wrong or not allowed: fix it, do not resend as it is
    RETRY_LATER = "retry_later"  # the partner's rate limit: wait, then send it again


@dataclass(frozen=True)
class SendResult:
    """What sending an order did: the orders created, or a typed error in words. (A timeout or a
    5xx, when it is unknown whether the order reached the partner, raises VendorRetryable.)"""

    created: tuple[CreatedOrder, ...] = ()
    error: SendError | None = None
    message: str = ""  # the error in words, for staff
    retry_after: float | None = None  # RETRY_LATER: seconds, when the partner says
    limit: str = ""  # RETRY_LATER: whose limit, in words, e.g. "the partner's rate limit"
    raw: Any = None  # the partner's answer, kept on the order


# -- print files the partner makes (PRINT_FILE_POLLING) -----------------------------------------


class PrintFileState(enum.StrEnum):
    RECEIVED = "received"  # queued at the partner
    PROCESSING = "processing"
    FAILED = "failed"  # the partner could not make it
    READY = "ready"  # `url` is where to download it


@dataclass(frozen=True)
class PrintFileReport:
    store_item_id: str  # the line's store_item_id
    state: PrintFileState | None  # None: a status we do not know (kept in `code`, polled again)
    code: str  # the partner's own word for it
    url: str = ""  # READY only
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PrintFilesNotice:
    """What a PRINT_FILES_READY hook parses to: only a trigger to poll print files. Its ids are
    hints, never trusted for a state or a URL: the lines' store_item_ids it names (an empty tuple:
    it names none, poll every line still waiting)."""

    store_item_ids: tuple[str, ...] = ()


# -- the partner's catalogue (CATALOGUE) and batch orders (BATCH_ORDERS) -----------------------


class CatalogueKind(enum.StrEnum):
    CATEGORY = "category"
    PRODUCT = "product"
    VARIANT = "variant"


@dataclass(frozen=True)
class CatalogueAnswer:
    """What the partner answered a catalogue create, update or delete."""

    vendor_id: str  # its id or UID of the record ("" when a delete answers none)
    raw: Any = None


@dataclass(frozen=True)
class BatchRecord:
    vendor_id: str
    status_code: str  # the partner's own word ("Batching", ...): stored and shown, whatever it is
    raw: Any = None


@dataclass(frozen=True)
class HostedImage:
    """VIRTUAL_PRODUCTS: an image the partner now hosts (fetched by it from the URL we gave), at
    the sizes it made: the original, a live-preview image and a processed one ("" when absent)."""

    original: str
    preview: str = ""
    processed: str = ""
    raw: Any = None


@dataclass(frozen=True)
class ArtworkToPublish:
    """VIRTUAL_PRODUCTS: one design to make virtual products from: its name and the URLs of its
    hosted image (the preview for live previews, the original for artwork generation)."""

    design_name: str
    original_url: str
    preview_url: str


@dataclass(frozen=True)
class VirtualProductsAnswer:
    """VIRTUAL_PRODUCTS: the partner's ids of the virtual products it made, in the order it gave
    them, and what it said went wrong, in words (a partial answer has both)."""

    product_ids: tuple[str, ...]
    errors: tuple[str, ...] = ()
    raw: Any = None


# -- what partners send us ---------------------------------------------------------------------


@dataclass(frozen=True)
class StatusReport:
    """A partner's news about one of our orders (a status callback, or a poll)."""

    status: VendorStatus
    reference: str = ""  # ours
    vendor_id: str = ""  # the partner's id of the (split) order
    vendor_ref: str = ""
    tracking: str = ""
    carrier: str = ""
    method: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)  # what we do not act on, kept


@dataclass(frozen=True)
class PushedOrderLine:
    vendor_id: str
    type: int | None
    mapped_sku: str  # ours (the supplier's)
    sku: str  # the retailer's
    description: str
    quantity: int
    assets: list[dict]  # [{name, url (http(s) only), description}]


@dataclass(frozen=True)
class PushedOrderRecord:
    """An order a partner pushed to us (we are its supplier), to print and ship."""

    vendor_id: str
    ref: str
    reference: str  # the retailer's
    address: Address
    shipping_carrier: str
    shipping_method: str
    lines: tuple[PushedOrderLine, ...]
    raw: dict


@dataclass(frozen=True)
class ShipmentRecord:
    vendor_id: str
    carrier: str
    tracking: str
    label_url: str
    items: list
    raw: dict


@dataclass(frozen=True)
class StockLine:
    sku: str
    quantity: int


# -- incoming hooks ---------------------------------------------------------------------------


# A hook's verifier: "" when the request is authentic, else why not, in words (never a secret).
Verifier = Callable[[ConnectionConfig, bytes, Mapping[str, str]], str]
# A hook's parser: the body as neutral records (StatusReport, PushedOrderRecord), or HookInvalid.
Parser = Callable[[bytes], Sequence[Any]]


class HookKind(enum.StrEnum):
    """What a hook brings (fulfilment.IncomingRequest.kind)."""

    STATUS_CALLBACK = "status_callback"
    ORDER_PUSH = "order_push"
    # "Some print files are ready": only a trigger to poll them (PRINT_FILE_POLLING); its body is
    # never trusted for a state or a URL.
    PRINT_FILES_READY = "print_files_ready"
    # A design the customer saved in the vendor's designer: a customization (parse -> CustomizationRecord).
    SAVED_DESIGN = "saved_design"


@dataclass(frozen=True)
class IncomingHook(Hook):
    """A hook the fulfilment app serves (django-anymail's shape): the vendor gives `verify`
    (None: the secret token in the URL is the only proof, as for callbacks the partner signs in
    no other way) and `parse`; the app stores the raw request first, then verifies, parses and
    applies the records through its services."""

    kind: HookKind = HookKind.STATUS_CALLBACK
    methods: tuple[str, ...] = ("POST",)
    # The answer to an authentic body that cannot be read: 400 tells the partner it is its bug;
    # 200 where the partner would only retry the same bytes (and the reason is kept anyway).
    invalid_status: int = 400


# -- the adapter ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeTable:
    """A reference table for staff (the partner's error codes, its statuses)."""

    title: str
    rows: tuple[tuple[str, str], ...]


ClientT = TypeVar("ClientT")


class PartnerAdapter(Generic[ClientT]):
    """What every partner adapter starts with: its connection and (or not) its client."""

    label = "partner"

    def __init__(self, config: ConnectionConfig, client: ClientT | None = None):
        self.config = config
        self.client = client

    def _client(self) -> ClientT:
        if self.client is None:
            raise RuntimeError(f"this partner was built without a client: it cannot call {self.label}")
        return self.client


class FulfilmentPartner(Protocol):
    """The spec's `partner` is the adapter's class: `partner(config, client)` builds one (the
    client may be None for what needs no call: building a body, reading a code). Every call may
    raise VendorRetryable (try again later) or VendorError (in words); what the partner cannot do
    raises NotSupported (its spec's capabilities say what it can: FULFILMENT_SEND, FULFILMENT_CANCEL,
    FULFILMENT_UPDATE, STATUS_POLL, PRINT_FILE_POLLING, SHIPPING, STOCK, CATALOGUE, BATCH_ORDERS)."""

    label: str

    def __init__(self, config: ConnectionConfig, client: Any = None) -> None: ...

    def request_body(self, order: OrderToSend) -> Any:
        """What `send` would send, in the partner's own format (kept on the order)."""
        ...

    def problems(self, order: OrderToSend) -> list[str]:
        """What the partner requires and the order lacks, in words ([] when none): checked when
        the order is created, so staff hear it on the create screen, and again by `send`."""
        ...

    def send(self, order: OrderToSend) -> SendResult: ...

    # Whether sending the same order twice is harmless (the partner refuses a second order with
    # our reference: Custom Gateway's 8001). When False, a send whose answer was lost is never
    # repeated blindly: the order waits in "check" until `probe` tells what the partner has.
    idempotent_send: bool

    def probe(self, order: OrderToSend) -> ProbeResult:
        """After a lost answer: does the partner have this order? Only for partners whose
        `idempotent_send` is False."""
        ...

    def cancel(self, vendor_id: str) -> Any:
        """Cancel (or delete) a sent order while the partner allows it; its answer, for the record."""
        ...

    def update(self, vendor_id: str, changes: OrderChanges) -> Any:
        """FULFILMENT_UPDATE: its answer, for the record."""
        ...

    def update_body(self, changes: OrderChanges) -> Any:
        """What `update` would send (kept on the order's timeline)."""
        ...

    def poll_status(self, vendor_id: str) -> StatusReport: ...

    def print_file_status(self, store_item_id: str) -> PrintFileReport:
        """PRINT_FILE_POLLING: where the print file of one line is."""
        ...

    def catalogue_save(self, kind: CatalogueKind, vendor_id: str, body: Mapping[str, Any]) -> CatalogueAnswer:
        """CATALOGUE: create (vendor_id "") or update one record; `body` in the partner's fields."""
        ...

    def catalogue_delete(self, kind: CatalogueKind, vendor_id: str) -> CatalogueAnswer: ...

    def batch_create(self, item_vendor_ids: Sequence[str], template_ids: Sequence[str]) -> BatchRecord:
        """BATCH_ORDERS: the partner's items (their vendor ids) combined into one print file."""
        ...

    # Optional (callers check `hasattr`): a partner that can read a batch order's status again.
    def batch_status(self, vendor_id: str) -> BatchRecord:
        """BATCH_ORDERS, optional: the batch order as the partner has it now."""
        ...

    @classmethod
    def status_of(cls, code: str) -> VendorStatus:
        """The partner's code as one of our statuses (None: not one we act on), with its name."""
        ...

    def ship(self, vendor_id: str) -> list[ShipmentRecord]: ...

    def stock_body(self, lines: Sequence[StockLine]) -> Any:
        """What `push_stock` would send (kept on the stock push)."""
        ...

    def push_stock(self, lines: Sequence[StockLine]) -> Any: ...

    def download(self, url: str, fileobj: Any) -> Any:
        """A file the partner links to (a shipping label), into `fileobj`."""
        ...

    @classmethod
    def reference_tables(cls) -> list[CodeTable]:
        """Tables for staff: the partner's error codes and statuses, in its words."""
        ...


class VirtualProductsMaker(Protocol):
    """VIRTUAL_PRODUCTS, beside FulfilmentPartner: the adapter of a partner whose spec declares it
    also has these (the others need not: callers check the capability first)."""

    def artwork_host(self, url: str) -> HostedImage:
        """The partner fetches the image at `url` and hosts it."""
        ...

    def virtual_products_create(
        self, base_products: Sequence[str], category_id: str, artwork: Sequence[ArtworkToPublish]
    ) -> VirtualProductsAnswer:
        """One virtual product per base product and artwork, in `category_id`. Raises
        VendorRejected (in words) when none was made; a partial answer is returned."""
        ...
