"""Holds and reprints: a held order is not sent (by staff or a rule) until released, by hand or
by the beat task when its date passes; a reason is required; a shipped order is reprinted as a
new draft of the same designs, linked both ways, without opening the door to a double print."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fulfilment.models import FulfilmentItem, FulfilmentOrder
from fulfilment.services.holds import (
    fulfilment_order_hold,
    fulfilment_order_release,
    fulfilment_order_reprint,
)
from fulfilment.services.orders import (
    FulfilmentInvalid,
    fulfilment_order_create,
    fulfilment_order_queue,
    fulfilment_order_validate,
)
from operations.tasks import holds_release_expired_task
from tests.factories import staff_in
from tests.fulfilment.route_partner import CALLS
from tests.fulfilment.test_flows import ADDRESS, approved_with_artwork

pytestmark = pytest.mark.django_db
State = FulfilmentOrder.State
ORDERS = "/admin/fulfilment/fulfilmentorder/"


@pytest.fixture
def draft(route_print):
    return fulfilment_order_create(connection=route_print, customizations=[approved_with_artwork()], shipping=ADDRESS)


def test_a_hold_until_a_date_is_released_by_the_beat_task_when_it_passes(draft):
    manager = staff_in("Manager")
    until = timezone.now() + timedelta(hours=3)
    outcome = fulfilment_order_hold(draft, user=manager, reason="Stock count", until=until)
    assert outcome.ok, outcome.message
    draft.refresh_from_db()
    assert draft.on_hold and draft.hold_reason == "Stock count" and draft.held_by == manager

    assert holds_release_expired_task.apply().get() == 0  # not yet
    FulfilmentOrder.objects.filter(pk=draft.pk).update(hold_until=timezone.now() - timedelta(seconds=1))
    assert holds_release_expired_task.apply().get() == 1
    draft.refresh_from_db()
    assert not draft.on_hold and draft.hold_reason == "" and draft.hold_until is None
    assert fulfilment_order_queue(draft)  # sendable again


def test_a_hold_needs_a_reason_a_future_end_and_an_order_not_yet_sent(draft, route_print):
    user = staff_in("Manager")
    assert not fulfilment_order_hold(draft, user=user, reason="  ").ok
    past = fulfilment_order_hold(draft, user=user, reason="x", until=timezone.now() - timedelta(minutes=1))
    assert not past.ok and "future" in past.message
    FulfilmentOrder.objects.filter(pk=draft.pk).update(state=State.SENT)
    sent = fulfilment_order_hold(draft, user=user, reason="too late")
    assert not sent.ok and "only an order not yet sent" in sent.message
    assert not fulfilment_order_release(draft).ok  # not on hold


def test_holding_a_queued_order_takes_it_back_to_draft(draft):
    assert fulfilment_order_queue(draft)
    assert fulfilment_order_hold(draft, user=None, reason="Address check").ok
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and draft.on_hold


# -- the order page and list ---------------------------------------------------------------------


def test_staff_hold_and_release_from_the_order_page_and_find_it_under_on_hold(client, draft):
    client.force_login(staff_in("Manager"))
    page = client.get(f"{ORDERS}{draft.pk}/change/")
    assert b'id="hold-button"' in page.content

    refused = client.post(f"{ORDERS}{draft.pk}/hold/", {"reason": ""})
    assert refused.status_code == 200 and b"This field is required" in refused.content
    bad = client.post(f"{ORDERS}{draft.pk}/hold/", {"reason": "x", "until": "not a date"})
    assert bad.status_code == 200 and b"Enter a valid date/time" in bad.content
    until = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    done = client.post(f"{ORDERS}{draft.pk}/hold/", {"reason": "VIP <b>check</b>", "until": until})
    assert done.status_code == 302
    page = client.get(f"{ORDERS}{draft.pk}/change/")
    assert b'id="hold-box"' in page.content and b"VIP &lt;b&gt;check&lt;/b&gt;" in page.content

    listed = client.get(f"{ORDERS}?on_hold=yes")
    assert draft.external_ref.encode() in listed.content and b"on hold" in listed.content
    assert draft.external_ref.encode() not in client.get(f"{ORDERS}?on_hold=no").content

    assert client.post(f"{ORDERS}{draft.pk}/release/").status_code == 302
    draft.refresh_from_db()
    assert not draft.on_hold


def test_a_viewer_sees_the_hold_but_may_not_hold(client, draft):
    fulfilment_order_hold(draft, user=None, reason="Waiting")
    client.force_login(staff_in("Viewer"))
    page = client.get(f"{ORDERS}{draft.pk}/change/")
    assert b'id="hold-box"' in page.content and b"Release" not in page.content
    assert client.post(f"{ORDERS}{draft.pk}/release/").status_code == 403
    draft.refresh_from_db()
    assert draft.on_hold


def test_the_hold_action_asks_for_a_reason_then_holds_the_selected(client, draft):
    client.force_login(staff_in("Manager"))
    data = {"action": "hold_selected", "_selected_action": [draft.pk]}
    asked = client.post(ORDERS, data)
    assert asked.status_code == 200 and b"Hold them" in asked.content
    done = client.post(ORDERS, {**data, "apply": "1", "reason": "Bank holiday"})
    assert done.status_code == 302
    draft.refresh_from_db()
    assert draft.on_hold and draft.hold_reason == "Bank holiday" and draft.hold_until is None
    client.post(ORDERS, {"action": "release_selected", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert not draft.on_hold


# -- reprints ------------------------------------------------------------------------------------


@pytest.fixture
def shipped(draft):
    FulfilmentOrder.objects.filter(pk=draft.pk).update(state=State.SENT, status="shipped")
    draft.refresh_from_db()
    return draft


def test_a_shipped_order_is_reprinted_as_a_linked_draft_of_the_same_designs(shipped, route_print):
    reprint, problem = fulfilment_order_reprint(shipped, user=staff_in("Manager"), reason="Arrived damaged")
    assert reprint is not None, problem
    assert reprint.reprint_of == shipped and reprint.reprint_reason == "Arrived damaged"
    assert list(shipped.reprints.all()) == [reprint]
    assert (
        reprint.state == State.DRAFT
        and reprint.connection == route_print
        and reprint.external_ref != shipped.external_ref
    )
    assert reprint.shipping_postcode == shipped.shipping_postcode and reprint.status == ""
    design = shipped.items.get().customization
    assert reprint.items.get().customization == design
    # It can be sent (its design being live in the shipped order is no objection) ...
    assert fulfilment_order_validate(reprint) == {}
    assert fulfilment_order_queue(reprint)
    # ... but the double-print protection stands: no ordinary second order of the design.
    assert FulfilmentItem.objects.get(order=shipped).live
    with pytest.raises(FulfilmentInvalid, match="already in order"):
        fulfilment_order_create(connection=route_print, customizations=[design], shipping=ADDRESS)


def test_a_second_reprint_waits_for_the_first_and_an_unshipped_order_is_not_reprinted(shipped, draft, route_print):
    first, _ = fulfilment_order_reprint(shipped, user=None, reason="Damaged")
    second, problem = fulfilment_order_reprint(shipped, user=None, reason="Double click")
    assert first is not None and second is None and "not shipped yet" in problem
    assert shipped.reprints.count() == 1
    none, problem = fulfilment_order_reprint(first, user=None, reason="x")
    assert none is None and "only a shipped order" in problem
    assert fulfilment_order_reprint(shipped, user=None, reason=" ")[1] == "A reprint needs a reason."


def test_the_reprint_pages_link_both_ways(client, shipped):
    client.force_login(staff_in("Manager"))
    page = client.get(f"{ORDERS}{shipped.pk}/change/")
    assert b'id="reprint-button"' in page.content
    response = client.post(f"{ORDERS}{shipped.pk}/reprint/", {"reason": "Lost in the post"})
    reprint = FulfilmentOrder.objects.get(reprint_of=shipped)
    assert response.status_code == 302 and response["Location"].endswith(f"/{reprint.pk}/change/")
    assert b"A reprint of" in client.get(f"{ORDERS}{reprint.pk}/change/").content
    assert reprint.external_ref.encode() in client.get(f"{ORDERS}{shipped.pk}/change/").content
    assert not CALLS


def test_the_send_action_leaves_a_held_order_and_says_why(client, draft):
    fulfilment_order_hold(draft, user=None, reason="Waiting for stock")
    client.force_login(staff_in("Manager"))
    response = client.post(ORDERS, {"action": "send_selected", "_selected_action": [draft.pk]}, follow=True)
    assert b"1 order is on hold and not sent: release first." in response.content
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and draft.on_hold


def test_holds_and_releases_are_on_the_orders_timeline_and_in_its_feed(draft):
    from operations.activity import feed

    manager = staff_in("Manager")
    assert fulfilment_order_hold(draft, user=manager, reason="Customer called").ok
    assert fulfilment_order_release(draft, user=manager).ok
    until = timezone.now() + timedelta(hours=1)
    assert fulfilment_order_hold(draft, user=manager, reason="Stock count", until=until).ok
    FulfilmentOrder.objects.filter(pk=draft.pk).update(hold_until=timezone.now() - timedelta(seconds=1))
    assert holds_release_expired_task.apply().get() == 1
    actions = list(draft.actions.order_by("at", "id").values_list("action", "user", "message"))
    assert [(action, user) for action, user, _ in actions] == [
        ("hold", manager.pk),
        ("release", manager.pk),
        ("hold", manager.pk),
        ("release", None),
    ]
    assert "Customer called" in actions[0][2] and "end date passed" in actions[3][2]
    summaries = [entry.summary for entry in feed(draft) if entry.kind == "action"]
    assert any(summary.startswith("Hold: On hold until released: Customer called") for summary in summaries)


def test_a_reprint_is_on_the_shipped_orders_timeline(shipped):
    manager = staff_in("Manager")
    reprint, problem = fulfilment_order_reprint(shipped, user=manager, reason="Smudged print")
    assert reprint is not None, problem
    (action,) = shipped.actions.filter(action="reprint")
    assert action.user == manager and str(reprint) in action.message and "Smudged print" in action.message
