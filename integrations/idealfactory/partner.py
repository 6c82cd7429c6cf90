"""Ideal Factory OMS as a fulfilment partner (integrations.partners): orders sent, updated and
deleted; their print files polled; the OMS's catalogue and batch orders managed. Its hook (the
print-files notification) is parsed here too.

No Django model: the fulfilment services hand it neutral records and get neutral records back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..http import VendorBadResponse, VendorError, VendorRejected
from ..partners import (
    BatchRecord,
    CatalogueAnswer,
    CatalogueKind,
    CodeTable,
    NotSupported,
    OrderChanges,
    OrderToSend,
    PartnerAdapter,
    PrintFileReport,
    PrintFilesNotice,
    ProbeOutcome,
    ProbeResult,
    SendError,
    SendResult,
    ShipmentRecord,
    StatusReport,
    StockLine,
    VendorStatus,
)
from .client import IdealFactoryClient, IdealFactoryError, NotFoundAtVendor, RequestRejected
from .types import BATCH_STATUSES_SEEN, HTTP_CODES, NO_STATUS_CODE, ORDER_STATUS_MAP, PRINT_STATUSES, store_ids_parse
from .wire import (
    WireInvalid,
    batch_record,
    catalogue_answer,
    catalogue_body,
    created_order,
    order_body,
    order_problems,
    print_file_report,
    print_files_parse,
    status_of,
    status_report,
    store_item_id,
    update_body,
    update_problems,
)

VENDOR = IdealFactoryClient.vendor


def _setting_true(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return True if value is None else bool(value)


class IdealFactoryPartner(PartnerAdapter[IdealFactoryClient]):
    label = "Ideal Factory"
    # The doc promises nothing about a second POST /orders with the same ecommerce_order_id: we
    # read it the least convenient way, as a second order. A send whose answer was lost is never
    # repeated blindly; `probe` asks the OMS what it has.
    idempotent_send = False

    @property
    def store_ids(self) -> list[str]:
        return store_ids_parse(self.config.settings.get("store_ids"))

    @property
    def create_print_files(self) -> bool:
        return _setting_true(self.config.settings.get("create_print_files", True))

    # -- orders ------------------------------------------------------------------------------------

    def request_body(self, order: OrderToSend) -> dict:
        return order_body(order, store_ids=self.store_ids, create_print_files=self.create_print_files)

    def problems(self, order: OrderToSend) -> list[str]:
        return order_problems(order, store_ids=self.store_ids)

    def send(self, order: OrderToSend) -> SendResult:
        """POST the order once. What the OMS requires and the order lacks is REJECTED before
        sending; a 400 (its details), 401/403 (the token) or any other 4xx is REJECTED in words; a
        timeout or a 5xx raises VendorRetryable (then `probe`, never a blind resend)."""
        problems = self.problems(order)
        if problems:
            return SendResult(error=SendError.REJECTED, message="Not sent: " + " ".join(problems))
        client = self._client()
        try:
            answer = client.create_order(self.request_body(order))
        except VendorRejected as exc:
            return SendResult(error=SendError.REJECTED, message=str(exc))
        try:
            created = created_order(answer, order)
        except WireInvalid as exc:
            # Created, most likely, but unreadable: retryable, so the order goes to be probed.
            raise VendorBadResponse(f"the created order's answer cannot be read: {exc}", vendor=VENDOR) from None
        return SendResult(created=(created,), raw=answer)

    def probe(self, order: OrderToSend) -> ProbeResult:
        """After a lost answer: the OMS offers no search by our order id, only each line's print
        status by its store item id. Every line 404: it has none of them (NOT_RECEIVED); any line
        answered: it has the order (RECEIVED; that call does not say the order's UID, so `created`
        is None); anything else (a timeout, a 5xx, a refused token): UNKNOWN.

        Least convenient reading: with create_print_files off the OMS may not track an item's
        print file at all, so an all-404 answer proves nothing and is UNKNOWN too."""
        client = self._client()
        items = [store_item_id(order.reference, line) for line in order.lines]
        if not items:
            return ProbeResult(ProbeOutcome.UNKNOWN, "The order has no lines to ask the OMS about.")
        missing, found = [], []
        for item in items:
            try:
                client.print_status(item)
            except NotFoundAtVendor:
                missing.append(item)
            except (VendorError, ValueError) as exc:
                return ProbeResult(ProbeOutcome.UNKNOWN, f"Cannot tell whether Ideal Factory has the order: {exc}")
            else:
                found.append(item)
        if found:
            return ProbeResult(
                ProbeOutcome.RECEIVED,
                f"Ideal Factory has the order: it reports a print status for {len(found)} of its {len(items)} "
                f"{'item' if len(items) == 1 else 'items'} ({', '.join(found[:5])}). Its order UID cannot be read this way: find it in the OMS.",
            )
        if not self.create_print_files:
            return ProbeResult(
                ProbeOutcome.UNKNOWN,
                "Ideal Factory knows none of the order's items, but the connection does not ask it to make print "
                "files, so it may have the order anyway: check in the OMS before sending again.",
            )
        return ProbeResult(
            ProbeOutcome.NOT_RECEIVED,
            f"Ideal Factory knows none of the order's {len(items)} {'item' if len(items) == 1 else 'items'} (404 for each): it did not get the order.",
        )

    def cancel(self, vendor_id: str) -> Any:
        """DELETE the order (the doc's only way to call one off)."""
        return self._client().delete_order(vendor_id)

    def update_body(self, changes: OrderChanges) -> dict:
        return update_body(changes)

    def update(self, vendor_id: str, changes: OrderChanges) -> Any:
        problems = update_problems(changes)
        body = self.update_body(changes)
        if not problems and not body:
            problems = ["Nothing to change."]
        if problems:
            raise RequestRejected("Not sent: " + " ".join(problems), vendor=VENDOR)
        return self._client().update_order(vendor_id, body)

    def poll_status(self, vendor_id: str) -> StatusReport:
        return status_report(self._client().order(vendor_id), vendor_id)

    @classmethod
    def status_of(cls, code: str) -> VendorStatus:
        return status_of(code)

    # -- print files -----------------------------------------------------------------------------

    def print_file_status(self, store_item_id: str) -> PrintFileReport:
        """The line's print file. A 404 (the OMS does not know the item, yet or at all) is a state
        we do not know (None, code "not_found"): polled again, never taken as a failure."""
        try:
            payload = self._client().print_status(store_item_id)
        except NotFoundAtVendor as exc:
            return PrintFileReport(
                store_item_id=store_item_id, state=None, code="not_found", raw={"why": exc.message[:300]}
            )
        try:
            return print_file_report(payload, store_item_id)
        except WireInvalid as exc:
            raise VendorBadResponse(f"the print status cannot be read: {exc}", vendor=VENDOR) from None

    def download(self, url: str, fileobj: Any) -> Any:
        """A print file, through the bare download session (no API token to its host)."""
        return self._client().download(url, fileobj)

    # -- catalogue and batch orders -------------------------------------------------------------------

    def catalogue_save(self, kind: CatalogueKind, vendor_id: str, body: Mapping[str, Any]) -> CatalogueAnswer:
        kind = CatalogueKind(kind)
        client = self._client()
        wire = catalogue_body(kind, body)
        if vendor_id:
            payload = client.catalogue_update(kind.value, vendor_id, wire)
        else:
            payload = client.catalogue_create(kind.value, wire)
        try:
            return catalogue_answer(kind, payload, known_id=vendor_id)
        except WireInvalid as exc:
            # Not retryable: a second create would make a second record.
            raise IdealFactoryError(
                f"the {kind.value} was probably saved, but the answer cannot be read ({exc}): check the OMS",
                vendor=VENDOR,
            ) from None

    def catalogue_delete(self, kind: CatalogueKind, vendor_id: str) -> CatalogueAnswer:
        kind = CatalogueKind(kind)
        payload = self._client().catalogue_delete(kind.value, vendor_id)
        try:
            return catalogue_answer(kind, payload, known_id=vendor_id)
        except WireInvalid:
            return CatalogueAnswer(vendor_id=vendor_id, raw=payload)

    def batch_create(self, item_vendor_ids: Sequence[str], template_ids: Sequence[str]) -> BatchRecord:
        payload = self._client().create_batch(list(item_vendor_ids), list(template_ids))
        try:
            return batch_record(payload)
        except WireInvalid as exc:
            raise IdealFactoryError(
                f"the batch order's answer cannot be read ({exc}): check the OMS", vendor=VENDOR
            ) from None

    def batch_status(self, vendor_id: str) -> BatchRecord:
        """Not in the Protocol: GET /batch-orders/{uid}, which the doc does not document (raises
        BatchReadNotSupported, a NotSupported, when the OMS answers 404/405)."""
        try:
            return batch_record(self._client().batch(vendor_id))
        except WireInvalid as exc:
            raise VendorBadResponse(f"the batch order cannot be read: {exc}", vendor=VENDOR) from None

    # -- what the OMS cannot do ----------------------------------------------------------------------

    def ship(self, vendor_id: str) -> list[ShipmentRecord]:
        raise NotSupported("Ideal Factory's OMS API has no shipping call.")

    def stock_body(self, lines: Sequence[StockLine]) -> Any:
        raise NotSupported("Ideal Factory's OMS API takes no stock levels.")

    def push_stock(self, lines: Sequence[StockLine]) -> Any:
        raise NotSupported("Ideal Factory's OMS API takes no stock levels.")

    # -- staff reference ---------------------------------------------------------------------------

    @classmethod
    def reference_tables(cls) -> list[CodeTable]:
        statuses = [(NO_STATUS_CODE, "The OMS has the order (it documents no order status).")]
        statuses += [
            (code, f"Read as: {status.label}") for code, status in ORDER_STATUS_MAP.items() if code != NO_STATUS_CODE
        ]
        return [
            CodeTable("Print file statuses", tuple(PRINT_STATUSES.items())),
            CodeTable("HTTP codes", tuple((str(code), words) for code, words in sorted(HTTP_CODES.items()))),
            CodeTable("Batch order statuses (kept as the OMS sends them)", tuple(BATCH_STATUSES_SEEN.items())),
            CodeTable("Order status words (undocumented; read if ever sent)", tuple(statuses)),
        ]


# -- its hook (the spec's hooks=) --------------------------------------------------------------


def print_files_hook_parse(body: bytes) -> list[PrintFilesNotice]:
    """The print-files notification: any body is a trigger to poll (see wire.print_files_parse)."""
    return print_files_parse(body)
