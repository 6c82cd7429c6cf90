"""The Smartlink live preview in real Chromium: the sandbox's fake designer, served from another
origin, posts IFRAME_RESIZE and ADD_TO_CART_CALLBACK to the back-office page, which shows what
the shop would receive; a message from another origin, or from the designer's origin with
another mei, is ignored. Screenshots into $SCREENSHOT_DIR when it is set."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.staff import log_in, shoot
from tests.factories import staff_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUERY = "app=acp3_2&locale=en_GB&configuration=default&product_id=1007644&renderer=2d-canvas&add_to_cart=on"


@pytest.fixture
def designer_gateway(gateway, sandbox_server):
    gateway.settings = {**gateway.settings, "designer_url": f"{sandbox_server.url}/sandbox/custom-gateway"}
    gateway.save()
    return gateway


def test_the_preview_shows_add_to_cart_and_ignores_other_origins_and_meis(page, live_server, designer_gateway):
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    log_in(page, live_server, staff_in("Viewer", username="viewer"))

    # The builder, from the connection's page.
    page.goto(f"{live_server.url}/admin/orders/vendorconnection/{designer_gateway.pk}/change/")
    page.get_by_role("link", name="Smartlink builder").click()
    page.get_by_label("Product ID").fill("1007644")
    page.get_by_role("button", name="Build the Smartlink").click()
    expect(page.locator("#smartlink-url")).to_have_value(
        re.compile(r"/sandbox/custom-gateway/s/app/acp3_2/en_GB/default\.html#p=1007644&r=2d-canvas&guid=99999")
    )
    expect(page.locator("#smartlink-snippet")).to_contain_text("IFRAME_RESIZE")
    shoot(page, "smartlink-builder.png")

    page.get_by_role("link", name="Open the live preview").click()
    frame_element = page.locator("#smartlink-preview")
    mei = frame_element.get_attribute("data-mei")
    designer = page.frame_locator("#smartlink-preview")
    expect(designer.locator("#state")).to_contain_text("Product 1007644, renderer 2d-canvas, company 99999")
    # IFRAME_RESIZE: the frame takes the designer's height instead of its default 600px.
    expect(frame_element).to_have_attribute("style", re.compile(r"height: \d+px"))
    assert frame_element.evaluate("el => el.style.height") != "600px"

    designer.get_by_role("button", name="Add to cart").click()
    added = designer.locator("#log")
    expect(added).to_contain_text("Added to cart: ")
    ref = added.inner_text().rsplit(" ", 1)[-1]
    rows = page.locator("#smartlink-cart tr.smartlink-item")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(ref)
    expect(rows.first).to_contain_text("SKU-1007644")
    expect(rows.first).to_contain_text("thumbnail, thumbnail_60")
    expect(page.locator("#smartlink-ignored")).to_have_attribute("data-count", "0")

    # The right mei from the wrong origin (the back office's own page): ignored.
    page.evaluate(
        """mei => window.postMessage({id: mei, name: "ADD_TO_CART_CALLBACK",
                                     body: {items: [{ref: "FORGED-ORIGIN"}]}}, "*")""",
        mei,
    )
    expect(page.locator("#smartlink-ignored")).to_have_attribute("data-count", "1")
    # The designer's origin with another mei (another iframe instance): ignored.
    frame = next(f for f in page.frames if "/s/app/acp3_2/" in f.url)
    frame.evaluate(
        """() => parent.postMessage({id: "not-this-instance", name: "ADD_TO_CART_CALLBACK",
                                    body: {items: [{ref: "FORGED-MEI"}]}}, "*")"""
    )
    expect(page.locator("#smartlink-ignored")).to_have_attribute("data-count", "2")
    expect(rows).to_have_count(1)
    expect(page.locator("#smartlink-cart")).not_to_contain_text("FORGED")

    # A second add to cart is a new print job.
    designer.get_by_role("button", name="Add to cart").click()
    expect(rows).to_have_count(2)
    assert rows.nth(1).locator("td").first.inner_text() != ref
    shoot(page, "smartlink-preview.png")
    assert violations == []
