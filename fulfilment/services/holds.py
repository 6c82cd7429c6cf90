"""Holds and reprints of fulfilment orders.

A held order is not sent, whoever asks (staff's Send, the reconciler, the auto-send rule:
fulfilment_order_queue and fulfilment_order_send refuse it), until it is released by hand or its
`hold_until` passes (holds_release_expired, every minute from beat). Only an order not yet on
its way can be held: one being sent, or sent, is at the partner (cancel it there instead).

A reprint is a new draft order of a shipped order's designs, linked to it (`reprint_of`), with a
reason. The shipped order's items stay live, so the designs cannot go into an ordinary second
order (the double-print protection, one_live_fulfilment_item_per_customization); the reprint's
items are not live, and at most one reprint of an order is open at a time (the original's row is
locked while it is checked), so a double submit makes one reprint, not two."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.partners import FulfilmentStatus

from ..models import FulfilmentItem, FulfilmentOrder, OrderAction
from .announce import fulfilment_order_announce

logger = logging.getLogger(__name__)
State = FulfilmentOrder.State
HOLDABLE = [State.DRAFT, State.QUEUED, State.FAILED]
SHIPPED = [FulfilmentStatus.COLLECTED, FulfilmentStatus.SHIPPED, FulfilmentStatus.SHIPPED_CONFIRMED]
MAX_REASON = 255


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def fulfilment_order_hold(
    order: FulfilmentOrder, *, user, reason: str, until: datetime | None = None, now=None
) -> Outcome:
    """Hold it (until `until`, or until released). A reason is required."""
    reason = " ".join((reason or "").split())
    now = now or timezone.now()
    if not reason:
        return Outcome(False, "A hold needs a reason.")
    if len(reason) > MAX_REASON:
        return Outcome(False, f"The reason is at most {MAX_REASON} characters.")
    if until is not None and until <= now:
        return Outcome(False, "The hold must end in the future (or leave the date blank: until released).")
    held = (
        FulfilmentOrder.objects.filter(pk=order.pk, state__in=HOLDABLE)
        .exclude(on_hold=True)
        .update(on_hold=True, hold_until=until, hold_reason=reason, held_by=user, updated_at=now)
    )
    if not held:
        order.refresh_from_db()
        if order.on_hold:
            return Outcome(False, f"{order} is already on hold.")
        return Outcome(
            False, f"{order} is {order.get_state_display().lower()}: only an order not yet sent can be held."
        )
    # Queued but not yet taken by a worker: back to draft (the send would refuse it anyway).
    FulfilmentOrder.objects.filter(pk=order.pk, state=State.QUEUED).update(state=State.DRAFT, next_attempt_at=None)
    order.refresh_from_db()
    when = f" until {timezone.localtime(until):%Y-%m-%d %H:%M}" if until else " until released"
    OrderAction.objects.create(
        order=order, action=OrderAction.Action.HOLD, user=user, at=now, message=f"On hold{when}: {reason}"
    )
    return Outcome(True, f"{order} is on hold{when}.")


def fulfilment_order_release(order: FulfilmentOrder, *, user=None, now=None) -> Outcome:
    released = FulfilmentOrder.objects.filter(pk=order.pk, on_hold=True).update(
        on_hold=False, hold_until=None, hold_reason="", held_by=None, updated_at=now or timezone.now()
    )
    order.refresh_from_db()
    if not released:
        return Outcome(False, f"{order} is not on hold.")
    OrderAction.objects.create(
        order=order,
        action=OrderAction.Action.RELEASE,
        user=user,
        at=now or timezone.now(),
        message="Released: it can be sent.",
    )
    logger.info("fulfilment order %s released by %s", order.pk, user or "its hold's end")
    return Outcome(True, f"{order} is released: it can be sent.")


def holds_release_expired(*, now=None) -> int:
    """Release every hold whose `hold_until` has passed (beat, every minute); how many."""
    now = now or timezone.now()
    released = 0
    for order_id in FulfilmentOrder.objects.filter(on_hold=True, hold_until__lte=now).values_list("pk", flat=True):
        # One by one, each only if still held and due (a Release by staff meanwhile wins).
        with transaction.atomic():
            if FulfilmentOrder.objects.filter(pk=order_id, on_hold=True, hold_until__lte=now).update(
                on_hold=False, hold_until=None, hold_reason="", held_by=None, updated_at=now
            ):
                OrderAction.objects.create(
                    order_id=order_id, action=OrderAction.Action.RELEASE, at=now, message="The hold's end date passed."
                )
                released += 1
    return released


def reprint_problem(order: FulfilmentOrder) -> str:
    """Why this order cannot be reprinted ("" when it can)."""
    if order.status not in SHIPPED:
        return "only a shipped order can be reprinted."
    open_reprint = order.reprints.exclude(state=State.DISCARDED).exclude(status__in=SHIPPED).first()
    if open_reprint is not None:
        return f"its reprint {open_reprint} is not shipped yet."
    return ""


def fulfilment_order_reprint(order: FulfilmentOrder, *, user, reason: str) -> tuple[FulfilmentOrder | None, str]:
    """A new draft order with the same designs, address and partner, linked to `order`.
    Returns (the reprint, "") or (None, why not)."""
    reason = " ".join((reason or "").split())
    if not reason:
        return None, "A reprint needs a reason."
    if len(reason) > MAX_REASON:
        return None, f"The reason is at most {MAX_REASON} characters."
    with transaction.atomic():
        original = FulfilmentOrder.objects.select_for_update().get(pk=order.pk)
        problem = reprint_problem(original)
        if problem:
            return None, f"{original} cannot be reprinted: {problem}"
        items = list(original.items.order_by("pk"))
        copy = FulfilmentOrder.objects.get(pk=original.pk)
        copy.pk = copy.id = None
        copy.external_ref = f"pending-{original.pk}"
        copy._state.adding = True
        reset = {
            "state": State.DRAFT,
            "status": "",
            "vendor_status_code": "",
            "vendor_status_name": "",
            "status_conflict": "",
            "has_error": False,
            "error_message": "",
            "last_error": "",
            "attempts": 0,
            "probes": 0,
            "reconciliations": 0,
            "reconciled": False,
            "request_payload": {},
            "response_payload": [],
            "sent_at": None,
            "next_attempt_at": None,
            "on_hold": False,
            "hold_until": None,
            "hold_reason": "",
            "held_by": None,
            "required_dispatch_date": None,
            "reprint_of": original,
            "reprint_reason": reason,
            "created_by": user,
        }
        for name, value in reset.items():
            setattr(copy, name, value)
        copy.save()
        copy.external_ref = f"{settings.FULFILMENT_REF_PREFIX}{copy.pk:06d}"
        copy.save(update_fields=["external_ref"])
        FulfilmentItem.objects.bulk_create(
            [
                FulfilmentItem(
                    order=copy,
                    customization_id=item.customization_id,
                    external_ref=item.external_ref,
                    quantity=item.quantity,
                    sku=item.sku,
                    description=item.description,
                    kind=item.kind,
                    print_on_demand_ref=item.print_on_demand_ref,
                    textual_product_id=item.textual_product_id,
                    colour=item.colour,
                    size=item.size,
                    # Not live: the shipped order's item keeps the design from an ordinary second order.
                    live=False,
                )
                for item in items
            ]
        )
        OrderAction.objects.create(
            order=original, action=OrderAction.Action.REPRINT, user=user, message=f"Reprinted as {copy}: {reason}"
        )
        fulfilment_order_announce(copy.pk)  # a new order (the dashboard counts it)
    return copy, ""


def reprinted_orders(order: FulfilmentOrder) -> list[int]:
    """The order's reprint ancestors' ids (the orders it reprints, the nearest first)."""
    chain: list[int] = []
    current = order.reprint_of_id
    while current and current not in chain and len(chain) < 50:
        chain.append(current)
        current = FulfilmentOrder.objects.filter(pk=current).values_list("reprint_of_id", flat=True).first()
    return chain
