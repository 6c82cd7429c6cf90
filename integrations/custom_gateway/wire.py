"""Custom Gateway's wire format, both ways: what it sends us (vendor doc: "Status Callbacks",
"Order Push API") parsed into small typed records, then into the neutral records of
integrations.partners; and our orders and its answers (Order-iT, shipping). Everything it sends
is untrusted: every number is bounded to the column that will hold it, every string capped to
its column, objects are required where the doc has objects. Anything else raises WireInvalid
with a sentence saying what was wrong.

Plain Python: nothing here imports Django.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from integrations.markup import http_url

from ..partners import (
    Address,
    CreatedLine,
    CreatedOrder,
    HookInvalid,
    OrderToSend,
    PushedOrderLine,
    PushedOrderRecord,
    ShipmentRecord,
    StatusReport,
    VendorStatus,
)
from .orderit import item_fields, order_fields
from .types import DISPATCH_DATE_FORMAT, SALE_DATETIME_FORMAT, STATUS_MAP, STATUS_QC_QUERY, status_name

# PostgreSQL `integer` (Django IntegerField / PositiveIntegerField).
INT_MAX = 2**31 - 1
# Column widths (fulfilment.models) the parsed strings are capped to.
ID_CHARS = 64
REF_CHARS = 64
EXTERNAL_REF_CHARS = 128
NAME_CHARS = 64
TEXT_CHARS = 255
DESCRIPTION_CHARS = 500
CARRIER_CHARS = 100
POSTCODE_CHARS = 32
MAX_ITEMS = 1000
MAX_ASSETS = 100


class WireInvalid(HookInvalid):
    """The vendor's body cannot be used as it is; the message says why, in words."""


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def whole_number(value: Any, what: str, *, low: int = 0, high: int = INT_MAX) -> int:
    """An integer in [low, high]: a JSON integer, or a string of digits (PHP sends both). Not a
    boolean, not a fraction ("2.5", 2.5), not a float however whole (1e20), nothing out of range."""
    if isinstance(value, bool):
        raise WireInvalid(f"{what} {_short(value)} is not a whole number")
    if isinstance(value, str):
        text = value.strip()
        if not (text.isdigit() or (text.startswith("-") and text[1:].isdigit())) or not text.isascii():
            raise WireInvalid(f"{what} {_short(value)} is not a whole number")
        if len(text) > 12:
            raise WireInvalid(f"{what} {_short(value)} is out of range ({low} to {high})")
        value = int(text)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer() or abs(value) > high:
            raise WireInvalid(f"{what} {_short(value)} is not a whole number in range ({low} to {high})")
        value = int(value)
    elif not isinstance(value, int):
        raise WireInvalid(f"{what} {_short(value)} is not a whole number")
    if not low <= value <= high:
        raise WireInvalid(f"{what} {_short(value)} is out of range ({low} to {high})")
    return value


def text(value: Any, what: str, limit: int) -> str:
    """A string (or a number, as PHP may send ids), capped to `limit` characters; None is ""."""
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        raise WireInvalid(f"{what} {_short(value)} is not text")
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        raise WireInvalid(f"{what} is not text")
    return value.replace("\x00", "")[:limit]


def _object(body: bytes | str, what: str) -> dict:
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WireInvalid(f"the {what} is not UTF-8 text (byte {exc.start})") from None
    if not body.strip():
        raise WireInvalid(f"the {what} is empty")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise WireInvalid(f"the {what} is not JSON: {str(exc)[:120]}") from None
    if not isinstance(data, dict):
        raise WireInvalid(f"the {what} is a JSON {type(data).__name__}, not an object")
    return data


# -- status callbacks ---------------------------------------------------------------------------

STATUS_FIELDS = frozenset(
    {"id", "external_ref", "ref", "status", "status_name", "shipping_tracking", "shipping_method", "shipping_carrier"}
)


@dataclass(frozen=True)
class StatusUpdate:
    vendor_id: str
    external_ref: str
    ref: str
    status: int
    status_name: str
    shipping_tracking: str = ""
    shipping_method: str = ""
    shipping_carrier: str = ""
    extra: dict = field(default_factory=dict)


def status_update_parse(body: bytes | str) -> StatusUpdate:
    """One status callback body ({id, external_ref, ref, status, status_name, shipping_*})."""
    data = _object(body, "callback body")
    if "status" not in data:
        raise WireInvalid("the callback has no status")
    update = StatusUpdate(
        vendor_id=text(data.get("id"), "id", ID_CHARS),
        external_ref=text(data.get("external_ref"), "external_ref", REF_CHARS),
        ref=text(data.get("ref"), "ref", REF_CHARS),
        status=whole_number(data["status"], "status"),
        status_name=text(data.get("status_name"), "status_name", NAME_CHARS),
        shipping_tracking=text(data.get("shipping_tracking"), "shipping_tracking", TEXT_CHARS),
        shipping_method=text(data.get("shipping_method"), "shipping_method", CARRIER_CHARS),
        shipping_carrier=text(data.get("shipping_carrier"), "shipping_carrier", CARRIER_CHARS),
        extra={key: value for key, value in data.items() if key not in STATUS_FIELDS},
    )
    if not update.vendor_id and not update.external_ref:
        raise WireInvalid("the callback names no order (neither id nor external_ref)")
    return update


