"""Fulfilment orders to Custom Gateway's Order-iT: create, validate, send (idempotently)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from iso3166 import countries_by_alpha2

from config.celery import queue_on_commit
from integrations.custom_gateway.client import OrderAlreadyExists, RateLimitedByVendor
from integrations.custom_gateway.types import ORDER_STATUSES, STATUS_QC_QUERY
from integrations.http import VendorError, VendorRetryable
from integrations.registry import Capability
from orders.models import Customization, SideArtwork, VendorConnection
from orders.services.connections import connection_client, connection_hook_urls

from ..models import FulfilmentItem, FulfilmentOrder, VendorOrder
from .links import artwork_url
from .queue import SEND_TASK
from .ratelimit import RateLimited, rate_limit_take

logger = logging.getLogger(__name__)
State = FulfilmentOrder.State
SHIPPING_FIELDS = [
    "customer_name",
    "customer_email",
    "customer_telephone",
    "shipping_company",
    "shipping_address_1",
    "shipping_address_2",
    "shipping_address_3",
    "shipping_address_4",
    "shipping_address_5",
    "shipping_postcode",
    "shipping_country_code",
    "shipping_method",
    "shipping_carrier",
    "required_dispatch_date",
]


class FulfilmentInvalid(ValueError):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))


def fulfilment_order_validate(order: FulfilmentOrder, *, items=None) -> dict[str, str]:
    """The doc's rules, checked before sending: {field: message}. Empty when fine."""
    errors = {}
    for field, label in (
        ("shipping_address_1", "address line 1"),
        ("shipping_postcode", "postcode"),
        ("shipping_country_code", "country"),
    ):
        if not (getattr(order, field) or "").strip():
            errors[field] = f"The {label} is required."
    code = (order.shipping_country_code or "").strip().upper()
    if code and code not in countries_by_alpha2:
        errors["shipping_country_code"] = f"{code!r} is not an ISO 3166-1 alpha-2 country code (e.g. GB, US, DE)."
    if order.sale_datetime and order.sale_datetime > timezone.now():
        errors["sale_datetime"] = "The sale date (UTC) cannot be in the future."
    if order.required_dispatch_date and order.required_dispatch_date < date.today():
        errors["required_dispatch_date"] = "The required dispatch date cannot be in the past."
    items = list(order.items.all()) if items is None and order.pk else (items or [])
    if not items:
        errors["items"] = "At least one item is needed."
    for item in items:
        if item.quantity < 1:
            errors["items"] = f"Item {item.external_ref}: the quantity must be at least 1."
        problem = _artwork_problem(item.customization) or _live_elsewhere(item.customization, order)
        if problem:
            errors["items"] = f"Item {item.external_ref}: {problem}"
    return errors


def _live_elsewhere(customization: Customization, order: FulfilmentOrder) -> str:
    other = (
        FulfilmentItem.objects.filter(customization=customization, live=True)
        .exclude(order_id=order.pk)
        .select_related("order")
        .first()
    )
    return f"{customization} is already in order {other.order.external_ref}." if other else ""


def _artwork_problem(customization: Customization) -> str:
    if customization.decision != Customization.Decision.APPROVED:
        return f"{customization} is not approved."
    ready = SideArtwork.objects.filter(side__customization=customization, state=SideArtwork.State.READY).count()
    if not ready:
        return f"{customization} has no print file ready yet."
    return ""


@transaction.atomic
def fulfilment_order_create(
    *, connection: VendorConnection, customizations, shipping: dict, user=None, store_order=None
) -> FulfilmentOrder:
    """A draft order of these approved customizations (one item each, their ordered quantity).
    Raises FulfilmentInvalid with staff-readable messages; nothing is saved then."""
    if not connection.spec.has(Capability.FULFILMENT_SEND):
        raise FulfilmentInvalid({"connection": "Choose a Custom Gateway connection."})
    customizations = list(customizations)
    order = FulfilmentOrder(
        connection=connection,
        created_by=user,
        store_order=store_order,
        external_ref="pending",
        **{k: v for k, v in shipping.items() if k in SHIPPING_FIELDS},
    )
    order.shipping_country_code = (order.shipping_country_code or "").strip().upper()
    items = [
        FulfilmentItem(
            customization=customization,
            external_ref=f"C{customization.pk}",
            quantity=max(1, sum(line.quantity for line in customization.order_lines.all()) or 1),
            sku=customization.sku[:255],
            description=customization.product_title[:255],
        )
        for customization in customizations
    ]
    errors = fulfilment_order_validate(order, items=items)
    if errors:
        raise FulfilmentInvalid(errors)
    order.save()
    order.external_ref = f"{settings.FULFILMENT_REF_PREFIX}{order.pk:06d}"
    order.save(update_fields=["external_ref"])
    for item in items:
        item.order = order
    try:
        # The partial unique constraint (one live item per customization) decides a race: two
        # staff at once, or a double submit. The loser waits for the winner's commit, then fails.
        with transaction.atomic():
            FulfilmentItem.objects.bulk_create(items)
    except IntegrityError:
        taken = (
            FulfilmentItem.objects.filter(customization__in=[i.customization_id for i in items], live=True)
            .exclude(order=order)
            .select_related("order", "customization")
            .first()
        )
        where = f"order {taken.order.external_ref}" if taken else "another order"
        what = str(taken.customization) if taken else "A customization"
        raise FulfilmentInvalid({"items": f"{what} is already in {where}."}) from None
    return order


