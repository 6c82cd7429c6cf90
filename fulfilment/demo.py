"""Development only: give the default run fulfilment to look at (orders in several states, a
pushed order shipped with a label, stock levels), driving the sandboxes over real HTTP as the
vendors would. Run by the worker after the first sync (see bootstrap_demo)."""

from __future__ import annotations

import logging
import secrets

import requests
from django.conf import settings
from django.contrib.auth import get_user_model

from orders.models import Customization, SideArtwork, VendorConnection
from orders.services.artwork import artwork_fetch
from orders.services.review import artwork_approve

from .models import FulfilmentOrder, PushedOrder, StockLevel
from .services.orders import fulfilment_order_create, fulfilment_order_send, order_push_url
from .services.shipping import pushed_order_ship

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
STATUSES = [(512, {}), (8, {"tracking": "RM123456789GB", "carrier": "Royal Mail"}), (None, {})]


class NotReady(Exception):
    pass


def demo_fulfilment_run(connection: VendorConnection, *, sandbox_origin: str) -> str:
    if not settings.SANDBOX_ENABLED:
        raise RuntimeError("the demo runs only with the sandbox on")
    if FulfilmentOrder.objects.filter(connection=connection).exists():
        return "already there"
    user = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    designs = list(
        Customization.objects.filter(connection__kind="qstomizer", decision="", status="artwork_approval_pending")
        .exclude(template_id="600103")
        .order_by("customized_at")[:3]
    )
    if len(designs) < 3:
        raise NotReady("waiting for the first Qstomizer sync")
    for design in designs:
        artwork_approve(customization=design, user=user)
        for side in design.sides.all():
            artwork_fetch(side)
    for design, address, (status, extra) in zip(designs, ADDRESSES, STATUSES, strict=True):
        if not SideArtwork.objects.filter(side__customization=design, state=SideArtwork.State.READY).exists():
            continue
        order = fulfilment_order_send(
            fulfilment_order_create(connection=connection, customizations=[design], shipping=address, user=user)
        )
        if status and order.state == FulfilmentOrder.State.SENT:
            requests.post(
                f"{sandbox_origin}/sandbox/custom-gateway/control/orders/{order.external_ref}/status",
                json={"status": status, **extra},
                timeout=10,
            )
    if not PushedOrder.objects.filter(connection=connection).exists():
        requests.post(
            f"{sandbox_origin}/sandbox/custom-gateway/control/push",
            json={"push_url": order_push_url(connection), "hmac_key": connection.secret("push_hmac_key")},
            timeout=30,
        )
        pushed = PushedOrder.objects.filter(connection=connection).first()
        if pushed:
            pushed_order_ship(pushed)
    for sku, quantity in (("MUG-11-WHITE", 140), ("TEE-M-BLACK", 32), ("STAMP-2X2", 0)):
        StockLevel.objects.get_or_create(connection=connection, sku=sku, defaults={"quantity_available": quantity})
    return "done"


def demo_connection(origin: str) -> VendorConnection:
    from integrations.custom_gateway import sandbox as cg_sandbox
    from orders.services.connections import connection_upsert

    existing = VendorConnection.objects.filter(name="Demo Custom Gateway (sandbox)").first()
    connection, _ = connection_upsert(
        name="Demo Custom Gateway (sandbox)",
        kind="custom_gateway",
        settings={"company": settings.SANDBOX_CUSTOM_GATEWAY_COMPANY, **cg_sandbox.base_url(origin)},
        secrets={
            "api_key": settings.SANDBOX_API_KEY,
            "push_hmac_key": (existing.secret("push_hmac_key") if existing else "") or secrets.token_urlsafe(24),
        },
        sync_every_minutes=0,
    )
    return connection
