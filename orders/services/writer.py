"""Batched, compare-before-write upserts of mapped customizations. Vendor-neutral."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Customization, CustomizationSide, DesignNode, OrderLine, StoreOrder, VendorConnection
from .qstomizer_mapping import MappedCustomization

CUSTOMIZATION_FIELDS = [
    "status",
    "vendor_status",
    "customized_at",
    "status_changed_at",
    "product_title",
    "template_id",
    "hex_color",
    "variant_title",
    "sku",
    "price",
    "options",
    "production_data",
    "summary",
    "user_notes",
    "comments",
    "user_agent",
    "listing",
    "payload",
    "payload_hash",
    "fetched_at",
    "has_bad_words",
    "bad_words",
    "screened_version",
]
NODE_FIELDS = [
    "node_id",
    "kind",
    "label",
    "value",
    "text",
    "font_family",
    "font_size",
    "fill",
    "stroke",
    "image_url",
    "raw",
]
SIDE_FIELDS = ["position", "name", "preview_url", "design_url", "design_hd_url", "generator_tool_url", "raw"]


@dataclass
class Known:
    pk: int
    listing: list
    payload_hash: str


@dataclass
class WriteOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def existing_state(connection: VendorConnection, external_ids: list[str]) -> dict[str, Known]:
    """What we hold for these ids: enough to tell new, changed and unchanged apart (one query)."""
    rows = Customization.objects.filter(connection=connection, external_id__in=external_ids).values_list(
        "external_id", "pk", "listing", "payload_hash"
    )
    return {external_id: Known(pk, listing, digest) for external_id, pk, listing, digest in rows}


def customizations_write(
    connection: VendorConnection, mapped: list[MappedCustomization], state: dict[str, Known]
) -> WriteOutcome:
    outcome = WriteOutcome()
    changed: list[MappedCustomization] = []
    listing_only: list[MappedCustomization] = []
    for item in mapped:
        known = state.get(item.external_id)
        if known is None:
            outcome.created += 1
            changed.append(item)
        elif known.payload_hash != item.fields["payload_hash"]:
            outcome.updated += 1
            changed.append(item)
        elif known.listing != item.fields["listing"]:
            outcome.updated += 1
            listing_only.append(item)
        else:
            outcome.unchanged += 1
    if not changed and not listing_only:
        return outcome
    now = timezone.now()
    with transaction.atomic():
        for item in listing_only:
            Customization.objects.filter(pk=state[item.external_id].pk).update(
                listing=item.fields["listing"], updated_at=now
            )
        if changed:
            existed = {state[item.external_id].pk for item in changed if item.external_id in state}
            _write_changed(connection, changed, now, existed)
    return outcome


def _write_changed(connection: VendorConnection, changed: list[MappedCustomization], now, existed: set[int]) -> None:
    """Upsert changed customizations and their sides; replace their nodes and order lines. Only
    customizations that `existed` before can have children to remove: new ones skip the deletes."""
    objects = [
        Customization(
            connection=connection, external_id=item.external_id, **item.fields, fetched_at=now, updated_at=now
        )
        for item in changed
    ]
    saved = Customization.objects.bulk_create(
        objects,
        update_conflicts=True,
        unique_fields=["connection", "external_id"],
        update_fields=[*CUSTOMIZATION_FIELDS, "updated_at"],
    )
    by_external = {obj.external_id: obj.pk for obj in saved}

    # Sides are upserted, not replaced: later work (artwork, review) hangs off them.
    sides = [
        CustomizationSide(customization_id=by_external[item.external_id], **side.fields)
        for item in changed
        for side in item.sides
    ]
    saved_sides = CustomizationSide.objects.bulk_create(
        sides, update_conflicts=True, unique_fields=["customization", "external_id"], update_fields=SIDE_FIELDS
    )
    if existed:
        CustomizationSide.objects.filter(customization_id__in=existed).exclude(
            pk__in=[side.pk for side in saved_sides]
        ).delete()

    # Nodes carry nothing of ours: upserted by position (two workers writing the same batch agree),
    # and a changed customization's surplus nodes removed.
    side_pk = {(side.customization_id, side.external_id): side.pk for side in saved_sides}
    nodes = [
        DesignNode(side_id=side_pk[(by_external[item.external_id], side.fields["external_id"])], **node)
        for item in changed
        for side in item.sides
        for node in side.nodes
    ]
    DesignNode.objects.bulk_create(
        nodes, update_conflicts=True, unique_fields=["side", "position"], update_fields=NODE_FIELDS
    )
    if existed:
        keep = Q(pk__in=[])
        for item in changed:
            for side in item.sides:
                side_id = side_pk[(by_external[item.external_id], side.fields["external_id"])]
                keep |= Q(side_id=side_id, position__lt=len(side.nodes))
        DesignNode.objects.filter(side__customization_id__in=existed).exclude(keep).delete()

    with_lines = [item for item in changed if item.order_lines is not None]
    _write_order_lines(connection, with_lines, by_external, existed)


def _write_order_lines(connection, changed: list[MappedCustomization], by_external: dict[str, int], existed) -> None:
    """Qstomizer: a customization lists the store orders it is in; replace its lines."""
    if not changed:
        return
    orders = {
        line["order_id"]: StoreOrder(
            connection=connection,
            external_id=line["order_id"],
            store_order_id=line["order_id"],
            name=line["order_name"],
        )
        for item in changed
        for line in item.order_lines
    }
    saved_orders = StoreOrder.objects.bulk_create(
        list(orders.values()),
        update_conflicts=True,
        unique_fields=["connection", "external_id"],
        update_fields=["name", "store_order_id"],
    )
    order_pk = {order.external_id: order.pk for order in saved_orders}
    lines = {}
    for item in changed:
        for line in item.order_lines:
            key = (by_external[item.external_id], order_pk[line["order_id"]], line["variant_id"])
            if key in lines:  # the same order listed twice: add the quantities
                lines[key].quantity += line["quantity"]
                continue
            lines[key] = OrderLine(
                customization_id=key[0],
                store_order_id=key[1],
                product_id=line["product_id"],
                variant_id=line["variant_id"],
                quantity=line["quantity"],
            )
    saved_lines = OrderLine.objects.bulk_create(
        lines.values(),
        update_conflicts=True,
        unique_fields=["customization", "store_order", "variant_id"],
        update_fields=["product_id", "quantity"],
    )
    stale = [by_external[item.external_id] for item in changed if by_external[item.external_id] in existed]
    if stale:
        OrderLine.objects.filter(customization_id__in=stale).exclude(pk__in=[line.pk for line in saved_lines]).delete()
