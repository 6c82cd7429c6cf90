"""Qstomizer payloads -> neutral records (integrations.sources). Pure functions: no database,
no HTTP (vendor doc: qstomizer-api-v3.txt)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ..markup import css_colour, http_url
from ..sources import (
    CustomizationRecord,
    CustomizationStatus,
    Listed,
    NodeKind,
    NodeRecord,
    OrderLineRecord,
    SideRecord,
)
from .types import parse_date

STATUS_BY_ID = {
    1: CustomizationStatus.PENDING,
    2: CustomizationStatus.STOPPED,
    3: CustomizationStatus.IN_PRODUCTION,
    4: CustomizationStatus.FINISHED,
    5: CustomizationStatus.CANCELED,
    6: CustomizationStatus.DELETED,
    7: CustomizationStatus.ARTWORK_APPROVAL_PENDING,
}


def listing_rows(rows: Iterable[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    """The list rows in a stable order, so that unchanged rows compare equal."""
    return tuple(sorted(rows, key=lambda row: (str(row.get("template_id")), str(row))))


def listed(order_id: int, rows: list[dict]) -> Listed:
    """One customization of the list call (its rows merged: one per template)."""
    return Listed(external_id=str(order_id), listing=listing_rows(rows), rows=tuple(rows), dated=_dated(rows))


def listed_merge(first: Listed, second: Listed) -> Listed:
    """The same order_id met in two windows of one batch: one entry with the rows of both."""
    rows = list(first.rows)
    rows.extend(row for row in second.rows if row not in rows)
    return Listed(external_id=first.external_id, listing=listing_rows(rows), rows=tuple(rows), dated=first.dated)


def _dated(rows: list[dict]) -> datetime | None:
    try:
        return parse_date(rows[0].get("order_date")) if rows else None
    except ValueError:
        return None


def status_of(status_id) -> CustomizationStatus:
    try:
        return STATUS_BY_ID.get(int(status_id), CustomizationStatus.UNKNOWN)
    except (TypeError, ValueError):
        return CustomizationStatus.UNKNOWN


def _text(value) -> str:
    return "" if value is None else str(value)


# Values with a role in markup are validated here, where they are mapped ("" when invalid; the
# vendor's own value stays in the raw payload): a colour is a colour, a URL is http(s).
def _colour(value, max_length: int = 32) -> str:
    colour = css_colour(value)
    return colour if len(colour) <= max_length else ""


def _url(value) -> str:
    return http_url(value, max_length=1000)


def customization_record(listed: Listed, data: dict) -> CustomizationRecord:
    """Map one GET /order answer (plus its list rows). Raises ValueError (or TypeError,
    KeyError, AttributeError) on unreadable data."""
    options = data.get("options_selected") or {}
    if not isinstance(options, dict):
        raise ValueError("options_selected is not an object")
    variant = options.get("variantSelected") or {}
    first_row = listed.rows[0] if listed.rows else {}
    sides = []
    for position, side in enumerate(data.get("sides") or []):
        if side.get("side_id") in (None, ""):
            raise ValueError(f"side {position + 1} has no side_id")
        sides.append(
            SideRecord(
                external_id=_text(side["side_id"]),
                position=position,
                name=_text(side.get("side_name"))[:100],
                preview_url=_url(side.get("image_url")),
                design_url=_url(side.get("design_png")),
                print_file_url=_url(side.get("design_hd_url")),
                generator_tool_url=_url(side.get("generator_tool")),
                nodes=tuple(_node(position, node) for position, node in enumerate(side.get("nodes") or [])),
                raw={key: value for key, value in side.items() if key != "nodes"},
            )
        )
    lines = []
    for line in data.get("orders") or []:
        if not isinstance(line, dict) or line.get("shopify_order_id") in (None, ""):
            raise ValueError("a linked store order has no shopify_order_id")
        lines.append(
            OrderLineRecord(
                store_order_id=_text(line["shopify_order_id"]),
                store_order_name=_text(line.get("shopify_order_name"))[:64],
                product_id=_text(line.get("shopify_id_product")),
                variant_id=_text(line.get("shopify_variant_id")),
                quantity=int(line.get("quantity") or 1),
            )
        )
    return CustomizationRecord(
        external_id=listed.external_id,
        raw=data,
        status=status_of(data.get("status_id")),
        vendor_status=_text(data.get("status_id")),
        customized_at=parse_date(data.get("customization_date") or first_row.get("order_date")),
        status_changed_at=parse_date(data.get("status_date")),
        product_title=_text(first_row.get("product_title"))[:500],
        template_id=_text(data.get("template_id")),
        hex_color=_colour(data.get("hex_color")),
        variant_title=_text(variant.get("title"))[:255],
        sku=_text(variant.get("sku"))[:255],
        price=_text(variant.get("price"))[:32],
        options=options,
        production_data=[],
        summary=[],
        user_notes=_text(data.get("user_notes")),
        comments=_text(data.get("comments")),
        user_agent=_text(data.get("user_agent")),
        listing=listed.listing,
        sides=tuple(sides),
        order_lines=tuple(lines),
    )


def _node(position: int, node: dict) -> NodeRecord:
    if not isinstance(node, dict):
        raise ValueError("a design node is not an object")
    kind = node.get("type")
    kind = NodeKind(kind) if kind in (NodeKind.TEXT, NodeKind.IMAGE) else NodeKind.OTHER
    font_size = node.get("fontSize")
    return NodeRecord(
        position=position,
        node_id=_text(node.get("id"))[:100],
        kind=kind,
        text=_text(node.get("text")) if kind == NodeKind.TEXT else "",
        font_family=_text(node.get("fontFamily"))[:100],
        font_size=float(font_size) if isinstance(font_size, int | float) else None,
        fill=_colour(node.get("fill")),
        stroke=_colour(node.get("stroke")) if node.get("hasStroke") else "",
        image_url=_url(node.get("src") or node.get("originalFileUrl")) if kind == NodeKind.IMAGE else "",
        raw=node,
    )
