"""The vendor registry: everything that varies by vendor, declared once per vendor as data.

Each vendor package declares one `VendorSpec` in `integrations/<vendor>/spec.py` and
`settings.VENDORS` lists them (one line per vendor; the test settings add a fake one). The
connection model and form, `add_connection`, the client factory, sync and fulfilment dispatch,
hook URLs, rate limits, the sandboxes and the demo all read the spec; nothing outside
`integrations/<vendor>/` branches on a vendor's kind (Saleor's plugins and their
`CONFIG_STRUCTURE` are the model).

Plain Python apart from reading `settings.VENDORS`: a spec never imports a Django model, so a
client, a source or a partner adapter sees a connection only as a `ConnectionConfig`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from .http import HttpOptions

if TYPE_CHECKING:
    from .http import VendorClient


class Capability(enum.StrEnum):
    """What a vendor's API lets the back office do. The spec declares the set it supports."""

    CUSTOMIZER_SYNC = "customizer_sync"  # customizations (sides, nodes, store orders) are pulled
    WORD_FILTER = "word_filter"  # the vendor keeps a bad-words list this back office keeps in step
    PRINT_FILES = "print_files"  # print-ready files are fetched per side (e.g. Qstomizer's HD designs)
    FULFILMENT_SEND = "fulfilment_send"  # fulfilment orders are sent to it
    FULFILMENT_CANCEL = "fulfilment_cancel"  # a sent order can be cancelled through the API
    STATUS_HOOKS = "status_hooks"  # it calls back with order statuses
    STATUS_POLL = "status_poll"  # order statuses can be read on demand
    ORDER_PUSH = "order_push"  # it pushes orders to us (we are its supplier)
    SHIPPING = "shipping"  # pushed orders are shipped through it, with labels
    STOCK = "stock"  # stock levels are pushed to it
    PRINT_FILE_POLLING = "print_file_polling"  # the partner makes print files; their state is polled
    FULFILMENT_UPDATE = "fulfilment_update"  # a sent order's note, shipping, addresses, totals can be changed
    CATALOGUE = "catalogue"  # the partner's product catalogue (categories, products, variants) is managed here
    BATCH_ORDERS = "batch_orders"  # items of several sent orders can be combined into one print file
    SMARTLINKS = "smartlinks"  # personalisation apps embedded by link (a Smartlink builder and live preview)
    DESIGN_CALLBACKS = "design_callbacks"  # saved designs are posted to us and print jobs can be added: customizations
    VIRTUAL_PRODUCTS = "virtual_products"  # approved artwork is hosted there and made into sellable virtual products
    PRODUCT_CREATOR = "product_creator"  # staff create sellable products in the vendor's embedded creator


@dataclass(frozen=True)
class Setting:
    """One non-secret connection setting, stored in `VendorConnection.settings`."""

    name: str
    label: str
    help: str = ""
    default: Any = ""
    required: bool = False
    type: Literal["text", "url", "int", "bool"] = "text"
    # Raises django.core.exceptions.ValidationError (or ValueError) with a message in words.
    validate: Callable[[Any], None] | None = None
    # A URL the connection's secrets are sent to: changing it needs the secret typed again.
    sends_secrets: bool = False
    flag: str | None = None  # add_connection's flag; default --<name with dashes>


@dataclass(frozen=True)
class Secret:
    """One credential, stored encrypted in `VendorConnection.secrets`, never shown back or logged."""

    name: str
    label: str
    help: str = ""
    required: bool = True
    flag: str | None = None
    # Sent to the vendor (so a URL change needs it re-typed), or only used here (an HMAC key).
    sent: bool = True


@dataclass(frozen=True)
class ConnectionConfig:
    """What a client, source or adapter sees of a connection: no model, no database."""

    id: int | None
    name: str
    kind: str
    settings: Mapping[str, Any]
    secrets: Mapping[str, str]


@dataclass(frozen=True)
class Hook:
    """One kind of request the vendor sends us, at /hooks/<vendor slug>/<connection token>/<name>/.
    `verify` and `parse` are the vendor's (django-anymail's shape); the app applies what `parse`
    returns."""

    label: str  # shown beside the URL on the connection's page, e.g. "Status callbacks"
    verify: Callable[..., Any] | None = None
    parse: Callable[..., Any] | None = None


ClientFactory = Callable[[ConnectionConfig, HttpOptions], "VendorClient"]