def fulfilment_order_discard(order: FulfilmentOrder) -> bool:
    """Staff give up on a draft or failed order: its customizations may go into a new one.
    Anything sent (or on its way) stays: it exists at the vendor."""
    with transaction.atomic():
        done = FulfilmentOrder.objects.filter(pk=order.pk, state__in=[State.DRAFT, State.FAILED]).update(
            state=State.DISCARDED, next_attempt_at=None
        )
        if done:
            FulfilmentItem.objects.filter(order=order).update(live=False)
    return bool(done)


def fulfilment_payload(order: FulfilmentOrder) -> dict:
    """The Order-iT order object for this order (type 1 for one print area, 7 for several)."""
    payload = {
        "external_ref": order.external_ref,
        # The doc types it integer: a JSON number when it is all digits.
        "company_ref_id": int(company)
        if (company := str(order.connection.setting("company")).strip()).isdigit()
        else company,
        "sale_datetime": order.sale_datetime.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "status_callback_url": status_callback_url(order.connection),
        "items": [],
    }
    for field in SHIPPING_FIELDS:
        value = getattr(order, field)
        if value:
            payload[field] = value.isoformat() if isinstance(value, date) else value
    for item in order.items.select_related("customization"):
        artworks = list(
            SideArtwork.objects.filter(side__customization=item.customization, state=SideArtwork.State.READY)
            .select_related("side")
            .order_by("side__position")
        )
        line = {
            "external_ref": item.external_ref,
            "quantity": item.quantity,
            "sku": item.sku,
            "description": item.description,
        }
        if len(artworks) == 1:
            url = artwork_url(artworks[0])
            line.update(type=1, external_url=url, external_thumbnail_url=url)
        else:
            line.update(
                type=7,
                external_urls=[
                    {"fullsize": artwork_url(a), "thumbnail": artwork_url(a), "name": a.side.name or a.side.external_id}
                    for a in artworks
                ],
            )
        payload["items"].append(line)
    return payload


def status_callback_url(connection: VendorConnection) -> str:
    return connection_hook_urls(connection)["status"]


def order_push_url(connection: VendorConnection) -> str:
    return connection_hook_urls(connection)["orders"]


HOOK_TOKEN_IN_URL = re.compile(r"(/hooks/[^/]+/)([^/]+)(/)")
REDACTED = "[redacted]"


def redact_hook_token(payload):
    """The payload with the hook secret in any URL replaced: the token is a credential (whoever
    has it can post status callbacks) and is shown nowhere but the connection's own page."""
    if isinstance(payload, dict):
        return {key: redact_hook_token(value) for key, value in payload.items()}
    if isinstance(payload, list):
        return [redact_hook_token(value) for value in payload]
    if isinstance(payload, str):
        return HOOK_TOKEN_IN_URL.sub(lambda m: m.group(1) + REDACTED + m.group(3), payload)
    return payload


def stuck_before(now=None):
    """An order queued or sending whose record has not moved since then has no live attempt:
    task retries back off at most FULFILMENT_RETRY_MAX_COUNTDOWN, well inside this bound."""
    return (now or timezone.now()) - timedelta(minutes=settings.FULFILMENT_STUCK_AFTER_MINUTES)


def sendable_q(now=None) -> Q:
    """What the Send action accepts: drafts, failed orders, and stuck or waiting ones."""
    return Q(state__in=[State.DRAFT, State.FAILED]) | Q(
        Q(next_attempt_at__isnull=False) | Q(updated_at__lt=stuck_before(now)),
        state__in=[State.QUEUED, State.SENDING],
    )


def fulfilment_order_queue(order: FulfilmentOrder) -> bool:
    """Queue it to send (staff's Send action, the reconciler). False when it is not sendable."""
    queued = (
        FulfilmentOrder.objects.filter(sendable_q())
        .filter(pk=order.pk)
        .update(state=State.QUEUED, next_attempt_at=None, updated_at=timezone.now())
    )
    if queued:
        queue_on_commit(SEND_TASK, order.pk)
    return bool(queued)


