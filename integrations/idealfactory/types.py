"""Ideal Factory OMS vocabulary (vendor doc: oms-api-v1.txt): print-file statuses, the HTTP codes
the doc lists, the bounds of what we parse, and the connection's store ids.

Plain Python: nothing here imports Django.
"""

from __future__ import annotations

from ..partners import FulfilmentStatus, PrintFileState

# The doc's endpoints live under "/api/v1/..." and it names no host: the connection's base_url
# is the API root (e.g. https://HOST/api/v1), required.

# -- print files (GET /order-items/{ecommerce_order_item_id}/print) ----------------------------

PRINT_STATUSES: dict[str, str] = {
    "received": "The order item has been received and is queued for processing.",
    "processing": "The print file is currently being generated.",
    "processingfailed": "There was an error during the print file generation process.",
    "ready": "The print file has been successfully generated and is ready for download.",
}
PRINT_STATE_MAP: dict[str, PrintFileState] = {
    "received": PrintFileState.RECEIVED,
    "processing": PrintFileState.PROCESSING,
    "processingfailed": PrintFileState.FAILED,
    "ready": PrintFileState.READY,
}

# -- HTTP codes (the doc's "Common status codes") -----------------------------------------------

HTTP_CODES: dict[int, str] = {
    200: "Success",
    400: "Bad Request: the OMS refused our request (its details say why); fix it, do not resend as is.",
    401: "Unauthorized: the API token is missing or wrong. Check the connection's API token.",
    403: "Forbidden: the API token may not do this (or not for this store id).",
    404: "Not Found: the OMS has no such record (order UID, order item, catalogue id).",
    500: "Server Error: the OMS failed; try again later.",
}

# -- order statuses ------------------------------------------------------------------------------
#
# The doc documents NO order status field: an order answer is "similar to the Create Order
# response" ({uid, ecommerce_order_id, items}). Least convenient reading: a poll usually finds no
# status, which we report as ACCEPTED with code "received" (the OMS has the order, and that is
# all it tells). Should an answer carry `status`, the obvious words are mapped; any other word is
# kept (code and name) and is none of ours.

NO_STATUS_CODE = "received"
ORDER_STATUS_MAP: dict[str, FulfilmentStatus] = {
    "received": FulfilmentStatus.ACCEPTED,
    "new": FulfilmentStatus.ACCEPTED,
    "pending": FulfilmentStatus.ACCEPTED,
    "accepted": FulfilmentStatus.ACCEPTED,
    "processing": FulfilmentStatus.IN_PRODUCTION,
    "in_production": FulfilmentStatus.IN_PRODUCTION,
    "printing": FulfilmentStatus.IN_PRODUCTION,
    "printed": FulfilmentStatus.IN_PRODUCTION,
    "packed": FulfilmentStatus.PACKED,
    "shipped": FulfilmentStatus.SHIPPED,
    "dispatched": FulfilmentStatus.SHIPPED,
    "fulfilled": FulfilmentStatus.SHIPPED,
    "on_hold": FulfilmentStatus.ON_HOLD,
    "hold": FulfilmentStatus.ON_HOLD,
    "processingfailed": FulfilmentStatus.PROBLEM,
    "failed": FulfilmentStatus.PROBLEM,
    "error": FulfilmentStatus.PROBLEM,
    "cancelled": FulfilmentStatus.CANCELLED,
    "canceled": FulfilmentStatus.CANCELLED,
    "deleted": FulfilmentStatus.CANCELLED,
}
ORDER_STATUS_NAMES: dict[str, str] = {NO_STATUS_CODE: "Received (the OMS reports no order status)"}

# -- batch orders ---------------------------------------------------------------------------------
#
# The doc's list of batch statuses is empty ("can have the following values:" and nothing). Its
# example says "Batching". We keep whatever word it sends, verbatim; these are only shown to staff.
BATCH_STATUSES_SEEN: dict[str, str] = {"Batching": "The OMS is combining the items (the doc's example)."}

# -- bounds ------------------------------------------------------------------------------------

ID_CHARS = 64  # every vendor id (UID or integer, kept as a string) and store item id
TEXT_CHARS = 255
URL_CHARS = 2000
MESSAGE_CHARS = 500
MAX_ITEMS = 1000
MAX_HINTS = 100
STORE_ID_CHARS = 64

# -- the connection's store ids -----------------------------------------------------------------


def _chunks(value: str) -> list[str]:
    return [chunk.strip() for chunk in value.strip().split(",")]


def store_ids_parse(value: object) -> list[str]:
    """The store ids of the connection's `store_ids` setting (comma- or space-separated), in order,
    each once. No validation here: see store_ids_problem."""
    if not isinstance(value, str):
        return []
    seen: list[str] = []
    for chunk in _chunks(value):
        for part in chunk.split():
            if part not in seen:
                seen.append(part)
    return seen


def store_ids_problem(value: object) -> str:
    """ "" when `value` holds one or more valid store ids, else why not, in words."""
    if not isinstance(value, str) or not value.strip():
        return "Give at least one store id (Ideal Factory assigns them; comma- or space-separated)."
    for chunk in _chunks(value):
        if not chunk:
            return "A store id is empty: remove the extra comma."
        for part in chunk.split():
            if len(part) > STORE_ID_CHARS:
                return f'The store id "{part[:20]}..." is longer than {STORE_ID_CHARS} characters.'
            if not part.isprintable():
                return "A store id holds a control character."
    return ""
