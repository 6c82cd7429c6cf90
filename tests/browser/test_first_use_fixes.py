"""What a first use found, driven in Chromium: each test is one of the fixes of issue 12, item 8."""

import pytest
from playwright.sync_api import expect

from orders.models import SideArtwork
from tests.browser.staff import log_in
from tests.factories import SideArtworkFactory, staff_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_retry_on_the_customization_page_queues_the_download_not_the_read_only_form(page, live_server):
    artwork = SideArtworkFactory(state=SideArtwork.State.FAILED, error="HTTP 404 from the vendor")
    customization = artwork.side.customization

    log_in(page, live_server, staff_in("Reviewer"))
    page.goto(f"{live_server.url}/admin/orders/customization/{customization.pk}/change/")
    expect(page.locator(".artwork-error")).to_contain_text("HTTP 404")
    with page.expect_response(lambda r: "/artwork/" in r.url and "/retry/" in r.url) as response:
        page.get_by_role("button", name="Retry").click()
    assert response.value.status == 200
    expect(page.locator(".artwork")).to_contain_text("retry queued")
    artwork.refresh_from_db()
    assert artwork.state == SideArtwork.State.PENDING and artwork.error == ""


def test_retry_without_javascript_posts_its_own_url_and_comes_back(browser, live_server):
    artwork = SideArtworkFactory(state=SideArtwork.State.FAILED, error="HTTP 404 from the vendor")
    customization = artwork.side.customization
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server, staff_in("Reviewer"))
        page.goto(f"{live_server.url}/admin/orders/customization/{customization.pk}/change/")
        page.get_by_role("button", name="Retry").click()
        expect(page).to_have_url(f"{live_server.url}/admin/orders/customization/{customization.pk}/change/")
        expect(page.locator(".messagelist")).to_contain_text("Retry queued")
    finally:
        context.close()
    artwork.refresh_from_db()
    assert artwork.state == SideArtwork.State.PENDING


def test_sync_now_shows_the_new_run_without_a_reload_and_a_failed_one_says_why(page, live_server):
    from orders.models import SyncRun
    from tests.factories import VendorConnectionFactory

    connection = VendorConnectionFactory(name="Shop sync", kind="qstomizer")
    log_in(page, live_server, staff_in("Manager"))
    page.goto(f"{live_server.url}/admin/orders/vendorconnection/")
    page.locator("#result_list tbody tr", has_text="Shop sync").locator("input.action-select").check()
    page.locator("select[name=action]").select_option("sync_now")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("Sync queued for Shop sync")
    expect(page.locator("#result_list tbody tr")).to_have_count(0)

    # The worker (not running in this test) starts the run after the page has loaded, and it fails.
    SyncRun.objects.create(
        connection=connection,
        status=SyncRun.Status.FAILED,
        errors=["Qstomizer refused the API key (HTTP 401) <script>alert(1)</script>"],
    )

    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1, timeout=8_000)
    expect(row.locator(".run-reason")).to_have_text(
        "Qstomizer refused the API key (HTTP 401) <script>alert(1)</script>"
    )
    assert "refused the API key" in row.locator(".badge-failed").get_attribute("title")
    expect(page.locator("#result_list script")).to_have_count(0)


def test_holding_r_a_moment_types_nothing_into_the_reason(page, live_server):
    from orders.models import Customization
    from tests.factories import CustomizationFactory, NodeFactory, SideFactory

    customization = CustomizationFactory(status=Customization.Status.ARTWORK_APPROVAL_PENDING)
    NodeFactory(side=SideFactory(customization=customization), text="Hello")
    log_in(page, live_server, staff_in("Reviewer"))
    page.goto(f"{live_server.url}/admin/orders/reviewitem/{customization.pk}/")

    # A key held a little: keydown, a repeated keydown (now aimed at the focused field), keyup.
    page.keyboard.down("r")
    page.keyboard.down("r")
    page.keyboard.up("r")
    expect(page.locator("#reject-reason")).to_be_focused()
    expect(page.locator("#reject-reason")).to_have_value("")
    page.keyboard.type("Blurry rose")  # an "r" typed afterwards is kept
    expect(page.locator("#reject-reason")).to_have_value("Blurry rose")


