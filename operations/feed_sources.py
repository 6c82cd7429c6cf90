"""The activity feed's sources for what orders and fulfilment already record (see
operations/activity.py): syncs, review decisions, sends and staff actions, status events and
callbacks, shipments and labels, notes and tags, and configuration history (django-auditlog).
Each source answers for the kinds it knows and returns nothing for the others; each reads a
bounded number of rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from fulfilment.models import FulfilmentOrder, PushedOrder, StatusEvent, StockLevel
from operations.activity import FeedEntry, feed_source
from operations.notes_models import TARGETS, Note, Tagging
from orders.models import Customization, PrintRequirement, StoreOrder, SyncRun, VendorConnection

PER_SOURCE = 100


def _kind(obj: models.Model):
    return obj._meta.concrete_model


def _who(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _admin_url(obj: models.Model | None) -> str:
    if obj is None or obj.pk is None:
        return ""
    try:
        return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return ""


def _sync_run_at(connection_id: int, at: datetime) -> SyncRun | None:
    """The sync of `connection_id` that was running at `at` (what wrote the row then), if any."""
    return (
        SyncRun.objects.filter(connection_id=connection_id, started_at__lte=at + timedelta(seconds=1))
        .filter(Q(finished_at__gte=at - timedelta(seconds=1)) | Q(finished_at=None))
        .order_by("-started_at")
        .first()
    )


def _sync_entry(obj, at: datetime | None, summary: str) -> Iterable[FeedEntry]:
    if at is None:
        return []
    run = _sync_run_at(obj.connection_id, at)
    if run is not None:
        summary = f"{summary} (sync #{run.pk}, {run.get_trigger_display().lower()})"
    return [FeedEntry(at=at, kind="sync", summary=summary, actor=obj.connection.name, url=_admin_url(run))]


@feed_source
def syncs(obj: models.Model) -> Iterable[FeedEntry]:
    """Customizations: first written, and last changed, by a sync (created_at and fetched_at,
    matched to the SyncRun running then). Store orders: the vendor's status history."""
    kind = _kind(obj)
    if kind is Customization:
        entries = list(_sync_entry(obj, obj.created_at, "First synced from the vendor"))
        if obj.fetched_at and obj.created_at and obj.fetched_at - obj.created_at > timedelta(seconds=2):
            entries += _sync_entry(obj, obj.fetched_at, "Changed at the vendor and synced again")
        if obj.status_changed_at:
            entries.append(
                FeedEntry(
                    at=obj.status_changed_at,
                    kind="status",
                    summary=f"Vendor status: {obj.get_status_display()}",
                    actor=obj.connection.name,
                )
            )
        return entries
    if kind is StoreOrder:
        entries = []
        for row in (obj.status_history or [])[:PER_SOURCE]:
            at = _parse_time(row.get("date") if isinstance(row, dict) else None)
            if at is not None:
                status = str(row.get("status") or "")[:64]
                entries.append(
                    FeedEntry(at=at, kind="status", summary=f"Store status: {status}", actor=obj.connection.name)
                )
        if obj.ordered_at:
            entries.append(FeedEntry(at=obj.ordered_at, kind="sync", summary="Ordered", actor=obj.connection.name))
        return entries
    return []


def _parse_time(value) -> datetime | None:
    from django.utils.dateparse import parse_datetime

    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed


@feed_source
def decisions(obj: models.Model) -> Iterable[FeedEntry]:
    if _kind(obj) is not Customization:
        return []
    return [
        FeedEntry(
            at=decision.at,
            kind="decision",
            summary=decision.get_action_display() + (f": {decision.reason}" if decision.reason else ""),
            actor=_who(decision.user),
        )
        for decision in obj.decisions.select_related("user")[:PER_SOURCE]
    ]


@feed_source
def artwork(obj: models.Model) -> Iterable[FeedEntry]:
    """Customizations: each side's print file fetched, failed or needing attention."""
    from orders.models import SideArtwork

    if _kind(obj) is not Customization:
        return []
    entries = []
    for art in SideArtwork.objects.filter(side__customization=obj).select_related("side")[:PER_SOURCE]:
        at = art.fetched_at or art.updated_at
        summary = f"Print file of {art.side}: {art.get_state_display()}"
        if art.error:
            summary += f" ({art.error[:200]})"
        entries.append(FeedEntry(at=at, kind="print_file", summary=summary))
    return entries


