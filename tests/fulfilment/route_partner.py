"""A fake partner whose send is NOT idempotent (a second send makes a second order, as Ideal
Factory's does), registered in the settings alone, for the routing, Check and staff-action tests.
What it answers is scripted per test through `SCRIPT`; what it was sent is kept in `CALLS`."""

from __future__ import annotations

from dataclasses import dataclass, field

from integrations.http import VendorRejected, VendorRetryable
from integrations.partners import (
    CodeTable,
    CreatedLine,
    CreatedOrder,
    FulfilmentStatus,
    ProbeOutcome,
    ProbeResult,
    SendResult,
    StatusReport,
    VendorStatus,
)
from integrations.registry import Capability, Secret, Setting, VendorSpec
from orders.models import VendorConnection
from tests.fulfilment.fakes import FakeClient, FakePartner

CODES = {
    "received": FulfilmentStatus.ACCEPTED,
    "printing": FulfilmentStatus.IN_PRODUCTION,
    "shipped": FulfilmentStatus.SHIPPED,
    "cancelled": FulfilmentStatus.CANCELLED,
}


@dataclass
class Script:
    sends: list = field(default_factory=list)  # "ok" (default) or "lost" (the answer never comes)
    probes: list = field(default_factory=list)  # ProbeResult, or an exception to raise
    fail: Exception | None = None  # update, cancel and poll raise it
    poll_code: str = "printing"

    def reset(self):
        self.sends, self.probes, self.fail, self.poll_code = [], [], None, "printing"


SCRIPT = Script()
CALLS: list = []


class RoutePartner(FakePartner):
    label = "Route Print"
    idempotent_send = False

    def request_body(self, order):
        return {"ref": order.reference, "store": order.partner_store, "lines": [line.sku for line in order.lines]}

    def send(self, order):
        CALLS.append(("send", order))
        if (SCRIPT.sends.pop(0) if SCRIPT.sends else "ok") == "lost":
            raise VendorRetryable("read timed out", vendor="route_print")
        return SendResult(created=(created(order),), raw={"id": "RP-1"})

    def probe(self, order):
        CALLS.append(("probe", order.reference))
        answer = SCRIPT.probes.pop(0) if SCRIPT.probes else ProbeResult(ProbeOutcome.UNKNOWN, "no answer")
        if isinstance(answer, Exception):
            raise answer
        return answer

    def update_body(self, changes):
        return {"note": changes.note, "shipping_price": changes.shipping_price}

    def update(self, vendor_id, changes):
        CALLS.append(("update", vendor_id, changes))
        if SCRIPT.fail:
            raise SCRIPT.fail
        return {"updated": vendor_id}

    def cancel(self, vendor_id):
        CALLS.append(("cancel", vendor_id))
        if SCRIPT.fail:
            raise SCRIPT.fail
        return {"deleted": vendor_id}

    def poll_status(self, vendor_id):
        CALLS.append(("poll", vendor_id))
        if SCRIPT.fail:
            raise SCRIPT.fail
        return StatusReport(status=self.status_of(SCRIPT.poll_code), vendor_id=vendor_id)

    @classmethod
    def status_of(cls, code):
        return VendorStatus(CODES.get(code), code, code.capitalize())

    @classmethod
    def reference_tables(cls):
        return [CodeTable("Route Print states", tuple((code, status.label) for code, status in CODES.items()))]


def created(order) -> CreatedOrder:
    lines = tuple(CreatedLine(line.reference, f"L-{line.reference}") for line in order.lines)
    return CreatedOrder("RP-1", ref="RPREF", reference=order.reference, lines=lines)


def rejected(message="order is shipped already") -> VendorRejected:
    return VendorRejected(message, vendor="route_print", status=422)


SPEC = VendorSpec(
    kind="route_print",
    label="Route Print",
    client=lambda config, options: FakeClient(),
    settings=(Setting("store_ids", "Stores"),),
    secrets=(Secret("api_key", "API key"),),
    capabilities=frozenset(
        {
            Capability.FULFILMENT_SEND,
            Capability.FULFILMENT_UPDATE,
            Capability.FULFILMENT_CANCEL,
            Capability.STATUS_POLL,
        }
    ),
    partner=RoutePartner,
)


def route_print_connection(settings) -> VendorConnection:
    """Registers the partner (pytest-django's `settings`) and makes a connection to it."""
    settings.VENDORS = [*settings.VENDORS, "tests.fulfilment.route_partner.SPEC"]
    SCRIPT.reset()
    CALLS.clear()
    return VendorConnection.objects.create(
        name="Route",
        kind="route_print",
        settings={"store_ids": ["shop-eu", "shop-us"]},
        secrets={"api_key": "route-secret"},
        sync_every_minutes=None,
    )
