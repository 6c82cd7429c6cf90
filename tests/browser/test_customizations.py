"""Staff look through customizations in the admin: log in, filter by status, open one, and see
its sides, previews and texts. Data comes from the built-in Qstomizer sandbox, synced for real."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from orders.models import Customization
from orders.services.image_proxy import proxy_url
from orders.services.sync import customizations_sync
from tests.browser.staff import log_in
from tests.factories import StaffFactory

STATUS = Customization.Status.ARTWORK_APPROVAL_PENDING
PER_PAGE = 50  # CustomizationAdmin.list_per_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def staff_who_can_view_customizations():
    user = StaffFactory(username="reviewer")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="orders", codename__in=["view_customization", "view_syncrun"])
    )
    assert not user.is_superuser
    return user


def test_staff_filter_customizations_by_status_and_see_sides_and_texts(page, live_server, qstomizer_connection):
    user = staff_who_can_view_customizations()
    run = customizations_sync(connection=qstomizer_connection)
    assert run.failed == 0, run.errors
    with_status = Customization.objects.filter(connection=qstomizer_connection, status=STATUS)
    expected = with_status.count()
    assert expected > 0, "the sandbox should hold customizations awaiting artwork approval"
    # The first page, in the admin's order; the one we open must be on it.
    on_first_page = with_status.order_by("-customized_at", "-id")[:PER_PAGE]
    target = Customization.objects.filter(pk__in=on_first_page.values("pk"), sides__nodes__kind="text").first()

    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/admin/orders/customization/")
    sidebar = page.locator("#changelist-filter")
    sidebar.locator("details", has_text="By status").get_by_role("link", name=STATUS.label, exact=True).click()

    expect(page).to_have_url(re.compile(rf"status__exact={STATUS.value}"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(min(expected, PER_PAGE))
    expect(rows.locator("td.field-status")).to_have_text([STATUS.label] * min(expected, PER_PAGE))
    expect(page.locator("p.paginator")).to_contain_text(re.compile(rf"\b{expected} customizations?\b"))

    if target is None:  # no text on this status's first page: look for one in the whole list
        target = (
            Customization.objects.filter(connection=qstomizer_connection, sides__nodes__kind="text")
            .order_by("-customized_at", "-id")
            .first()
        )
        page.goto(f"{live_server.url}/admin/orders/customization/?q={target.external_id}")
    page.locator("#result_list").get_by_role("link", name=target.external_id, exact=True).click()

    expect(page).to_have_url(re.compile(rf"/admin/orders/customization/{target.pk}/change/"))
    sides = list(target.sides.order_by("position").prefetch_related("nodes"))
    expect(page.locator("section.side")).to_have_count(len(sides))
    for side in sides:
        section = page.locator(f'section.side[data-side="{side.external_id}"]')
        expect(section.get_by_role("heading", level=3)).to_have_text(side.name)
        preview = section.get_by_role("img", name=f"Preview of {side.name}", exact=True)
        expect(preview).to_have_attribute("src", proxy_url(side.preview_url))  # through our own origin
        # The image really shows: the sandbox served it and the browser decoded it.
        expect(preview).to_have_js_property("complete", True)
        assert preview.evaluate("img => img.naturalWidth") > 0
        texts = [node.text for node in side.nodes.all() if node.kind == "text"]
        expect(section.locator("span.node-text")).to_have_text(texts)
    assert any(node.kind == "text" for side in sides for node in side.nodes.all())


def test_staff_without_the_view_permission_cannot_open_customizations(page, live_server):
    user = StaffFactory(username="no-access")
    log_in(page, live_server, user)

    response = page.goto(f"{live_server.url}/admin/orders/customization/")

    assert response.status == 403 or "/admin/login/" in page.url
    expect(page.locator("#result_list")).to_have_count(0)