def test_a_manager_accepts_a_print_file_that_needs_attention_on_the_customization_page(page, live_server):
    from orders.models import Customization

    artwork = SideArtworkFactory(
        state=SideArtwork.State.NEEDS_ATTENTION, error="1200×1200 px, below the 3000×3000 px this template needs"
    )
    Customization.objects.filter(pk=artwork.side.customization_id).update(decision=Customization.Decision.APPROVED)
    manager = staff_in("Manager")

    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/admin/orders/customization/{artwork.side.customization_id}/change/")
    page.get_by_role("button", name="Accept anyway").click()

    expect(page.locator(".artwork-accepted")).to_contain_text(f"Accepted anyway by {manager}")
    expect(page.locator(".artwork")).to_contain_text("Ready")
    artwork.refresh_from_db()
    assert artwork.state == SideArtwork.State.READY and artwork.accepted_by == manager


def columns_cut_off(page) -> list[str]:
    """The headers of the list whose right edge is beyond what its scroll box shows."""
    return page.evaluate(
        """() => { const box = document.querySelector('#changelist .results').getBoundingClientRect();
        return [...document.querySelectorAll('#result_list thead th')]
            .filter(th => th.getBoundingClientRect().right > box.right + 1).map(th => th.innerText.trim()); }"""
    )


def test_key_columns_fit_at_1440_px_beside_the_navigation_and_filters(browser, live_server):
    from fulfilment.models import IncomingRequest, RoutingRule
    from tests.factories import CustomizationFactory, OrderLineFactory, VendorConnectionFactory

    long_url = "https://api.example-print-partner.com/v3/very/long/path/to/the/endpoint/of/this/vendor"
    shop = VendorConnectionFactory(name="Demo Qstomizer (sandbox)", kind="qstomizer", base_url=long_url)
    partner = VendorConnectionFactory(name="Demo Custom Gateway (sandbox)", kind="custom_gateway")
    for n in range(3):
        customization = CustomizationFactory(
            connection=shop, template_id=f"tmpl-{n}-0042", product_title="Electric Guitar Pickguard"
        )
        OrderLineFactory(customization=customization)
    IncomingRequest.objects.create(
        kind="status", connection=partner, method="POST", size_bytes=2400, outcome="applied", note="x" * 80
    )
    RoutingRule.objects.create(connection=partner, product_contains="mug", priority=10)

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server, staff_in("Viewer"))
        for path in [
            "/admin/orders/vendorconnection/",
            "/admin/orders/customization/",
            "/admin/orders/storeorder/",
            "/admin/fulfilment/incomingrequest/",
            "/admin/fulfilment/routingrule/",
        ]:
            page.goto(f"{live_server.url}{path}")
            assert columns_cut_off(page) == [], path
    finally:
        context.close()


def test_the_review_screen_fits_a_phone(browser, live_server):
    from orders.models import Customization
    from tests.factories import CustomizationFactory, NodeFactory, SideFactory

    customization = CustomizationFactory(
        status=Customization.Status.ARTWORK_APPROVAL_PENDING, user_notes="Please, contact us before proceed."
    )
    for name in ("Front", "Back"):
        side = SideFactory(customization=customization, name=name)
        NodeFactory(side=side, text="Grandma's Kitchen", font_family="Carter One", font_size=32, fill="#ffe599")
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, live_server, staff_in("Reviewer"))
        page.goto(f"{live_server.url}/admin/orders/reviewitem/{customization.pk}/")
        expect(page.locator("#approve-button")).to_be_visible()

        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        sides = page.locator(".review-sides").bounding_box()
        aside = page.locator(".review-aside").bounding_box()
        assert aside["y"] >= sides["y"] + sides["height"]  # below the sides, not squeezed beside them
        for side in page.locator(".review-panel .side").all():
            box = side.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 375
        reason = page.locator("#reject-reason").bounding_box()
        assert reason["x"] + reason["width"] <= 375
    finally:
        context.close()
