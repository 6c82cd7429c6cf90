"""The activity panel in real Chromium: a Reviewer adds a note and a tag on a fulfilment order
and sees both in its feed at once (htmx, no reload); a refused note says why in the panel."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from fulfilment.models import StatusEvent
from operations.notes_models import Note
from tests.browser.staff import log_in
from tests.factories import FulfilmentOrderFactory, staff_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_adds_a_note_on_a_fulfilment_order_and_sees_it_in_the_feed(page, live_server, gateway):
    order = FulfilmentOrderFactory(connection=gateway, external_ref="FO-BROWSER", state="sent")
    StatusEvent.objects.create(fulfilment_order=order, vendor_status_name="Printing", dedupe_key="browser-1")
    reviewer = staff_in("Reviewer", username="rosa")
    log_in(page, live_server, reviewer)
    page.goto(live_server.url + reverse("admin:fulfilment_fulfilmentorder_change", args=[order.pk]))
    panel = page.locator("#activity-panel")
    expect(panel.locator(".activity-feed")).to_contain_text("Partner status: Printing")

    panel.get_by_label("Note").fill("Customer rang: <b>leave with neighbour</b>")
    panel.get_by_role("button", name="Add note").click()
    first = page.locator("#activity-panel .activity-feed li").first
    expect(first).to_contain_text("Customer rang: <b>leave with neighbour</b>")
    expect(first).to_contain_text("rosa")
    assert Note.objects.get().author == reviewer
    assert page.url.endswith(reverse("admin:fulfilment_fulfilmentorder_change", args=[order.pk]))  # no reload

    page.locator("#activity-panel").get_by_label("Add a tag").fill("Rush")
    page.locator("#activity-panel").get_by_role("button", name="Tag", exact=True).click()
    expect(page.locator("#activity-panel .activity-tags")).to_contain_text("rush")
    expect(page.locator("#activity-panel .activity-feed li").first).to_contain_text("Tagged “rush”")

    page.locator("#activity-panel").get_by_label("Add a tag").fill("no <way>")
    page.locator("#activity-panel").get_by_role("button", name="Tag", exact=True).click()
    expect(page.locator("#activity-panel .activity-error")).to_contain_text("A tag is letters, digits")
