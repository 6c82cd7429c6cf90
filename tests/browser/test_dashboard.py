"""Staff open /admin/ and see what needs attention: a late order counted, and its link opens the
fulfilment list filtered to exactly that order; the chart period switch changes the charts."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from fulfilment.models import FulfilmentOrder
from operations.services.dashboard_totals import rebuild
from tests.browser.staff import log_in
from tests.factories import FulfilmentOrderFactory, staff_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_late_count_links_to_the_late_orders(page, live_server, gateway):
    cache.clear()  # charts another test rendered today are cached
    yesterday = timezone.localdate() - timedelta(days=1)
    late = FulfilmentOrderFactory(
        connection=gateway, state=FulfilmentOrder.State.SENT, status="in_production", required_dispatch_date=yesterday
    )
    on_time = FulfilmentOrderFactory(
        connection=gateway, state=FulfilmentOrder.State.SENT, required_dispatch_date=yesterday + timedelta(days=5)
    )

    rebuild()  # the charts read the kept daily totals
    log_in(page, live_server, staff_in("Viewer"))
    item = page.locator('.attention-item[data-key="late"]')
    expect(item.locator(".count")).to_have_text("1")
    expect(page.get_by_role("img", name="Orders per day per partner")).to_be_visible()
    expect(page.locator("#chart-orders")).to_contain_text("Custom Gateway")

    page.get_by_role("link", name="90 days").click()
    expect(page.get_by_role("heading", name="The last 90 days")).to_be_visible()
    expect(page.get_by_role("link", name="90 days")).to_have_attribute("aria-current", "page")

    page.get_by_role("link", name="Late against the required dispatch date").click()
    expect(page).to_have_url(f"{live_server.url}/admin/fulfilment/fulfilmentorder/?attention=late")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(late.external_ref)
    expect(page.locator("#result_list")).not_to_contain_text(on_time.external_ref)