# -- order pushes --------------------------------------------------------------------------------

PUSH_TEXT_FIELDS = {
    "ref": REF_CHARS,
    "external_ref": EXTERNAL_REF_CHARS,
    "customer_name": TEXT_CHARS,
    "shipping_address_1": TEXT_CHARS,
    "shipping_address_2": TEXT_CHARS,
    "shipping_address_3": TEXT_CHARS,
    "shipping_address_4": TEXT_CHARS,
    "shipping_address_5": TEXT_CHARS,
    "shipping_postcode": POSTCODE_CHARS,
    "shipping_country_code": 2,
    "shipping_carrier": CARRIER_CHARS,
    "shipping_method": CARRIER_CHARS,
}


@dataclass(frozen=True)
class PushedItemData:
    vendor_id: str
    type: int | None
    mapped_sku: str
    sku: str
    description: str
    quantity: int
    assets: list[dict]


@dataclass(frozen=True)
class PushedOrderData:
    vendor_id: str
    fields: dict[str, str]
    items: list[PushedItemData]
    raw: dict


def _asset(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise WireInvalid(f"{where} is not an object")
    return {
        "name": text(value.get("name"), f"{where} name", TEXT_CHARS),
        # Shown (through the image proxy) and linked to: only an http(s) URL is kept; the
        # pushed order's raw payload keeps what the vendor sent.
        "url": http_url(text(value.get("url"), f"{where} url", 2000)),
        "description": text(value.get("description"), f"{where} description", TEXT_CHARS),
    }


def _item(value: Any, index: int) -> PushedItemData:
    where = f"item {index + 1}"
    if not isinstance(value, dict):
        raise WireInvalid(f"{where} is not an object")
    assets = value.get("assets") or []
    if not isinstance(assets, list):
        raise WireInvalid(f"{where}: assets is not a list")
    if len(assets) > MAX_ASSETS:
        raise WireInvalid(f"{where} has {len(assets)} assets (at most {MAX_ASSETS})")
    quantity = value.get("quantity", 1)
    type_ = value.get("type")
    return PushedItemData(
        vendor_id=text(value.get("id"), f"{where} id", ID_CHARS) or str(index),
        type=None if type_ is None else whole_number(type_, f"{where} type", high=INT_MAX),
        mapped_sku=text(value.get("mapped_sku"), f"{where} mapped_sku", TEXT_CHARS),
        sku=text(value.get("sku"), f"{where} sku", TEXT_CHARS),
        description=text(value.get("description"), f"{where} description", DESCRIPTION_CHARS),
        quantity=whole_number(quantity, f"{where} quantity", low=1),
        assets=[_asset(asset, f"{where} asset {n + 1}") for n, asset in enumerate(assets)],
    )


def order_push_parse(body: bytes | str) -> PushedOrderData:
    """One order push body ({id, ref, external_ref, customer and shipping fields, items})."""
    data = _object(body, "push body")
    vendor_id = text(data.get("id"), "id", ID_CHARS)
    if not vendor_id:
        raise WireInvalid("the push has no order id")
    items = data.get("items") or []
    if not isinstance(items, list):
        raise WireInvalid("items is not a list")
    if len(items) > MAX_ITEMS:
        raise WireInvalid(f"the push has {len(items)} items (at most {MAX_ITEMS})")
    fields = {name: text(data.get(name), name, limit) for name, limit in PUSH_TEXT_FIELDS.items()}
    parsed = [_item(item, index) for index, item in enumerate(items)]
    ids = [item.vendor_id for item in parsed]
    if len(set(ids)) != len(ids):
        raise WireInvalid("two items share one id")
    return PushedOrderData(vendor_id=vendor_id, fields=fields, items=parsed, raw=data)


# -- neutral records, both ways (integrations.partners) ----------------------------------------


def status_of(code: int | str | None) -> VendorStatus:
    """A status code (the doc's table) as one of our statuses, with the doc's name for it. A code
    the doc does not list, or one we do not act on (Unknown, Unused), has no status of ours."""
    number = int(code) if isinstance(code, int) or (isinstance(code, str) and code.strip().isdigit()) else None
    return VendorStatus(
        status=STATUS_MAP.get(number) if number is not None else None,
        code="" if code is None else str(code).strip(),
        name=status_name(number) if number is not None else f"status {code}",
    )


def status_report(update: StatusUpdate) -> StatusReport:
    doc = status_of(update.status)
    return StatusReport(
        # The name the callback gave, else the doc's; the doc's decides (and words the notes).
        status=VendorStatus(doc.status, doc.code, update.status_name or doc.name),
        reference=update.external_ref,
        vendor_id=update.vendor_id,
        vendor_ref=update.ref,
        tracking=update.shipping_tracking,
        carrier=update.shipping_carrier,
        method=update.shipping_method,
        extra=update.extra,
    )


def pushed_order_record(data: PushedOrderData) -> PushedOrderRecord:
    fields = data.fields
    return PushedOrderRecord(
        vendor_id=data.vendor_id,
        ref=fields["ref"],
        reference=fields["external_ref"],
        address=Address(
            name=fields["customer_name"],
            line_1=fields["shipping_address_1"],
            line_2=fields["shipping_address_2"],
            line_3=fields["shipping_address_3"],
            town=fields["shipping_address_4"],
            region=fields["shipping_address_5"],
            postcode=fields["shipping_postcode"],
            country_code=fields["shipping_country_code"],
        ),
        shipping_carrier=fields["shipping_carrier"],
        shipping_method=fields["shipping_method"],
        lines=tuple(
            PushedOrderLine(
                vendor_id=item.vendor_id,
                type=item.type,
                mapped_sku=item.mapped_sku,
                sku=item.sku,
                description=item.description,
                quantity=item.quantity,
                assets=item.assets,
            )
            for item in data.items
        ),
        raw=data.raw,
    )


def order_body(order: OrderToSend, *, company_ref_id: str) -> dict:
    """The Order-iT order object for `order` (an artwork item is type 1 for one print area, 7 for
    several, 2 for a print job's ref; the other types are orderit's)."""
    address = order.address
    shipping = {
        "customer_name": address.name,
        "customer_email": address.email,
        "customer_telephone": address.telephone,
        "shipping_company": address.company,
        "shipping_address_1": address.line_1,
        "shipping_address_2": address.line_2,
        "shipping_address_3": address.line_3,
        "shipping_address_4": address.town,
        "shipping_address_5": address.region,
        "shipping_postcode": address.postcode,
        "shipping_country_code": address.country_code,
        "shipping_method": order.shipping_method,
        "shipping_carrier": order.shipping_carrier,
        "required_dispatch_date": order.dispatch_by.strftime(DISPATCH_DATE_FORMAT) if order.dispatch_by else "",
    }
    company = company_ref_id.strip()
    body: dict[str, Any] = {
        "external_ref": order.reference,
        # The doc types it integer: a JSON number when it is all digits.
        "company_ref_id": int(company) if company.isdigit() else company,
        "sale_datetime": order.sold_at.astimezone(UTC).strftime(SALE_DATETIME_FORMAT),
        "status_callback_url": order.callback_url,
        "items": [],
    }
    body.update({name: value for name, value in shipping.items() if value})
    body.update(order_fields(order))  # billing, coupon, payment, shipping note (orderit)
    for line in order.lines:
        item: dict[str, Any] = {
            "external_ref": line.reference,
            "quantity": line.quantity,
            "sku": line.sku,
            "description": line.description,
        }
        item.update(item_fields(line))  # its type and what the type takes (orderit)
        body["items"].append(item)
    return body


def created_orders(created: list[dict]) -> tuple[CreatedOrder, ...]:
    """Order-iT's answer (one order, or several when it split ours) as neutral records. An order
    created with has_error=true is in status 32 (QC Query): created, but queried."""
    return tuple(
        CreatedOrder(
            vendor_id=str(entry.get("id")),
            ref=str(entry.get("ref") or ""),
            reference=str(entry.get("external_ref") or ""),
            has_error=bool(entry.get("has_error")),
            error_message=str(entry.get("error_message") or ""),
            status=status_of(STATUS_QC_QUERY) if entry.get("has_error") else None,
            lines=tuple(
                CreatedLine(
                    reference=str(item.get("external_ref") or ""),
                    vendor_id=str(item.get("id") or ""),
                    vendor_ref=str(item.get("ref") or ""),
                )
                for item in entry.get("items") or []
                if isinstance(item, dict)
            ),
        )
        for entry in created
    )


def shipment_records(shipments: list[dict]) -> list[ShipmentRecord]:
    return [
        ShipmentRecord(
            vendor_id=str(entry.get("id")),
            carrier=str(entry.get("carrier") or "")[:CARRIER_CHARS],
            tracking=str(entry.get("tracking") or "")[:TEXT_CHARS],
            label_url=str(entry.get("label_url") or ""),
            items=entry.get("items") or [],
            raw=entry,
        )
        for entry in shipments
    ]
