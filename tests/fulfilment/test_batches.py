"""Batch orders: items of several sent orders combined at the partner, from the fulfilment orders'
action through the combine screen; refusals in words; the partner's status word kept whatever it
is; Refresh only where the adapter can read it again."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from fulfilment.models import BatchOrder, FulfilmentItem, PrintTemplate
from fulfilment.services.batches import BatchInvalid, batch_choice, batch_order_create, batch_order_refresh
from orders.models import VendorConnection
from tests.factories import CustomizationFactory, FulfilmentOrderFactory, staff_in
from tests.fulfilment import catalogue_partner as shelf_partner
from tests.fulfilment.catalogue_partner import BATCH_STATUS, CALLS, FAIL, rejected

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(settings):
    settings.VENDORS = [*settings.VENDORS, *shelf_partner.SPECS]
    shelf_partner.reset()
    return VendorConnection.objects.create(
        name="Shelf", kind="shelf_print", secrets={"api_key": "shelf-secret"}, sync_every_minutes=None
    )


@pytest.fixture
def basic(shelf):
    return VendorConnection.objects.create(name="Basic", kind="shelf_basic", secrets={}, sync_every_minutes=None)


def sent_order(connection, *vendor_ids):
    order = FulfilmentOrderFactory(connection=connection, state="sent")
    for index, vendor_id in enumerate(vendor_ids):
        FulfilmentItem.objects.create(
            order=order, customization=CustomizationFactory(), external_ref=f"C{index}", vendor_id=vendor_id
        )
    return order


@pytest.fixture
def templates(shelf):
    return [
        PrintTemplate.objects.create(connection=shelf, vendor_uid="TPL-A", name="A4 sheet"),
        PrintTemplate.objects.create(connection=shelf, vendor_uid="TPL-B", name="A3 sheet"),
    ]


def test_items_of_several_orders_become_one_batch_with_the_partners_word(shelf, templates):
    first, second = sent_order(shelf, "ITEM-1", "ITEM-2"), sent_order(shelf, "ITEM-3")
    BATCH_STATUS["create"] = "Queued for the night shift"  # a word nobody documented
    items = [*first.items.all(), *second.items.all()]

    batch = batch_order_create(connection=shelf, items=items, templates=templates[:1])

    assert CALLS == [("batch", ["ITEM-1", "ITEM-2", "ITEM-3"], ["TPL-A"])]
    assert (batch.vendor_id, batch.status_code) == ("BATCH-9", "Queued for the night shift")
    assert batch.raw == {"uid": "BATCH-9", "status": "Queued for the night shift"}
    assert set(batch.items.all()) == set(items) and list(batch.templates.all()) == templates[:1]


def test_items_not_at_the_partner_are_refused_in_words(shelf, templates):
    order = sent_order(shelf, "ITEM-1", "")
    with pytest.raises(BatchInvalid, match=r"Not at the partner yet \(no partner id\).*C1 \(order BO-"):
        batch_order_create(connection=shelf, items=order.items.all(), templates=templates)
    assert CALLS == [] and not BatchOrder.objects.exists()


def test_a_selection_of_two_connections_is_refused(shelf, basic, templates):
    mine, theirs = sent_order(shelf, "ITEM-1"), sent_order(basic, "ITEM-2")
    choice = batch_choice([mine, theirs])
    assert "one partner connection: the selection spans Basic, Shelf" in choice.problem
    with pytest.raises(BatchInvalid, match="went to another"):
        batch_order_create(connection=shelf, items=[*mine.items.all(), *theirs.items.all()], templates=templates)
    foreign = PrintTemplate.objects.create(connection=basic, vendor_uid="X", name="Theirs")
    with pytest.raises(BatchInvalid, match="[Pp]rint templates? of another connection"):
        batch_order_create(connection=shelf, items=mine.items.all(), templates=[foreign])


def test_the_partners_refusal_is_said_and_nothing_recorded(shelf, templates):
    order = sent_order(shelf, "ITEM-1")
    FAIL[("batch", "")] = rejected(400, "Template TPL-A is not assigned to this variant")
    with pytest.raises(BatchInvalid, match="did not create the batch order: Shelf Print: Template TPL-A is not"):
        batch_order_create(connection=shelf, items=order.items.all(), templates=templates)
    assert not BatchOrder.objects.exists()


def test_refresh_stores_any_word_and_a_failure_in_words(shelf, templates):
    batch = batch_order_create(connection=shelf, items=sent_order(shelf, "ITEM-1").items.all(), templates=templates)
    BATCH_STATUS["status"] = "Ausgedruckt"
    assert batch_order_refresh(batch).status_code == "Ausgedruckt" and batch.refreshed_at
    FAIL[("batch_status", "")] = rejected(401, "Unauthenticated")
    batch = batch_order_refresh(batch)
    assert batch.status_code == "Ausgedruckt" and "Unauthenticated (HTTP 401)" in batch.error


# -- the screens --------------------------------------------------------------------------------


def test_the_action_leads_to_the_combine_screen_which_creates_the_batch(client, shelf, templates):
    first, second = sent_order(shelf, "ITEM-1", ""), sent_order(shelf, "ITEM-3")
    client.force_login(staff_in("Manager"))

    response = client.post(
        reverse("admin:fulfilment_fulfilmentorder_changelist"),
        {"action": "combine_into_batch", ACTION_CHECKBOX_NAME: [first.pk, second.pk], "index": 0},
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200 and "partner id ITEM-1" in text and "partner id ITEM-3" in text
    assert "not at the partner yet (no partner id)" in text and "A4 sheet (TPL-A)" in text

    unsent = first.items.get(vendor_id="")
    refused = client.post(
        reverse("admin:fulfilment_batchorder_combine"),
        {"orders": f"{first.pk},{second.pk}", "item": [unsent.pk], "template": [templates[0].pk]},
    )
    assert refused.status_code == 200 and "cannot be batched: C1 (order" in refused.content.decode()

    chosen = [first.items.get(vendor_id="ITEM-1").pk, second.items.get().pk]
    created = client.post(
        reverse("admin:fulfilment_batchorder_combine"),
        {"orders": f"{first.pk},{second.pk}", "item": chosen, "template": [templates[1].pk]},
    )
    batch = BatchOrder.objects.get()
    assert created.status_code == 302 and created["Location"].endswith(f"/{batch.pk}/change/")
    assert CALLS == [("batch", ["ITEM-1", "ITEM-3"], ["TPL-B"])]
    page = client.get(created["Location"]).content.decode()
    assert "Batching" in page and "partner id ITEM-3" in page and 'id="batch-refresh"' in page


def test_two_connections_on_the_combine_screen_are_said_so(client, shelf, basic):
    client.force_login(staff_in("Manager"))
    mine, theirs = sent_order(shelf, "ITEM-1"), sent_order(basic, "ITEM-2")
    page = client.get(reverse("admin:fulfilment_batchorder_combine"), {"orders": f"{mine.pk},{theirs.pk}"})
    assert page.status_code == 200 and "the selection spans Basic, Shelf" in page.content.decode()
    posted = client.post(
        reverse("admin:fulfilment_batchorder_combine"),
        {"orders": f"{mine.pk},{theirs.pk}", "item": [mine.items.get().pk]},
    )
    assert posted.status_code == 200 and CALLS == []


def test_refresh_is_offered_only_where_the_adapter_can(client, shelf, basic):
    client.force_login(staff_in("Manager"))
    with_status = BatchOrder.objects.create(connection=shelf, vendor_id="B-1", status_code="Batching")
    without = BatchOrder.objects.create(connection=basic, vendor_id="B-2", status_code="Batching")

    page = client.get(reverse("admin:fulfilment_batchorder_change", args=[without.pk])).content.decode()
    assert 'id="batch-refresh"' not in page
    refused = client.post(reverse("admin:fulfilment_batchorder_refresh", args=[without.pk]), follow=True)
    assert "cannot read a batch order" in refused.content.decode()

    BATCH_STATUS["status"] = "Completed"
    done = client.post(reverse("admin:fulfilment_batchorder_refresh", args=[with_status.pk]), follow=True)
    assert "the partner says “Completed”" in done.content.decode()
    with_status.refresh_from_db()
    assert with_status.status_code == "Completed"

    viewer = staff_in("Viewer", username="viewer")
    client.force_login(viewer)
    page = client.get(reverse("admin:fulfilment_batchorder_change", args=[with_status.pk])).content.decode()
    assert 'id="batch-refresh"' not in page
    assert client.post(reverse("admin:fulfilment_batchorder_refresh", args=[with_status.pk])).status_code == 403