@feed_source
def fulfilment_orders_of(obj: models.Model) -> Iterable[FeedEntry]:
    """Customizations and store orders: the fulfilment orders made for them."""
    kind = _kind(obj)
    if kind is Customization:
        orders = FulfilmentOrder.objects.filter(items__customization=obj).distinct()
    elif kind is StoreOrder:
        orders = FulfilmentOrder.objects.filter(store_order=obj)
    else:
        return []
    return [
        FeedEntry(
            at=order.created_at,
            kind="send",
            summary=f"Fulfilment order {order.external_ref} created ({order.get_state_display()})",
            actor=_who(order.created_by),
            url=_admin_url(order),
        )
        for order in orders.select_related("created_by")[:PER_SOURCE]
    ]


@feed_source
def fulfilment_order_events(obj: models.Model) -> Iterable[FeedEntry]:
    """Fulfilment orders: created, sent, staff actions at the partner, the partner's statuses."""
    if _kind(obj) is not FulfilmentOrder:
        return []
    entries = [
        FeedEntry(at=obj.created_at, kind="send", summary="Created", actor=_who(obj.created_by)),
    ]
    if obj.reprint_of_id:
        entries.append(
            FeedEntry(
                at=obj.created_at,
                kind="send",
                summary=f"Reprint of {obj.reprint_of}" + (f": {obj.reprint_reason}" if obj.reprint_reason else ""),
                url=_admin_url(obj.reprint_of),
            )
        )
    if obj.sent_at:
        entries.append(
            FeedEntry(at=obj.sent_at, kind="send", summary=f"Sent to {obj.connection.name}", actor=obj.connection.name)
        )
    if obj.last_error and obj.state == FulfilmentOrder.State.FAILED:
        entries.append(FeedEntry(at=obj.updated_at, kind="send", summary=f"Failed to send: {obj.last_error[:300]}"))
    for action in obj.actions.select_related("user").order_by("-at")[:PER_SOURCE]:
        summary = action.get_action_display() + ("" if action.ok else " (failed)")
        if action.message:
            summary += f": {action.message[:300]}"
        entries.append(FeedEntry(at=action.at, kind="action", summary=summary, actor=_who(action.user)))
    events = StatusEvent.objects.filter(Q(fulfilment_order=obj) | Q(vendor_order__fulfilment_order=obj))
    for event in events.select_related("incoming").order_by("-received_at")[:PER_SOURCE]:
        name = event.vendor_status_name or event.vendor_status_code or event.get_status_display()
        summary = f"Partner status: {name}"
        if event.shipping_tracking:
            summary += f", tracking {event.shipping_carrier} {event.shipping_tracking}".rstrip()
        if event.effect != "apply":
            summary += f" — {event.get_effect_display()}"
        how = "callback" if event.incoming_id else "status read"
        entries.append(
            FeedEntry(
                at=event.received_at,
                kind="status",
                summary=f"{summary} ({how})",
                actor=obj.connection.name,
                url=_admin_url(event.incoming),
            )
        )
    return entries


@feed_source
def pushed_order_events(obj: models.Model) -> Iterable[FeedEntry]:
    """Pushed orders: received (the push), shipments and their labels."""
    if _kind(obj) is not PushedOrder:
        return []
    entries = [
        FeedEntry(
            at=obj.received_at,
            kind="push",
            summary="Pushed to us by the partner",
            actor=obj.connection.name,
            url=_admin_url(obj.incoming),
        )
    ]
    for shipment in obj.shipments.select_related("label")[:PER_SOURCE]:
        summary = f"Shipped: {shipment}"
        label = getattr(shipment, "label", None)
        if label is not None:
            summary += f"; label {label.get_state_display().lower()}"
            if label.error:
                summary += f" ({label.error[:200]})"
        entries.append(FeedEntry(at=shipment.created_at, kind="shipment", summary=summary))
    if obj.state == PushedOrder.State.SHIP_FAILED and obj.last_error:
        entries.append(
            FeedEntry(at=obj.received_at, kind="shipment", summary=f"Shipping failed: {obj.last_error[:300]}")
        )
    return entries


