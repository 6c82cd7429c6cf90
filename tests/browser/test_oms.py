"""Routing and sending to Ideal Factory's OMS in real Chromium, against the OMS sandbox over real
HTTP: staff open "Create from approved", the routing table pre-selects Ideal Factory for the mug
designs (Custom Gateway is the default), create and send; the order reaches Sent at the sandbox and
its page shows the print files the OMS makes, one ready with its preview, one failed with Retry.

SCREENSHOT_DIR (e.g. /tmp/shots) keeps a full-page screenshot of the order page to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fulfilment.models import FulfilmentOrder, PartnerPrintFile, RoutingRule
from fulfilment.services.print_files import partner_print_files_poll
from integrations.idealfactory import sandbox as if_sandbox
from orders.models import VendorConnection
from tests.browser.staff import log_in, shoot
from tests.factories import staff_in
from tests.integrations.idealfactory.test_end_to_end import a_mug, map_store_variant, pushed_variant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def oms(sandbox_server, settings):
    if_sandbox.reset()
    connection = VendorConnection.objects.create(
        name="IF sandbox",
        kind="idealfactory",
        settings={"base_url": if_sandbox.base_url(sandbox_server.url), "store_ids": "demo-store"},
        secrets={"api_token": settings.SANDBOX_API_KEY},
        sync_every_minutes=None,
    )
    yield connection
    if_sandbox.reset()


def test_manager_routes_mugs_to_the_oms_sends_and_sees_its_print_files(page, live_server, gateway, oms, tasks_inline):
    box = if_sandbox.sandbox()
    RoutingRule.objects.create(connection=gateway, priority=100)  # the default
    RoutingRule.objects.create(connection=oms, product_contains="mug", priority=10)
    map_store_variant(oms, pushed_variant(oms))
    good = a_mug()
    a_mug(good.order_lines.get().store_order, options={"finish": "fail"})  # the sandbox fails this one

    log_in(page, live_server, staff_in("Manager", username="manager"))
    page.goto(f"{live_server.url}/admin/fulfilment/fulfilmentorder/")
    page.locator("#create-from-approved").click()

    rows = page.locator("li.routed-design", has_text="Mug 11oz")
    expect(rows).to_have_count(2)
    expect(rows.first.locator(".route-note")).to_contain_text("IF sandbox: product contains “mug”")
    for index in range(2):
        rows.nth(index).get_by_role("checkbox").check()
    expect(page.locator("select[name=connection]")).to_have_value(str(oms.pk))
    expect(page.locator("#route-mixed")).to_be_hidden()

    page.get_by_label("Customer name").fill("Ada Lovelace")
    page.get_by_label("Shipping address 1").fill("Pinewood Court")
    page.get_by_label("City or town:", exact=True).fill("Macclesfield")
    page.get_by_label("Shipping postcode").fill("SK10 2XR")
    page.get_by_label("Country (ISO code, e.g. GB)").fill("GB")
    page.get_by_role("button", name="Create fulfilment order").click()

    order = FulfilmentOrder.objects.get()
    expect(page.locator("ul.messagelist li.success")).to_have_text(f"{order} created and queued to send.")
    order.refresh_from_db()
    assert order.connection == oms and order.state == FulfilmentOrder.State.SENT, order.last_error
    (at_oms,) = box.orders.values()
    assert order.vendor_orders.get().vendor_id == at_oms.uid and len(at_oms.items) == 2

    # The OMS makes the print files; three polls settle them (one ready, one failed).
    for _ in range(3):
        partner_print_files_poll(connection=oms, every=True)
    assert sorted(PartnerPrintFile.objects.values_list("state", flat=True)) == ["failed", "ready"]

    page.goto(f"{live_server.url}/admin/fulfilment/fulfilmentorder/{order.pk}/change/")
    table = page.locator("fieldset, div.inline-group", has_text="print files made by the partner").first
    expect(table).to_be_visible()
    expect(table).to_contain_text("Ready")
    expect(table).to_contain_text("Failed")
    expect(table.locator("img").first).to_be_visible()
    expect(table.get_by_role("button", name="Retry")).to_be_visible()
    shoot(page, "oms-order.png")
