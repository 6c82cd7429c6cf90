"""What a customizer app offers the back office, in neutral words: typed records and the source
interface the one generic sync (`orders.services.sync.customizations_sync`) reads them through.

A vendor package (`integrations/<vendor>/`) has a `source.py` with a `CustomizationSource`
subclass, which hides the vendor's paging quirks, and a `wire.py` that maps the vendor's
payloads to these records (pure functions). The spec registers the source with `source=`.
Neither imports a Django model: the records are plain frozen dataclasses, and every record
keeps the vendor's raw payload so nothing the vendor said is lost.

Values with a role in markup (colours, URLs) are validated by the vendor's wire module where
they are mapped ("" when invalid, the vendor's value staying in `raw`).
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from .http import VendorRejected

if TYPE_CHECKING:
    from .http import DownloadResult, VendorClient


class CustomizationStatus(enum.StrEnum):
    """A customization's status in our words (the vendor's own code is kept beside it)."""

    PENDING = "pending"
    STOPPED = "stopped"
    IN_PRODUCTION = "in_production"
    FINISHED = "finished"
    CANCELED = "canceled"
    DELETED = "deleted"
    ARTWORK_APPROVAL_PENDING = "artwork_approval_pending"
    DESIGN = "design"  # a design with no vendor status (Kickflip / MyCustomizer)
    UNKNOWN = "unknown"


class NodeKind(enum.StrEnum):
    """What one element of a design is. Text nodes are screened against the bad-words list."""

    TEXT = "text"
    IMAGE = "image"
    COLOUR = "colour"
    MATERIAL = "material"
    OTHER = "other"


@dataclass(frozen=True)
class NodeRecord:
    """One element of a side's design: a personalised text, an image, a chosen colour..."""

    position: int
    kind: NodeKind | str
    node_id: str = ""
    label: str = ""  # the choice's name, e.g. "Name color"
    value: str = ""  # a colour, material or other chosen value
    text: str = ""
    font_family: str = ""
    font_size: float | None = None
    fill: str = ""
    stroke: str = ""
    image_url: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SideRecord:
    """One printable side (Front, Back, ...), keyed by the vendor's id within its customization."""

    external_id: str
    position: int
    name: str = ""
    preview_url: str = ""
    design_url: str = ""  # the design image as shown
    print_file_url: str = ""  # where the print-ready file is asked for (Capability.PRINT_FILES)
    generator_tool_url: str = ""
    nodes: tuple[NodeRecord, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderLineRecord:
    """A customization ordered in a store order. A customization's own lines name the store order
    (`store_order_id`, `store_order_name`); a store order's lines name the customization
    (`customization_id`, the vendor's id)."""

    quantity: int = 1
    store_order_id: str = ""
    store_order_name: str = ""
    customization_id: str = ""
    product_id: str = ""
    variant_id: str = ""


@dataclass(frozen=True)
class CustomizationRecord:
    """A design a customer made, keyed by the vendor's own id."""

    external_id: str
    raw: Mapping[str, Any]  # the vendor's detail answer, as sent: stored and fingerprinted
    status: CustomizationStatus | str = CustomizationStatus.UNKNOWN
    vendor_status: str = ""
    customized_at: datetime | None = None
    status_changed_at: datetime | None = None
    product_title: str = ""
    template_id: str = ""
    hex_color: str = ""
    variant_title: str = ""
    sku: str = ""
    price: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    production_data: Sequence[Any] = ()
    summary: Sequence[Any] = ()
    user_notes: str = ""
    comments: str = ""
    user_agent: str = ""
    # The vendor's list rows, in a stable order: unchanged rows mean no detail call is needed.
    listing: tuple[Mapping[str, Any], ...] = ()
    sides: tuple[SideRecord, ...] = ()
    # The store orders it is in. None: its lines come with the store orders
    # (`CustomizationSource.store_orders`) and are left alone here.
    order_lines: tuple[OrderLineRecord, ...] | None = ()


@dataclass(frozen=True)
class StoreOrderRecord:
    """An order of the shop, with its lines pointing at customizations by the vendor's id."""

    external_id: str
    raw: Mapping[str, Any]
    name: str = ""
    store_order_id: str = ""
    status: str = ""
    payment_status: str = ""
    status_history: Sequence[Any] = ()
    total_price: Decimal | None = None
    currency: str = ""
    ordered_at: datetime | None = None
    lines: tuple[OrderLineRecord, ...] = ()


@dataclass(frozen=True)
class Listed:
    """One customization as the vendor's listing shows it. `record` is set when the listing
    already holds everything (no detail call needed); otherwise `CustomizationSource.detail()`
    reads it, unless what we hold has the same `listing` rows."""

    external_id: str
    # Its list rows in a stable order (stored and compared), and as the vendor sent them.
    listing: tuple[Mapping[str, Any], ...] = ()
    rows: tuple[Mapping[str, Any], ...] = ()
    dated: datetime | None = None  # when it was made, if the listing says (holds the watermark back)
    record: CustomizationRecord | None = None


@dataclass(frozen=True)
class Skipped:
    """A record the source could not read: the sync records it in words and goes on."""

    external_id: str  # "" when it has none
    what: str  # how to name it in the error, e.g. its id or "without id"
    reason: str


@dataclass(frozen=True)
class Page:
    """A slice of the listing. Once every item of a page (and of the pages before) is written,
    everything dated before `read_until` has been read: the sync's resume watermark."""

    items: tuple[Listed | Skipped, ...]
    read_until: datetime | None = None
    progress: float | None = None  # how far through the whole sync, 0..1, when the source knows
    warnings: tuple[str, ...] = ()  # what the run should record in words (e.g. rows that may be missing)


class Unreadable(ValueError):
    """The vendor's answer could not be mapped to records; the reason is in words."""


class PrintFileQuotaExceeded(VendorRejected):
    """The vendor's quota of print-ready files is spent; retrying before `resets_at` (aware UTC,
    or None when the vendor did not say) won't help."""

    resets_at: datetime | None = None


class CustomizationSource(ABC):
    """A vendor's customizations, as neutral records. The spec's `source` is called as
    `source(client, page_size=None)` with the connection's client (orders.services.connections).

    The generic sync asks for pages of a date window (`customizations`), reads the details of
    what is new or changed with `detail()` from several threads at once (the connection's
    detail concurrency), then, for a source whose store orders have a listing of their own,
    walks `store_orders()`. Errors are the client's (integrations.http): VendorError and its
    subclasses; a VendorRejected 401/403 ends the run.
    """

    # The listing can be read from a date on: the sync keeps a resume watermark and re-reads only
    # a look-back. False: every sync reads everything, compared before writing.
    dated: bool = True
    # The store orders have a listing of their own (`store_orders`), read after the customizations.
    lists_store_orders: bool = False
    # How far past "now" a window must reach to cover the vendor's clock.
    clock_margin: timedelta = timedelta(0)

    def __init__(self, client: VendorClient, *, page_size: int | None = None):
        """`page_size`: how many records to ask the vendor for per call; None: the vendor's best."""
        self.client = client
        self.page_size = page_size

    @property
    def requests_made(self) -> int:
        return self.client.requests_made

    @abstractmethod
    def customizations(self, *, start: datetime, end: datetime) -> Iterator[Page]:
        """Every customization dated in [start, end] (an undated source: every one), once each,
        in pages, whatever the vendor's paging quirks."""

    def detail(self, listed: Listed) -> CustomizationRecord:
        """The full record of a listed customization: the vendor's detail call. Thread-safe.
        Raises VendorError, or Unreadable for data that cannot be mapped."""
        if listed.record is not None:
            return listed.record
        raise NotImplementedError(f"{type(self).__name__} lists complete records")

    def customization(self, external_id: str) -> CustomizationRecord:
        """One customization by the vendor's id (a store order names one the listing did not
        show). Thread-safe. Raises VendorError, or Unreadable."""
        raise NotImplementedError(f"{type(self).__name__} cannot read a customization by id")

    def store_orders(self) -> Iterator[StoreOrderRecord | Skipped]:
        """Every store order (`lists_store_orders` sources only)."""
        return iter(())

    def merge(self, first: Listed, second: Listed) -> Listed:
        """The same customization listed twice in one batch: one entry for both."""
        return first

    def print_file_download(self, print_file_url: str, fileobj: IO[bytes]) -> DownloadResult:
        """Download a side's print-ready file (`SideRecord.print_file_url`) into `fileobj`
        (Capability.PRINT_FILES). Raises PrintFileQuotaExceeded, VendorRetryable, VendorError."""
        raise NotImplementedError(f"{type(self).__name__} has no print files of its own")
