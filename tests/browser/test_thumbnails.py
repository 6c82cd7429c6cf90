"""In Chromium, the review queue shows each design's thumbnail from our own storage once the
sync's background mirroring has run: every thumbnail loads, and the page asks nothing of the
vendor's host (here the Qstomizer sandbox, on its own port)."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from orders.models import CustomizationSide
from orders.services.sync import customizations_sync
from tests.browser.staff import log_in
from tests.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_review_queue_shows_mirrored_thumbnails_without_the_vendors_host(
    page, live_server, qstomizer_connection, sandbox_server, tasks_inline, settings
):
    settings.THUMBNAILS_MIRROR = True
    run = customizations_sync(connection=qstomizer_connection)  # commits: the mirroring runs inline
    assert run.failed == 0, run.errors
    assert not CustomizationSide.objects.exclude(preview_url="").exclude(thumbnail_state="ready").exists()
    user = StaffFactory(username="viewer")
    user.user_permissions.set(Permission.objects.filter(codename="view_customization"))
    asked = []
    page.on("request", lambda request: asked.append(request.url))

    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/admin/orders/reviewitem/")

    thumbs = page.locator("#review-list td.review-thumbs img.thumb")
    expect(thumbs.first).to_be_visible()
    for index in range(min(thumbs.count(), 8)):
        thumb = thumbs.nth(index)
        thumb.scroll_into_view_if_needed()
        assert "/thumbnail/" in thumb.get_attribute("src")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert not [url for url in asked if url.startswith(sandbox_server.url)]
