"""Fulfilment orders to any partner that takes them: create, validate, send (idempotently). The
partner's adapter builds its own body and reads its own answer (integrations.partners)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from config.celery import queue_on_commit
from integrations.http import VendorError, VendorRetryable
from integrations.partners import (
    Customer,
    HookKind,
    LineKind,
    LineToSend,
    OrderToSend,
    PrintFile,
    SendError,
    SendResult,
)
from integrations.registry import Capability
from orders.models import Customization, CustomizationSide, OrderLine, SideArtwork, StoreOrder, VendorConnection
from orders.services.connections import connection_hook_urls

from ..address import ADDRESS_FIELDS, BILLING_FIELDS, address_record, billing_record, country_code_problem
from ..models import FulfilmentItem, FulfilmentOrder, VendorOrder
from .announce import fulfilment_order_announce
from .catalogue import line_variant_id
from .holds import reprinted_orders
from .links import artwork_url, packing_slip_url, side_preview_url
from .partners import connection_partner, partner_class, partner_offline, partner_stores
from .print_files import partner_print_files_track
from .queue import PROBE_TASK, SEND_TASK
from .ratelimit import RateLimited, rate_limit_take

logger = logging.getLogger(__name__)
State = FulfilmentOrder.State
# The address (fulfilment.address) and how it is to go.
SHIPPING_FIELDS = [*ADDRESS_FIELDS, "shipping_method", "shipping_carrier", "required_dispatch_date"]
# What richer partners keep beside it (OrderToSend); all optional.
ORDER_EXTRA_FIELDS = [
    "note",
    "shipping_price",
    "subtotal_price",
    "total_price",
    "currency",
    "partner_store",
    "coupon_code",
    "payment_trans_id",
]
# Everything staff may set on a new order (the create screen's form).
ORDER_FIELDS = SHIPPING_FIELDS + ORDER_EXTRA_FIELDS + BILLING_FIELDS


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
    problem = country_code_problem(order.shipping_country_code)
    if problem:
        errors["shipping_country_code"] = problem
    if order.sale_datetime and order.sale_datetime > timezone.now():
        errors["sale_datetime"] = "The sale date (UTC) cannot be in the future."
    if order.required_dispatch_date and order.required_dispatch_date < date.today():
        errors["required_dispatch_date"] = "The required dispatch date cannot be in the past."
    problem = country_code_problem(order.billing_country_code)
    if problem:
        errors["billing_country_code"] = problem
    if order.partner_store and order.connection_id:
        stores = partner_stores(order.connection)
        if order.partner_store not in stores:
            errors["partner_store"] = f"{order.partner_store} is not one of {order.connection.name}'s stores" + (
                f" ({', '.join(stores)})." if stores else " (it has none)."
            )
    items = list(order.items.all()) if items is None and order.pk else (items or [])
    if not items:
        errors["items"] = "At least one item is needed."
    for item in items:
        if item.quantity < 1:
            errors["items"] = f"Item {item.external_ref}: the quantity must be at least 1."
        problem = _artwork_problem(item.customization, needs_files=item.kind == LineKind.ARTWORK) or (
            _live_elsewhere(item.customization, order)
        )
        if problem:
            errors["items"] = f"Item {item.external_ref}: {problem}"
    return errors


def _live_elsewhere(customization: Customization, order: FulfilmentOrder) -> str:
    # A reprint's designs are live in the shipped order it reprints (fulfilment.services.holds).
    reprinted = reprinted_orders(order) if order.reprint_of_id else []
    other = (
        FulfilmentItem.objects.filter(customization=customization, live=True)
        .exclude(order_id__in=[order.pk, *reprinted])
        .select_related("order")
        .first()
    )
    return f"{customization} is already in order {other.order.external_ref}." if other else ""


def _artwork_problem(customization: Customization, *, needs_files: bool = True) -> str:
    """Why the design cannot go; an item of another kind than artwork sends no print file."""
    if customization.decision != Customization.Decision.APPROVED:
        return f"{customization} is not approved."
    if artwork_at_partner(customization):
        return ""  # the partner holds the artwork (a print job): no print file of ours is sent
    if not needs_files:
        return ""
    files = list(SideArtwork.objects.filter(side__customization=customization).select_related("side"))
    if any(artwork.state == SideArtwork.State.READY for artwork in files):
        return ""
    return f"{customization} has no print file ready: " + _print_files_said(files)


def _print_files_said(files: list[SideArtwork]) -> str:
    """What is wrong with each side's print file, in words, and what staff can do about it."""
    if not files:
        return "none has been fetched (is it approved?)."
    State = SideArtwork.State
    said = []
    for artwork in files:
        side = artwork.side.name or artwork.side.external_id
        if artwork.state == State.NEEDS_ATTENTION:
            said.append(f"{side} needs attention ({artwork.error or 'preflight'}; a Manager can accept it anyway)")
        elif artwork.state == State.FAILED:
            said.append(f"{side} failed ({artwork.error or 'no reason given'}; Retry it)")
        else:
            said.append(f"{side} is {artwork.get_state_display().lower()} (not fetched yet)")
    return "; ".join(said) + "."


