"""A fake partner with a catalogue and batch orders (the AcmePartner pattern of test_any_partner):
registered in the settings alone, it is what the catalogue and batch screens talk to. Its answers
are scripted per test: `FAIL[(operation, kind)] = exception` makes the next such call raise."""

from __future__ import annotations

import itertools
import uuid

from integrations.http import VendorRejected
from integrations.partners import BatchRecord, CatalogueAnswer, CatalogueKind, NotSupported
from integrations.registry import Capability, Secret, VendorSpec
from tests.fulfilment.fakes import FakeClient, FakePartner

CALLS: list[tuple] = []
FAIL: dict[tuple[str, str], Exception] = {}
BATCH_STATUS = {"create": "Batching", "status": "Printed on the big press"}
_ids = itertools.count(41)


def reset() -> None:
    CALLS.clear()
    FAIL.clear()
    BATCH_STATUS.update({"create": "Batching", "status": "Printed on the big press"})


def rejected(status: int, message: str, details: str = "") -> VendorRejected:
    return VendorRejected(message, vendor="Shelf Print", status=status, excerpt=details)


class ShelfPartner(FakePartner):
    """No batch_status: a batch order's status cannot be read again."""

    label = "Shelf Print"
    idempotent_send = True

    def _fail(self, operation: str, kind: str) -> None:
        error = FAIL.pop((operation, kind), None)
        if error is not None:
            raise error

    def catalogue_save(self, kind, vendor_id, body):
        CALLS.append(("save", str(kind), vendor_id, dict(body)))
        self._fail("save", str(kind))
        if vendor_id:
            return CatalogueAnswer(vendor_id, raw={"id": vendor_id, **body})
        # Categories have UIDs, products and variants integers (as the OMS documents them).
        new_id = str(uuid.uuid4()) if kind == CatalogueKind.CATEGORY else str(next(_ids))
        return CatalogueAnswer(new_id, raw={"id": new_id, **body})

    def catalogue_delete(self, kind, vendor_id):
        CALLS.append(("delete", str(kind), vendor_id))
        self._fail("delete", str(kind))
        return CatalogueAnswer("", raw={"message": "Successfully deleted", "id": vendor_id})

    def batch_create(self, item_vendor_ids, template_ids):
        CALLS.append(("batch", list(item_vendor_ids), list(template_ids)))
        self._fail("batch", "")
        return BatchRecord("BATCH-9", BATCH_STATUS["create"], raw={"uid": "BATCH-9", "status": BATCH_STATUS["create"]})

    def send(self, order):
        raise NotSupported("not in these tests")


class ShelfPartnerWithStatus(ShelfPartner):
    def batch_status(self, vendor_id):
        CALLS.append(("batch_status", vendor_id))
        self._fail("batch_status", "")
        return BatchRecord(vendor_id, BATCH_STATUS["status"], raw={"uid": vendor_id, "status": BATCH_STATUS["status"]})


CAPABILITIES = frozenset({Capability.FULFILMENT_SEND, Capability.CATALOGUE, Capability.BATCH_ORDERS})
SPEC = VendorSpec(
    kind="shelf_print",
    label="Shelf Print",
    client=lambda config, options: FakeClient(),
    secrets=(Secret("api_key", "API key"),),
    capabilities=CAPABILITIES,
    partner=ShelfPartnerWithStatus,
)
SPEC_NO_STATUS = VendorSpec(
    kind="shelf_basic",
    label="Shelf Basic",
    client=lambda config, options: FakeClient(),
    secrets=(Secret("api_key", "API key"),),
    capabilities=CAPABILITIES,
    partner=ShelfPartner,
)
SPECS = ["tests.fulfilment.catalogue_partner.SPEC", "tests.fulfilment.catalogue_partner.SPEC_NO_STATUS"]
