"""Ideal Factory OMS's wire format, both ways: our neutral records (integrations.partners) as
its order, update and catalogue bodies, and its answers (created orders, print statuses, batch
orders, hook bodies) as neutral records. Everything it sends is untrusted: strings are capped,
types checked, URLs http(s) only; what cannot be used raises WireInvalid in words.

Plain Python: nothing here imports Django.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

from integrations.markup import http_url

from ..partners import (
    Address,
    BatchRecord,
    CatalogueAnswer,
    CatalogueKind,
    CreatedLine,
    CreatedOrder,
    Customer,
    HookInvalid,
    LineKind,
    LineToSend,
    OrderChanges,
    OrderToSend,
    PrintFileReport,
    PrintFilesNotice,
    PrintFileState,
    StatusReport,
    VendorStatus,
)
from .types import (
    ID_CHARS,
    MAX_HINTS,
    MAX_ITEMS,
    NO_STATUS_CODE,
    ORDER_STATUS_MAP,
    ORDER_STATUS_NAMES,
    PRINT_STATE_MAP,
    TEXT_CHARS,
    URL_CHARS,
)

# A hook body larger than this is not read for hints (it still triggers a poll of everything).
HINT_BODY_BYTES = 256 * 1024


class WireInvalid(HookInvalid):
    """The OMS's answer or body cannot be used as it is; the message says why, in words."""


class OrderInvalid(ValueError):
    """Our order (or change) cannot be sent as it is; the message says why, in words."""


def _short(value: Any) -> str:
    shown = value if isinstance(value, str) else json.dumps(value, default=str)
    return repr(shown[:37] + "...") if len(shown) > 40 else repr(shown)


def text(value: Any, what: str, limit: int = TEXT_CHARS) -> str:
    """A string (a number is taken as its digits), NULs removed, capped to `limit`; None is ""."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise WireInvalid(f"{what} {_short(value)} is not text")
    return str(value).replace("\x00", "")[:limit]


def vendor_id(value: Any, what: str) -> str:
    """A vendor id, UID or integer, kept as a string (the doc types ids as UID strings in one place
    and integers in another): 1-64 printable characters."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise WireInvalid(f"{what} {_short(value)} is not an id")
    result = str(value).strip()
    if not result or len(result) > ID_CHARS or not result.isprintable():
        raise WireInvalid(f"{what} {_short(value)} is not an id of 1 to {ID_CHARS} printable characters")
    return result


def _object(payload: Any, what: str) -> dict:
    if not isinstance(payload, dict):
        raise WireInvalid(f"the {what} is not a JSON object")
    return payload


# -- what we send ---------------------------------------------------------------------------------


def template_config_encode(design: Mapping[str, Any]) -> str:
    """The line's design as the doc's template_config: "urlencoded json string" — compact JSON,
    then percent-encoded whole (urllib.parse.quote with no safe character, UTF-8)."""
    return quote(json.dumps(dict(design), separators=(",", ":"), ensure_ascii=False, default=str), safe="")


def template_config_decode(value: str) -> Any:
    """The inverse of template_config_encode (for the sandbox and tests)."""
    return json.loads(unquote(value))


def money(value: Decimal | None) -> float | None:
    """A JSON number (the doc types prices `number`); None stays None (and is left out)."""
    return None if value is None else float(value)


def _prune(body: dict) -> dict:
    """Leave out what we do not know (None): the doc's optional fields are simply absent."""
    return {key: value for key, value in body.items() if value is not None}


def address_body(address: Address, type_id: str) -> dict:
    return {
        "type_id": type_id,
        "address_1": address.line_1,
        "address_2": ", ".join(part for part in (address.line_2, address.line_3) if part),
        "post_code": address.postcode,
        "city": address.town,
        "county": address.region,
        "country_code": address.country_code.upper(),
    }


def customer_body(customer: Customer | None, address: Address) -> dict:
    """The order's customer, or (when the store sent none) the shipping address's person."""
    if customer is None:
        first, _, last = address.name.strip().partition(" ")
        customer = Customer(email=address.email, first_name=first, last_name=last.strip(), phone=address.telephone)
    return {
        "email": customer.email,
        "ecommerce_customer_id": customer.store_customer_id,
        "name": customer.first_name,
        "surname": customer.last_name,
        "phone": customer.phone,
    }


def store_item_id(order_reference: str, line: LineToSend) -> str:
    """The line's id at the store, unique across every order (the OMS keys print files by it):
    the line's own, else "<order ref>-<line ref>" (LineToSend's documented form)."""
    return line.store_item_id or f"{order_reference}-{line.reference}"


