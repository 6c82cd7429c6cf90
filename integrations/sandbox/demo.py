"""The development demo, built from the vendor registry: a connection to every vendor's sandbox
that offers one, and fulfilment to look at (orders in several states, a pushed order shipped
with its label, stock levels), driving the sandboxes over real HTTP as the vendors would.

`bootstrap_demo` calls `demo_connections` and `demo_routing` (a routing table: each partner takes
the designs its sandbox asks for, e.g. mugs to Ideal Factory, the first other partner the rest);
the worker runs `demo_fulfilment_run` per partner after the first sync
(`tasks.demo_fulfilment_task`): each takes the designs routed to it. Which kinds get a connection, with which settings and
sandbox URLs, is each vendor sandbox module's `demo_connection` (see this package's docstring).
"""

from __future__ import annotations

import logging
import secrets
import time
from decimal import Decimal
from importlib import import_module
from types import ModuleType

from django.conf import settings
from django.contrib.auth import get_user_model

from fulfilment.models import (
    BatchOrder,
    CatalogueCategory,
    CatalogueProduct,
    CatalogueVariant,
    FulfilmentItem,
    FulfilmentOrder,
    PrintTemplate,
    PushedOrder,
    RoutingRule,
    StockLevel,
    VariantMapping,
)
from fulfilment.services.batches import batch_order_create
from fulfilment.services.catalogue import catalogue_push
from fulfilment.services.orders import (
    fulfilment_order_send,
    fulfilment_orders_create_routed,
    hook_url_for,
    order_push_url,
)
from fulfilment.services.print_files import partner_print_files_poll, partner_print_files_unsettled
from fulfilment.services.routing import customization_route, customizations_route
from fulfilment.services.shipping import pushed_order_ship
from fulfilment.services.virtual_products import virtual_products_create, virtual_products_queue
from integrations.partners import HookKind
from integrations.registry import Capability, VendorSpec, spec_for, vendor_specs
from orders.models import Customization, SideArtwork, VendorConnection
from orders.services.artwork import artwork_fetch
from orders.services.connections import connection_upsert
from orders.services.print_jobs import print_jobs_add
from orders.services.review import artwork_approve

from .demo_operations import demo_operations

logger = logging.getLogger(__name__)
ADDRESSES = [
    {
        "customer_name": "Ada Lovelace",
        "shipping_address_1": "12 St James's Square",
        "shipping_address_4": "London",
        "shipping_postcode": "SW1Y 4JH",
        "shipping_country_code": "GB",
        "shipping_method": "Standard",
        "shipping_price": Decimal("4.95"),
        "currency": "GBP",
    },
    {
        "customer_name": "Grace Hopper",
        "shipping_address_1": "1 Arlington Street",
        "shipping_address_4": "Boston",
        "shipping_postcode": "02116",
        "shipping_country_code": "US",
        "shipping_method": "Express",
        "shipping_price": Decimal("12.50"),
        "currency": "USD",
    },
    {
        "customer_name": "Marie Curie",
        "shipping_company": "QC",
        "shipping_address_1": "36 Quai de Béthune",
        "shipping_address_4": "Paris",
        "shipping_postcode": "75004",
        "shipping_country_code": "FR",
        "shipping_price": Decimal("6.00"),
        "currency": "EUR",
    },
]
STOCK = (("MUG-11-WHITE", 140), ("TEE-M-BLACK", 32), ("STAMP-2X2", 0))
DEMO_ORDERS = 3  # designs sent per partner, unless its sandbox says otherwise (DEMO_ORDERS)
PRINT_FILE_POLLS = 6  # the demo polls a partner's print files at most this many times...
PRINT_FILE_POLL_PAUSE = 1.0  # ...this many seconds apart, so they settle before staff look


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


def demo_routing(connections: list[VendorConnection]) -> list[RoutingRule]:
    """The demo's routing table: each partner whose sandbox names a condition (DEMO_ROUTE, e.g.
    {"product_contains": "mug"}) gets a rule for it; the first partner that names none is the
    default. Kept when there (run again, the same rules)."""
    partners = [c for c in connections if c.spec.has(Capability.FULFILMENT_SEND)]
    made = []
    for priority, connection in enumerate(partners, start=1):
        condition = getattr(_sandbox(connection.spec), "DEMO_ROUTE", None)
        if condition:
            rule, _ = RoutingRule.objects.get_or_create(
                connection=connection, **condition, defaults={"priority": priority * 10}
            )
            made.append(rule)
    default = next((c for c in partners if not getattr(_sandbox(c.spec), "DEMO_ROUTE", None)), None)
    if (
        default is not None
        and not RoutingRule.objects.filter(is_active=True, product_contains="", template_id="", sku="").exists()
    ):
        made.append(RoutingRule.objects.create(connection=default, priority=1000))
    return made


