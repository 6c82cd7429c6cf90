"""Choosing the partner by the routing table and sending, in real Chromium: the partner select
follows the ticked designs' routes, a mix of partners is said and can be split, and the order
sent to the partner the rule chose is read back from its page. The partner is a fake one
registered in the settings alone (tests.fulfilment.route_partner)."""

import pytest
from playwright.sync_api import expect

from fulfilment.models import FulfilmentOrder, RoutingRule
from tests.browser.staff import log_in
from tests.factories import staff_in
from tests.fulfilment.route_partner import CALLS, route_print_connection
from tests.fulfilment.test_admin import approved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_chooses_the_partner_by_routing_and_sends(page, live_server, settings, gateway, tasks_inline):
    route = route_print_connection(settings)
    RoutingRule.objects.create(connection=gateway, priority=100)  # the default
    RoutingRule.objects.create(connection=route, product_contains="hoodie", priority=10)
    hoodie = approved(sku="HOOD-1")
    approved(sku="MUG-11")
    hoodie.product_title = "Zip Hoodie"
    hoodie.save()

    log_in(page, live_server, staff_in("Manager", username="manager"))
    page.goto(f"{live_server.url}/admin/fulfilment/fulfilmentorder/")
    page.locator("#create-from-approved").click()

    hoodie_row = page.locator("li.routed-design", has_text="Zip Hoodie")
    expect(hoodie_row.locator(".route-note")).to_contain_text("Route: product contains “hoodie”")
    expect(page.locator("li.routed-design", has_text="MUG-11").locator(".route-note")).to_contain_text(
        "Custom Gateway: default (every design)"
    )
    partner = page.locator("select[name=connection]")
    notice = page.locator("#route-mixed")

    # Ticking the hoodie picks its partner; adding the mug says they go to two partners.
    hoodie_row.get_by_role("checkbox").check()
    expect(partner).to_have_value(str(route.pk))
    expect(notice).to_be_hidden()
    page.locator("li.routed-design", has_text="MUG-11").get_by_role("checkbox").check()
    expect(notice).to_be_visible()
    expect(page.get_by_role("button", name="Create one order per partner")).to_be_visible()
    page.locator("li.routed-design", has_text="MUG-11").get_by_role("checkbox").uncheck()
    expect(notice).to_be_hidden()
    expect(partner).to_have_value(str(route.pk))

    page.get_by_label("Customer name").fill("Ada Lovelace")
    page.get_by_label("Shipping address 1").fill("Pinewood Court")
    page.get_by_label("Shipping postcode").fill("SK10 2XR")
    page.get_by_label("Country (ISO code, e.g. GB)").fill("GB")
    page.get_by_label("Partner store").select_option(label="Route: shop-eu")
    page.get_by_role("button", name="Create fulfilment order").click()

    order = FulfilmentOrder.objects.get()
    expect(page.locator("ul.messagelist li.success")).to_have_text(f"{order} created and queued to send.")
    order.refresh_from_db()
    assert order.connection == route and order.state == FulfilmentOrder.State.SENT and order.partner_store == "shop-eu"
    (sent,) = [call[1] for call in CALLS if call[0] == "send"]
    assert sent.partner_store == "shop-eu" and [line.sku for line in sent.lines] == ["HOOD-1"]

    # The partner can be asked where the order is, from its page.
    page.reload()
    expect(page.locator("div.readonly", has_text="Sent").first).to_be_visible()
    page.get_by_role("button", name="Get status").click()
    expect(page.locator("ul.messagelist li.success")).to_contain_text("Route Print says: Printing: applied")
    expect(page.locator("#actions-group")).to_contain_text("Get status")
