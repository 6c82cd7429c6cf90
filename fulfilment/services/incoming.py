"""Status callbacks (we are the retailer) and order pushes (we are the supplier).

Each request is stored raw first, then verified (the connection's secret in the URL; for
pushes also the X-CustomGateway-Hmac of the raw body), then parsed and applied in a transaction.
Applying twice is harmless: events and pushed orders are keyed by what the vendor sent."""

from __future__ import annotations

import hashlib
import json
import logging

from django.db import IntegrityError, transaction

from integrations.custom_gateway.types import ORDER_STATUSES, verify_push_signature
from orders.models import VendorConnection

from ..models import FulfilmentOrder, IncomingRequest, PushedOrder, PushedOrderItem, StatusEvent, VendorOrder

logger = logging.getLogger(__name__)
Outcome = IncomingRequest.Outcome
SECRET_HEADERS = {"authorization", "cookie", "proxy-authorization", "x-api-key"}
SIGNATURE_HEADER = "X-CustomGateway-Hmac"
# Statuses past which an order does not move back when an older callback arrives late.
FINAL_STATUSES = {8, 64, 128}
KNOWN_FIELDS = {
    "id",
    "external_ref",
    "ref",
    "status",
    "status_name",
    "shipping_tracking",
    "shipping_method",
    "shipping_carrier",
}


def incoming_record(request, kind: str) -> IncomingRequest:
    """Store the request as it came, before anything else (credentials and cookies removed)."""
    headers = {key: value for key, value in request.headers.items() if key.lower() not in SECRET_HEADERS}
    return IncomingRequest.objects.create(
        kind=kind,
        method=request.method,
        headers=headers,
        body=request.body.decode("utf-8", errors="replace"),
        remote_addr=request.META.get("REMOTE_ADDR") or None,
    )


def connection_for_token(token: str) -> VendorConnection | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    connection = VendorConnection.objects.filter(
        kind=VendorConnection.Kind.CUSTOM_GATEWAY, hook_token_hash=digest, is_active=True
    ).first()
    # The hash finds it; the stored secret confirms it, compared in constant time.
    if connection is None or not _same(connection.hook_token, token):
        return None
    return connection


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def _finish(incoming: IncomingRequest, outcome: str, note: str = "", *, connection=None, verified=None) -> str:
    fields = {"outcome": outcome, "note": note[:2000]}
    if connection is not None:
        fields["connection"] = connection
    if verified is not None:
        fields["verified"] = verified
    IncomingRequest.objects.filter(pk=incoming.pk).update(**fields)
    return outcome


# -- status callbacks -------------------------------------------------------------------------


def status_callback_receive(incoming: IncomingRequest, token: str) -> str:
    """Apply one stored status callback. Returns the outcome; the view answers 404 for an unknown
    token and 200 for everything else (so the vendor does not retry what we cannot use)."""
    connection = connection_for_token(token)
    if connection is None:
        return _finish(incoming, Outcome.REJECTED, "Unknown or inactive hook URL.")
    try:
        data = json.loads(incoming.body)
        if not isinstance(data, dict):
            raise ValueError("the body is not a JSON object")
        status = int(data["status"])
    except (ValueError, KeyError, TypeError) as exc:
        return _finish(incoming, Outcome.INVALID, f"Unreadable callback: {exc}", connection=connection, verified=True)
    vendor_id = str(data.get("id") or "")
    external_ref = str(data.get("external_ref") or "")
    with transaction.atomic():
        order = (
            FulfilmentOrder.objects.select_for_update().filter(connection=connection, external_ref=external_ref).first()
        )
        vendor_order = (
            VendorOrder.objects.filter(connection=connection, vendor_id=vendor_id).first() if vendor_id else None
        )
        if order is None and vendor_order is not None:
            order = vendor_order.fulfilment_order
        if order is None:
            return _finish(
                incoming,
                Outcome.UNMATCHED,
                f"No order {external_ref or vendor_id} here.",
                connection=connection,
                verified=True,
            )
        if vendor_order is None and vendor_id:
            # A split we had not heard of, or the first news of an order reconciled after a timeout.
            vendor_order, _ = VendorOrder.objects.get_or_create(
                connection=connection,
                vendor_id=vendor_id,
                defaults={"fulfilment_order": order, "ref": str(data.get("ref") or ""), "external_ref": external_ref},
            )
        event = _event(order, vendor_order, incoming, data, status)
        if event is None:
            return _finish(incoming, Outcome.DUPLICATE, "Already applied.", connection=connection, verified=True)
        _advance(order, vendor_order, event)
    return _finish(incoming, Outcome.APPLIED, f"{event.status_name} for {order}", connection=connection, verified=True)