@transaction.atomic
def fulfilment_order_create(
    *, connection: VendorConnection, customizations, shipping: dict, user=None, store_order=None
) -> FulfilmentOrder:
    """A draft order of these approved customizations (one item each, their ordered quantity).
    Raises FulfilmentInvalid with staff-readable messages; nothing is saved then."""
    if not connection.spec.has(Capability.FULFILMENT_SEND):
        raise FulfilmentInvalid(
            {"connection": f"{connection.spec.label} does not take fulfilment orders: choose a partner that does."}
        )
    customizations = list(customizations)
    store_order = store_order or _one_store_order(customizations)
    order = FulfilmentOrder(
        connection=connection,
        created_by=user,
        store_order=store_order,
        external_ref="pending",
        **{k: v for k, v in shipping.items() if k in ORDER_FIELDS and v is not None},
    )
    order.shipping_country_code = (order.shipping_country_code or "").strip().upper()
    order.billing_country_code = (order.billing_country_code or "").strip().upper()
    if store_order is not None and not order.currency:
        order.currency = store_order.currency[:8]
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
    # What this partner requires beyond the common rules (a variant per line, a known store):
    # said now, on the create screen, rather than when the order is sent (nothing is saved then).
    check = getattr(partner_offline(connection), "problems", None)
    problems = check(order_to_send(order)) if check else []
    if problems:
        raise FulfilmentInvalid({"partner": " ".join(problems)})
    fulfilment_order_announce(order.pk)  # a new order (the dashboard counts it)
    return order


def fulfilment_order_problems(order: FulfilmentOrder) -> list[str]:
    """Why the order cannot be sent as it is, in words: the common rules, then the partner's own
    (its `problems`, e.g. what each item type needs). Empty when it can."""
    problems = list(fulfilment_order_validate(order).values())
    check = getattr(partner_offline(order.connection), "problems", None)
    return problems + (check(order_to_send(order)) if check else [])


def _one_store_order(customizations: list[Customization]) -> StoreOrder | None:
    """The store order every one of these designs was ordered in, when there is exactly one."""
    ids = set(OrderLine.objects.filter(customization__in=customizations).values_list("store_order_id", flat=True))
    return StoreOrder.objects.filter(pk=ids.pop()).first() if len(ids) == 1 else None


def fulfilment_orders_create_routed(
    *, groups: dict[VendorConnection, list[Customization]], shipping: dict, user=None
) -> list[FulfilmentOrder]:
    """One draft order per partner (the routing table's split), all or none: a problem with any
    raises FulfilmentInvalid (its messages name the partner) and nothing is saved."""
    orders = []
    with transaction.atomic():
        for connection, customizations in groups.items():
            try:
                orders.append(
                    fulfilment_order_create(
                        connection=connection, customizations=customizations, shipping=shipping, user=user
                    )
                )
            except FulfilmentInvalid as exc:
                raise FulfilmentInvalid(
                    {field: f"{connection.name}: {message}" for field, message in exc.errors.items()}
                ) from None
    return orders


