"""Custom Gateway as a fulfilment partner (integrations.partners): Order-iT for the orders we send
(it calls back with statuses), the supplier APIs for the orders it pushes to us (we ship them with
labels and push stock). Its hooks' verifiers and parsers are here too.

No Django model: the fulfilment services hand it neutral records and get neutral records back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..http import VendorRejected
from ..partners import (
    CodeTable,
    NotSupported,
    OrderToSend,
    PartnerAdapter,
    PushedOrderRecord,
    SendError,
    SendResult,
    ShipmentRecord,
    StatusReport,
    StockLine,
    VendorStatus,
)
from ..registry import ConnectionConfig
from .client import CustomGatewayClient, OrderAlreadyExists, RateLimitedByVendor
from .orderit import order_problems
from .products import VirtualProductsPartner
from .types import ERROR_CODES, ORDER_STATUSES, PUSH_HMAC_HEADER, verify_push_signature
from .wire import (
    created_orders,
    order_body,
    order_push_parse,
    pushed_order_record,
    shipment_records,
    status_of,
    status_report,
    status_update_parse,
)


class CustomGatewayPartner(VirtualProductsPartner, PartnerAdapter[CustomGatewayClient]):
    label = "Custom Gateway"
    # 8001 (our external_ref exists) answers a second send of the same order: resending is safe.
    idempotent_send = True

    # -- orders we send (Order-iT) -------------------------------------------------------------

    def request_body(self, order: OrderToSend) -> dict:
        """What `send` sends for `order` (kept on the order, with the hook token redacted)."""
        return order_body(order, company_ref_id=str(self.config.settings.get("company") or ""))

    def problems(self, order: OrderToSend) -> list[str]:
        """Order-iT's rules beyond the common ones (fulfilment_order_validate): each item type's
        fields, the packing slip link (orderit.order_problems)."""
        return order_problems(order)

    def send(self, order: OrderToSend) -> SendResult:
        """POST the order once. 8001 (our external_ref exists: an earlier attempt reached it) is a
        DUPLICATE, 50004 (its rate limit) RETRY_LATER, any other refusal REJECTED in words; a
        timeout or a 5xx raises VendorRetryable (the next attempt finds out, through 8001)."""
        try:
            created = self._client().create_order(self.request_body(order))
        except OrderAlreadyExists as exc:
            return SendResult(error=SendError.DUPLICATE, message=str(exc))
        except RateLimitedByVendor as exc:
            return SendResult(
                error=SendError.RETRY_LATER,
                message=str(exc),
                retry_after=exc.retry_after,
                limit="Custom Gateway's rate limit (50004)",
            )
        except VendorRejected as exc:  # the order, or our credentials: fix them, do not resend as is
            return SendResult(error=SendError.REJECTED, message=str(exc))
        return SendResult(created=created_orders(created), raw=created)

    def cancel(self, vendor_id: str) -> None:
        raise NotSupported("Order-iT has no call to cancel an order: ask Custom Gateway support.")

    def poll_status(self, vendor_id: str) -> StatusReport:
        raise NotSupported("Order-iT reports statuses only through its callbacks.")

    @classmethod
    def status_of(cls, code: str) -> VendorStatus:
        return status_of(code)

    # -- orders pushed to us (supplier) ------------------------------------------------------------

    def ship(self, vendor_id: str) -> list[ShipmentRecord]:
        return shipment_records(self._client().ship_order(vendor_id))

    def push_stock(self, lines: Sequence[StockLine]) -> Any:
        return self._client().update_stock([(line.sku, line.quantity) for line in lines])

    def stock_body(self, lines: Sequence[StockLine]) -> list[dict]:
        """What `push_stock` sends, for the record."""
        return [{"sku": line.sku, "data": {"quantity_available": line.quantity}} for line in lines]

    def download(self, url: str, fileobj) -> Any:
        """A shipment's label, through the bare download session (no credentials to its host)."""
        return self._client().download(url, fileobj)

    # -- staff reference ------------------------------------------------------------------------

    @classmethod
    def reference_tables(cls) -> list[CodeTable]:
        return [
            CodeTable("Error codes", tuple((str(code), text) for code, text in sorted(ERROR_CODES.items()))),
            CodeTable("Order statuses", tuple((str(code), text) for code, text in sorted(ORDER_STATUSES.items()))),
        ]


# -- its hooks (the spec's hooks=) ---------------------------------------------------------------


def status_parse(body: bytes) -> list[StatusReport]:
    """A status callback ({id, external_ref, ref, status, status_name, shipping_*}). Callbacks are
    not signed: the secret token in the URL is the proof."""
    return [status_report(status_update_parse(body))]


def push_verify(config: ConnectionConfig, body: bytes, headers: Mapping[str, str]) -> str:
    """An empty string when the X-CustomGateway-Hmac header is the HMAC of the raw body, else why
    not (compared in constant time, over the exact bytes)."""
    key = config.secrets.get("push_hmac_key") or ""
    if not key:
        return "no HMAC key is set on the connection"
    signature = headers.get(PUSH_HMAC_HEADER)
    if not verify_push_signature(key, body, signature):
        return f"{PUSH_HMAC_HEADER} {'missing' if not signature else 'does not match'}"
    return ""


def push_parse(body: bytes) -> list[PushedOrderRecord]:
    return [pushed_order_record(order_push_parse(body))]
