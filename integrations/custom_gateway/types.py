"""Custom Gateway vocabulary: error codes, order statuses (and which of ours each is), item
types, the default endpoint URLs and the HMAC helpers for order pushes (vendor doc:
custom-gateway-api.txt).

Plain Python: nothing here imports Django.
"""

from __future__ import annotations

import hashlib
import hmac

from ..partners import FulfilmentStatus

# -- endpoints ------------------------------------------------------------------------------
#
# The copy of the doc we have lost every URL from its code samples. These defaults are GUESSES,
# taken from the vendor's public pages (Custom Gateway is now KornitX): the Order-iT v2.2 page
# gives https://api-sl-2-2.kornitx.net/order, its shipping-label page
# https://api-sl-2-2.custom-gateway.net/order/:id/shipment and its stock article
# https://api-sl-2-2.custom-gateway.net/stock/availability. All three are on the custom-gateway.net
# host here, the one our doc was written for. Each is a setting of the connection: check them
# against what Custom Gateway gives us before going live.

DEFAULT_ORDERS_URL = "https://api-sl-2-2.custom-gateway.net/order"
# "Don't forget to replace :id with the order's unique numeric ID" (the `id` Order-iT returned,
# or the `id` of a pushed order), not the alphanumeric `ref`.
DEFAULT_SHIPPING_URL = "https://api-sl-2-2.custom-gateway.net/order/{order_id}/shipment"
DEFAULT_STOCK_URL = "https://api-sl-2-2.custom-gateway.net/stock/availability"

# The push request's signature header ("X-CustomGateway-Hmac": hex HMAC-SHA256 of the raw body).
PUSH_HMAC_HEADER = "X-CustomGateway-Hmac"

# "Requests to the API are rate limited to 1000 requests per hour and 10000 requests per day."
RATE_LIMIT_PER_HOUR = 1000
RATE_LIMIT_PER_DAY = 10000

# sale_datetime "(must be UTC) ... in the format YYYY-MM-DD HH:MM:SS"; required_dispatch_date YYYY-MM-DD.
SALE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DISPATCH_DATE_FORMAT = "%Y-%m-%d"

# -- API errors -------------------------------------------------------------------------------
#
# Every code of the doc's "API Errors" table, as a sentence staff can act on: the table's
# "Meaning", then its "Solution" (or, where the doc gives none, what to do). The vendor's own
# message is shown beside it by the client.

ERROR_CODES: dict[int, str] = {
    0: "Custom Gateway reported an error: check its message for details.",
    100: "Custom Gateway could not read our request (invalid JSON): check its message for the syntax error.",
    8000: "The order has no items: at least one order item must be sent.",
    8001: (
        "An order already exists at Custom Gateway with this external_ref: each order needs a unique "
        "external_ref. If an earlier attempt timed out, that attempt probably created the order."
    ),
    8011: "Invalid sale_datetime: it must be UTC in the format YYYY-MM-DD HH:MM:SS and must not be in the future.",
    8012: "Invalid status_callback_url: it must be a valid URL with a public DNS entry.",
    8013: (
        "Invalid shipping country code: shipping_country_code must be a valid two-letter ISO 3166-1 "
        "alpha-2 code (for example GB, not UK)."
    ),
    8014: "Invalid required_dispatch_date: it must be in the format YYYY-MM-DD and must not be in the past.",
    8030: "The order's company_ref_id is missing: check the connection's company reference ID.",
    8031: "The order's external_ref (our order reference) is missing.",
    8032: "The order's first shipping address line (shipping_address_1) is missing.",
    8033: "The order's shipping postcode (shipping_postcode) is missing.",
    8034: "The order's shipping country code (shipping_country_code) is missing.",
    8040: "An order item has an invalid type: it must be one of the item type codes 1, 2, 3, 4, 5 or 7.",
    8041: "An order item has an invalid quantity: the quantity must be greater than 0.",
    8042: (
        "An attribute of a textual item is invalid: each attribute must exist as an image or text area "
        "on the specified product."
    ),
    8043: "An order item's print job is invalid: print_job_ref must be a valid print job owned by our account.",
    8050: "An order item's external_ref (our item reference) is missing.",
    8051: "An order item's print_job_ref is missing (required for print job items, type 2).",
    8052: "An order item's textual_product_id is missing.",
    8053: "An order item's external_url (its artwork URL) is missing (required for external URL items, type 1).",
    8054: "An order item's external_thumbnail_url is missing (required for external URL items, type 1).",
    50000: (
        "Authentication failed: the company reference ID or the API key is incorrect. "
        "Check the connection's credentials."
    ),
    50001: "Our company type does not allow receiving orders: contact Custom Gateway support.",
    50002: "Our company has been deactivated at Custom Gateway: contact Custom Gateway support.",
    50003: (
        "The request came from an IP address that is not on the account's IP white list: ask Custom "
        "Gateway to add our servers' IP addresses."
    ),
    50004: (
        "Custom Gateway's rate limit (1000 requests an hour, 10000 a day) has been exceeded: wait and "
        "try again later, or ask Custom Gateway to raise the limit."
    ),
}