def item_body(order_reference: str, line: LineToSend) -> dict:
    # thumbnails is required (an array of URLs): the line's previews, else its print files' URLs.
    thumbnails = list(line.thumbnails) or [f.url for f in line.files]
    return _prune(
        {
            "ecommerce_order_item_id": store_item_id(order_reference, line),
            "ecommerce_variant_id": line.variant_id,
            "quantity": line.quantity,
            "price": money(line.price),
            "properties": dict(line.properties),
            "template_config": template_config_encode(line.design),
            "thumbnails": thumbnails,
        }
    )


def order_store_id(order: OrderToSend, store_ids: Sequence[str]) -> str:
    """The order's store at the OMS: its own `partner_store`, else the connection's first."""
    return order.partner_store or (store_ids[0] if store_ids else "")


def order_body(order: OrderToSend, *, store_ids: Sequence[str], create_print_files: bool = True) -> dict:
    """The doc's Create Order body. Never raises (it is kept on the order even when `order_problems`
    refuses to send it)."""
    shipping_price = order.shipping_price if order.shipping_price is not None else Decimal("0")
    shippings = (
        [{"code": order.shipping_method, "shipping_price": money(shipping_price)}] if order.shipping_method else []
    )
    return _prune(
        {
            "store_id": order_store_id(order, store_ids),
            "ecommerce_order_id": order.store_order_id or order.reference,
            "ecommerce_order_number": order.store_order_number or order.reference,
            "total_price": money(order.total_price),
            "subtotal_price": money(order.subtotal_price),
            "currency_code": order.currency or None,
            "customer": customer_body(order.customer, order.address),
            "note": order.note,
            "addresses": [
                address_body(order.billing or order.address, "billing"),
                address_body(order.address, "shipping"),
            ],
            "shippings": shippings,
            "items": [item_body(order.reference, line) for line in order.lines],
            "create_print_files": bool(create_print_files),
        }
    )


def order_problems(order: OrderToSend, *, store_ids: Sequence[str]) -> list[str]:
    """Why the OMS must not be sent `order` as it is (its required fields), in words; [] if none."""
    problems = []
    store = order_store_id(order, store_ids)
    if not store:
        problems.append("The connection has no store id: add one (Ideal Factory assigns them).")
    elif order.partner_store and order.partner_store not in store_ids:
        problems.append(f"The store id {order.partner_store!r} is not one of the connection's store ids.")
    if not order.lines:
        problems.append("The order has no items: the OMS requires at least one.")
    if len(order.lines) > MAX_ITEMS:
        problems.append(f"The order has more than {MAX_ITEMS} items.")
    seen: set[str] = set()
    for line in order.lines:
        item = store_item_id(order.reference, line)
        if not line.variant_id.strip():
            problems.append(
                f"Line {line.reference} ({line.sku}) has no Ideal Factory variant: map its product to a variant "
                "of the OMS catalogue first (ecommerce_variant_id is required)."
            )
        if line.quantity < 1:
            problems.append(f"Line {line.reference} has quantity {line.quantity}: it must be at least 1.")
        if (line.kind or LineKind.ARTWORK) != LineKind.ARTWORK:
            # The OMS prints every item from its design: it has no stock, sample or textual items.
            problems.append(f"Line {line.reference} is not an artwork item: Ideal Factory takes only those.")
        if len(item) > ID_CHARS:
            problems.append(f"Line {line.reference}'s store item id is longer than {ID_CHARS} characters.")
        if item in seen:
            problems.append(f"The store item id {item!r} appears twice: the OMS keys print files by it.")
        seen.add(item)
    for address, what in ((order.address, "shipping"), (order.billing, "billing")):
        if address is None:
            continue
        missing = [
            name
            for name, value in (
                ("address line 1", address.line_1),
                ("postcode", address.postcode),
                ("city", address.town),
                ("country code", address.country_code),
            )
            if not value.strip()
        ]
        if missing:
            problems.append(f"The {what} address has no {', '.join(missing)} (the OMS requires them).")
    return problems


