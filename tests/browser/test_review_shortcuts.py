"""The review screen's single-key shortcuts can be turned off (WCAG 2.1.4), in real Chromium: a
Reviewer unticks *Single-key shortcuts*; then `a`, `j` and `r` do nothing (the design stays, is not
approved, the reason field is not focused), the choice is kept across a reload, and letters still
type into the reason field. Ticked again, `a` approves."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Customization, ReviewDecision
from tests.browser.staff import log_in
from tests.browser.test_review import settled
from tests.factories import CustomizationFactory, NodeFactory, SideFactory, VendorConnectionFactory, staff_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PENDING = Customization.Status.ARTWORK_APPROVAL_PENDING


def design(connection, minutes_ago: int, text: str) -> Customization:
    customization = CustomizationFactory(
        connection=connection, status=PENDING, customized_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    NodeFactory(side=SideFactory(customization=customization, name="Front"), position=0, text=text)
    return customization


def test_a_reviewer_turns_the_single_key_shortcuts_off_and_on(page, live_server):
    shop = VendorConnectionFactory(name="Shop")
    first = design(shop, 30, "Happy birthday Sam")
    second = design(shop, 20, "Go team")
    log_in(page, live_server, staff_in("Reviewer", username="reviewer"))
    page.goto(f"{live_server.url}/admin/orders/reviewitem/{first.pk}/")
    panel = page.locator("#review-panel")
    toggle = page.get_by_label("Single-key shortcuts")
    expect(toggle).to_be_checked()  # on until the reviewer turns them off
    expect(panel.locator("#approve-button kbd")).to_be_visible()

    toggle.uncheck()
    expect(panel.locator("#approve-button kbd")).to_be_hidden()  # the hints go with the keys
    page.locator("body").click(position={"x": 5, "y": 5})  # focus off the checkbox, as after a click
    settled(page)
    for key in ("a", "j", "r"):
        page.keyboard.press(key)
    expect(page.locator("#reject-reason")).not_to_be_focused()
    page.wait_for_timeout(500)  # a swap would have started by now
    expect(panel).to_have_attribute("data-customization", str(first.pk))
    assert not ReviewDecision.objects.exists()

    # Remembered: after a reload they are still off; letters type into the reason as typed.
    page.reload()
    expect(toggle).not_to_be_checked()
    page.keyboard.press("a")
    page.locator("#reject-reason").click()
    page.keyboard.type("ajrk")
    expect(page.locator("#reject-reason")).to_have_value("ajrk")
    page.locator("#reject-reason").fill("")
    page.keyboard.press("Escape")  # leaves the field
    page.wait_for_timeout(300)
    expect(panel).to_have_attribute("data-customization", str(first.pk))
    assert not ReviewDecision.objects.exists()

    # On again: `a` approves and the next design slides in.
    toggle.check()
    page.locator("body").click(position={"x": 5, "y": 5})
    settled(page)
    page.keyboard.press("a")
    expect(panel).to_have_attribute("data-customization", str(second.pk))
    assert ReviewDecision.objects.filter(customization=first).exists()
    page.reload()
    expect(toggle).to_be_checked()
