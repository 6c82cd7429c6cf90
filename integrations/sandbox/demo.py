"""The development demo, built from the vendor registry: a connection to every vendor's sandbox
that offers one, and fulfilment to look at (orders in several states, a pushed order shipped
with its label, stock levels), driving the sandboxes over real HTTP as the vendors would.

`bootstrap_demo` calls `demo_connections`; the worker runs `demo_fulfilment_run` after the first
sync (`tasks.demo_fulfilment_task`). Which kinds get a connection, with which settings and
sandbox URLs, is each vendor sandbox module's `demo_connection` (see this package's docstring).
"""

from __future__ import annotations

import logging
import secrets
from importlib import import_module
from types import ModuleType

from django.conf import settings
from django.contrib.auth import get_user_model

from fulfilment.models import FulfilmentOrder, PushedOrder, StockLevel
from fulfilment.services.orders import fulfilment_order_create, fulfilment_order_send, order_push_url
from fulfilment.services.shipping import pushed_order_ship
from integrations.registry import Capability, VendorSpec, spec_for, vendor_specs
from orders.models import Customization, SideArtwork, VendorConnection
from orders.services.artwork import artwork_fetch
from orders.services.connections import connection_upsert
from orders.services.review import artwork_approve

logger = logging.getLogger(__name__)
ADDRESSES = [
    {
        "customer_name": "Ada Lovelace",
        "shipping_address_1": "12 St James's Square",
        "shipping_address_4": "London",
        "shipping_postcode": "SW1Y 4JH",
        "shipping_country_code": "GB",
        "shipping_method": "Standard",
    },
    {
        "customer_name": "Grace Hopper",
        "shipping_address_1": "1 Arlington Street",
        "shipping_address_4": "Boston",
        "shipping_postcode": "02116",
        "shipping_country_code": "US",
        "shipping_method": "Express",
    },
    {
        "customer_name": "Marie Curie",
        "shipping_company": "QC",
        "shipping_address_1": "36 Quai de Béthune",
        "shipping_address_4": "Paris",
        "shipping_postcode": "75004",
        "shipping_country_code": "FR",
    },
]
STOCK = (("MUG-11-WHITE", 140), ("TEE-M-BLACK", 32), ("STAMP-2X2", 0))


class NotReady(Exception):
    pass


def _sandbox(spec: VendorSpec) -> ModuleType | None:
    return import_module(spec.sandbox) if spec.sandbox else None


def demo_name(spec: VendorSpec) -> str:
    return f"Demo {spec.label} (sandbox)"


def demo_connections(origin: str) -> list[VendorConnection]:
    """Create or update one connection per registered vendor whose sandbox offers a demo one,
    pointing at the sandbox served from `origin`, in the registry's order. A secret the vendor
    does not issue (one only this app uses, such as an HMAC key for pushes) is kept when the
    connection exists, else made up."""
    if not settings.SANDBOX_ENABLED:
        raise RuntimeError("the demo runs only with the sandbox on")
    made = []
    for spec in vendor_specs().values():
        module = _sandbox(spec)
        offer = getattr(module, "demo_connection", None)
        demo = offer(origin, spec.kind) if offer else None
        if demo is None:
            continue
        name = demo_name(spec)
        existing = VendorConnection.objects.filter(name=name).first()
        made_up = {
            secret.name: (existing.secret(secret.name) if existing else "") or secrets.token_urlsafe(24)
            for secret in spec.secrets
            if secret.name not in demo["secrets"] and not secret.sent
        }
        common = {} if spec.has(Capability.CUSTOMIZER_SYNC) else {"sync_every_minutes": 0}  # nothing to sync
        connection, _ = connection_upsert(
            name=name, kind=spec.kind, settings=demo["settings"], secrets={**demo["secrets"], **made_up}, **common
        )
        made.append(connection)
    return made


def _designs() -> list[Customization]:
    """Three designs awaiting approval from a customizer whose print files are fetched, whose
    files pass preflight (a sandbox names the templates that would not)."""
    kinds, skip = [], set()
    for spec in vendor_specs().values():
        if spec.has(Capability.PRINT_FILES):
            kinds.append(spec.kind)
            skip |= {str(t) for t in getattr(_sandbox(spec), "DEMO_SKIP_TEMPLATES", ())}
    return list(
        Customization.objects.filter(
            connection__kind__in=kinds, decision="", status=Customization.Status.ARTWORK_APPROVAL_PENDING
        )
        .exclude(template_id__in=skip)
        .order_by("customized_at")[:3]
    )


def demo_fulfilment_run(connection: VendorConnection, *, sandbox_origin: str) -> str:
    """Fulfilment demo on `connection` (a partner with a sandbox): three designs approved and
    sent, moved along by the vendor; an order pushed by the vendor and shipped; stock levels."""
    if not settings.SANDBOX_ENABLED:
        raise RuntimeError("the demo runs only with the sandbox on")
    if FulfilmentOrder.objects.filter(connection=connection).exists():
        return "already there"
    spec = spec_for(connection.kind)
    vendor = _sandbox(spec)
    user = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    designs = _designs()
    if len(designs) < 3:
        raise NotReady("waiting for the first sync of a customizer with print files")
    for design in designs:
        artwork_approve(customization=design, user=user)
        for side in design.sides.all():
            artwork_fetch(side)
    for step, (design, address) in enumerate(zip(designs, ADDRESSES, strict=True)):
        if not SideArtwork.objects.filter(side__customization=design, state=SideArtwork.State.READY).exists():
            continue
        order = fulfilment_order_send(
            fulfilment_order_create(connection=connection, customizations=[design], shipping=address, user=user)
        )
        if order.state == FulfilmentOrder.State.SENT and vendor is not None and hasattr(vendor, "demo_order_progress"):
            vendor.demo_order_progress(sandbox_origin, order.external_ref, step)
    if (
        spec.has(Capability.ORDER_PUSH)
        and vendor is not None
        and hasattr(vendor, "demo_push")
        and not PushedOrder.objects.filter(connection=connection).exists()
    ):
        vendor.demo_push(sandbox_origin, connection.config(), order_push_url(connection))
        pushed = PushedOrder.objects.filter(connection=connection).first()
        if pushed:
            pushed_order_ship(pushed)
    if spec.has(Capability.STOCK):
        for sku, quantity in STOCK:
            StockLevel.objects.get_or_create(connection=connection, sku=sku, defaults={"quantity_available": quantity})
    return "done"