def update_body(changes: OrderChanges) -> dict:
    """The doc's Update Order body: only what changes (None fields are left out). Shipping is one
    entry of `shippings` and needs both its code and price (the doc requires both)."""
    body: dict[str, Any] = {}
    if changes.note is not None:
        body["note"] = changes.note
    if changes.total_price is not None:
        body["total_price"] = money(changes.total_price)
    if changes.subtotal_price is not None:
        body["subtotal_price"] = money(changes.subtotal_price)
    if changes.currency is not None:
        body["currency_code"] = changes.currency
    if changes.customer is not None:
        body["customer"] = customer_body(changes.customer, Address())
    if changes.address is not None or changes.billing is not None:
        # The doc's addresses is an array of billing and shipping: we send those that change.
        body["addresses"] = [
            address_body(address, type_id)
            for address, type_id in ((changes.billing, "billing"), (changes.address, "shipping"))
            if address is not None
        ]
    if changes.shipping_method is not None and changes.shipping_price is not None:
        body["shippings"] = [{"code": changes.shipping_method, "shipping_price": money(changes.shipping_price)}]
    if changes.lines is not None:
        # Our reference of the lines: the ids the OMS knows them by are "<order>-<line>" only when
        # the line carries its store_item_id, which the fulfilment side always sets.
        body["items"] = [item_body("", line) for line in changes.lines]
    return body


def update_problems(changes: OrderChanges) -> list[str]:
    problems = []
    if (changes.shipping_method is None) != (changes.shipping_price is None):
        problems.append("A shipping change needs both the shipping code and its price (the OMS requires both).")
    if changes.shipping_method is not None and not changes.shipping_method.strip():
        problems.append("The shipping code is empty.")
    for line in changes.lines or ():
        if not line.store_item_id:
            problems.append(f"Line {line.reference} has no store item id: the OMS would not know which item it is.")
        if not line.variant_id.strip():
            problems.append(f"Line {line.reference} has no Ideal Factory variant (ecommerce_variant_id is required).")
    return problems


# -- catalogue ------------------------------------------------------------------------------------

# The fields holding another record's id. Categories have UIDs (parent_id "UID of the parent
# category"), yet a product's category_id is typed integer and the doc's own example updates
# category "1" and deletes it answering "category_id": 1. We keep every id as a string and, for
# the fields the doc types integer, send an all-digit id as a JSON integer (what a strict
# validator wants) and anything else (a UID) as the string it is.
INTEGER_ID_FIELDS = {
    CatalogueKind.CATEGORY: (),
    CatalogueKind.PRODUCT: ("category_id", "team_id", "default_location_id"),
    CatalogueKind.VARIANT: (
        "product_id",
        "product_variant_category_id",
        "price_id",
        "country_id",
        "default_location_id",
    ),
}