@dataclass(frozen=True)
class VendorSpec:
    kind: str
    label: str
    client: ClientFactory
    settings: tuple[Setting, ...] = ()
    secrets: tuple[Secret, ...] = ()
    capabilities: frozenset[Capability] = frozenset()
    # Dotted path of the development-only simulator (a module with `urlpatterns`), mounted under
    # /sandbox/<kind>/ in local and test settings only; production never imports it.
    sandbox: str | None = None
    # Customizer sync: builds the vendor's source of neutral records (orders/services/sync.py).
    source: Callable[..., Any] | None = None
    # Fulfilment: builds the partner adapter the fulfilment services call.
    partner: Callable[..., Any] | None = None
    # Incoming hooks: the URL's last segment -> the vendor's verifier and parser.
    hooks: Mapping[str, Hook] = field(default_factory=dict)
    # Print jobs added by staff (DESIGN_CALLBACKS): a reference -> a neutral CustomizationRecord
    # (raises ValueError in words for a bad one). None: the vendor has none.
    print_job: Callable[[str], Any] | None = None
    # Calls per period ("h", "d") the vendor allows, shared by every worker.
    rate_limits: Mapping[str, int] = field(default_factory=dict)
    # Capability.PRODUCT_CREATOR: the vendor's embedded product creator (an object with
    # `frame_url(config, origin)`, `frame_origin(config)` and `products_parse(body)`).
    product_creator: Any | None = None

    @property
    def slug(self) -> str:
        """The vendor's segment in URLs (hooks, sandboxes): custom_gateway -> custom-gateway."""
        return self.kind.replace("_", "-")

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def hook_name_for(self, kind: str) -> str | None:
        """The name of the hook that brings `kind` (an IncomingHook's kind), None when none does."""
        return next((name for name, hook in self.hooks.items() if getattr(hook, "kind", None) == kind), None)


class UnknownVendor(KeyError):
    pass


@cache
def vendor_specs() -> dict[str, VendorSpec]:
    """kind -> spec, in the order settings.VENDORS lists them."""
    specs: dict[str, VendorSpec] = {}
    for path in settings.VENDORS:
        spec = import_string(path)
        if spec.kind in specs:
            raise ValueError(f"two vendor specs declare the kind {spec.kind!r}")
        _spec_check(spec)
        specs[spec.kind] = spec
    return specs


# The connection's common fields and add_connection's own flags: a spec's names must differ (its
# settings and secrets become form fields and flags of those names).
RESERVED_NAMES = frozenset(
    {"name", "kind", "is_active", "sync_every_minutes", "lookback_days", "detail_concurrency", "sync_every"}
)
# What the fulfilment app does through the spec's partner adapter.
PARTNER_CAPABILITIES = frozenset(
    {
        Capability.FULFILMENT_SEND,
        Capability.FULFILMENT_CANCEL,
        Capability.STATUS_POLL,
        Capability.SHIPPING,
        Capability.STOCK,
        Capability.PRINT_FILE_POLLING,
        Capability.FULFILMENT_UPDATE,
        Capability.CATALOGUE,
        Capability.BATCH_ORDERS,
        Capability.VIRTUAL_PRODUCTS,
    }
)
RESERVED_FLAGS = frozenset({"--kind", "--name", "--sync-every", "--inactive", "--help"})


def _spec_check(spec: VendorSpec) -> None:
    items: list[Setting | Secret] = [*spec.settings, *spec.secrets]
    names = [item.name for item in items]
    clash = sorted({n for n in names if names.count(n) > 1} | (set(names) & RESERVED_NAMES))
    flags = {item.flag or f"--{item.name.replace('_', '-')}" for item in items}
    clash += sorted(flags & RESERVED_FLAGS)
    if clash:
        raise ValueError(f"vendor spec {spec.kind!r}: these setting, secret or flag names clash: {', '.join(clash)}")
    if spec.partner is None and spec.capabilities & PARTNER_CAPABILITIES:
        # So that "the vendor can do X" and "there is an adapter to do X with" are one question.
        raise ValueError(f"vendor spec {spec.kind!r} declares fulfilment capabilities but no partner")


def spec_for(kind: str) -> VendorSpec:
    try:
        return vendor_specs()[kind]
    except KeyError:
        raise UnknownVendor(kind) from None


def specs_with(capability: Capability) -> list[VendorSpec]:
    return [spec for spec in vendor_specs().values() if spec.has(capability)]


def kind_choices() -> list[tuple[str, str]]:
    """For the connection model's `kind` field (a callable, so migrations do not freeze it)."""
    return [(spec.kind, spec.label) for spec in vendor_specs().values()]


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting == "VENDORS":
        vendor_specs.cache_clear()
