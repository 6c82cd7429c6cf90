"""Ship and print: ship a pushed order (on the worker, as the Ship action does) and say when its
labels are ready to print, from one click on the order's page.

Double-click safe: starting claims the order with one conditional UPDATE (received or shipping
failed, no shipments yet -> shipping), so a second click, a second tab or a replayed POST finds it
claimed and queues nothing: the partner is asked to ship once."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef

from ..models import PushedOrder, Shipment, ShippingLabel
from .queue import pushed_orders_ship_queue
from .shipping import label_fetch


@transaction.atomic
def pushed_order_ship_start(order: PushedOrder) -> bool:
    """Queue the shipping of `order` unless it is shipped or being shipped; True when queued."""
    claimed = (
        PushedOrder.objects.filter(pk=order.pk, state__in=[PushedOrder.State.RECEIVED, PushedOrder.State.SHIP_FAILED])
        .filter(~Exists(Shipment.objects.filter(order=OuterRef("pk"))))
        .update(state=PushedOrder.State.SHIPPING, last_error="")
    )
    if claimed:
        pushed_orders_ship_queue([order.pk])
    return bool(claimed)


@dataclass(frozen=True)
class ShipProgress:
    """Where Ship and print is: "waiting" (the partner or a label download has not answered),
    "ready" (every label stored: `labels` to print), "failed" (`error` says why, in words)."""

    stage: str
    labels: tuple[ShippingLabel, ...] = ()
    error: str = ""


def pushed_order_ship_progress(order: PushedOrder) -> ShipProgress:
    order.refresh_from_db(fields=["state", "last_error"])
    if order.state == PushedOrder.State.SHIP_FAILED:
        return ShipProgress("failed", error=order.last_error or "The partner did not ship it.")
    labels = tuple(
        ShippingLabel.objects.filter(shipment__order=order).select_related("shipment").order_by("shipment_id")
    )
    if order.state != PushedOrder.State.SHIPPED or not labels:
        return ShipProgress("waiting")
    if any(label.state == ShippingLabel.State.PENDING for label in labels):
        return ShipProgress("waiting")
    failed = [label for label in labels if label.state == ShippingLabel.State.FAILED]
    if failed:
        reasons = "; ".join(f"{label.shipment.tracking or label.shipment.vendor_id}: {label.error}" for label in failed)
        return ShipProgress("failed", labels=labels, error=f"Shipped, but a label could not be stored ({reasons}).")
    return ShipProgress("ready", labels=labels)


def shipping_label_fetch_again(shipment_id: int) -> str:
    """Download a shipment's label again from the partner's label link (staff's *Fetch label
    again*); the outcome is on the label (ready, or failed with the reason). A GET: safe twice."""
    shipment = Shipment.objects.select_related("order__connection").filter(pk=shipment_id).first()
    if shipment is None:
        return "gone"
    return label_fetch(shipment).state


def shipping_label_fetch_failed(shipment_id: int, *, exc: BaseException) -> None:
    """The fetch task stopped on something unexpected: the label says so, for staff to try again."""
    ShippingLabel.objects.filter(shipment_id=shipment_id, state=ShippingLabel.State.PENDING).update(
        state=ShippingLabel.State.FAILED,
        error=f"Not fetched: stopped by an internal error ({type(exc).__name__}). Fetch it again.",
    )
