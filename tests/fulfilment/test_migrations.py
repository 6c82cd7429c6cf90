"""Migration 0004 carries every fulfilment order, vendor order, status event and incoming request
over: Custom Gateway's integer status becomes our status with the code (as a string) and name
beside it; nothing else changes; going back restores the integer codes. Rows are made through the historical models at 0003."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import CustomizationFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("fulfilment", "0003_fulfil_races_status_hooks")
AFTER = ("fulfilment", "0004_neutral_statuses")

# (state, Custom Gateway status, its name) -> (our status, the code kept)
ORDERS = [
    ("draft", None, "", "", ""),
    ("queued", None, "", "", ""),
    ("sending", None, "", "", ""),
    ("failed", None, "", "", ""),
    ("discarded", None, "", "", ""),
    ("sent", None, "", "", ""),
    ("sent", 1, "Received", "accepted", "1"),
    ("sent", 512, "Sent to Supplier", "routed", "512"),
    ("sent", 513, "Received by Supplier", "at_site", "513"),
    ("sent", 4, "In Production", "in_production", "4"),
    ("sent", 515, "Sent to Shipper", "packed", "515"),
    ("sent", 516, "Received by Shipper", "collected", "516"),
    ("sent", 8, "Dispatched", "shipped", "8"),
    ("sent", 64, "Dispatched (Retailer Notified)", "shipped_confirmed", "64"),
    ("sent", 32, "QC Query", "problem", "32"),
    ("sent", 256, "On Hold", "on_hold", "256"),
    ("sent", 128, "Cancelled", "cancelled", "128"),
    ("sent", 0, "Unknown", "", "0"),
    ("sent", 1024, "", "", "1024"),
]


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.fixture
def at_0003():
    apps = migrate(BEFORE)
    try:
        yield apps
    finally:
        migrate(("fulfilment", _latest()))
        # Going back to 0003 also unapplied the apps that depend on fulfilment (operations):
        # every app forward again, or later tests meet missing tables.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def _latest():
    executor = MigrationExecutor(connection)
    return max(name for app, name in executor.loader.graph.leaf_nodes() if app == "fulfilment")


def test_every_order_vendor_order_and_event_is_carried_over_and_back(gateway, at_0003):
    customization = CustomizationFactory()  # before the tables are touched: any fixture rows
    Order = at_0003.get_model("fulfilment", "FulfilmentOrder")
    Vendor = at_0003.get_model("fulfilment", "VendorOrder")
    Event = at_0003.get_model("fulfilment", "StatusEvent")
    Incoming = at_0003.get_model("fulfilment", "IncomingRequest")
    Item = at_0003.get_model("fulfilment", "FulfilmentItem")
    made = []
    for n, (state, code, name, _, _) in enumerate(ORDERS):
        order = Order.objects.create(
            connection_id=gateway.pk,
            external_ref=f"BO-{n:06d}",
            state=state,
            shipping_address_1="1 Road",
            shipping_postcode="SK10 2XR",
            shipping_country_code="GB",
            vendor_status=code,
            vendor_status_name=name,
            has_error=code == 32,
        )
        vendor = Vendor.objects.create(
            connection_id=gateway.pk,
            fulfilment_order=order,
            vendor_id=str(500 + n),
            status=code,
            status_name=name,
            shipping_tracking="RM1" if code == 8 else "",
        )
        if code is not None:
            Event.objects.create(
                fulfilment_order=order,
                vendor_order=vendor,
                status=code,
                status_name=name,
                dedupe_key=f"key-{n}",
                effect="unknown" if code in (0, 1024) else "apply",
            )
        made.append(order.pk)
    Item.objects.create(order_id=made[0], customization_id=customization.pk, external_ref="C1")
    Incoming.objects.create(kind="status_callback", connection_id=gateway.pk, method="PUT", body="{}")
    Incoming.objects.create(kind="order_push", connection_id=gateway.pk, method="POST", body="{}")

    # Read through the models as they are at 0004 (later migrations add columns the current
    # models would ask for).
    after = migrate(AFTER)
    FulfilmentOrder, VendorOrder, StatusEvent, IncomingRequest = (  # noqa: N806
        after.get_model("fulfilment", name)
        for name in ("FulfilmentOrder", "VendorOrder", "StatusEvent", "IncomingRequest")
    )

    for pk, (state, code, name, status, kept) in zip(made, ORDERS, strict=True):
        order = FulfilmentOrder.objects.get(pk=pk)
        assert (order.state, order.status, order.vendor_status_code, order.vendor_status_name) == (
            state,
            status,
            kept,
            name,
        )
        vendor = VendorOrder.objects.get(fulfilment_order=order)
        assert (vendor.status, vendor.vendor_status_code, vendor.vendor_status_name) == (status, kept, name)
        if code is not None:
            event = StatusEvent.objects.get(fulfilment_order=order)
            assert (event.status, event.vendor_status_code, event.vendor_status_name) == (status, kept, name)
    assert VendorOrder.objects.get(vendor_status_code="8").shipping_tracking == "RM1"
    assert FulfilmentOrder.objects.get(pk=made[0]).items.count() == 1
    assert StatusEvent.objects.count() == len([row for row in ORDERS if row[1] is not None])
    assert dict(IncomingRequest.objects.values_list("kind", "hook")) == {
        "status_callback": "status",
        "order_push": "orders",
    }

    # And back: every order has its integer code and name again (a migration test is two full
    # round trips of the schema, so both directions are one test).
    back = migrate(BEFORE).get_model("fulfilment", "FulfilmentOrder")
    for pk, (_state, code, name, _, _) in zip(made, ORDERS, strict=True):
        order = back.objects.get(pk=pk)
        assert (order.vendor_status, order.vendor_status_name) == (code, name), order.external_ref
