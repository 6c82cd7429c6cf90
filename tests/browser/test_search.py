"""The header search box in real Chromium: a Viewer types a tracking number on any page and
follows the result to the fulfilment order it belongs to."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from fulfilment.models import StatusEvent, VendorOrder
from tests.browser.staff import log_in
from tests.factories import FulfilmentOrderFactory, VendorConnectionFactory, staff_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_tracking_number_typed_in_the_header_leads_to_its_order(page, live_server):
    partner = VendorConnectionFactory(kind="custom_gateway", name="Custom Gateway")
    order = FulfilmentOrderFactory(connection=partner, external_ref="BO-004242", customer_name="Ada Lovelace")
    vendor_order = VendorOrder.objects.create(
        connection=partner, fulfilment_order=order, vendor_id="CG-1", shipping_tracking="1Z999AA10123456784"
    )
    StatusEvent.objects.create(
        fulfilment_order=order, vendor_order=vendor_order, shipping_tracking="1Z999AA10123456784", dedupe_key="k"
    )
    FulfilmentOrderFactory(connection=partner, external_ref="BO-004243")  # not shipped: not found
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    log_in(page, live_server, staff_in("Viewer"))

    page.goto(f"{live_server.url}{reverse('admin:fulfilment_fulfilmentorder_changelist')}")
    expect(page.get_by_role("button", name="Search")).to_have_count(1)  # the list's own; the header's is Find
    box = page.get_by_role("searchbox", name="Search the back office")
    box.fill("10123456784")
    box.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/admin/search/?q=10123456784")
    group = page.locator("#search-fulfilment_orders")
    expect(group.get_by_role("heading")).to_have_text("Fulfilment orders 1")
    expect(group.get_by_role("row")).to_have_count(2)  # the header and one order
    expect(group).to_contain_text("tracking number")
    expect(page.get_by_role("searchbox", name="Search the back office")).to_have_value("10123456784")
    assert violations == []  # the box and the results page run under the strict CSP
    group.get_by_role("link", name="BO-004242").click()

    expect(page).to_have_url(f"{live_server.url}{reverse('admin:fulfilment_fulfilmentorder_change', args=[order.pk])}")
    expect(page.locator("h2, h1").first).to_be_visible()
    expect(page.get_by_text("BO-004242").first).to_be_visible()
