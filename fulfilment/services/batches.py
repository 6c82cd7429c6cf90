"""Batch orders (BATCH_ORDERS): items of several sent orders combined by the partner into one
print file, with print templates made in the partner's dashboard (PrintTemplate). The partner's
status word is kept as it is said, whatever it is; reading it again needs the adapter's optional
`batch_status`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from integrations.http import VendorError
from integrations.partners import BatchRecord, NotSupported
from integrations.registry import Capability, UnknownVendor
from orders.models import VendorConnection

from ..catalogue_models import BatchOrder, PrintTemplate
from ..models import FulfilmentItem, FulfilmentOrder
from .catalogue import jsonable, vendor_error_words
from .partners import NoPartner, connection_partner, partner_class
from .ratelimit import RateLimited, rate_limit_take


class BatchInvalid(ValueError):
    """Not created, and why, in words."""


@dataclass(frozen=True)
class BatchChoice:
    """What the combine screen offers for a selection of fulfilment orders."""

    connection: VendorConnection | None
    items: list[FulfilmentItem]  # every item of the selected orders, the sendable ones with a vendor id
    templates: list[PrintTemplate]
    problem: str  # "" when a batch can be made from this selection


def batch_choice(orders: Iterable[FulfilmentOrder]) -> BatchChoice:
    """The items of the selected orders and the connection's print templates, or why no batch
    can be made of them (two connections, a partner without batch orders, nothing selected)."""
    orders = list(orders)
    if not orders:
        return BatchChoice(None, [], [], "Select the fulfilment orders whose items go into the batch.")
    connections = {order.connection_id for order in orders}
    if len(connections) > 1:
        names = sorted({order.connection.name for order in orders})
        return BatchChoice(
            None,
            [],
            [],
            f"A batch order goes to one partner connection: the selection spans {', '.join(names)}. "
            "Select orders of one connection.",
        )
    connection = orders[0].connection
    if not connection.spec.has(Capability.BATCH_ORDERS):
        return BatchChoice(connection, [], [], f"{connection.spec.label} does not take batch orders.")
    items = list(
        FulfilmentItem.objects.filter(order__in=orders).select_related("order", "customization").order_by("order", "pk")
    )
    templates = list(PrintTemplate.objects.filter(connection=connection))
    problem = ""
    if not any(item.vendor_id for item in items):
        problem = "None of these items is at the partner yet (no partner id): send their orders first."
    elif not templates:
        problem = f"{connection.name} has no print templates: enter them (from the partner's dashboard) first."
    return BatchChoice(connection, items, templates, problem)


def batch_order_create(
    *, connection: VendorConnection, items: Iterable[FulfilmentItem], templates: Iterable[PrintTemplate], user=None
) -> BatchOrder:
    """Ask the partner to combine `items` (sent, with their partner ids) with `templates` into one
    batch order, and record it. Raises BatchInvalid in words; nothing is recorded then."""
    items, templates = list(items), list(templates)
    if not connection.spec.has(Capability.BATCH_ORDERS):
        raise BatchInvalid(f"{connection.spec.label} does not take batch orders.")
    if not items:
        raise BatchInvalid("Choose at least one item.")
    if not templates:
        raise BatchInvalid("Choose at least one print template.")
    elsewhere = [item.external_ref for item in items if item.order.connection_id != connection.pk]
    if elsewhere:
        raise BatchInvalid(
            f"A batch order goes to one partner connection: {'item' if len(elsewhere) == 1 else 'items'} {', '.join(elsewhere)} went to another."
        )
    unsent = [f"{item.external_ref} (order {item.order.external_ref})" for item in items if not item.vendor_id]
    if unsent:
        raise BatchInvalid(
            f"Not at the partner yet (no partner id), so they cannot be batched: {', '.join(unsent)}. "
            "Send their orders first, or leave them out."
        )
    foreign = [str(t) for t in templates if t.connection_id != connection.pk]
    if foreign:
        raise BatchInvalid(
            f"{'A print template' if len(foreign) == 1 else 'Print templates'} of another connection: {', '.join(foreign)}."
        )
    try:
        rate_limit_take(connection)
        with connection_partner(connection) as partner:
            record: BatchRecord = partner.batch_create(
                [item.vendor_id for item in items], [template.vendor_uid for template in templates]
            )
    except (VendorError, RateLimited, NotSupported) as exc:
        raise BatchInvalid(f"The partner did not create the batch order: {vendor_error_words(exc)}") from None
    if not record.vendor_id:
        raise BatchInvalid("The partner's answer gave no id for the batch order: check its dashboard.")
    with transaction.atomic():
        batch, _created = BatchOrder.objects.update_or_create(
            connection=connection,
            vendor_id=record.vendor_id[:64],
            defaults={
                "status_code": (record.status_code or "")[:100],
                "raw": jsonable(record.raw),
                "created_by": user if getattr(user, "pk", None) else None,
            },
        )
        batch.items.set(items)
        batch.templates.set(templates)
    return batch


def batch_refresh_supported(connection: VendorConnection) -> bool:
    """Whether the connection's adapter can read a batch order's status again (`batch_status`)."""
    try:
        return connection.spec.has(Capability.BATCH_ORDERS) and hasattr(partner_class(connection), "batch_status")
    except (UnknownVendor, NoPartner):  # nothing to refresh with
        return False


def batch_order_refresh(batch: BatchOrder) -> BatchOrder:
    """Read the batch order's status at the partner. A failure is kept in `error`, in words."""
    if not batch_refresh_supported(batch.connection):
        raise BatchInvalid(f"{batch.connection.spec.label} cannot read a batch order's status again.")
    try:
        rate_limit_take(batch.connection)
        with connection_partner(batch.connection) as partner:
            record: BatchRecord = partner.batch_status(batch.vendor_id)
    except (VendorError, RateLimited, NotSupported) as exc:
        batch.error = vendor_error_words(exc)
        batch.save(update_fields=["error"])
        return batch
    batch.status_code = (record.status_code or "")[:100]
    batch.raw = jsonable(record.raw)
    batch.refreshed_at = timezone.now()
    batch.error = ""
    batch.save(update_fields=["status_code", "raw", "refreshed_at", "error"])
    return batch
