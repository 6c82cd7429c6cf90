"""The activity feed of each kind: every source registered in operations/feed_sources.py, newest
first, and the panel on the change pages (escaped)."""

from datetime import timedelta

import pytest
from auditlog.context import set_actor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fulfilment.models import FulfilmentItem, IncomingRequest, OrderAction, StatusEvent
from operations.activity import feed
from operations.services.notes import note_add, tag_add, tag_remove
from orders.models import PrintRequirement, ReviewDecision, SideArtwork, SyncRun
from tests.factories import (
    CustomizationFactory,
    FulfilmentOrderFactory,
    PushedOrderFactory,
    ShipmentFactory,
    ShippingLabelFactory,
    SideFactory,
    StoreOrderFactory,
    VendorOrderFactory,
    staff_in,
)

pytestmark = pytest.mark.django_db


def summaries(obj, kind=None):
    return [entry.summary for entry in feed(obj) if kind is None or entry.kind == kind]


def test_a_customization_feed_has_its_syncs_decisions_print_files_orders_notes_and_tags(gateway):
    reviewer = staff_in("Reviewer", username="rita")
    started = timezone.now() - timedelta(minutes=1)
    customization = CustomizationFactory(template_id="T9")
    run = SyncRun.objects.create(
        connection=customization.connection, status="succeeded", started_at=started, finished_at=timezone.now()
    )
    later = timezone.now() + timedelta(hours=1)
    again = SyncRun.objects.create(
        connection=customization.connection,
        status="succeeded",
        trigger="schedule",
        started_at=later - timedelta(seconds=5),
        finished_at=later + timedelta(seconds=5),
    )
    type(customization).objects.filter(pk=customization.pk).update(fetched_at=later, status_changed_at=later)
    customization.refresh_from_db()
    ReviewDecision.objects.create(customization=customization, action="approve", reason="Looks fine", user=reviewer)
    SideArtwork.objects.create(
        side=SideFactory(customization=customization, name="Back"), state="failed", error="The vendor answered 404."
    )
    order = FulfilmentOrderFactory(connection=gateway, external_ref="FO-77")
    FulfilmentItem.objects.create(order=order, customization=customization, external_ref="C1")
    note_add(obj=customization, author=reviewer, text="Customer wants navy")
    tag_add(obj=customization, user=reviewer, name="vip")

    entries = feed(customization)
    by_kind = {}
    for entry in entries:
        by_kind.setdefault(entry.kind, []).append(entry)
    assert by_kind["sync"][0].summary == f"Changed at the vendor and synced again (sync #{again.pk}, schedule)"
    assert by_kind["sync"][1].summary == f"First synced from the vendor (sync #{run.pk}, sync now)"
    assert by_kind["sync"][1].url == reverse("admin:orders_syncrun_change", args=[run.pk])
    assert by_kind["status"][0].summary == "Vendor status: Pending"
    assert [(e.summary, e.actor) for e in by_kind["decision"]] == [("Approved: Looks fine", "rita")]
    assert by_kind["print_file"][0].summary == "Print file of Back: Failed (The vendor answered 404.)"
    assert by_kind["send"][0].summary == "Fulfilment order FO-77 created (Draft)"
    assert [(e.summary, e.actor) for e in by_kind["note"]] == [("Customer wants navy", "rita")]
    assert by_kind["tag"][0].summary == "Tagged “vip”"
    # Newest first: the later sync heads the feed.
    assert entries[0].at == later
    assert [entry.at for entry in entries] == sorted((entry.at for entry in entries), reverse=True)


def test_a_store_order_feed_reads_the_vendor_status_history_and_skips_junk():
    order = StoreOrderFactory(
        ordered_at=timezone.now() - timedelta(days=2),
        status_history=[
            {"status": "pending", "date": "2024-02-23T17:52:35.202Z"},
            {"status": "paid", "date": "2024-02-24T09:00:00Z"},
            {"status": "odd", "date": "not a date"},
            {"status": "naive", "date": "2024-02-24T09:00:00"},
            "junk",
        ],
    )
    assert summaries(order, "status") == ["Store status: paid", "Store status: pending"]
    assert "Ordered" in summaries(order, "sync")
    FulfilmentOrderFactory(connection=order.connection, store_order=order, external_ref="FO-9")
    assert "Fulfilment order FO-9 created (Draft)" in summaries(order, "send")