def _designs(connection: VendorConnection, count: int) -> list[Customization]:
    """`count` designs awaiting approval from a customizer whose print files are fetched, whose
    files pass preflight (a sandbox names the templates that would not), and that the routing
    table sends to `connection` (every design when no rule routes it)."""
    kinds, skip = [], set()
    for spec in vendor_specs().values():
        if spec.has(Capability.PRINT_FILES):
            kinds.append(spec.kind)
            skip |= {str(t) for t in getattr(_sandbox(spec), "DEMO_SKIP_TEMPLATES", ())}
    pending = (
        Customization.objects.filter(
            connection__kind__in=kinds, decision="", status=Customization.Status.ARTWORK_APPROVAL_PENDING
        )
        .exclude(template_id__in=skip)
        .order_by("customized_at")
    )
    ours = []
    for route in customizations_route(pending.iterator()):
        if route.connection is None or route.connection.pk == connection.pk:
            ours.append(route.customization)
            if len(ours) == count:
                break
    return ours


def _catalogue(connection: VendorConnection, vendor: ModuleType, user) -> list[CatalogueVariant]:
    """The sandbox's demo catalogue (DEMO_CATALOGUE) kept here and pushed to the partner, the
    way staff saving it in the admin push it; plus one product whose partner record is gone (as
    if deleted in the partner's dashboard), so its push fails and says why."""
    data = vendor.DEMO_CATALOGUE
    category, _ = CatalogueCategory.objects.get_or_create(
        connection=connection, name=data["category"]["name"], defaults=data["category"]
    )
    product, _ = CatalogueProduct.objects.get_or_create(
        category=category, name=data["product"]["name"], defaults=data["product"]
    )
    variants = [
        CatalogueVariant.objects.get_or_create(product=product, name=fields["name"], defaults=fields)[0]
        for fields in data["variants"]
    ]
    for record in [category, product, *variants]:
        if not record.vendor_id:
            catalogue_push(record, user=user)
    gone, made = CatalogueProduct.objects.get_or_create(
        category=category,
        name=f"{data['product']['name']} (retired)",
        defaults={**data["product"], "name": f"{data['product']['name']} (retired)", "active": False},
    )
    if made:
        # A partner id the partner never issued (or has since deleted): the update answers 404.
        CatalogueProduct.objects.filter(pk=gone.pk).update(vendor_id="999999")
        gone.refresh_from_db()
        catalogue_push(gone, user=user)
    return list(CatalogueVariant.objects.filter(pk__in=[v.pk for v in variants]).exclude(vendor_id="").order_by("pk"))


def _prepare(connection: VendorConnection, vendor: ModuleType | None, user, designs, sandbox_origin: str) -> None:
    """What a partner needs before the demo's orders: its catalogue with the designs' template
    mapped to its first variant, its print templates, and its print-files hook registered."""
    if vendor is None:
        return
    spec = connection.spec
    if spec.has(Capability.CATALOGUE) and hasattr(vendor, "DEMO_CATALOGUE"):
        variants = _catalogue(connection, vendor, user)
        if variants:
            for template_id in dict.fromkeys(d.template_id for d in designs if d.template_id):
                VariantMapping.objects.get_or_create(
                    connection=connection,
                    match_by=VariantMapping.MatchBy.TEMPLATE,
                    match_value=template_id,
                    defaults={"catalogue_variant": variants[0]},
                )
    if spec.has(Capability.BATCH_ORDERS):
        for uid, name in getattr(vendor, "DEMO_PRINT_TEMPLATES", ()):
            PrintTemplate.objects.get_or_create(connection=connection, vendor_uid=uid, defaults={"name": name})
    hook = hook_url_for(connection, HookKind.PRINT_FILES_READY)
    if hook and hasattr(vendor, "demo_register_notify_url"):
        vendor.demo_register_notify_url(sandbox_origin, hook)


def _settle_print_files(connection: VendorConnection) -> None:
    """Poll the partner's print files a few times now, so the demo shows them ready (downloaded,
    previewed) or failed at once; the beat schedule would get there too, later."""
    if not connection.spec.has(Capability.PRINT_FILE_POLLING):
        return
    for _ in range(PRINT_FILE_POLLS):
        if not partner_print_files_unsettled(connection).exists():
            return
        partner_print_files_poll(connection=connection, every=True)
        if partner_print_files_unsettled(connection).exists():
            time.sleep(PRINT_FILE_POLL_PAUSE)