def fulfilment_order_discard(order: FulfilmentOrder) -> bool:
    """Staff give up on a draft or failed order: its customizations may go into a new one.
    Anything sent (or on its way) stays: it exists at the vendor."""
    with transaction.atomic():
        done = FulfilmentOrder.objects.filter(pk=order.pk, state__in=[State.DRAFT, State.FAILED]).update(
            state=State.DISCARDED, next_attempt_at=None
        )
        if done:
            FulfilmentItem.objects.filter(order=order).update(live=False)
            fulfilment_order_announce(order.pk, previous_state=order.state, previous_status=order.status)
    return bool(done)


def order_to_send(order: FulfilmentOrder) -> OrderToSend:
    """The order as the partner adapter takes it: address, lines with their print files (one per
    print area, in side order), the design's configuration and previews, the store's ids, the
    customer, prices, references and where to call back."""
    lines = []
    # In the order staff added them (no default ordering: PostgreSQL returns updated rows last).
    items = (
        order.items.select_related("customization")
        .prefetch_related("customization__sides__nodes", "customization__order_lines")
        .order_by("pk")
    )
    for item in items:
        customization = item.customization
        # Only an artwork item has print files (the other kinds are made without ours).
        artworks = (
            SideArtwork.objects.filter(side__customization=customization, state=SideArtwork.State.READY)
            .select_related("side")
            .order_by("side__position")
            if item.kind == LineKind.ARTWORK
            else SideArtwork.objects.none()
        )
        sides = sorted(customization.sides.all(), key=lambda side: (side.position, side.pk))
        lines.append(
            LineToSend(
                reference=item.external_ref,
                quantity=item.quantity,
                sku=item.sku,
                description=item.description,
                files=tuple(PrintFile(url=artwork_url(a), name=a.side.name or a.side.external_id) for a in artworks),
                store_item_id=item.store_item_id,
                variant_id=line_variant_id(order, item),
                price=price_parse(customization.price),
                design=design_config(customization, sides),
                thumbnails=tuple(url for url in (side_preview_url(side) for side in sides) if url),
                properties=line_properties(customization),
                kind=item.kind or LineKind.ARTWORK.value,
                print_on_demand_ref=item.print_on_demand_ref,
                textual_product_id=item.textual_product_id,
                colour=item.colour,
                size=item.size,
            )
        )
    store = order.store_order
    return OrderToSend(
        reference=order.external_ref,
        sold_at=order.sale_datetime,
        address=address_record(order),
        lines=tuple(lines),
        callback_url=status_callback_url(order.connection),
        shipping_method=order.shipping_method,
        shipping_carrier=order.shipping_carrier,
        dispatch_by=order.required_dispatch_date,
        store_order_id=(store.store_order_id or store.external_id) if store else "",
        store_order_number=store.name if store else "",
        partner_store=order.partner_store,
        customer=order_customer(order),
        billing=billing_record(order),  # None: the same as the shipping address
        shipping_price=order.shipping_price,
        total_price=order.total_price,
        subtotal_price=order.subtotal_price,
        currency=order.currency or (store.currency if store else ""),
        note=order.note,
        coupon_code=order.coupon_code,
        payment_trans_id=order.payment_trans_id,
        packing_slip_url=packing_slip_url(order),
    )


def _production_entries(customization: Customization) -> list[dict]:
    data = customization.production_data
    return [entry for entry in data if isinstance(entry, dict)] if isinstance(data, list) else []


