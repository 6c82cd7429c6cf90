"""Kickflip / MyCustomizer sync against the built-in sandbox over real HTTP (the session's sandbox server)."""

import pytest

from integrations.http import VendorRejected
from orders.models import BadWordList, Customization, DesignNode, OrderLine, StoreOrder, SyncRun
from orders.services.bad_words import bad_words_save
from orders.services.sync import customizations_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def box(kickflip_sandbox):
    return kickflip_sandbox


@pytest.fixture
def kickflip(kickflip_connection):
    return kickflip_connection


def expected_design_ids(box):
    ordered = {design.oid for order in box.orders for _, design in order.items}
    return {design.oid for design in box.designs if design.listed} | ordered


def test_designs_and_orders_land_and_lines_point_at_designs(kickflip, box):
    run = customizations_sync(connection=kickflip)

    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    stored = set(Customization.objects.filter(connection=kickflip).values_list("external_id", flat=True))
    assert stored == expected_design_ids(box)
    unlisted_but_ordered = {d.oid for o in box.orders for _, d in o.items if not d.listed}
    assert unlisted_but_ordered and unlisted_but_ordered <= stored  # read by id
    assert StoreOrder.objects.filter(connection=kickflip).count() == len(box.orders)
    order = box.orders[3]
    stored_order = StoreOrder.objects.get(connection=kickflip, external_id=order.oid)
    assert stored_order.status == order.history[-1][0]
    assert stored_order.currency == order.currency and stored_order.total_price is not None
    lines = {
        (line.customization.external_id, line.quantity) for line in stored_order.lines.select_related("customization")
    }
    expected = {}
    for quantity, design in order.items:
        expected[design.oid] = expected.get(design.oid, 0) + quantity
    assert lines == set(expected.items())
    assert DesignNode.objects.filter(side__customization__connection=kickflip, kind=DesignNode.Kind.TEXT).exists()


def test_second_sync_writes_nothing(kickflip, box):
    customizations_sync(connection=kickflip)
    counts = (Customization.objects.count(), StoreOrder.objects.count(), OrderLine.objects.count())
    stamps = dict(Customization.objects.values_list("pk", "updated_at"))

    again = customizations_sync(connection=kickflip)

    assert again.status == SyncRun.Status.SUCCEEDED
    assert (again.created, again.updated) == (0, 0)
    assert "0 new or changed" in again.note
    assert (Customization.objects.count(), StoreOrder.objects.count(), OrderLine.objects.count()) == counts
    assert dict(Customization.objects.values_list("pk", "updated_at")) == stamps


def test_a_new_order_is_picked_up_by_the_next_sync(kickflip, box):
    customizations_sync(connection=kickflip)
    new = box.add_order(designs=1, quantity=2)

    run = customizations_sync(connection=kickflip)

    assert run.created == 1  # its design
    assert "1 new or changed" in run.note
    assert OrderLine.objects.get(store_order__external_id=new["id"]).quantity == 2


def test_flagged_texts_are_marked_after_sync(kickflip, box):
    bad_words_save(words=["damn", "crap"], is_active=True)
    assert BadWordList.current().words == ["damn", "crap"]

    customizations_sync(connection=kickflip)

    flagged = Customization.objects.filter(connection=kickflip, has_bad_words=True)
    with_damn = [d.oid for d in box.designs if "damn" in d.text.lower() or "crap" in d.text.lower()]
    assert flagged.exists()
    assert set(flagged.values_list("external_id", flat=True)) >= set(with_damn) & expected_design_ids(box)
    assert not Customization.objects.filter(connection=kickflip, has_bad_words=True, bad_words=[]).exists()


@pytest.mark.parametrize(
    ("status", "message"), [(401, "token was refused"), (404, "invalid tenant")], ids=["bad-token", "bad-company"]
)
def test_connection_errors_are_clear(kickflip, box, status, message):
    if status == 401:
        kickflip.secrets["api_key"] = "not-the-token"
    else:
        kickflip.settings["company"] = "no-such-brand"
    kickflip.save()

    with pytest.raises(VendorRejected):
        customizations_sync(connection=kickflip)

    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.FAILED
    assert message in run.errors[0].lower()
    assert "not-the-token" not in run.errors[0]


def test_a_design_that_cannot_be_read_is_recorded_and_the_rest_land(kickflip, box):
    box.fail_next("design", 404)

    run = customizations_sync(connection=kickflip)

    assert run.status == SyncRun.Status.PARTIAL
    assert run.failed == 1
    assert Customization.objects.count() == len(expected_design_ids(box)) - 1
    assert any("could not be read" in error for error in run.errors)

    # The order that needed it is read again next time, and its line appears.
    again = customizations_sync(connection=kickflip)
    assert again.status == SyncRun.Status.SUCCEEDED, again.errors
    assert again.created == 1
    assert Customization.objects.count() == len(expected_design_ids(box))
    expected_lines = {(order.oid, design.oid) for order in box.orders for _, design in order.items}
    stored_lines = set(OrderLine.objects.values_list("store_order__external_id", "customization__external_id"))
    assert stored_lines == expected_lines