def _event(order, vendor_order, incoming, data: dict, status: int) -> StatusEvent | None:
    key_parts = [
        str(order.pk),
        str(vendor_order.vendor_id if vendor_order else ""),
        str(status),
        str(data.get("shipping_tracking") or ""),
        str(data.get("shipping_carrier") or ""),
    ]
    dedupe = hashlib.sha256("|".join(key_parts).encode()).hexdigest()
    try:
        with transaction.atomic():
            return StatusEvent.objects.create(
                fulfilment_order=order,
                vendor_order=vendor_order,
                incoming=incoming,
                status=status,
                status_name=str(data.get("status_name") or ORDER_STATUSES.get(status, f"Status {status}"))[:64],
                shipping_tracking=str(data.get("shipping_tracking") or "")[:255],
                shipping_carrier=str(data.get("shipping_carrier") or "")[:100],
                shipping_method=str(data.get("shipping_method") or "")[:100],
                extra={key: value for key, value in data.items() if key not in KNOWN_FIELDS},
                dedupe_key=dedupe,
            )
    except IntegrityError:
        return None


def _advance(order: FulfilmentOrder, vendor_order: VendorOrder | None, event: StatusEvent) -> None:
    """Move the current status forward; a late older callback is kept in the timeline only."""
    for target in filter(None, [vendor_order, order]):
        current = target.status if isinstance(target, VendorOrder) else target.vendor_status
        if current in FINAL_STATUSES and event.status not in FINAL_STATUSES:
            continue
        if isinstance(target, VendorOrder):
            target.status, target.status_name = event.status, event.status_name
            for field in ("shipping_tracking", "shipping_carrier", "shipping_method"):
                if getattr(event, field):
                    setattr(target, field, getattr(event, field))
            target.save()
        else:
            target.vendor_status, target.vendor_status_name = event.status, event.status_name
            target.save(update_fields=["vendor_status", "vendor_status_name", "updated_at"])


# -- order pushes -------------------------------------------------------------------------------


class PushRejected(Exception):
    pass


class HookUnknown(PushRejected):
    """No active connection has this hook URL (never had, or its secret was rotated): 404, as for
    status callbacks, so an old URL tells nothing about whether the connection exists."""


def order_push_receive(incoming: IncomingRequest, token: str, raw_body: bytes, signature: str | None) -> str:
    """Verify and apply one stored order push. Raises HookUnknown (-> 404) for an unknown URL and
    PushRejected (-> 401) when the HMAC does not verify: nothing but the raw request is kept then."""
    connection = connection_for_token(token)
    if connection is None:
        _finish(incoming, Outcome.REJECTED, "Unknown or inactive hook URL.")
        raise HookUnknown("unknown hook")
    if not connection.push_hmac_key or not verify_push_signature(connection.push_hmac_key, raw_body, signature):
        why = "missing" if not signature else "does not match"
        _finish(incoming, Outcome.REJECTED, f"{SIGNATURE_HEADER} {why}.", connection=connection, verified=False)
        raise PushRejected("bad signature")
    try:
        data = json.loads(raw_body)
        vendor_id = str(data["id"])
        items = data.get("items") or []
        if not isinstance(items, list):
            raise ValueError("items is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        return _finish(incoming, Outcome.INVALID, f"Unreadable push: {exc}", connection=connection, verified=True)
    fields = {
        key: str(data.get(key) or "")[:255]
        for key in (
            "ref",
            "external_ref",
            "customer_name",
            "shipping_address_1",
            "shipping_address_2",
            "shipping_address_3",
            "shipping_address_4",
            "shipping_address_5",
            "shipping_postcode",
            "shipping_carrier",
            "shipping_method",
        )
    }
    fields["shipping_country_code"] = str(data.get("shipping_country_code") or "")[:2]
    with transaction.atomic():
        order, created = PushedOrder.objects.get_or_create(
            connection=connection, vendor_id=vendor_id, defaults={**fields, "raw": data, "incoming": incoming}
        )
        if not created:
            return _finish(
                incoming, Outcome.DUPLICATE, f"{order} was already received.", connection=connection, verified=True
            )
        PushedOrderItem.objects.bulk_create(
            PushedOrderItem(
                order=order,
                vendor_id=str(item.get("id") or index),
                type=item.get("type") if isinstance(item.get("type"), int) else None,
                mapped_sku=str(item.get("mapped_sku") or "")[:255],
                sku=str(item.get("sku") or "")[:255],
                description=str(item.get("description") or "")[:500],
                quantity=max(1, int(item.get("quantity") or 1)),
                assets=item.get("assets") if isinstance(item.get("assets"), list) else [],
            )
            for index, item in enumerate(items)
        )
    return _finish(incoming, Outcome.APPLIED, f"{order} received.", connection=connection, verified=True)
