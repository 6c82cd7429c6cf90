"""A staff member chooses their alerts on "My alerts", as a person would, and then gets only those."""

import pytest
from playwright.sync_api import expect

from operations.models import AlertPreference
from tests.browser.staff import log_in
from tests.factories import staff_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_chooses_their_alerts_on_my_alerts(page, live_server):
    reviewer = staff_in("Reviewer")
    reviewer.email = "rev@example.com"
    reviewer.save()
    log_in(page, live_server, reviewer)

    page.get_by_role("link", name="My alerts").first.click()
    expect(page.get_by_role("heading", name="My alerts")).to_be_visible()
    expect(page.get_by_text("rev@example.com")).to_be_visible()
    page.get_by_label("E-mail me: Sync failed").check()
    page.get_by_label("E-mail me: Stock below its threshold").check()
    page.get_by_label("Post to chat: Fulfilment order has a problem").check()
    page.get_by_role("button", name="Save my alerts").click()

    expect(page.get_by_text("Your alerts are saved.")).to_be_visible()
    expect(page.get_by_label("E-mail me: Sync failed")).to_be_checked()
    expect(page.get_by_label("E-mail me: HD quota reached")).not_to_be_checked()
    preference = AlertPreference.objects.get(user=reviewer)
    assert preference.email_kinds == ["stock_low", "sync_failed"]
    assert preference.chat_kinds == ["order_problem"]
    # Reviewers choose their own alerts but do not see the incidents list (Managers do).
    expect(page.get_by_role("link", name="See the open incidents")).to_have_count(0)