@feed_source
def notes(obj: models.Model) -> Iterable[FeedEntry]:
    if _kind(obj) not in TARGETS:
        return []
    field = TARGETS[_kind(obj)]
    return [
        FeedEntry(at=note.created_at, kind="note", summary=note.text, actor=_who(note.author))
        for note in Note.objects.filter(**{field: obj.pk}).select_related("author")[:PER_SOURCE]
    ]


@feed_source
def tags(obj: models.Model) -> Iterable[FeedEntry]:
    if _kind(obj) not in TARGETS:
        return []
    field = TARGETS[_kind(obj)]
    entries = []
    taggings = Tagging.objects.filter(**{field: obj.pk}).select_related("tag", "added_by", "removed_by")
    for tagging in taggings.order_by("-added_at")[:PER_SOURCE]:
        entries.append(
            FeedEntry(at=tagging.added_at, kind="tag", summary=f"Tagged “{tagging.tag}”", actor=_who(tagging.added_by))
        )
        if tagging.removed_at:
            entries.append(
                FeedEntry(
                    at=tagging.removed_at,
                    kind="tag",
                    summary=f"Tag “{tagging.tag}” removed",
                    actor=_who(tagging.removed_by),
                )
            )
    return entries


def _since(obj: models.Model) -> datetime | None:
    return getattr(obj, "created_at", None) or getattr(obj, "received_at", None) or getattr(obj, "ordered_at", None)


@feed_source
def configuration(obj: models.Model) -> Iterable[FeedEntry]:
    """Configuration history (django-auditlog) that concerns the thing, since it exists: its
    connection; a customization's print requirements (its template); a pushed order's stock
    levels (its SKUs at that connection)."""
    from auditlog.models import LogEntry

    kind = _kind(obj)
    if kind not in TARGETS:
        return []
    wanted = Q(content_type=ContentType.objects.get_for_model(VendorConnection), object_id=obj.connection_id)
    if kind is Customization and obj.template_id:
        requirements = PrintRequirement.objects.filter(template_id=obj.template_id).filter(
            Q(connection=obj.connection_id) | Q(connection=None)
        )
        wanted |= Q(
            content_type=ContentType.objects.get_for_model(PrintRequirement),
            object_id__in=list(requirements.values_list("pk", flat=True)[:50]),
        )
    if kind is PushedOrder:
        skus = [sku for sku in obj.items.values_list("mapped_sku", flat=True)[:50] if sku]
        levels = StockLevel.objects.filter(connection=obj.connection_id, sku__in=skus)
        wanted |= Q(
            content_type=ContentType.objects.get_for_model(StockLevel),
            object_id__in=list(levels.values_list("pk", flat=True)[:50]),
        )
    entries = LogEntry.objects.filter(wanted).select_related("actor", "content_type")
    since = _since(obj)
    if since is not None:
        entries = entries.filter(timestamp__gte=since)
    return [
        FeedEntry(
            at=entry.timestamp,
            kind="config",
            summary=_log_summary(entry),
            actor=_who(entry.actor) or "system",
            url=_log_url(entry),
        )
        for entry in entries.order_by("-timestamp")[:PER_SOURCE]
    ]


def _log_summary(entry) -> str:
    what = f"{entry.content_type.name.capitalize()} “{entry.object_repr[:100]}”"
    verb = {0: "created", 1: "changed", 2: "deleted"}.get(entry.action, "touched")
    fields = ", ".join(sorted(entry.changes_dict)) if entry.action == 1 else ""
    return f"{what} {verb}" + (f": {fields}" if fields else "")


def _log_url(entry) -> str:
    try:
        return reverse("admin:auditlog_logentry_change", args=[entry.pk])
    except NoReverseMatch:
        return ""
