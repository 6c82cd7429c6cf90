"""Reads of fulfilment data for the admin and views (HackSoft's selectors): querysets with what
their screens need prefetched, the attention filters, timelines and counts. Writes are in
services/."""

from __future__ import annotations

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from orders.models import Customization, OrderLine
from orders.selectors import side_thumbnails_prefetch

from .models import FulfilmentOrder, IncomingRequest, OrderAction, PartnerPrintFile, StatusEvent, StockLevel
from .services.orders import stuck_before
from .statuses import FINAL_STATUSES

State = FulfilmentOrder.State
LATE_CLOSED = sorted(status.value for status in FINAL_STATUSES)  # shipped or cancelled: never late
CANDIDATES_SHOWN = 500

# What staff must look at: status conflicts, orders stuck or waiting to send, sends to check.
ATTENTION = {
    "conflict": "Status conflict",
    "stuck": "Stuck queued or sending",
    "waiting": "Waiting for a rate limit",
    "print_file_failed": "Print file failed",
    "check": "Check: did the partner get it?",
    "late": "Late: past the required dispatch date",
}


def fulfilment_orders_listed(queryset: QuerySet | None = None) -> QuerySet:
    """Fulfilment orders with what the list shows (connection, store order, tracking, the print
    files a partner makes)."""
    queryset = FulfilmentOrder.objects.all() if queryset is None else queryset
    return queryset.select_related("connection", "store_order").prefetch_related("vendor_orders", "partner_print_files")


def fulfilment_orders_needing_attention(queryset: QuerySet, what: str | None, *, now=None) -> QuerySet:
    """`queryset` narrowed to one of ATTENTION (unchanged for anything else)."""
    if what == "conflict":
        return queryset.exclude(status_conflict="")
    if what == "stuck":
        return queryset.filter(
            state__in=[State.QUEUED, State.SENDING], next_attempt_at__isnull=True, updated_at__lt=stuck_before(now)
        )
    if what == "waiting":
        return queryset.filter(state=State.QUEUED, next_attempt_at__isnull=False)
    if what == "print_file_failed":
        # A problem state: the partner could not make it, or what it made is not a print file.
        return queryset.filter(partner_print_files__state=PartnerPrintFile.State.FAILED).distinct()
    if what == "check":
        return queryset.filter(state=State.CHECK)
    if what == "late":
        # Not shipped or cancelled (nor discarded) and the required dispatch date has passed.
        return queryset.filter(required_dispatch_date__lt=timezone.localdate(now)).exclude(
            Q(state=State.DISCARDED) | Q(status__in=LATE_CLOSED)
        )
    return queryset


def fulfilment_timeline(order: FulfilmentOrder | None = None, *, queryset: QuerySet | None = None) -> QuerySet:
    """Every status the partner reported (for the order), oldest first, with its effect and the
    vendor order it is about."""
    queryset = StatusEvent.objects.all() if queryset is None else queryset
    if order is not None:
        queryset = queryset.filter(fulfilment_order=order)
    return queryset.select_related("vendor_order").order_by("received_at", "id")


def customizations_to_fulfil(chosen: list[int] | None = None) -> dict[str, list[Customization]]:
    """Approved customizations not yet in a live fulfilment order (the database refuses those
    anyway), oldest first, grouped by their store orders' names; only `chosen` when given."""
    candidates = Customization.objects.filter(decision=Customization.Decision.APPROVED).exclude(
        fulfilment_items__live=True
    )
    if chosen:
        candidates = candidates.filter(pk__in=chosen)
    candidates = (
        candidates.select_related("connection")
        .prefetch_related(
            Prefetch("order_lines", queryset=OrderLine.objects.select_related("store_order")),
            side_thumbnails_prefetch(),
        )
        .order_by("customized_at")[:CANDIDATES_SHOWN]
    )
    groups: dict[str, list[Customization]] = {}
    for customization in candidates:
        names = sorted({line.store_order.name for line in customization.order_lines.all()}) or ["No store order"]
        groups.setdefault(", ".join(names), []).append(customization)
    return groups


def incoming_reprocessable(queryset: QuerySet | None = None) -> QuerySet:
    """Stored requests Reprocess can apply again: verified, of a known connection, with a body."""
    queryset = IncomingRequest.objects.all() if queryset is None else queryset
    return queryset.filter(verified=True, connection__isnull=False).exclude(body="")


def order_actions_timeline(order: FulfilmentOrder) -> QuerySet:
    """What staff (and the probe) did to the order at the partner, oldest first."""
    return OrderAction.objects.filter(order=order).select_related("user").order_by("at", "id")


def stock_levels_low(queryset: QuerySet | None = None) -> QuerySet:
    """Stock levels with a low-stock threshold and fewer available than it (the dashboard's count
    and the stock list's "low stock" filter)."""
    queryset = StockLevel.objects.all() if queryset is None else queryset
    return queryset.filter(low_stock_threshold__isnull=False, quantity_available__lt=F("low_stock_threshold"))
