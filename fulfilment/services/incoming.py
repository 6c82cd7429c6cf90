"""Status callbacks (we are the retailer) and order pushes (we are the supplier).

django-anymail's shape: the connection is found by the secret token in the URL first (an
unknown token stores no body: only a capped summary row); the raw request is then stored,
capped in size; pushes are verified (X-CustomGateway-Hmac of the raw body); the body is parsed
into typed records (integrations.custom_gateway.wire, every number bounded to its column) and
applied through a service in a transaction. Applying twice is harmless: events and pushed orders
are keyed by what the vendor sent, so staff can Reprocess a stored request (dj-stripe's
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
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.proxy import client_ip
from integrations.custom_gateway.types import (
    HOLD_STATUSES,
    PROGRESS_RANK,
    STATUS_CANCELLED,
    StatusEffect,
    status_decide,
    status_name,
    verify_push_signature,
)
from integrations.custom_gateway.wire import (
    PushedOrderData,
    StatusUpdate,
    WireInvalid,
    order_push_parse,
    status_update_parse,
)
from integrations.registry import Capability
from orders.models import VendorConnection

from ..models import (
    FulfilmentItem,
    FulfilmentOrder,
    IncomingRequest,
    PushedOrder,
    PushedOrderItem,
    StatusEvent,
    VendorOrder,
)

logger = logging.getLogger(__name__)
Outcome = IncomingRequest.Outcome
Kind = IncomingRequest.Kind
SECRET_HEADERS = {"authorization", "cookie", "proxy-authorization", "x-api-key"}
SIGNATURE_HEADER = "X-CustomGateway-Hmac"
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


def incoming_record(request, kind: str, *, connection: VendorConnection, body: bytes) -> IncomingRequest:
    """Store the request as it came (credentials and cookies removed), for a known connection."""
    return IncomingRequest.objects.create(
        kind=kind,
        connection=connection,
        method=request.method,
        headers=_headers(request),
        body=body.decode("utf-8", errors="replace"),
        size_bytes=len(body),
        remote_addr=_remote(request),
    )


def incoming_summary(request, kind: str, *, size: int, outcome: str, note: str, connection=None) -> IncomingRequest:
    """A row without the body (an unknown hook URL, a body over the cap): kind, size, address, why.
    Never the token (it is in the URL, which is not stored) nor the headers of a stranger."""
    return IncomingRequest.objects.create(
        kind=kind,
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
    if not token or len(token) > 200:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    connection = (
        VendorConnection.objects.with_capability(Capability.STATUS_HOOKS)
        .filter(hook_token_hash=digest, is_active=True)
        .first()
    )
    # The hash finds it; the stored secret confirms it, compared in constant time.
    if connection is None or not hmac.compare_digest(connection.hook_token.encode(), token.encode()):
        return None
    return connection


def _finish(incoming: IncomingRequest, outcome: str, note: str = "", *, verified=None, **more) -> str:
    fields = {"outcome": outcome, "note": note[:2000], **more}
    if verified is not None:
        fields["verified"] = verified
    IncomingRequest.objects.filter(pk=incoming.pk).update(**fields)
    return outcome


def incoming_apply(incoming: IncomingRequest, *, raw: bytes | None = None) -> str:
    """Parse and apply one stored, verified request (first time or Reprocess). Records the outcome
    and returns it: invalid input is `invalid` with the reason; an unexpected error is `error`
    with its traceback (and re-raised for the caller to answer 5xx: the vendor retries)."""
    connection = incoming.connection
    body = incoming.body if raw is None else raw  # the raw bytes when we have them (UTF-8 checked)
    try:
        if incoming.kind == Kind.STATUS_CALLBACK:
            outcome, note = status_update_apply(incoming, connection, status_update_parse(body))
        else:
            outcome, note = order_push_apply(incoming, connection, order_push_parse(body))
    except WireInvalid as exc:
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
    return _finish(incoming, outcome, note, verified=True, error_traceback="")


def incoming_reprocess(incoming: IncomingRequest, *, user=None) -> str:
    """Staff's Reprocess: apply a verified stored request again through the same service. A
    replay of one already applied changes nothing (it is recorded as a duplicate)."""
    if not incoming.verified or incoming.connection_id is None or not incoming.body:
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


def status_update_apply(incoming, connection: VendorConnection, update: StatusUpdate) -> tuple[str, str]:
    """Apply one parsed status callback; returns (outcome, note). Every callback that names one of
    our orders lands in the timeline with its effect; an exact replay is recognised as a
    duplicate of the event it repeats."""
    with transaction.atomic():
        order_id = None
        if update.external_ref:
            order_id = (
                FulfilmentOrder.objects.filter(connection=connection, external_ref=update.external_ref)
                .values_list("pk", flat=True)
                .first()
            )
        if order_id is None and update.vendor_id:
            order_id = (
                VendorOrder.objects.filter(connection=connection, vendor_id=update.vendor_id)
                .values_list("fulfilment_order_id", flat=True)
                .first()
            )
        if order_id is None:
            return Outcome.UNMATCHED, f"No order {update.external_ref or update.vendor_id} here."
        # Lock order: the FulfilmentOrder row first, then its vendor orders.
        order = FulfilmentOrder.objects.select_for_update().get(pk=order_id)
        vendor_order = None
        if update.vendor_id:
            vendor_order = VendorOrder.objects.filter(connection=connection, vendor_id=update.vendor_id).first()
            if vendor_order is None:
                # A split we had not heard of, or the first news of an order reconciled after a timeout.
                vendor_order, _ = VendorOrder.objects.get_or_create(
                    connection=connection,
                    vendor_id=update.vendor_id,
                    defaults={"fulfilment_order": order, "ref": update.ref, "external_ref": update.external_ref},
                )
        current = vendor_order.status if vendor_order else order.vendor_status
        effect, note = status_decide(current, update.status, before_hold=_before_hold(order, vendor_order, current))
        event = _event(order, vendor_order, incoming, update, effect, note, current)
        if event is None:
            return Outcome.DUPLICATE, f"duplicate: {status_name(update.status)} was already recorded for {order}."
        if effect == StatusEffect.APPLY:
            _advance(order, vendor_order, event)
        elif effect == StatusEffect.CONFLICT:
            _flag_conflict(order, note)
    said = {
        StatusEffect.APPLY: f"applied: {event.status_name} for {order}",
        StatusEffect.LATE: f"{note} for {order}",
        StatusEffect.CONFLICT: f"{note} ({order})",
        StatusEffect.UNKNOWN: f"{note} ({order})",
    }[effect]
    return EFFECT_OUTCOME[effect], said


def _before_hold(order, vendor_order, current: int | None) -> int | None:
    """The progress status the vendor order (None: the order, across its vendor orders) had
    before its current hold; only looked up when `current` is a hold (status_decide reads it
    only then), so an ordinary callback costs no query for it."""
    if current not in HOLD_STATUSES:
        return None
    events = StatusEvent.objects.filter(fulfilment_order=order, effect=StatusEffect.APPLY, status__in=PROGRESS_RANK)
    if vendor_order is not None:
        events = events.filter(vendor_order=vendor_order)
    return events.order_by("-id").values_list("status", flat=True).first()


def _dedupe(order, vendor_order, update: StatusUpdate, suffix: str = "") -> str:
    parts = [
        str(order.pk),
        vendor_order.vendor_id if vendor_order else "",
        str(update.status),
        update.shipping_tracking,
        update.shipping_carrier,
    ]
    return hashlib.sha256(("|".join(parts) + suffix).encode()).hexdigest()


def _event(order, vendor_order, incoming, update: StatusUpdate, effect: str, note: str, current) -> StatusEvent | None:
    fields = {
        "fulfilment_order": order,
        "vendor_order": vendor_order,
        "incoming": incoming,
        "status": update.status,
        "status_name": update.status_name or status_name(update.status),
        "shipping_tracking": update.shipping_tracking,
        "shipping_carrier": update.shipping_carrier,
        "shipping_method": update.shipping_method,
        "extra": update.extra,
        "effect": effect,
        "effect_note": note[:255],
    }
    key = _dedupe(order, vendor_order, update)
    if StatusEvent.objects.filter(dedupe_key=key).exists():
        # Seen before. A replay, unless it is a hold coming back or a hold being lifted (4, On
        # Hold, 4): the doc gives no sequence number, and missing a hold is worse than a
        # replayed one, which staff can see in the timeline.
        if update.status == current or effect != StatusEffect.APPLY:
            return None
        if update.status not in HOLD_STATUSES and current not in HOLD_STATUSES:
            return None
        key = _dedupe(
            order, vendor_order, update, f"|again|{StatusEvent.objects.filter(fulfilment_order=order).count()}"
        )
    try:
        with transaction.atomic():
            return StatusEvent.objects.create(dedupe_key=key, **fields)
    except IntegrityError:
        return None  # the same callback, applied at the same moment by another request


def _advance(order: FulfilmentOrder, vendor_order: VendorOrder | None, event: StatusEvent) -> None:
    if vendor_order is not None:
        vendor_order.status, vendor_order.status_name = event.status, event.status_name
        for name in ("shipping_tracking", "shipping_carrier", "shipping_method"):
            if getattr(event, name):
                setattr(vendor_order, name, getattr(event, name))
        vendor_order.save()
    # The order's own status follows the same rule against its own current status (a split
    # order's vendor orders can be at different points).
    effect, note = status_decide(
        order.vendor_status, event.status, before_hold=_before_hold(order, None, order.vendor_status)
    )
    if effect == StatusEffect.CONFLICT:
        _flag_conflict(order, note)
        return
    if effect != StatusEffect.APPLY:
        return
    order.vendor_status, order.vendor_status_name = event.status, event.status_name
    order.save(update_fields=["vendor_status", "vendor_status_name", "updated_at"])
    if event.status == STATUS_CANCELLED:
        # Cancelled by the vendor: its customizations may go into a new order.
        FulfilmentItem.objects.filter(order=order).update(live=False)


def _flag_conflict(order: FulfilmentOrder, note: str) -> None:
    text = f"{timezone.now():%Y-%m-%d %H:%M} UTC: {note}"
    order.status_conflict = f"{order.status_conflict}\n{text}".strip()[-4000:]
    order.save(update_fields=["status_conflict", "updated_at"])


# -- order pushes -------------------------------------------------------------------------------


def push_verified(connection: VendorConnection, raw_body: bytes, signature: str | None) -> str:
    """An empty string when the X-CustomGateway-Hmac header verifies, else why not."""
    if not connection.secret("push_hmac_key"):
        return "no HMAC key is set on the connection"
    if not verify_push_signature(connection.secret("push_hmac_key"), raw_body, signature):
        return f"{SIGNATURE_HEADER} {'missing' if not signature else 'does not match'}"
    return ""


def order_push_apply(incoming, connection: VendorConnection, data: PushedOrderData) -> tuple[str, str]:
    with transaction.atomic():
        order, created = PushedOrder.objects.get_or_create(
            connection=connection,
            vendor_id=data.vendor_id,
            defaults={**data.fields, "raw": data.raw, "incoming": incoming},
        )
        if not created:
            return Outcome.DUPLICATE, f"{order} was already received."
        PushedOrderItem.objects.bulk_create(
            PushedOrderItem(
                order=order,
                vendor_id=item.vendor_id,
                type=item.type,
                mapped_sku=item.mapped_sku,
                sku=item.sku,
                description=item.description,
                quantity=item.quantity,
                assets=item.assets,
            )
            for item in data.items
        )
    return Outcome.APPLIED, f"{order} received."


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
