"""Fulfilment orders to Custom Gateway's Order-iT: create, validate, send (idempotently)."""

from __future__ import annotations

import logging
from datetime import UTC, date

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from iso3166 import countries_by_alpha2

from integrations.custom_gateway.client import OrderAlreadyExists, RateLimitedByVendor
from integrations.custom_gateway.types import ORDER_STATUSES
from integrations.http import VendorError, VendorRetryable
from orders.models import Customization, SideArtwork, VendorConnection
from orders.services.connections import connection_client

from ..models import FulfilmentItem, FulfilmentOrder, VendorOrder
from .links import artwork_url
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
        problem = _artwork_problem(item.customization)
        if problem:
            errors["items"] = f"Item {item.external_ref}: {problem}"
    return errors


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
    if connection.kind != VendorConnection.Kind.CUSTOM_GATEWAY:
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
    FulfilmentItem.objects.bulk_create(items)
    return order


def fulfilment_payload(order: FulfilmentOrder) -> dict:
    """The Order-iT order object for this order (type 1 for one print area, 7 for several)."""
    payload = {
        "external_ref": order.external_ref,
        "company_ref_id": order.connection.company,
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
    path = reverse("fulfilment:status-callback", args=[connection.hook_token])
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def order_push_url(connection: VendorConnection) -> str:
    path = reverse("fulfilment:order-push", args=[connection.hook_token])
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def fulfilment_order_queue(order: FulfilmentOrder) -> None:
    from ..tasks import fulfilment_order_send_task

    FulfilmentOrder.objects.filter(pk=order.pk, state__in=[State.DRAFT, State.FAILED]).update(state=State.QUEUED)
    transaction.on_commit(lambda: fulfilment_order_send_task.delay(order.pk))


def fulfilment_order_send(order: FulfilmentOrder) -> FulfilmentOrder:
    """Send it once. A retry after a timeout the vendor did receive answers 8001 (the
    external_ref exists): that is reconciled as sent, never a second order. Raises
    VendorRetryable / RateLimited when trying later may help (recorded on the order)."""
    order = FulfilmentOrder.objects.select_related("connection").get(pk=order.pk)
    if order.state == State.SENT:
        return order
    errors = fulfilment_order_validate(order)
    if errors:
        return _failed(order, "Not sent: " + " ".join(errors.values()))
    payload = fulfilment_payload(order)
    FulfilmentOrder.objects.filter(pk=order.pk).update(
        state=State.SENDING, request_payload=payload, attempts=order.attempts + 1
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
        FulfilmentOrder.objects.filter(pk=order.pk).update(state=State.QUEUED, last_error=f"Waiting: {exc}")
        raise
    except VendorRetryable as exc:
        # We may or may not have reached the vendor: the next attempt finds out (8001).
        FulfilmentOrder.objects.filter(pk=order.pk).update(state=State.QUEUED, last_error=f"Will retry: {exc}")
        raise
    except VendorError as exc:
        return _failed(order, str(exc))
    _apply_created(order, created)
    order.refresh_from_db()
    return order


def _failed(order: FulfilmentOrder, message: str) -> FulfilmentOrder:
    FulfilmentOrder.objects.filter(pk=order.pk).update(state=State.FAILED, last_error=message[:2000])
    order.refresh_from_db()
    return order


@transaction.atomic
def _apply_created(order: FulfilmentOrder, created: list[dict]) -> None:
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
                **({"status": 32, "status_name": ORDER_STATUSES[32]} if entry.get("has_error") else {}),
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
