"""The Virtual Product Creator page in real Chromium: the page embeds the sandbox VPC (signed on
load, served from another origin than the back office), the products it posts arrive, are
recorded and shown with their snapshots; a PRODUCTS_CREATED from a wrong origin is ignored."""

from dataclasses import replace

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from fulfilment.models import CreatorProduct, FileState
from integrations.custom_gateway import sandbox_vpc
from integrations.custom_gateway.vpc import CustomGatewayProductCreator
from tests.browser.staff import log_in
from tests.factories import staff_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def vpc_origin(live_server):
    """The VPC's origin: this server under another name (127.0.0.1, the admin is on localhost)."""
    return live_server.url.replace("localhost", "127.0.0.1")


@pytest.fixture
def connection(custom_gateway_connection, vpc_origin):
    sandbox_vpc.reset()
    custom_gateway_connection.settings = {**custom_gateway_connection.settings, **sandbox_vpc.vpc_settings(vpc_origin)}
    custom_gateway_connection.save()
    return custom_gateway_connection


def open_creator(page, live_server, connection):
    log_in(page, live_server, staff_in("Manager"))
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(live_server.url + reverse("admin:fulfilment_creatorproduct_creator", args=[connection.pk]))
    return errors


def test_products_created_in_the_vpc_arrive_and_are_shown(page, live_server, connection, tasks_inline):
    errors = open_creator(page, live_server, connection)
    frame = page.frame_locator("#vpc-frame")
    frame.get_by_label("Design name").fill("Dog portrait")
    frame.get_by_role("button", name="Create products").click()

    products = page.locator("#vpc-products li")
    expect(products).to_have_count(2)
    expect(products.first).to_contain_text("Dog portrait (MUG-11OZ)")
    expect(products.first).to_contain_text("retail SKU MUG-11OZ-V50001")
    expect(page.locator("#vpc-status")).to_have_text("2 products recorded.")
    expect(page.locator("#vpc-frame")).to_be_hidden()
    snapshot = products.first.locator("img")
    expect(snapshot).to_have_attribute(
        "src",
        reverse("admin:fulfilment_creatorproduct_snapshot", args=[CreatorProduct.objects.get(vendor_id="50001").pk]),
    )
    page.wait_for_function("img => img.complete && img.naturalWidth === 600", arg=snapshot.element_handle())
    rows = CreatorProduct.objects.order_by("vendor_id")
    assert [(p.vendor_id, p.base_product_code, p.snapshot_state) for p in rows] == [
        ("50001", "MUG-11OZ", FileState.READY),
        ("50002", "TEE-WHITE-M", FileState.READY),
    ]
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_a_message_from_a_wrong_origin_is_ignored(page, live_server, connection, tasks_inline):
    open_creator(page, live_server, connection)
    expect(page.frame_locator("#vpc-frame").get_by_role("button", name="Create products")).to_be_visible()
    # The same frame navigated to a VPC on another origin (the back office's own), properly
    # signed for this page: its PRODUCTS_CREATED comes from the right frame, the wrong origin.
    elsewhere = replace(
        connection.config(), settings={**connection.config().settings, **sandbox_vpc.vpc_settings(live_server.url)}
    )
    url = CustomGatewayProductCreator.frame_url(elsewhere, live_server.url)
    page.evaluate("url => { document.getElementById('vpc-frame').src = url; }", url)
    other = page.frame_locator("#vpc-frame")
    expect(other.locator("h1")).to_have_text("Sandbox Virtual Product Creator")
    page.wait_for_function(
        "origin => document.getElementById('vpc-frame').contentWindow.location.origin === origin", arg=live_server.url
    )
    other.get_by_role("button", name="Create products").click()
    expect(other.locator("#posted")).to_be_visible()  # posted: delivered to the page, then ignored
    # And one the page posts to itself (wrong origin and not the frame).
    page.evaluate("() => window.postMessage({type: 'PRODUCTS_CREATED', body: [{id: 9}]}, '*')")
    page.wait_for_timeout(500)

    expect(page.locator("#vpc-products li")).to_have_count(0)
    expect(page.locator("#vpc-frame")).to_be_visible()
    assert not CreatorProduct.objects.exists()
