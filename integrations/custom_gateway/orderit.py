"""The rest of Order-iT (vendor doc: "Order Object", "Item Object", "Item Type Codes", "API
Errors"): billing, coupon, payment, the shipping note, item colour / size / description, and the
item types beyond artwork: 3 (print-on-demand ref), 4 (stock item), 5 (textual item). Each type's
rules are checked before sending (`order_problems`, in words, with the doc's error code where it
has one), so staff hear of a bad item on the create screen rather than from Custom Gateway.

Plain Python: nothing here imports Django.
"""

from __future__ import annotations

from typing import Any

from ..partners import Address, LineKind, LineToSend, OrderToSend

INT_MAX = 2**31 - 1  # the doc types textual_product_id integer: kept to a 32-bit one

# Our line kinds as the doc's item type codes (1 and 7 are artwork: one print area, or several).
TYPE_EXTERNAL_URL, TYPE_PRINT_JOB, TYPE_PRINT_ON_DEMAND, TYPE_STOCK, TYPE_TEXTUAL, TYPE_EXTERNAL_MULTI = (
    1,
    2,
    3,
    4,
    5,
    7,
)
KIND_TYPES = {
    LineKind.PRINT_ON_DEMAND: TYPE_PRINT_ON_DEMAND,
    LineKind.STOCK: TYPE_STOCK,
    LineKind.TEXTUAL: TYPE_TEXTUAL,
}


def billing_fields(order: OrderToSend) -> dict[str, str]:
    """The billing_* fields. No billing address of its own (None) is the shipping one, sent as
    billing too: the doc does not say what Custom Gateway assumes when they are absent. The doc
    has no billing country: a billing address abroad is sent without its country."""
    billing: Address = order.billing or order.address
    return {
        "billing_customer_name": billing.name,
        "billing_company": billing.company,
        "billing_address_1": billing.line_1,
        "billing_address_2": billing.line_2,
        "billing_address_3": billing.line_3,
        "billing_address_4": billing.town,
        "billing_address_5": billing.region,
        "billing_postcode": billing.postcode,
    }


def order_fields(order: OrderToSend) -> dict[str, str]:
    """The order object's optional fields of this module, the empty ones left out."""
    fields = {
        **billing_fields(order),
        "coupon_code": order.coupon_code,
        "payment_trans_id": order.payment_trans_id,
        # Our packing slip; without one Custom Gateway prints "a basic shipping note".
        "shipping_note_url": order.packing_slip_url,
    }
    return {name: value for name, value in fields.items() if value}


def _is_http_url(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def _print_job_ref(line: LineToSend) -> str:
    """A print job's ref carried in the line's properties (type 2), "" when there is none."""
    return str(line.properties.get("print_job_ref") or "").strip()


def item_fields(line: LineToSend) -> dict[str, Any]:
    """One item's type and what that type takes, plus colour and size when set."""
    kind = line.kind or LineKind.ARTWORK
    item: dict[str, Any] = {}
    print_job_ref = _print_job_ref(line)
    if kind == LineKind.ARTWORK and print_job_ref:
        # A design made in Custom Gateway's own designer (designs.py): it holds the artwork.
        item.update(type=TYPE_PRINT_JOB, print_job_ref=print_job_ref)
    elif kind == LineKind.ARTWORK:
        if len(line.files) == 1:
            url = line.files[0].url
            item.update(type=TYPE_EXTERNAL_URL, external_url=url, external_thumbnail_url=url)
        else:
            item.update(
                type=TYPE_EXTERNAL_MULTI,
                external_urls=[{"fullsize": f.url, "thumbnail": f.url, "name": f.name} for f in line.files],
            )
        # "can be used for either textual items or external URL items"
        if line.textual_product_id is not None:
            item["textual_product_id"] = line.textual_product_id
    elif kind == LineKind.PRINT_ON_DEMAND:
        item.update(type=TYPE_PRINT_ON_DEMAND, print_on_demand_ref=line.print_on_demand_ref)
    elif kind == LineKind.STOCK:
        item.update(type=TYPE_STOCK)
    elif kind == LineKind.TEXTUAL:
        item.update(type=TYPE_TEXTUAL, textual_product_id=line.textual_product_id)
    for name in ("colour", "size"):
        value = getattr(line, name)
        if value:
            item[name] = value
    return item


def line_problems(line: LineToSend) -> list[str]:
    """Why Custom Gateway would refuse this item, in words ([] when it would not)."""
    where = f"Item {line.reference or '(no reference)'}"
    problems = []
    if not line.reference.strip():
        problems.append(f"{where}: it has no reference (8050 Item external_ref not specified).")
    if line.quantity < 1:
        problems.append(f"{where}: the quantity must be greater than 0 (8041 Invalid item quantity).")
    kind = line.kind or LineKind.ARTWORK
    if kind == LineKind.ARTWORK and _print_job_ref(line):
        pass  # the print job holds the artwork; an unknown ref is the vendor's 8043, said in words
    elif kind == LineKind.ARTWORK:
        if not line.files:
            problems.append(f"{where}: an artwork item needs its print file (8053 Item external_url not specified).")
        for file in line.files:
            if not _is_http_url(file.url):
                problems.append(f"{where}: the print file link must begin with http:// or https://.")
                break
    elif kind == LineKind.PRINT_ON_DEMAND:
        # Required by the doc ("Required for print on demand items"), though it lists no code.
        if not line.print_on_demand_ref.strip():
            problems.append(f"{where}: a print-on-demand item needs the print-on-demand ref of its sample.")
    elif kind == LineKind.STOCK:
        # The doc requires nothing more of a stock item; without artwork it is known only by its
        # SKU, so (the least convenient reading) one is required.
        if not line.sku.strip():
            problems.append(f"{where}: a stock item needs its SKU (it has no artwork to tell it by).")
    elif kind == LineKind.TEXTUAL:
        if line.textual_product_id is None:
            problems.append(
                f"{where}: a textual item needs its textual product id (8052 Item textual_product_id not specified)."
            )
    else:
        problems.append(f"{where}: Custom Gateway takes no item of type {kind!r} (8040 Invalid item type).")
    if line.textual_product_id is not None and not 1 <= line.textual_product_id <= INT_MAX:
        problems.append(f"{where}: the textual product id must be a whole number from 1 to {INT_MAX}.")
    return problems


def order_problems(order: OrderToSend) -> list[str]:
    """Order-iT's rules for this module's fields and for every item, in words."""
    problems = []
    if not order.lines:
        problems.append("The order has no items (8000 No items).")
    if order.packing_slip_url and not _is_http_url(order.packing_slip_url):
        problems.append(
            "The packing slip link must begin with http:// or https:// (set PUBLIC_BASE_URL to this back "
            "office's public address)."
        )
    for line in order.lines:
        problems += line_problems(line)
    return problems