def line_properties(customization: Customization) -> dict[str, Any]:
    """What the customizer's record says a fulfilment line must carry to its partner (the
    neutral `line_properties` entries of its production data, e.g. a print job's reference)."""
    properties: dict[str, Any] = {}
    for entry in _production_entries(customization):
        if isinstance(entry.get("line_properties"), dict):
            properties.update(entry["line_properties"])
    return properties


def artwork_at_partner(customization: Customization) -> bool:
    """The partner already holds this design's artwork (its production data says so)."""
    return any(entry.get("artwork_at_partner") is True for entry in _production_entries(customization))


def price_parse(text: str) -> Decimal | None:
    """A customizer's price ("12.50", "12,50", "€12.50") as a Decimal, None when it is none."""
    cleaned = re.sub(r"[^0-9.,-]", "", text or "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    cleaned = cleaned.replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def order_customer(order: FulfilmentOrder) -> Customer | None:
    """The customer from the order's contact fields (the name split at its first space)."""
    name = " ".join(order.customer_name.split())
    if not (name or order.customer_email or order.customer_telephone):
        return None
    first, _, last = name.partition(" ")
    return Customer(email=order.customer_email, first_name=first, last_name=last, phone=order.customer_telephone)


NODE_FIELDS = ("kind", "label", "value", "text", "font_family", "font_size", "fill", "stroke", "image_url")


def design_config(customization: Customization, sides: list[CustomizationSide] | None = None) -> dict[str, Any]:
    """The customizer's configuration of the design, JSON-able, small and deterministic: its
    template, variant and options, each side with its nodes (texts, images, fonts, colours), and
    what production needs. Empty values are left out."""
    sides = sides if sides is not None else list(customization.sides.order_by("position", "pk"))
    config: dict[str, Any] = {
        "template_id": customization.template_id,
        "variant": customization.variant_title,
        "color": customization.hex_color,
        "options": customization.options or {},
        "sides": [
            _compact(
                {
                    "name": side.name or side.external_id,
                    "nodes": [
                        _compact({name: getattr(node, name) for name in NODE_FIELDS})
                        for node in sorted(side.nodes.all(), key=lambda node: (node.position, node.pk))
                    ],
                }
            )
            for side in sides
        ],
        "production_data": customization.production_data or [],
    }
    return _compact(config)


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value not in ("", None, [], {})}


def fulfilment_payload(order: FulfilmentOrder) -> dict:
    """What the partner is sent for this order (its own wire format, built by its adapter)."""
    return partner_offline(order.connection).request_body(order_to_send(order))


def hook_url_for(connection: VendorConnection, kind: HookKind) -> str:
    """The URL of the connection's hook that brings `kind` ("" when its vendor has none)."""
    name = connection.spec.hook_name_for(kind)
    return connection_hook_urls(connection).get(name, "") if name else ""


def status_callback_url(connection: VendorConnection) -> str:
    return hook_url_for(connection, HookKind.STATUS_CALLBACK)


def order_push_url(connection: VendorConnection) -> str:
    return hook_url_for(connection, HookKind.ORDER_PUSH)


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
        .filter(pk=order.pk, on_hold=False)  # a held order is not sent, by staff or by a rule
        .update(state=State.QUEUED, next_attempt_at=None, updated_at=timezone.now())
    )
    if queued:
        queue_on_commit(SEND_TASK, order.pk)
    return bool(queued)


