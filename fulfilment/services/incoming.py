"""Incoming hooks: status callbacks (we are the retailer) and order pushes (we are the supplier),
from any partner.

django-anymail's shape: the connection is found by the secret token in the URL first (an
unknown token stores no body: only a capped summary row); the raw request is then stored,
capped in size; the vendor's `Hook.verify` checks it (an HMAC over the raw bytes, or nothing
beyond the token); the vendor's `Hook.parse` reads the body into neutral records
(integrations.partners, every number bounded to its column) and each record is applied through
the service for its type, in a transaction. Applying twice is harmless: events and pushed orders
are keyed by what the partner sent, so staff can Reprocess a stored request (dj-stripe's
WebhookEventTrigger) after a fix. Anything unexpected is kept on the request with its traceback.

LOCK ORDER: the FulfilmentOrder row first (SELECT ... FOR UPDATE), then its VendorOrder rows,
the same as orders._apply_created, so a callback racing the POST that created the order waits
instead of deadlocking."""

from __future__ import annotations

import hashlib
import hmac
import logging
import traceback
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.proxy import client_ip
from integrations.partners import (
    FulfilmentStatus,
    HookInvalid,
    HookKind,
    PrintFilesNotice,
    PushedOrderRecord,
    StatusReport,
    VendorStatus,
)
from integrations.registry import Hook, UnknownVendor
from integrations.sources import CustomizationRecord
from orders.models import VendorConnection
from orders.services.bad_words import records_screen
from orders.services.writer import customizations_write, existing_state
from orders.text import counted

from ..address import address_columns
from ..models import (
    FulfilmentItem,
    FulfilmentOrder,
    IncomingRequest,
    PushedOrder,
    PushedOrderItem,
    StatusEvent,
    VendorOrder,
)
from ..statuses import HOLD_STATUSES, PROGRESS_RANK, StatusEffect, status_decide
from .announce import fulfilment_order_announce
from .partners import partner_class
from .print_files import partner_print_files_due_now
from .vendor_files import pushed_assets_create, pushed_assets_queue

logger = logging.getLogger(__name__)
Outcome = IncomingRequest.Outcome
Kind = IncomingRequest.Kind
SECRET_HEADERS = {"authorization", "cookie", "proxy-authorization", "x-api-key"}
EFFECT_OUTCOME = {
    StatusEffect.APPLY: Outcome.APPLIED,
    StatusEffect.LATE: Outcome.LATE,
    StatusEffect.CONFLICT: Outcome.CONFLICT,
    StatusEffect.UNKNOWN: Outcome.IGNORED,
    StatusEffect.DUPLICATE: Outcome.DUPLICATE,
}


def _headers(request) -> dict:
    return {key: value[:500] for key, value in request.headers.items() if key.lower() not in SECRET_HEADERS}


def _remote(request) -> str | None:
    # Behind a reverse proxy (TRUSTED_PROXY_COUNT), the client's address, as login throttling sees it.
    return client_ip(request) or None


def incoming_record(
    request, kind: str, *, connection: VendorConnection, body: bytes, hook: str = ""
) -> IncomingRequest:
    """Store the request as it came (credentials and cookies removed), for a known connection."""
    return IncomingRequest.objects.create(
        kind=kind,
        hook=hook[:50],
        connection=connection,
        method=request.method,
        headers=_headers(request),
        # PostgreSQL text holds no NUL: one in a body (garbage, or an attack) is kept as U+FFFD.
        body=body.decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
        size_bytes=len(body),
        remote_addr=_remote(request),
    )


def incoming_summary(
    request, kind: str, *, size: int, outcome: str, note: str, connection=None, hook: str = ""
) -> IncomingRequest:
    """A row without the body (an unknown hook URL, a body over the cap): kind, size, address, why.
    Never the token (it is in the URL, which is not stored) nor the headers of a stranger."""
    return IncomingRequest.objects.create(
        kind=kind,
        hook=hook[:50],
        connection=connection,
        method=request.method[:10],
        headers={},
        body="",
        size_bytes=max(0, size),
        remote_addr=_remote(request),
        outcome=outcome,
        note=note[:2000],
    )


def connection_for_token(token: str) -> VendorConnection | None:
    """The active connection whose hook token this is (the view checks its vendor is the URL's)."""
    if not token or len(token) > 200:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    connection = VendorConnection.objects.filter(hook_token_hash=digest, is_active=True).first()
    # The hash finds it; the stored secret confirms it, compared in constant time.
    if connection is None or not hmac.compare_digest(connection.hook_token.encode(), token.encode()):
        return None
    return connection


