"""The one customization sync over any vendor's source: a fake vendor registered in the registry
(test settings only) is synced, resumed and compared before writing with no other code changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from integrations.http import VendorRetryable
from integrations.registry import Capability, VendorSpec
from integrations.sources import (
    CustomizationRecord,
    CustomizationSource,
    CustomizationStatus,
    Listed,
    NodeKind,
    NodeRecord,
    OrderLineRecord,
    Page,
    SideRecord,
    Skipped,
    StoreOrderRecord,
)
from orders.models import Customization, DesignNode, OrderLine, StoreOrder, SyncRun, VendorConnection
from orders.services import sync as sync_service
from orders.services.sync import NothingToSync, customizations_sync, customizer_kinds

pytestmark = pytest.mark.django_db(transaction=True)

DAY = datetime(2024, 5, 1, tzinfo=UTC)


class FakeClient:
    def __init__(self):
        self.requests_made = 0

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def record(
    external_id: str, *, text: str = "Hello", status=CustomizationStatus.PENDING, lines=()
) -> CustomizationRecord:
    return CustomizationRecord(
        external_id=external_id,
        raw={"id": external_id, "text": text, "status": str(status)},
        status=status,
        customized_at=DAY,
        product_title=f"Product {external_id}",
        listing=({"id": external_id, "status": str(status)},),
        sides=(
            SideRecord(
                external_id="front",
                position=0,
                name="Front",
                preview_url=f"https://cdn.example/{external_id}.png",
                print_file_url=f"https://cdn.example/{external_id}-hd.png",
                nodes=(NodeRecord(position=0, kind=NodeKind.TEXT, text=text),),
            ),
        ),
        order_lines=lines,
    )


class FakeVendor:
    """What the fake vendor holds: customizations by id, dated; store orders; failures to inject."""

    def __init__(self):
        self.customizations: dict[str, tuple[datetime, CustomizationRecord]] = {}
        self.orders: list[StoreOrderRecord | Skipped] = []
        self.unlisted: dict[str, CustomizationRecord] = {}
        self.failing: set[str] = set()
        self.details: list[str] = []


VENDOR = FakeVendor()


class DatedSource(CustomizationSource):
    """A listing by date, one page per day, details read one by one."""

    def customizations(self, *, start, end):
        days = sorted({dated.date() for dated, _ in VENDOR.customizations.values() if start <= dated <= end})
        for day in days:
            items = []
            for external_id, (dated, rec) in sorted(VENDOR.customizations.items()):
                if dated.date() == day:
                    items.append(Listed(external_id=external_id, listing=rec.listing, rows=rec.listing, dated=dated))
            self.client.requests_made += 1
            yield Page(items=tuple(items), read_until=datetime.combine(day, datetime.min.time(), UTC) + timedelta(1))

    def detail(self, listed):
        self.client.requests_made += 1
        VENDOR.details.append(listed.external_id)
        if listed.external_id in VENDOR.failing:
            raise VendorRetryable("the vendor is busy", vendor="Fake")
        return VENDOR.customizations[listed.external_id][1]


class UndatedSource(CustomizationSource):
    """Complete records in the listing, no date filter, store orders listed on their own."""

    dated = False
    lists_store_orders = True

    def customizations(self, *, start, end):
        yield Page(items=tuple(Listed(external_id=key, record=rec) for key, (_, rec) in VENDOR.customizations.items()))

    def customization(self, external_id):
        VENDOR.details.append(external_id)
        return VENDOR.unlisted[external_id]

    def store_orders(self):
        yield from VENDOR.orders


def _spec(kind, source):
    return VendorSpec(
        kind=kind,
        label=kind.title(),
        client=lambda config, options: FakeClient(),
        capabilities=frozenset({Capability.CUSTOMIZER_SYNC}),
        source=source,
    )


DATED = _spec("fakedated", DatedSource)
UNDATED = _spec("fakeundated", UndatedSource)
NO_SYNC = VendorSpec(kind="fakepartner", label="Fake partner", client=lambda config, options: FakeClient())


@pytest.fixture(autouse=True)
def fake_vendors(settings):
    global VENDOR
    VENDOR = FakeVendor()
    settings.VENDORS = [*settings.VENDORS, f"{__name__}.DATED", f"{__name__}.UNDATED", f"{__name__}.NO_SYNC"]


def connection(kind: str) -> VendorConnection:
    return VendorConnection.objects.create(name=kind, kind=kind, sync_every_minutes=None)


def test_only_vendors_that_sync_customizations_are_synced():
    assert {"fakedated", "fakeundated"} <= set(customizer_kinds())
    assert "fakepartner" not in customizer_kinds()
    with pytest.raises(NothingToSync, match="Fake partner connection"):
        customizations_sync(connection=connection("fakepartner"))
    assert SyncRun.objects.count() == 0


def test_a_dated_source_is_written_compared_and_resumed_by_its_watermark():
    fake = connection("fakedated")
    for n, external_id in enumerate(["a", "b", "c"]):
        VENDOR.customizations[external_id] = (
            DAY + timedelta(days=n),
            record(external_id, lines=(OrderLineRecord(store_order_id="9", store_order_name="#9", quantity=2),)),
        )

    run = customizations_sync(connection=fake)

    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert (run.fetched, run.created, run.updated, run.unchanged) == (3, 3, 0, 0)
    assert run.requests_made == 6  # three pages, three details
    stored = Customization.objects.get(connection=fake, external_id="b")
    assert stored.product_title == "Product b" and stored.status == Customization.Status.PENDING
    side = stored.sides.get()
    assert side.design_hd_url == "https://cdn.example/b-hd.png"
    assert DesignNode.objects.get(side=side).text == "Hello"
    assert OrderLine.objects.get(customization=stored).store_order.name == "#9"
    fake.refresh_from_db()
    assert run.read_until == fake.synced_until and run.read_until >= run.started_at
    assert run.window_start == sync_service.EPOCH

    # Nothing changed: no detail call, nothing written.
    VENDOR.details.clear()
    again = customizations_sync(connection=fake, since=DAY - timedelta(days=1))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert VENDOR.details == []

    # A changed listing is read again and written; one that fails holds the watermark back.
    VENDOR.customizations["b"] = (DAY + timedelta(days=1), record("b", status=CustomizationStatus.FINISHED))
    VENDOR.customizations["c"] = (DAY + timedelta(days=2), record("c", status=CustomizationStatus.FINISHED))
    VENDOR.failing = {"b"}
    partial = customizations_sync(connection=fake, since=DAY - timedelta(days=1))
    assert partial.status == SyncRun.Status.PARTIAL
    assert partial.errors == ["Customization b was skipped: Fake: the vendor is busy"]
    assert partial.read_until == DAY + timedelta(days=1)
    assert Customization.objects.get(external_id="c").status == Customization.Status.FINISHED
    assert Customization.objects.get(external_id="b").status == Customization.Status.PENDING


def test_an_undated_source_reads_everything_and_its_store_orders_name_customizations():
    fake = connection("fakeundated")
    VENDOR.customizations["d1"] = (DAY, replace_lines(record("d1")))
    VENDOR.unlisted["d2"] = replace_lines(record("d2", text="Bye"))
    VENDOR.orders = [
        StoreOrderRecord(
            external_id="o1",
            raw={"id": "o1"},
            name="#1001",
            status="paid",
            total_price=Decimal("12.50"),
            currency="EUR",
            lines=(
                OrderLineRecord(customization_id="d1", quantity=1),
                OrderLineRecord(customization_id="d2", quantity=2),
                OrderLineRecord(customization_id="d1", quantity=1),
            ),
        ),
        Skipped(external_id="o2", what="o2", reason="its items are unreadable"),
    ]

    run = customizations_sync(connection=fake)

    assert run.status == SyncRun.Status.PARTIAL
    assert run.errors == ["Order o2 was skipped: its items are unreadable"]
    assert run.note == "1 orders read, 1 new or changed."
    assert run.window_start is None and run.read_until is None
    assert VENDOR.details == ["d2"]  # the one the listing did not show, read by id
    order = StoreOrder.objects.get(connection=fake, external_id="o1")
    assert (order.name, order.total_price, order.currency) == ("#1001", Decimal("12.50"), "EUR")
    assert sorted(order.lines.values_list("customization__external_id", "quantity")) == [("d1", 2), ("d2", 2)]

    VENDOR.orders = VENDOR.orders[:1]
    again = customizations_sync(connection=fake)
    assert again.status == SyncRun.Status.SUCCEEDED
    assert (again.created, again.updated) == (0, 0)
    assert again.note == "1 orders read, 0 new or changed."


def replace_lines(rec: CustomizationRecord) -> CustomizationRecord:
    """Its lines come with the store orders."""
    return replace(rec, order_lines=None)


def test_the_neutral_vocabulary_is_the_models():
    assert set(CustomizationStatus) == set(Customization.Status.values)
    assert set(NodeKind) == set(DesignNode.Kind.values)