def id_value(value: Any) -> Any:
    """An id for a field the doc types integer: an int when it is all (ASCII) digits, else as is."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return value


def catalogue_body(kind: CatalogueKind, body: Mapping[str, Any]) -> dict:
    out = dict(body)
    for name in INTEGER_ID_FIELDS[CatalogueKind(kind)]:
        if name in out and out[name] is not None:
            out[name] = id_value(out[name])
    return out


DELETE_ID_FIELDS = {
    CatalogueKind.CATEGORY: "category_id",
    CatalogueKind.PRODUCT: "product_id",
    CatalogueKind.VARIANT: "variant_id",
}


def catalogue_answer(kind: CatalogueKind, payload: Any, *, known_id: str = "") -> CatalogueAnswer:
    """A create / update / delete answer: the record's id (uid, uuid or id; a delete's
    "<kind>_id"), as a string, else the id we asked about."""
    data = _object(payload, f"{kind} answer")
    for key in ("uid", "id", "uuid", DELETE_ID_FIELDS[CatalogueKind(kind)]):
        if data.get(key) not in (None, ""):
            return CatalogueAnswer(vendor_id=vendor_id(data[key], f"the {kind}'s {key}"), raw=data)
    if known_id:
        return CatalogueAnswer(vendor_id=known_id, raw=data)
    raise WireInvalid(f"the created {kind} has no id (uid, id or uuid)")


# -- what the OMS answers ---------------------------------------------------------------------------


def created_order(payload: Any, order: OrderToSend) -> CreatedOrder:
    """The Create Order answer {uid, ecommerce_order_id, items: [{uid, ecommerce_order_item_id}]}:
    its lines matched to ours by ecommerce_order_item_id (items we did not send are left out)."""
    data = _object(payload, "created order")
    ours = {store_item_id(order.reference, line): line.reference for line in order.lines}
    items = data.get("items") or []
    if not isinstance(items, list):
        raise WireInvalid("the created order's items are not an array")
    lines = []
    for entry in items[:MAX_ITEMS]:
        if not isinstance(entry, dict):
            raise WireInvalid("one of the created order's items is not an object")
        item = text(entry.get("ecommerce_order_item_id"), "ecommerce_order_item_id", ID_CHARS)
        if item in ours and entry.get("uid") not in (None, ""):
            lines.append(
                CreatedLine(reference=ours[item], vendor_id=vendor_id(entry["uid"], "an item's uid"), vendor_ref=item)
            )
    return CreatedOrder(
        vendor_id=vendor_id(data.get("uid"), "the order's uid"),
        reference=order.reference,
        ref=text(data.get("ecommerce_order_id"), "ecommerce_order_id", ID_CHARS),
        lines=tuple(lines),
    )


def print_file_report(payload: Any, store_item_id_asked: str) -> PrintFileReport:
    """The print status answer {ecommerce_order_item_id, status, url}. READY needs an http(s)
    URL: without one it is reported as not ready (state None, polled again) and says why."""
    data = _object(payload, "print status")
    code = text(data.get("status"), "the print status", 32).strip()
    said_item = text(data.get("ecommerce_order_item_id"), "ecommerce_order_item_id", ID_CHARS)
    if said_item and said_item != store_item_id_asked:
        raise WireInvalid(f"the OMS answered for item {said_item!r}, not {store_item_id_asked!r}")
    state = PRINT_STATE_MAP.get(code.lower())
    url = ""
    raw = {key: data[key] for key in ("ecommerce_order_item_id", "status", "url") if key in data}
    if state is PrintFileState.READY:
        candidate = text(data.get("url"), "the print file URL", URL_CHARS).strip()
        if http_url(candidate) and len(candidate) < URL_CHARS:
            url = candidate
        else:
            state = None
            raw["why_not_ready"] = "the OMS says ready but gives no http(s) URL for the file"
    return PrintFileReport(store_item_id=store_item_id_asked, state=state, code=code, url=url, raw=raw)


def status_of(code: str) -> VendorStatus:
    key = str(code).strip().lower()
    name = ORDER_STATUS_NAMES.get(key) or str(code).strip()[:64] or "no status"
    return VendorStatus(ORDER_STATUS_MAP.get(key), str(code).strip()[:64], name[:64])


def status_report(payload: Any, vendor_id_asked: str) -> StatusReport:
    """A GET order answer as a status report. The doc documents no status field: without one the
    OMS has the order and says nothing more (ACCEPTED, code "received")."""
    data = _object(payload, "order")
    given = data.get("status")
    if isinstance(given, dict):  # {"code": ..., "name": ...} should it ever be an object
        given = given.get("code") or given.get("name")
    code = text(given, "the order status", 64).strip() if given not in (None, "") else ""
    status = status_of(code) if code else status_of(NO_STATUS_CODE)
    extra = {key: data[key] for key in ("ecommerce_order_id", "updated_at") if key in data}
    return StatusReport(
        status=status,
        vendor_id=vendor_id_asked,
        reference=text(data.get("ecommerce_order_id"), "ecommerce_order_id", ID_CHARS),
        extra=extra,
    )


def batch_record(payload: Any) -> BatchRecord:
    """A batch order answer {uid, status}: the status kept verbatim (the doc lists none)."""
    data = _object(payload, "batch order")
    return BatchRecord(
        vendor_id=vendor_id(data.get("uid"), "the batch order's uid"),
        status_code=text(data.get("status"), "the batch status", 64).strip(),
        raw=data,
    )


# -- the print-files notification (hook) -----------------------------------------------------------


def _hint(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > ID_CHARS or not value.isprintable():
        return None
    return value


def print_files_parse(body: bytes) -> list[PrintFilesNotice]:
    """The doc promises a notification ("we can send a webhook or call an external API") with no
    format: any body is only a trigger to poll. When it is JSON naming `ecommerce_order_item_id`
    (a string or a list, at the top, in a list of objects, or under `items`/`data`), those ids are
    the hints (at most 100, each at most 64 printable characters); else none (poll everything).
    Never raises."""
    found: list[str] = []
    try:
        data = json.loads(body[:HINT_BODY_BYTES].decode("utf-8")) if len(body) <= HINT_BODY_BYTES else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        data = None

    def take(value: Any) -> None:
        for candidate in value if isinstance(value, list) else [value]:
            hint = _hint(candidate)
            if hint is not None and hint not in found and len(found) < MAX_HINTS:
                found.append(hint)

    def visit(node: Any, depth: int) -> None:
        if depth > 3 or len(found) >= MAX_HINTS:
            return
        if isinstance(node, dict):
            if "ecommerce_order_item_id" in node:
                take(node["ecommerce_order_item_id"])
            for key in ("items", "data", "order_items"):
                if isinstance(node.get(key), list | dict):
                    visit(node[key], depth + 1)
        elif isinstance(node, list):
            for entry in node[: MAX_HINTS * 2]:
                visit(entry, depth + 1)

    visit(data, 0)
    return [PrintFilesNotice(store_item_ids=tuple(found))]
