"""Qstomizer payloads -> our fields. Pure functions: no database, no HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field

from integrations.markup import css_colour, http_url
from integrations.qstomizer.client import Listed
from integrations.qstomizer.types import parse_date

from ..models import Customization, DesignNode
from .payloads import payload_hash

STATUS_BY_ID = {
    1: Customization.Status.PENDING,
    2: Customization.Status.STOPPED,
    3: Customization.Status.IN_PRODUCTION,
    4: Customization.Status.FINISHED,
    5: Customization.Status.CANCELED,
    6: Customization.Status.DELETED,
    7: Customization.Status.ARTWORK_APPROVAL_PENDING,
}


@dataclass
class MappedSide:
    fields: dict
    nodes: list[dict] = field(default_factory=list)


@dataclass
class MappedCustomization:
    external_id: str
    fields: dict
    sides: list[MappedSide] = field(default_factory=list)
    # {order_id, order_name, product_id, variant_id, quantity}; None: the lines are written
    # elsewhere (Kickflip's orders pass) and must be left alone.
    order_lines: list[dict] | None = field(default_factory=list)


def listing_rows(listed: Listed) -> list[dict]:
    """The list rows in a stable order, so that unchanged rows compare equal."""
    return sorted(listed.rows, key=lambda row: (str(row.get("template_id")), str(row)))


def status_of(status_id) -> str:
    try:
        return STATUS_BY_ID.get(int(status_id), Customization.Status.UNKNOWN)
    except (TypeError, ValueError):
        return Customization.Status.UNKNOWN


def _text(value) -> str:
    return "" if value is None else str(value)


# Values with a role in markup are validated here, where they are stored ("" when invalid; the
# vendor's own value stays in the raw payload): a colour is a colour, a URL is http(s).
def _colour(value, max_length: int = 32) -> str:
    colour = css_colour(value)
    return colour if len(colour) <= max_length else ""


def _url(value) -> str:
    return http_url(value, max_length=1000)


def map_customization(listed: Listed, data: dict) -> MappedCustomization:
    """Map one GET /order answer (plus its list rows). Raises ValueError on unreadable data."""
    options = data.get("options_selected") or {}
    if not isinstance(options, dict):
        raise ValueError("options_selected is not an object")
    variant = options.get("variantSelected") or {}
    first_row = listed.rows[0] if listed.rows else {}
    fields = {
        "status": status_of(data.get("status_id")),
        "vendor_status": _text(data.get("status_id")),
        "customized_at": parse_date(data.get("customization_date") or first_row.get("order_date")),
        "status_changed_at": parse_date(data.get("status_date")),
        "product_title": _text(first_row.get("product_title"))[:500],
        "template_id": _text(data.get("template_id")),
        "hex_color": _colour(data.get("hex_color")),
        "variant_title": _text(variant.get("title"))[:255],
        "sku": _text(variant.get("sku"))[:255],
        "price": _text(variant.get("price"))[:32],
        "options": options,
        "production_data": [],
        "summary": [],
        "user_notes": _text(data.get("user_notes")),
        "comments": _text(data.get("comments")),
        "user_agent": _text(data.get("user_agent")),
        "listing": listing_rows(listed),
        "payload": data,
        "payload_hash": payload_hash(data),
    }
    mapped = MappedCustomization(external_id=str(listed.order_id), fields=fields)
    for position, side in enumerate(data.get("sides") or []):
        if side.get("side_id") in (None, ""):
            raise ValueError(f"side {position + 1} has no side_id")
        mapped.sides.append(
            MappedSide(
                fields={
                    "external_id": _text(side["side_id"]),
                    "position": position,
                    "name": _text(side.get("side_name"))[:100],
                    "preview_url": _url(side.get("image_url")),
                    "design_url": _url(side.get("design_png")),
                    "design_hd_url": _url(side.get("design_hd_url")),
                    "generator_tool_url": _url(side.get("generator_tool")),
                    "raw": {key: value for key, value in side.items() if key != "nodes"},
                },
                nodes=[_node(position, node) for position, node in enumerate(side.get("nodes") or [])],
            )
        )
    for line in data.get("orders") or []:
        if not isinstance(line, dict) or line.get("shopify_order_id") in (None, ""):
            raise ValueError("a linked store order has no shopify_order_id")
        mapped.order_lines.append(
            {
                "order_id": _text(line["shopify_order_id"]),
                "order_name": _text(line.get("shopify_order_name"))[:64],
                "product_id": _text(line.get("shopify_id_product")),
                "variant_id": _text(line.get("shopify_variant_id")),
                "quantity": int(line.get("quantity") or 1),
            }
        )
    return mapped


def _node(position: int, node: dict) -> dict:
    if not isinstance(node, dict):
        raise ValueError("a design node is not an object")
    kind = node.get("type")
    kind = kind if kind in (DesignNode.Kind.TEXT, DesignNode.Kind.IMAGE) else DesignNode.Kind.OTHER
    font_size = node.get("fontSize")
    return {
        "position": position,
        "node_id": _text(node.get("id"))[:100],
        "kind": kind,
        "label": "",
        "value": "",
        "text": _text(node.get("text")) if kind == DesignNode.Kind.TEXT else "",
        "font_family": _text(node.get("fontFamily"))[:100],
        "font_size": float(font_size) if isinstance(font_size, int | float) else None,
        "fill": _colour(node.get("fill")),
        "stroke": _colour(node.get("stroke")) if node.get("hasStroke") else "",
        "image_url": _url(node.get("src") or node.get("originalFileUrl")) if kind == DesignNode.Kind.IMAGE else "",
        "raw": node,
    }