def test_a_fulfilment_order_feed_has_sends_staff_actions_status_events_and_callbacks(gateway):
    manager = staff_in("Manager", username="mo")
    original = FulfilmentOrderFactory(connection=gateway, external_ref="FO-1")
    order = FulfilmentOrderFactory(
        connection=gateway,
        external_ref="FO-2",
        created_by=manager,
        reprint_of=original,
        reprint_reason="Smudged print",
        state="sent",
        sent_at=timezone.now() + timedelta(minutes=1),
    )
    OrderAction.objects.create(
        order=order,
        action="cancel",
        user=manager,
        ok=False,
        message="Too late",
        at=timezone.now() + timedelta(minutes=2),
    )
    incoming = IncomingRequest.objects.create(kind="status_callback", method="POST", connection=gateway)
    vendor_order = VendorOrderFactory(fulfilment_order=order)
    StatusEvent.objects.create(
        vendor_order=vendor_order,
        incoming=incoming,
        vendor_status_name="Dispatched",
        shipping_carrier="DPD",
        shipping_tracking="TRK123",
        dedupe_key="a",
        received_at=timezone.now() + timedelta(minutes=3),
    )
    StatusEvent.objects.create(
        fulfilment_order=order,
        vendor_status_name="Printing",
        effect="late",
        dedupe_key="b",
        received_at=timezone.now() + timedelta(minutes=4),
    )
    entries = feed(order)
    text = [entry.summary for entry in entries]
    assert text[0] == "Partner status: Printing — Late (ignored) (status read)"
    assert text[1] == "Partner status: Dispatched, tracking DPD TRK123 (callback)"
    assert entries[1].url == reverse("admin:fulfilment_incomingrequest_change", args=[incoming.pk])
    assert text[2] == "Cancel (failed): Too late"
    assert entries[2].actor == "mo"
    assert text[3] == f"Sent to {gateway.name}"
    assert "Reprint of FO-1: Smudged print" in text and "Created" in text


def test_a_pushed_order_feed_has_the_push_shipments_and_labels(gateway):
    incoming = IncomingRequest.objects.create(kind="order_push", method="POST", connection=gateway)
    pushed = PushedOrderFactory(connection=gateway, incoming=incoming, received_at=timezone.now() - timedelta(hours=1))
    ShippingLabelFactory(
        shipment=ShipmentFactory(order=pushed, carrier="Royal Mail", tracking="RM1"), state="failed", error="No PDF"
    )
    entries = [entry for entry in feed(pushed) if entry.kind != "config"]
    assert [entry.summary for entry in entries] == [
        "Shipped: Royal Mail RM1; label failed (No PDF)",
        "Pushed to us by the partner",
    ]
    assert entries[1].url == reverse("admin:fulfilment_incomingrequest_change", args=[incoming.pk])


def test_tag_removal_and_configuration_changes_reach_the_feed(gateway):
    manager = staff_in("Manager", username="meg")
    order = FulfilmentOrderFactory(connection=gateway)
    customization = CustomizationFactory(template_id="T5")
    tag_add(obj=order, user=manager, name="rush")
    tag_remove(obj=order, user=manager, name="rush")
    with set_actor(manager):
        gateway.lookback_days = 7
        gateway.save()
        PrintRequirement.objects.create(template_id="T5", min_width=100, min_height=100)
    assert summaries(order, "tag")[0] == "Tag “rush” removed"
    config = [entry for entry in feed(order) if entry.kind == "config"]
    assert [(e.summary, e.actor) for e in config] == [(f"Vendor connection “{gateway}” changed: lookback_days", "meg")]
    assert config[0].url.startswith("/admin/auditlog/logentry/")
    assert "Print requirement “Template T5: at least 100×100 px” created" in summaries(customization, "config")


def test_the_panel_on_a_customization_page_escapes_what_vendors_and_staff_wrote():
    customization = CustomizationFactory()
    ReviewDecision.objects.create(customization=customization, action="reject", reason='<img src=x onerror="alert(1)">')
    client = Client()
    client.force_login(staff_in("Viewer"))
    page = client.get(reverse("admin:orders_customization_change", args=[customization.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    panel = body[body.index('id="activity-panel"') :]
    assert "Rejected: &lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in panel
    assert '<img src=x onerror="alert(1)">' not in panel
