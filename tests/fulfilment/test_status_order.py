"""Statuses follow one declared order: late ones are kept but not applied, duplicates are seen
as such whatever came between, Dispatched and Cancelled never silently overwrite each other."""

import json

import pytest
from django.urls import reverse

from fulfilment.models import FulfilmentItem, IncomingRequest, StatusEvent, VendorOrder
from fulfilment.statuses import StatusEffect, status_decide
from integrations.custom_gateway.wire import status_of
from tests.factories import CustomizationFactory, staff_in

pytestmark = pytest.mark.django_db

ORDERS_URL = "/admin/fulfilment/fulfilmentorder/"


def callback(client, gateway, code, **extra):
    body = {"id": 501, "external_ref": "BO-000001", "ref": "CGREF1", "status": code, "status_name": "", **extra}
    url = reverse("fulfilment:hook", args=["custom-gateway", gateway.hook_token, "status"])
    response = client.put(url, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    return IncomingRequest.objects.order_by("-id").first()


@pytest.mark.parametrize(
    "current, incoming, before_hold, effect",
    [
        (None, 4, None, StatusEffect.APPLY),
        (4, 1, None, StatusEffect.LATE),  # 1 after 4 does not put it back to Received
        (1, 512, None, StatusEffect.APPLY),
        (516, 4, None, StatusEffect.LATE),
        (4, 256, None, StatusEffect.APPLY),  # a hold at any point before a final status
        (256, 4, 4, StatusEffect.APPLY),  # lifted by the status it had before
        (256, 1, 4, StatusEffect.LATE),  # but not by an older one
        (32, 256, 4, StatusEffect.APPLY),
        (8, 64, None, StatusEffect.APPLY),  # Dispatched, then the retailer notified
        (64, 8, None, StatusEffect.LATE),
        (8, 128, None, StatusEffect.CONFLICT),
        (128, 8, None, StatusEffect.CONFLICT),
        (64, 128, None, StatusEffect.CONFLICT),
        (8, 4, None, StatusEffect.LATE),
        (128, 256, None, StatusEffect.LATE),
        (4, 9999, None, StatusEffect.UNKNOWN),
        (4, 0, None, StatusEffect.UNKNOWN),
        (4, 2, None, StatusEffect.UNKNOWN),
    ],
)
def test_the_declared_order(current, incoming, before_hold, effect):
    # Custom Gateway's codes, as it maps them to our statuses (the order is decided on ours).
    def cg(code):
        return None if code is None else status_of(code)

    assert status_decide(cg(current), cg(incoming), before_hold=cg(before_hold))[0] == effect


def test_an_older_status_arriving_late_is_kept_but_not_applied(client, gateway, sent_order):
    callback(client, gateway, 4)

    late = callback(client, gateway, 1)

    sent_order.refresh_from_db()
    assert sent_order.vendor_status_name == "In Production"
    assert VendorOrder.objects.get().vendor_status_code == "4"
    assert late.outcome == "late" and late.get_outcome_display() == "Ignored: older than current"
    assert late.note.startswith("ignored: older than current (In Production)")
    event = StatusEvent.objects.get(vendor_status_code="1")
    assert event.effect == "late" and event.effect_note == "ignored: older than current (In Production)"


def test_a_duplicate_is_recognised_with_other_statuses_between(client, gateway, sent_order):
    callback(client, gateway, 1)
    callback(client, gateway, 4)

    again = callback(client, gateway, 1)

    assert again.outcome == "duplicate"
    assert list(sent_order.events.values_list("vendor_status_code", flat=True)) == ["1", "4"]
    sent_order.refresh_from_db()
    assert sent_order.vendor_status_code == "4"


def test_a_hold_and_its_release(client, gateway, sent_order):
    callback(client, gateway, 4)
    assert callback(client, gateway, 256).outcome == "applied"
    assert callback(client, gateway, 1).outcome == "late"

    lifted = callback(client, gateway, 4)  # In Production again: the hold is lifted

    sent_order.refresh_from_db()
    assert lifted.outcome == "applied" and sent_order.vendor_status_name == "In Production"
    assert callback(client, gateway, 4).outcome == "duplicate"  # a replay of that is just a replay


@pytest.mark.parametrize("first, second", [(8, 128), (128, 8)])
def test_dispatched_and_cancelled_conflict_is_shown_to_staff(client, gateway, sent_order, first, second):
    callback(client, gateway, first, shipping_tracking="RM1" if first == 8 else "")
    conflict = callback(client, gateway, second)

    sent_order.refresh_from_db()
    names = {8: "Dispatched", 128: "Cancelled"}
    assert sent_order.vendor_status_code == str(first)  # the first final status stands
    assert conflict.outcome == "conflict"
    assert f"{names[second]} after {names[first]}" in sent_order.status_conflict
    assert StatusEvent.objects.get(vendor_status_code=str(second)).effect == "conflict"

    client.force_login(staff_in("Manager", username="manager"))
    page = client.get(reverse("admin:fulfilment_fulfilmentorder_change", args=[sent_order.pk])).content.decode()
    assert f"conflict: {names[second]} after {names[first]}, not applied" in page
    listed = client.get(ORDERS_URL, {"attention": "conflict"})
    assert list(listed.context["cl"].result_list) == [sent_order]
    assert list(client.get(ORDERS_URL, {"attention": "stuck"}).context["cl"].result_list) == []


def test_an_unknown_status_is_recorded_and_ignored(client, gateway, sent_order):
    callback(client, gateway, 4)
    unknown = callback(client, gateway, 1024)

    sent_order.refresh_from_db()
    assert unknown.outcome == "ignored" and "status 1024 is not a status we act on" in unknown.note
    assert (
        sent_order.vendor_status_code == "4" and StatusEvent.objects.get(vendor_status_code="1024").effect == "unknown"
    )


def test_a_vendor_cancellation_frees_the_customizations(client, gateway, sent_order):
    item = FulfilmentItem.objects.create(order=sent_order, customization=CustomizationFactory(), external_ref="C1")

    callback(client, gateway, 128)

    item.refresh_from_db()
    assert not item.live


def test_the_timeline_shows_each_callbacks_effect(client, gateway, sent_order):
    callback(client, gateway, 4)
    callback(client, gateway, 1)
    client.force_login(staff_in("Viewer", username="viewer"))

    page = client.get(reverse("admin:fulfilment_fulfilmentorder_change", args=[sent_order.pk])).content.decode()

    assert "ignored: older than current (In Production)" in page