def fulfilment_order_send(order: FulfilmentOrder) -> FulfilmentOrder:
    """Send it once. A retry after a timeout the partner did receive is answered "duplicate" (our
    external_ref exists): that is reconciled as sent, never a second order. A rate limit (ours,
    or the partner's, which can last a day) is waited out: the order stays queued with
    `next_attempt_at` and the reconciler sends it then. Raises VendorRetryable when trying again
    soon may help (recorded on the order)."""
    order = FulfilmentOrder.objects.select_related("connection").get(pk=order.pk)
    if order.state in (State.SENT, State.DISCARDED):
        return order
    if order.on_hold:
        return _held(order)
    # Claim it: one attempt at a time (a second task, or a reconciler's re-queue, finds it taken).
    claimed = FulfilmentOrder.objects.filter(
        pk=order.pk, state__in=[State.DRAFT, State.QUEUED, State.FAILED], on_hold=False
    ).update(state=State.SENDING, updated_at=timezone.now())
    if not claimed:
        order.refresh_from_db()
        return _held(order) if order.on_hold else order
    errors = fulfilment_order_validate(order)
    if errors:
        return _failed(order, "Not sent: " + " ".join(errors.values()))
    to_send = order_to_send(order)
    # The partner's own rules again: its items may have been edited since the order was made.
    check = getattr(partner_offline(order.connection), "problems", None)
    problems = check(to_send) if check else []
    if problems:
        return _failed(order, "Not sent: " + " ".join(problems))
    try:
        with connection_partner(order.connection) as partner:
            FulfilmentOrder.objects.filter(pk=order.pk).update(
                request_payload=redact_hook_token(partner.request_body(to_send)),
                attempts=order.attempts + 1,
                next_attempt_at=None,
            )
            rate_limit_take(order.connection)
            result = partner.send(to_send)
    except RateLimited as exc:
        return _waiting(order, until=exc.retry_at, whose=f"our count of {order.connection.spec.label}'s rate limit")
    except VendorRetryable as exc:
        if not resending_is_safe(order.connection):
            # The partner would make a second order of a second send: never sent again blindly.
            return _check(order, exc)
        # We may or may not have reached the partner: the next attempt finds out (a duplicate).
        FulfilmentOrder.objects.filter(pk=order.pk).update(
            state=State.QUEUED, last_error=f"Will retry: {exc}", updated_at=timezone.now()
        )
        raise
    except VendorError as exc:
        return _failed(order, str(exc))
    if result.error == SendError.DUPLICATE:
        FulfilmentOrder.objects.filter(pk=order.pk).update(
            state=State.SENT,
            reconciled=True,
            sent_at=timezone.now(),
            last_error="The vendor already had this order (an earlier attempt reached it): not sent twice.",
        )
        order.refresh_from_db()
        partner_print_files_track(order)
        fulfilment_order_announce(order.pk, previous_state=State.SENDING, previous_status=order.status)
        return order
    if result.error == SendError.RETRY_LATER:
        seconds = result.retry_after or settings.FULFILMENT_RATE_LIMIT_WAIT_SECONDS
        whose = result.limit or f"{order.connection.spec.label}'s rate limit"
        return _waiting(order, until=timezone.now() + timedelta(seconds=seconds), whose=whose)
    if result.error is not None:
        return _failed(order, result.message or "The partner refused the order.")
    _apply_created(order, result)
    order.refresh_from_db()
    return order


def resending_is_safe(connection: VendorConnection) -> bool:
    """Whether the partner refuses a second order with our reference (`idempotent_send`). A
    partner that does not say is taken to make a second order: never sent twice blindly."""
    return bool(getattr(partner_class(connection), "idempotent_send", False))


def _check(order: FulfilmentOrder, exc: Exception) -> FulfilmentOrder:
    """The answer to a send was lost: the order waits in Check until the partner is asked."""
    fulfilment_order_to_check(order, f"The answer to sending was lost ({exc})")
    order.refresh_from_db()
    return order


def fulfilment_order_to_check(order: FulfilmentOrder, why: str, *, now=None) -> None:
    """Into Check, and the partner asked after FULFILMENT_PROBE_DELAY_SECONDS whether it has it:
    `why` it may or may not have reached the partner, in words."""
    delay = settings.FULFILMENT_PROBE_DELAY_SECONDS
    FulfilmentOrder.objects.filter(pk=order.pk).update(
        state=State.CHECK,
        probes=0,
        next_attempt_at=None,
        updated_at=now or timezone.now(),
        last_error=(
            f"{why}: it may or may not have reached {order.connection.spec.label}. "
            f"Not sent again; the partner is asked in {delay} s whether it has it."
        )[:2000],
    )
    fulfilment_order_probe_queue(order.pk, delay=delay)
    fulfilment_order_announce(order.pk, previous_state=order.state, previous_status=order.status)