DUPLICATE_ORDER = 8001
RATE_LIMITED = 50004
# Codes about our account or credentials rather than the order: fixing the order won't help.
CREDENTIAL_CODES = frozenset({50000, 50001, 50002, 50003})


def describe_error_code(code: int | None) -> str:
    """The staff sentence for `code`, or a sentence saying the code is not in the doc."""
    if code is None:
        return "Custom Gateway reported an error without a code."
    return ERROR_CODES.get(code, f"Custom Gateway reported error {code}, which its documentation does not list.")


# -- orders -------------------------------------------------------------------------------------

# The doc's status table. The doc marks 1, 8 and 516 with a dagger it never explains.
ORDER_STATUSES: dict[int, str] = {
    0: "Unknown",
    1: "Received",
    2: "Unused",
    4: "In Production",
    8: "Dispatched",
    32: "QC Query",
    64: "Dispatched (Retailer Notified)",
    128: "Cancelled",
    256: "On Hold",
    512: "Sent to Supplier",
    513: "Received by Supplier",
    515: "Sent to Shipper",
    516: "Received by Shipper",
}
STATUS_RECEIVED = 1
STATUS_DISPATCHED = 8
STATUS_QC_QUERY = 32  # also what an order created with has_error=true is set to
STATUS_CANCELLED = 128

# Item type codes (6 is "Reserved / Internal, do not use" in the 2.1 doc and absent from ours).
ITEM_TYPES: dict[int, str] = {
    1: "External URL",
    2: "Print Job",
    3: "Print-on-Demand",
    4: "Stock Item",
    5: "Textual Item",
    7: "External URL [Multi]",
}

# -- order push signatures ----------------------------------------------------------------------


def hmac_sha256_hex(key: str, body: bytes) -> str:
    """Hex (lowercase) HMAC-SHA256 of `body` with `key`: PHP's hash_hmac('sha256', $body, $key),
    the doc's way of signing an order push."""
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_push_signature(key: str, body: bytes, header_value: str | None) -> bool:
    """Whether `header_value` (the X-CustomGateway-Hmac header) is the HMAC of the exact raw body
    bytes with `key`. False when the header is missing or blank, or no key is configured (an
    unconfigured connection accepts nothing). Hex case and surrounding spaces are ignored;
    the comparison takes constant time (hmac.compare_digest)."""
    if not key or not header_value or not header_value.strip():
        return False
    expected = hmac_sha256_hex(key, body).encode("ascii")
    given = header_value.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected, given)


# -- its statuses as ours ---------------------------------------------------------------------
#
# The doc lists the statuses but not their order; the app declares the order of its own
# statuses (fulfilment.statuses: a late older one is recorded as ignored, holds, final-status
# conflicts). Each code the doc lists is one of ours here; Unknown (0), Unused (2) and codes the
# doc does not list are none of ours: recorded and ignored.

STATUS_ON_HOLD = 256
STATUS_RETAILER_NOTIFIED = 64
STATUS_MAP: dict[int, FulfilmentStatus] = {
    STATUS_RECEIVED: FulfilmentStatus.ACCEPTED,
    512: FulfilmentStatus.ROUTED,  # Sent to Supplier
    513: FulfilmentStatus.AT_SITE,  # Received by Supplier
    4: FulfilmentStatus.IN_PRODUCTION,
    515: FulfilmentStatus.PACKED,  # Sent to Shipper
    516: FulfilmentStatus.COLLECTED,  # Received by Shipper
    STATUS_DISPATCHED: FulfilmentStatus.SHIPPED,
    STATUS_RETAILER_NOTIFIED: FulfilmentStatus.SHIPPED_CONFIRMED,
    STATUS_QC_QUERY: FulfilmentStatus.PROBLEM,
    STATUS_ON_HOLD: FulfilmentStatus.ON_HOLD,
    STATUS_CANCELLED: FulfilmentStatus.CANCELLED,
}


def status_name(code: int | None) -> str:
    if code is None:
        return "no status"
    return ORDER_STATUSES.get(code, f"status {code}")
