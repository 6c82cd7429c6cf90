"""Kickflip / MyCustomizer payloads -> neutral records (integrations.sources). Pure functions:
no database, no HTTP (vendor docs: mycustomizer-api.txt, kickflip-api.txt).

A design becomes a customization: its design images are its sides, and every personalised
choice is a node on the first side (the API does not say which image a choice belongs to).
Choices come from `productionData` ({key, value, ref:{optionId, choiceId}}); a text or logo
choice that only appears in `configuration` (an object with a type and views) is taken from
there too, so no personalised text escapes screening. An order becomes a store order whose
lines point at designs by id.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation

from ..markup import http_url
from ..sources import (
    CustomizationRecord,
    CustomizationStatus,
    NodeKind,
    NodeRecord,
    OrderLineRecord,
    SideRecord,
    StoreOrderRecord,
)
from .types import parse_date

IMAGE_TYPES = {"logo", "image", "upload"}
COLOUR_WORDS = ("color", "colour")
MATERIAL_WORDS = ("material",)
DESIGN_SIDE = "design"


def record_id(record: dict) -> str:
    return str(record.get("id") or record.get("_id") or "")


def _text(value) -> str:
    return "" if value is None else str(value)


def _url(value) -> str:
    """The value if it is an http(s) URL (no javascript:, data:, credentials), else "": validated
    where it is mapped; the vendor's own value stays in the raw payload."""
    return http_url(value, max_length=1000)


def _is_url(value: str) -> bool:
    return bool(_url(value))


def design_record(design: dict) -> CustomizationRecord:
    """Map one design (as the list or GET /designs/:id gives it). ValueError (or TypeError,
    KeyError, AttributeError) on unreadable data."""
    external_id = record_id(design)
    if not external_id:
        raise ValueError("the design has no id")
    production = design.get("productionData") or []
    summary = design.get("summary") or []
    if not isinstance(production, list) or not isinstance(summary, list):
        raise ValueError("productionData or summary is not a list")
    sides = []
    images = design.get("designImages") or ([design["designImage"]] if design.get("designImage") else [])
    for position, image in enumerate(images):
        if not isinstance(image, dict):
            raise ValueError("a design image is not an object")
        url = _url(image.get("url"))
        sides.append(
            SideRecord(
                external_id=_text(image.get("_id") or image.get("id") or f"image-{position}")[:64],
                position=position,
                name=(_text(image.get("originalFilename")) or f"Design image {position + 1}")[:100],
                preview_url=url,
                design_url=url,
                raw=image,
            )
        )
    nodes = _choices(production, design.get("configuration") or {})
    if sides:
        sides[0] = replace(sides[0], nodes=nodes)
    else:
        sides.append(SideRecord(external_id=DESIGN_SIDE, position=0, name="Design", nodes=nodes, raw={}))
    return CustomizationRecord(
        external_id=external_id,
        raw=design,
        status=CustomizationStatus.DESIGN,
        vendor_status="",
        customized_at=parse_date(design.get("createdAt")),
        status_changed_at=parse_date(design.get("updatedAt")),
        product_title=_text(design.get("productName"))[:500],
        template_id=_text(design.get("productId"))[:64],
        price=_text(design.get("price"))[:32],
        options={},
        production_data=production,
        summary=summary,
        listing=(),
        sides=tuple(sides),
        order_lines=None,  # the lines come with the orders
    )


def _choices(production: list, configuration: dict) -> tuple[NodeRecord, ...]:
    if not isinstance(configuration, dict):
        configuration = {}
    nodes: list[NodeRecord] = []
    seen_options = set()
    for entry in production:
        if not isinstance(entry, dict):
            raise ValueError("a productionData entry is not an object")
        ref = entry.get("ref") or {}
        option_id = _text(ref.get("optionId"))
        seen_options.add(option_id)
        choice = configuration.get(option_id)
        choice_type = choice.get("type") if isinstance(choice, dict) else None
        nodes.append(_node(len(nodes), _text(entry.get("key")), _text(entry.get("value")), choice_type, option_id))
    for option_id, choice in configuration.items():
        if option_id in seen_options or not isinstance(choice, dict):
            continue
        choice_type = choice.get("type")
        for view in choice.get("views") or []:
            if not isinstance(view, dict):
                continue
            if choice_type == "text" and view.get("text"):
                nodes.append(_node(len(nodes), _text(choice.get("name")), _text(view["text"]), "text", option_id))
            elif choice_type in IMAGE_TYPES and isinstance(view.get(choice_type), dict):
                url = _url(view[choice_type].get("url"))
                nodes.append(_node(len(nodes), _text(choice.get("name")), url, choice_type, option_id))
    return tuple(nodes)


def _node(position: int, label: str, value: str, choice_type: str | None, option_id: str) -> NodeRecord:
    lowered = label.lower()
    if choice_type == "text" or (choice_type is None and lowered.endswith((" text", " name")) and value):
        kind = NodeKind.TEXT
    elif choice_type in IMAGE_TYPES or (_is_url(value) and lowered.endswith((" logo", " image"))):
        kind = NodeKind.IMAGE
    elif any(word in lowered for word in COLOUR_WORDS):
        kind = NodeKind.COLOUR
    elif any(word in lowered for word in MATERIAL_WORDS):
        kind = NodeKind.MATERIAL
    else:
        kind = NodeKind.OTHER
    return NodeRecord(
        position=position,
        node_id=option_id[:100],
        kind=kind,
        label=label[:255],
        value="" if kind in (NodeKind.TEXT, NodeKind.IMAGE) else value[:500],
        text=value if kind == NodeKind.TEXT else "",
        image_url=_url(value) if kind == NodeKind.IMAGE else "",
        raw={"key": label, "value": value, "optionId": option_id, "type": choice_type},
    )


def store_order_record(order: dict) -> StoreOrderRecord:
    """One order -> a store order with its lines [(design id, quantity)]. ValueError on
    unreadable data."""
    external_id = record_id(order)
    if not external_id:
        raise ValueError("the order has no id")
    lines = []
    for item in order.get("items") or []:
        if not isinstance(item, dict) or not item.get("design"):
            raise ValueError(f"order {external_id}: an item has no design")
        design = item["design"]
        design_id = record_id(design) if isinstance(design, dict) else _text(design)
        lines.append(OrderLineRecord(customization_id=design_id, quantity=int(item.get("quantity") or 1)))
    try:
        total = Decimal(str(order["totalPrice"])) if order.get("totalPrice") is not None else None
    except InvalidOperation:
        raise ValueError(f"order {external_id}: totalPrice {order.get('totalPrice')!r} is not a number") from None
    history = order.get("statusHistory") or []
    return StoreOrderRecord(
        external_id=external_id,
        raw=order,
        name=(_text(order.get("eCommerceOrderName")) or f"Order {order.get('orderId', external_id)}")[:64],
        store_order_id=_text(order.get("eCommerceOrderId"))[:64],
        status=_text(order.get("status"))[:64],
        payment_status=_text(order.get("paymentStatus"))[:64],
        status_history=history if isinstance(history, list) else [],
        total_price=total,
        currency=_text(order.get("currency"))[:8],
        ordered_at=parse_date(order.get("date")),
        lines=tuple(lines),
    )