def fulfilment_order_probe_queue(order_id: int, *, delay: int | float | None = None) -> None:
    """Queue a probe of an order in Check (after `delay` seconds), once the transaction commits."""
    options = {"countdown": delay} if delay else {}
    queue_on_commit(PROBE_TASK, order_id, options=options)


def _held(order: FulfilmentOrder) -> FulfilmentOrder:
    """Not sent: it is on hold (held after it was queued). Back to draft, saying so; released, it
    is sent again by staff or by the auto-send rule."""
    until = f" until {order.hold_until.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if order.hold_until else ""
    message = f"Not sent: on hold{until} ({order.hold_reason or 'no reason given'})."
    logger.info("fulfilment order %s not sent: on hold", order.pk)
    FulfilmentOrder.objects.filter(pk=order.pk, state=State.QUEUED).update(
        state=State.DRAFT, next_attempt_at=None, updated_at=timezone.now()
    )
    FulfilmentOrder.objects.filter(pk=order.pk).update(last_error=message[:2000])
    order.refresh_from_db()
    return order


def _waiting(order: FulfilmentOrder, *, until, whose: str) -> FulfilmentOrder:
    FulfilmentOrder.objects.filter(pk=order.pk).update(
        state=State.QUEUED,
        next_attempt_at=until,
        last_error=f"Waiting for {whose} until {until.astimezone(UTC):%Y-%m-%d %H:%M} UTC; it is sent then.",
    )
    order.refresh_from_db()
    return order


def _failed(order: FulfilmentOrder, message: str) -> FulfilmentOrder:
    FulfilmentOrder.objects.filter(pk=order.pk).update(state=State.FAILED, last_error=message[:2000])
    fulfilment_order_announce(order.pk, previous_state=State.SENDING, previous_status=order.status)
    order.refresh_from_db()
    return order


@transaction.atomic
def _apply_created(order: FulfilmentOrder, result: SendResult) -> None:
    # LOCK ORDER (every path that writes a fulfilment order and its vendor orders): the
    # FulfilmentOrder row first, then its VendorOrder rows. A status callback arriving before
    # the POST has answered takes the same order (incoming.status_update_apply), so the two wait
    # for each other instead of deadlocking.
    order = FulfilmentOrder.objects.select_for_update().select_related("connection").get(pk=order.pk)
    created = result.created
    problem = next((entry.status for entry in created if entry.has_error and entry.status), None)
    for entry in created:
        VendorOrder.objects.update_or_create(
            connection=order.connection,
            vendor_id=entry.vendor_id,
            defaults={
                "fulfilment_order": order,
                "ref": entry.ref,
                "external_ref": entry.reference or order.external_ref,
                "has_error": entry.has_error,
                "error_message": entry.error_message,
                **(_status_columns(entry.status) if entry.status else {}),
            },
        )
        for line in entry.lines:
            FulfilmentItem.objects.filter(order=order, external_ref=line.reference).update(
                vendor_id=line.vendor_id, vendor_ref=line.vendor_ref
            )
    FulfilmentOrder.objects.filter(pk=order.pk).update(
        state=State.SENT,
        sent_at=timezone.now(),
        response_payload=result.raw if result.raw is not None else [],
        last_error="",
        has_error=any(entry.has_error for entry in created),
        error_message="\n".join(entry.error_message for entry in created if entry.error_message),
        **(_status_columns(problem) if problem else {}),
    )
    partner_print_files_track(order)
    fulfilment_order_announce(order.pk, previous_state=order.state, previous_status=order.status)


def _status_columns(status) -> dict:
    return {
        "status": status.status or "",
        "vendor_status_code": status.code[:64],
        "vendor_status_name": status.name[:64],
    }