def hook_of(connection: VendorConnection, name: str, kind: str = "") -> Hook | None:
    """The connection's vendor's hook `name` (a request stored before hooks were named: the one
    that brings `kind`)."""
    try:
        spec = connection.spec
    except UnknownVendor:
        return None
    name = name or spec.hook_name_for(kind) or ""
    return spec.hooks.get(name)


def _finish(incoming: IncomingRequest, outcome: str, note: str = "", *, verified=None, **more) -> str:
    fields = {"outcome": outcome, "note": note[:2000], **more}
    if verified is not None:
        fields["verified"] = verified
    IncomingRequest.objects.filter(pk=incoming.pk).update(**fields)
    return outcome


def incoming_apply(incoming: IncomingRequest, *, raw: bytes | None = None) -> str:
    """Parse and apply one stored, verified request (first time or Reprocess). Records the outcome
    and returns it: invalid input is `invalid` with the reason; an unexpected error is `error`
    with its traceback (and re-raised for the caller to answer 5xx: the partner retries)."""
    connection = incoming.connection
    body = incoming.body.encode() if raw is None else raw  # the raw bytes when we have them
    try:
        if connection is None:
            raise HookInvalid("the request names no connection (it was stored before one was known)")
        hook = hook_of(connection, incoming.hook, incoming.kind)
        if hook is not None and getattr(hook, "kind", None) == HookKind.PRINT_FILES_READY:
            # Only a trigger: whatever the body holds (or fails to), it makes a poll happen.
            results = [print_files_ready_apply(incoming, connection, _notices(hook, body))]
        elif hook is None or hook.parse is None:
            raise HookInvalid(f"{connection.spec.label} has no hook {incoming.hook or incoming.kind!r} to read it")
        else:
            results = [_applier(record)(incoming, connection, record) for record in hook.parse(body)]
        if not results:
            raise HookInvalid("the body holds nothing to apply")
    except HookInvalid as exc:
        return _finish(incoming, Outcome.INVALID, f"invalid: {exc}", verified=True, error_traceback="")
    except Exception:
        logger.exception("fulfilment: applying incoming request %s failed", incoming.pk)
        _finish(
            incoming,
            Outcome.ERROR,
            "error: applying it failed unexpectedly; fix the cause, then Reprocess it.",
            verified=True,
            error_traceback=traceback.format_exc()[-8000:],
        )
        raise
    outcomes = [outcome for outcome, _ in results]
    outcome = (
        outcomes[0] if len(set(outcomes)) == 1 else (Outcome.APPLIED if Outcome.APPLIED in outcomes else outcomes[0])
    )
    return _finish(incoming, outcome, "; ".join(note for _, note in results), verified=True, error_traceback="")


def _applier(record):
    """The service that applies a record of this type (looked up when called)."""
    if isinstance(record, StatusReport):
        return status_update_apply
    if isinstance(record, PushedOrderRecord):
        return order_push_apply
    if isinstance(record, CustomizationRecord):
        return customization_apply
    raise TypeError(f"no service applies a {type(record).__name__}")


def incoming_reprocess(incoming: IncomingRequest, *, user=None) -> str:
    """Staff's Reprocess: apply a verified stored request again through the same service. A
    replay of one already applied changes nothing (it is recorded as a duplicate)."""
    if not incoming.verified or incoming.connection_id is None or not incoming.body:
        return incoming.outcome
    if incoming.outcome == Outcome.REJECTED:
        return incoming.outcome
    IncomingRequest.objects.filter(pk=incoming.pk).update(reprocessed_at=timezone.now(), reprocessed_by=user)
    incoming.refresh_from_db()
    try:
        return incoming_apply(incoming)
    except Exception:
        return Outcome.ERROR


def incoming_prune(*, days: int | None = None, now=None) -> int:
    """Delete raw requests older than the retention (INCOMING_RETENTION_DAYS). What they led to
    (events, pushed orders) stays; its link to the raw request is cleared."""
    days = settings.INCOMING_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = IncomingRequest.objects.filter(received_at__lt=cutoff).delete()
    return deleted


# -- status callbacks -------------------------------------------------------------------------


def status_update_apply(incoming, connection: VendorConnection, report: StatusReport) -> tuple[str, str]:
    """Apply one status report; returns (outcome, note). Every report that names one of our
    orders lands in the timeline with its effect; an exact replay is recognised as a duplicate of
    the event it repeats."""
    return status_updates_apply(connection, [(incoming, report)])[0]


def status_order_key(report: StatusReport) -> tuple[str, str]:
    """What status_updates_apply needs to be the same across one call's reports: they name the
    same order the same way (so it is looked up and locked once)."""
    return report.reference, report.vendor_id