def fulfilment_order_send(order: FulfilmentOrder) -> FulfilmentOrder:
    """Send it once. A retry after a timeout the vendor did receive answers 8001 (the
    external_ref exists): that is reconciled as sent, never a second order. A rate limit (ours
    or the vendor's 50004, which can last a day) is waited out: the order stays queued with
    `next_attempt_at` and the reconciler sends it then. Raises VendorRetryable when trying again
    soon may help (recorded on the order)."""
    order = FulfilmentOrder.objects.select_related("connection").get(pk=order.pk)
    if order.state in (State.SENT, State.DISCARDED):
        return order
    # Claim it: one attempt at a time (a second task, or a reconciler's re-queue, finds it taken).
    claimed = FulfilmentOrder.objects.filter(pk=order.pk, state__in=[State.DRAFT, State.QUEUED, State.FAILED]).update(
        state=State.SENDING, updated_at=timezone.now()
    )
    if not claimed:
        order.refresh_from_db()
        return order
    errors = fulfilment_order_validate(order)
    if errors:
        return _failed(order, "Not sent: " + " ".join(errors.values()))
    payload = fulfilment_payload(order)
    FulfilmentOrder.objects.filter(pk=order.pk).update(
        request_payload=redact_hook_token(payload), attempts=order.attempts + 1, next_attempt_at=None
    )
    try:
        rate_limit_take(order.connection)
        with connection_client(order.connection) as client:
            created = client.create_order(payload)
    except OrderAlreadyExists:
        FulfilmentOrder.objects.filter(pk=order.pk).update(
            state=State.SENT,
            reconciled=True,
            sent_at=timezone.now(),
            last_error="The vendor already had this order (an earlier attempt reached it): not sent twice.",
        )
        order.refresh_from_db()
        return order
    except (RateLimited, RateLimitedByVendor) as exc:
        return _waiting(order, exc)
    except VendorRetryable as exc:
        # We may or may not have reached the vendor: the next attempt finds out (8001).
        FulfilmentOrder.objects.filter(pk=order.pk).update(
            state=State.QUEUED, last_error=f"Will retry: {exc}", updated_at=timezone.now()
        )
        raise
    except VendorError as exc:
        return _failed(order, str(exc))
    _apply_created(order, created)
    order.refresh_from_db()
    return order


def _waiting(order: FulfilmentOrder, exc: Exception) -> FulfilmentOrder:
    if isinstance(exc, RateLimited):
        until, whose = exc.retry_at, "our count of Custom Gateway's rate limit"
    else:
        seconds = getattr(exc, "retry_after", None) or settings.FULFILMENT_RATE_LIMIT_WAIT_SECONDS
        until, whose = timezone.now() + timedelta(seconds=seconds), "Custom Gateway's rate limit (50004)"
    FulfilmentOrder.objects.filter(pk=order.pk).update(
        state=State.QUEUED,
        next_attempt_at=until,
        last_error=f"Waiting for {whose} until {until.astimezone(UTC):%Y-%m-%d %H:%M} UTC; it is sent then.",
    )
    order.refresh_from_db()
    return order


def _failed(order: FulfilmentOrder, message: str) -> FulfilmentOrder:
    FulfilmentOrder.objects.filter(pk=order.pk).update(state=State.FAILED, last_error=message[:2000])
    order.refresh_from_db()
    return order


@transaction.atomic
def _apply_created(order: FulfilmentOrder, created: list[dict]) -> None:
    # LOCK ORDER (every path that writes a fulfilment order and its vendor orders): the
    # FulfilmentOrder row first, then its VendorOrder rows. A status callback arriving before
    # the POST has answered takes the same order (incoming.status_update_apply), so the two wait
    # for each other instead of deadlocking.
    order = FulfilmentOrder.objects.select_for_update().select_related("connection").get(pk=order.pk)
    has_error = any(entry.get("has_error") for entry in created)
    messages = [entry.get("error_message") for entry in created if entry.get("error_message")]
    for entry in created:
        VendorOrder.objects.update_or_create(
            connection=order.connection,
            vendor_id=str(entry.get("id")),
            defaults={
                "fulfilment_order": order,
                "ref": str(entry.get("ref") or ""),
                "external_ref": str(entry.get("external_ref") or order.external_ref),
                "has_error": bool(entry.get("has_error")),
                "error_message": entry.get("error_message") or "",
                **(
                    {"status": STATUS_QC_QUERY, "status_name": ORDER_STATUSES[STATUS_QC_QUERY]}
                    if entry.get("has_error")
                    else {}
                ),
            },
        )
        for item in entry.get("items") or []:
            FulfilmentItem.objects.filter(order=order, external_ref=item.get("external_ref")).update(
                vendor_id=str(item.get("id") or ""), vendor_ref=str(item.get("ref") or "")
            )
    FulfilmentOrder.objects.filter(pk=order.pk).update(
        state=State.SENT,
        sent_at=timezone.now(),
        response_payload=created,
        last_error="",
        has_error=has_error,
        error_message="\n".join(messages),
        **({"vendor_status": 32, "vendor_status_name": ORDER_STATUSES[32]} if has_error else {}),
    )