def _batch(connection: VendorConnection, user) -> BatchOrder | None:
    """One batch order of every sent item of the partner's orders with its first print template."""
    if not connection.spec.has(Capability.BATCH_ORDERS) or BatchOrder.objects.filter(connection=connection).exists():
        return None
    items = list(
        FulfilmentItem.objects.filter(order__connection=connection).exclude(vendor_id="").select_related("order")
    )
    template = PrintTemplate.objects.filter(connection=connection).first()
    if not items or template is None:
        return None
    return batch_order_create(connection=connection, items=items, templates=[template], user=user)


def demo_designs(connection: VendorConnection, vendor: ModuleType | None, sandbox_origin: str) -> None:
    """A partner that is also a designer (DESIGN_CALLBACKS): its sandbox posts a customer's saved
    design to the connection's hook and one of its print jobs is added by ref, so both wait in
    the review queue."""
    if vendor is None or not connection.spec.has(Capability.DESIGN_CALLBACKS):
        return
    hook = hook_url_for(connection, HookKind.SAVED_DESIGN)
    if hook and hasattr(vendor, "demo_saved_design"):
        vendor.demo_saved_design(sandbox_origin, hook)
    if connection.spec.print_job is not None and hasattr(vendor, "demo_print_jobs"):
        print_jobs_add(connection, vendor.demo_print_jobs()[:1])


DEMO_BASE_PRODUCTS = ("10001",)
DEMO_CATEGORY = "500"


def demo_virtual_product(connection: VendorConnection, designs, user) -> str:
    """VIRTUAL_PRODUCTS: one virtual product made from the first approved design with a print
    file, through the partner's sandbox (done here, not queued: the demo shows it at once)."""
    if not connection.spec.has(Capability.VIRTUAL_PRODUCTS) or not connection.secret("oauth_client_id"):
        return "not offered"
    for design in designs:
        design.refresh_from_db()
        report = virtual_products_queue(
            customizations=[design],
            connection=connection,
            base_products=list(DEMO_BASE_PRODUCTS),
            category_id=DEMO_CATEGORY,
            user=user,
        )
        if report.queued or report.already:
            return virtual_products_create(design.pk, connection.pk) if report.queued else "already there"
    return "no design"


def demo_fulfilment_run(connection: VendorConnection, *, sandbox_origin: str) -> str:
    """Fulfilment demo on `connection` (a partner with a sandbox): the designs the routing table
    sends it approved and sent (the last one's print file made to fail, when its sandbox says
    how), moved along by the vendor; its catalogue, print files settled and a batch order when it
    has them; an order pushed by the vendor and shipped; stock levels; then the day's operations
    (demo_operations: low-stock thresholds, a note and a tag, a rule switched off)."""
    if not settings.SANDBOX_ENABLED:
        raise RuntimeError("the demo runs only with the sandbox on")
    if FulfilmentOrder.objects.filter(connection=connection).exists():
        return "already there"
    spec = spec_for(connection.kind)
    vendor = _sandbox(spec)
    user = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    count = getattr(vendor, "DEMO_ORDERS", DEMO_ORDERS)
    designs = _designs(connection, count)
    if len(designs) < count:
        raise NotReady("waiting for the first sync of a customizer with print files")
    _prepare(connection, vendor, user, designs, sandbox_origin)
    for design in designs:
        artwork_approve(customization=design, user=user)
        for side in design.sides.all():
            artwork_fetch(side)
    failing = getattr(vendor, "demo_failing_ref", None)
    for step, (design, address) in enumerate(zip(designs, ADDRESSES, strict=False)):
        if not SideArtwork.objects.filter(side__customization=design, state=SideArtwork.State.READY).exists():
            continue
        # Created the way staff create them: one order per partner the routing table picks.
        routed = customization_route(design).connection or connection
        groups = {routed: [design]}
        for order in fulfilment_orders_create_routed(groups=groups, shipping=address, user=user):
            if failing is not None and step == len(designs) - 1 and step > 0:
                for item in order.items.all():
                    FulfilmentItem.objects.filter(pk=item.pk).update(external_ref=failing(item.external_ref))
            order = fulfilment_order_send(order)
            if (
                order.state == FulfilmentOrder.State.SENT
                and vendor is not None
                and hasattr(vendor, "demo_order_progress")
            ):
                vendor.demo_order_progress(sandbox_origin, order.external_ref, step)
    _settle_print_files(connection)
    _batch(connection, user)
    demo_virtual_product(connection, designs, user)
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
    demo_designs(connection, vendor, sandbox_origin)
    if spec.has(Capability.STOCK):
        for sku, quantity in STOCK:
            StockLevel.objects.get_or_create(connection=connection, sku=sku, defaults={"quantity_available": quantity})
    demo_operations(connection, user)
    return "done"