def status_updates_apply(connection: VendorConnection, items: list[tuple]) -> list[tuple[str, str]]:
    """Apply status reports that name one order the same way (status_order_key), in the order
    given, in one transaction: (incoming, report) pairs -> one (outcome, note) each, exactly as
    status_update_apply would one after the other. The order is found, locked and read once; each
    report is decided on the order as the ones before it left it (in memory); the events are
    inserted together and the order and its vendor order written once at the end, and announced
    once."""
    partner = partner_class(connection)
    first = items[0][1]
    with transaction.atomic():
        order_id = _order_id(connection, first)
        if order_id is None:
            return [(Outcome.UNMATCHED, f"No order {first.reference or first.vendor_id} here.")] * len(items)
        # Lock order: the FulfilmentOrder row first, then its vendor orders.
        order = FulfilmentOrder.objects.select_for_update().get(pk=order_id)
        vendor_order = None
        if first.vendor_id:
            vendor_order = VendorOrder.objects.filter(connection=connection, vendor_id=first.vendor_id).first()
            if vendor_order is None:
                # A split we had not heard of, or the first news of an order reconciled after a timeout.
                vendor_order, _ = VendorOrder.objects.get_or_create(
                    connection=connection,
                    vendor_id=first.vendor_id,
                    defaults={"fulfilment_order": order, "ref": first.vendor_ref, "external_ref": first.reference},
                )
        keys = [_dedupe(order, vendor_order, report) for _, report in items]
        seen = set(StatusEvent.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
        changes = _Changes(order, seen)
        results = [
            _status_record(partner, connection, order, vendor_order, incoming, report, changes)
            for incoming, report in items
        ]
        changes.save(vendor_order)
    return results


class _Changes:
    """What a call of status_updates_apply changed on its order and vendor order, written and
    announced once at its end: the events it made (inserted together; before that whenever a
    decision reads the events, `flush`), the dedupe keys known (`seen`), the columns changed."""

    def __init__(self, order: FulfilmentOrder, seen: set[str]):
        self.seen = seen
        self.events: list[StatusEvent] = []
        self.order_fields: set[str] = set()
        self.vendor_order = False
        self.announce: tuple[str, str] | None = None
        self._order, self.state, self.status = order, order.state, order.status

    def order_changed(self, *fields: str) -> None:
        self.order_fields.update(fields)
        if self.announce is None:
            self.announce = (self.state, self.status)

    def flush(self) -> None:
        if self.events:
            StatusEvent.objects.bulk_create(self.events)
            self.events = []

    def save(self, vendor_order: VendorOrder | None) -> None:
        self.flush()
        if self.vendor_order and vendor_order is not None:
            vendor_order.save()
        if self.order_fields:
            self._order.save(update_fields=[*sorted(self.order_fields), "updated_at"])
        if self.announce is not None:
            fulfilment_order_announce(self._order.pk, previous_state=self.announce[0], previous_status=self.announce[1])


def _order_id(connection: VendorConnection, report: StatusReport) -> int | None:
    order_id = None
    if report.reference:
        order_id = (
            FulfilmentOrder.objects.filter(connection=connection, external_ref=report.reference)
            .values_list("pk", flat=True)
            .first()
        )
    if order_id is None and report.vendor_id:
        order_id = (
            VendorOrder.objects.filter(connection=connection, vendor_id=report.vendor_id)
            .values_list("fulfilment_order_id", flat=True)
            .first()
        )
    return order_id


def _status_record(
    partner, connection, order, vendor_order, incoming, report: StatusReport, changes: _Changes
) -> tuple[str, str]:
    """Decide one report against the order as it stands now (earlier reports of the same call
    included) and record its event."""
    # Decided on our status; worded with the partner's documented name for its code.
    reported = VendorStatus(report.status.status, report.status.code, partner.status_of(report.status.code).name)
    current = _current(partner, vendor_order or order)
    effect, note = status_decide(
        current,
        reported,
        before_hold=_before_hold(partner, order, vendor_order, current, changes),
        partner=connection.spec.label,
    )
    event = _event(order, vendor_order, incoming, report, effect, note, current, changes)
    if event is None:
        return Outcome.DUPLICATE, f"duplicate: {reported.name} was already recorded for {order}."
    if effect == StatusEffect.APPLY:
        _advance(partner, order, vendor_order, event, connection.spec.label, changes)
    elif effect == StatusEffect.CONFLICT:
        _flag_conflict(order, note, changes)
    said = {
        StatusEffect.APPLY: f"applied: {event.vendor_status_name} for {order}",
        StatusEffect.LATE: f"{note} for {order}",
        StatusEffect.CONFLICT: f"{note} ({order})",
        StatusEffect.UNKNOWN: f"{note} ({order})",
    }[effect]
    return EFFECT_OUTCOME[effect], said


def _current(partner, row) -> VendorStatus | None:
    """The status an order or vendor order has now (None: none yet), named as the partner does."""
    if not row.vendor_status_code:
        return None
    status = FulfilmentStatus(row.status) if row.status else None
    return VendorStatus(status, row.vendor_status_code, partner.status_of(row.vendor_status_code).name)


def _before_hold(partner, order, vendor_order, current: VendorStatus | None, changes: _Changes) -> VendorStatus | None:
    """The progress status the vendor order (None: the order, across its vendor orders) had
    before its current hold; only looked up when `current` is a hold (status_decide reads it
    only then), so an ordinary callback costs no query for it."""
    if current is None or current.status not in HOLD_STATUSES:
        return None
    changes.flush()
    events = StatusEvent.objects.filter(fulfilment_order=order, effect=StatusEffect.APPLY, status__in=PROGRESS_RANK)
    if vendor_order is not None:
        events = events.filter(vendor_order=vendor_order)
    last = events.order_by("-id").values_list("status", "vendor_status_code").first()
    if last is None:
        return None
    return VendorStatus(FulfilmentStatus(last[0]), last[1], partner.status_of(last[1]).name)


def _dedupe(order, vendor_order, report: StatusReport, suffix: str = "") -> str:
    parts = [
        str(order.pk),
        vendor_order.vendor_id if vendor_order else "",
        report.status.code,
        report.tracking,
        report.carrier,
    ]
    return hashlib.sha256(("|".join(parts) + suffix).encode()).hexdigest()


def _event(
    order,
    vendor_order,
    incoming,
    report: StatusReport,
    effect: str,
    note: str,
    current: VendorStatus | None,
    changes: _Changes,
) -> StatusEvent | None:
    fields = {
        "fulfilment_order": order,
        "vendor_order": vendor_order,
        "incoming": incoming,
        "status": report.status.status or "",
        "vendor_status_code": report.status.code[:64],
        "vendor_status_name": report.status.name[:64],
        "shipping_tracking": report.tracking,
        "shipping_carrier": report.carrier,
        "shipping_method": report.method,
        "extra": dict(report.extra),
        "effect": effect,
        "effect_note": note[:255],
    }
    key = _dedupe(order, vendor_order, report)
    if key in changes.seen:
        # Seen before. A replay, unless it is a hold coming back or a hold being lifted (In
        # production, On hold, In production): callbacks carry no sequence number, and missing a
        # hold is worse than a replayed one, which staff can see in the timeline.
        if (current is not None and report.status.code == current.code) or effect != StatusEffect.APPLY:
            return None
        if report.status.status not in HOLD_STATUSES and (current is None or current.status not in HOLD_STATUSES):
            return None
        changes.flush()
        key = _dedupe(
            order, vendor_order, report, f"|again|{StatusEvent.objects.filter(fulfilment_order=order).count()}"
        )
    # Inserted with the others at the end, without a savepoint: every event of an order is
    # inserted under its row lock (status_updates_apply), and `seen` was read once that lock was
    # held, so no one else can have inserted this key.
    event = StatusEvent(dedupe_key=key, **fields)
    changes.events.append(event)
    changes.seen.add(key)
    return event


def _advance(
    partner, order: FulfilmentOrder, vendor_order: VendorOrder | None, event: StatusEvent, label: str, changes: _Changes
) -> None:
    columns = ("status", "vendor_status_code", "vendor_status_name")
    if vendor_order is not None:
        for name in columns:
            setattr(vendor_order, name, getattr(event, name))
        for name in ("shipping_tracking", "shipping_carrier", "shipping_method"):
            if getattr(event, name):
                setattr(vendor_order, name, getattr(event, name))
        changes.vendor_order = True
    # The order's own status follows the same rule against its own current status (a split
    # order's vendor orders can be at different points).
    current = _current(partner, order)
    incoming = VendorStatus(
        FulfilmentStatus(event.status) if event.status else None,
        event.vendor_status_code,
        partner.status_of(event.vendor_status_code).name,
    )
    effect, note = status_decide(
        current, incoming, before_hold=_before_hold(partner, order, None, current, changes), partner=label
    )
    if effect == StatusEffect.CONFLICT:
        _flag_conflict(order, note, changes)
        return
    if effect != StatusEffect.APPLY:
        return
    for name in columns:
        setattr(order, name, getattr(event, name))
    changes.order_changed(*columns)
    if event.status == FulfilmentStatus.CANCELLED:
        # Cancelled by the partner: its customizations may go into a new order.
        FulfilmentItem.objects.filter(order=order).update(live=False)


def _flag_conflict(order: FulfilmentOrder, note: str, changes: _Changes) -> None:
    text = f"{timezone.now():%Y-%m-%d %H:%M} UTC: {note}"
    order.status_conflict = f"{order.status_conflict}\n{text}".strip()[-4000:]
    changes.order_changed("status_conflict")


# -- print files ready -------------------------------------------------------------------------


def _notices(hook: Hook, body: bytes) -> list[PrintFilesNotice] | None:
    """The notices a PRINT_FILES_READY body holds; None when it cannot be read (a garbage body
    still triggers a poll: it is only ever a hint)."""
    try:
        records = list(hook.parse(body)) if hook.parse else []
    except Exception as exc:  # the partner's bytes, whatever they are
        logger.info("fulfilment: print-files hook body unreadable (%s): polling all", type(exc).__name__)
        return None
    return [record for record in records if isinstance(record, PrintFilesNotice)]


def print_files_ready_apply(incoming, connection: VendorConnection, notices) -> tuple[str, str]:
    """Some print files are ready: poll those the notices name now (queued), or every unsettled one
    of the connection when they name none. Nothing in the body is taken for a state or a URL."""
    ids = [sid for notice in notices or () for sid in notice.store_item_ids]
    due = partner_print_files_due_now(connection, ids)
    if notices is None:
        said = "the body could not be read"
    elif ids:
        said = f"it names {counted(len(ids), 'item')}"
    else:
        said = "it names no item"
    return Outcome.APPLIED, f"{said}: {counted(due, 'print file')} of {connection.name} to poll now."


# -- order pushes -------------------------------------------------------------------------------


def order_push_apply(incoming, connection: VendorConnection, record: PushedOrderRecord) -> tuple[str, str]:
    fields = {
        "ref": record.ref,
        "external_ref": record.reference,
        **address_columns(record.address, contact=False),
        "shipping_carrier": record.shipping_carrier,
        "shipping_method": record.shipping_method,
    }
    with transaction.atomic():
        order, created = PushedOrder.objects.get_or_create(
            connection=connection,
            vendor_id=record.vendor_id,
            defaults={**fields, "raw": record.raw, "incoming": incoming},
        )
        if not created:
            return Outcome.DUPLICATE, f"{order} was already received."
        items = PushedOrderItem.objects.bulk_create(
            PushedOrderItem(
                order=order,
                vendor_id=line.vendor_id,
                type=line.type,
                mapped_sku=line.mapped_sku,
                sku=line.sku,
                description=line.description,
                quantity=line.quantity,
                assets=line.assets,
            )
            for line in record.lines
        )
        # The artwork is copied into our storage in the background: the vendor's links expire.
        if pushed_assets_create(items):
            pushed_assets_queue(order.pk)
    return Outcome.APPLIED, f"{order} received."


# -- designs (a saved design posted by the vendor's designer) -----------------------------------


def customization_apply(incoming, connection: VendorConnection, record: CustomizationRecord) -> tuple[str, str]:
    """Write a customization a hook brought (a saved design) through the same writer and
    screening as a sync: the vendor's id keys it, so a replay of the same data writes nothing and
    changed data updates the one customization. It then waits in the review queue by the same
    rules as every design."""
    with transaction.atomic():
        state = existing_state(connection, [record.external_id])
        outcome = customizations_write(connection, [record], state, records_screen([record]))
    if outcome.created:
        return Outcome.APPLIED, f"design {record.external_id} received."
    if outcome.updated:
        return Outcome.APPLIED, f"design {record.external_id} updated."
    return Outcome.DUPLICATE, f"duplicate: design {record.external_id} was already received, unchanged."


# -- unverified traffic ---------------------------------------------------------------------------


def unverified_throttle(remote_addr: str | None) -> int:
    """Count one unverified hook request (unknown token, bad HMAC) from this address in Django's
    cache; the seconds to wait when it is over HOOK_UNVERIFIED_RATE (per minute), else 0. Only
    requests that fail verification are counted, so a verified burst is never limited."""
    from django.core.cache import cache

    limit, window = settings.HOOK_UNVERIFIED_RATE, 60
    bucket = int(timezone.now().timestamp()) // window
    key = f"fulfilment:hook-unverified:{remote_addr or '-'}:{bucket}"
    cache.add(key, 0, timeout=window * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window * 2)
        count = 1
    if count > limit:
        return window - int(timezone.now().timestamp()) % window or 1
    return 0
