"""Shipping and export in real Chromium: a Viewer downloads a filtered list as CSV and reads it;
a Manager ships a pushed order and prints its label with one (double) click on Ship and print.
Vendor data comes from the Custom Gateway sandbox over real HTTP (live_server)."""

import csv

import pytest
from playwright.sync_api import expect

from fulfilment.models import PushedOrder, ShippingLabel
from fulfilment.services import queue as fulfilment_queue
from fulfilment.services.orders import order_push_url
from integrations.custom_gateway import sandbox as cg_sandbox
from tests.browser.staff import log_in
from tests.factories import CustomizationFactory, VendorConnectionFactory, staff_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PRINT_COUNTER = "window.__printed = 0; window.print = () => { window.__printed += 1; };"


def test_a_viewer_exports_the_filtered_list_and_reads_it(page, live_server):
    connection = VendorConnectionFactory(name="Shop")
    for n in range(55):
        CustomizationFactory(connection=connection, external_id=f"A{n:03d}", decision="approved")
    CustomizationFactory(connection=connection, external_id="=1+1", decision="approved", product_title="@SUM(A1)")
    CustomizationFactory.create_batch(3, connection=connection, decision="rejected")
    log_in(page, live_server, staff_in("Viewer"))
    page.goto(f"{live_server.url}/admin/orders/customization/?decision__exact=approved")
    expect(page.locator("#result_list tbody tr")).to_have_count(50)  # one page of 56

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Export CSV").click()
    download = downloading.value
    assert download.suggested_filename.startswith("customizations-") and download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert len(rows) == 56  # every page, only the approved
    assert {row["Decision"] for row in rows} == {"Approved"}
    assert {row["Connection"] for row in rows} == {"Shop"}
    formula = next(row for row in rows if row["Vendor id"].endswith("=1+1"))
    assert formula["Vendor id"] == "'=1+1" and formula["Product"] == "'@SUM(A1)"


def test_ship_and_print_ships_once_and_prints_the_label(page, live_server, custom_gateway_connection, tasks_inline):
    gateway = custom_gateway_connection
    assert cg_sandbox.push_order(order_push_url(gateway), gateway.secret("push_hmac_key")) == 200
    order = PushedOrder.objects.get()
    tasks_inline.clear()
    page.context.add_init_script(PRINT_COUNTER)  # every page of the context, the new tab too
    log_in(page, live_server, staff_in("Manager", username="manager"))
    page.goto(f"{live_server.url}/admin/fulfilment/pushedorder/{order.pk}/change/")

    button = page.get_by_role("button", name="Ship and print")
    with page.context.expect_page() as opened:
        button.dblclick()
    printing = opened.value
    printing.wait_for_function("() => window.__printed === 1")
    images = printing.locator("img.print-label-image")
    expect(images.first).to_be_visible()
    assert images.first.evaluate("img => img.naturalWidth") > 0

    ships = [name for name, _, _ in tasks_inline if name == fulfilment_queue.PUSHED_ORDER_SHIP_TASK]
    assert ships == [fulfilment_queue.PUSHED_ORDER_SHIP_TASK]  # a double click ships once
    order.refresh_from_db()
    assert order.state == PushedOrder.State.SHIPPED
    labels = ShippingLabel.objects.filter(shipment__order=order, state=ShippingLabel.State.READY)
    expect(images).to_have_count(labels.count())
    assert len(page.context.pages) == 2  # one tab opened, not two

    page.reload()
    expect(page.get_by_role("link", name="Print label")).to_be_visible()
    expect(page.get_by_role("button", name="Ship and print")).to_have_count(0)
