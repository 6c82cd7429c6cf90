"""A Reviewer works through the design review queue with the keyboard only: approve, reject with a
reason, step back to see what was decided and by whom, zoom a preview, and is told when another
reviewer decided first. A Manager then undoes a decision. Decisions swap the panel in place (htmx)
and push the new URL: no page reload."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Customization, ReviewDecision
from orders.services.bad_words import bad_words_save, customizations_screen
from orders.services.image_proxy import proxy_url
from orders.services.review import artwork_approve
from tests.browser.staff import log_in
from tests.factories import (
    CustomizationFactory,
    NodeFactory,
    SideFactory,
    VendorConnectionFactory,
    staff_in,
)

BAD_WORD = "frack"
REJECTION = "Name is misspelled"
PENDING = Customization.Status.ARTWORK_APPROVAL_PENDING

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def preview(base: str, label: str) -> str:
    """A PNG from the Qstomizer sandbox's image host over real HTTP; pages show it through our
    own image proxy."""
    return f"{base}/sandbox/qstomizer/cdn/review/{label.replace(' ', '-')}.png"


def design(connection, *, status, minutes_ago: int, text: str, base: str) -> Customization:
    customization = CustomizationFactory(
        connection=connection, status=status, customized_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    side = SideFactory(customization=customization, name="Front", preview_url=preview(base, text))
    NodeFactory(side=side, position=0, text=text)
    return customization


def screen_url(live_server, customization) -> str:
    return f"{live_server.url}/admin/orders/reviewitem/{customization.pk}/"


def settled(page):
    """Wait until htmx has finished swapping and settling, so the next key acts on the new panel."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def test_reviewer_decides_with_the_keyboard_and_a_manager_undoes(page, browser, live_server):
    shop = VendorConnectionFactory(name="Shop")
    everything = VendorConnectionFactory(name="Reviewed shop", review_everything=True)
    # Oldest first in the queue: first, second, third.
    first = design(shop, status=PENDING, minutes_ago=30, text="Happy birthday Sam", base=live_server.url)
    second = design(shop, status=PENDING, minutes_ago=20, text=f"Best {BAD_WORD} mum", base=live_server.url)
    third = design(
        everything, status=Customization.Status.PENDING, minutes_ago=10, text="Go team", base=live_server.url
    )
    bad_words_save(words=[BAD_WORD], is_active=True)
    customizations_screen()  # what the task queued by the save does
    reviewer = staff_in("Reviewer", username="reviewer")
    other = staff_in("Reviewer", username="other")
    manager = staff_in("Manager", username="manager")

    # The queue: how many designs await a decision, per reason.
    log_in(page, live_server, reviewer)
    page.goto(f"{live_server.url}/admin/orders/reviewitem/")
    counts = page.locator("#review-counts")
    expected = {"all": 3, "approval_pending": 2, "bad_words": 1, "review_everything": 1}
    for reason, count in expected.items():
        expect(counts.locator(f'li[data-reason="{reason}"] .count')).to_have_text(str(count))
    expect(page.locator("#review-list tbody tr")).to_have_count(3)

    # One reason's queue: the screen counts within it.
    counts.locator('li[data-reason="bad_words"] a').click()
    expect(page.locator("#review-list tbody tr")).to_have_count(1)
    page.locator("#start-review").click()
    expect(page).to_have_url(screen_url(live_server, second) + "?reason=bad_words")
    expect(page.locator("#queue-position")).to_have_text("1 of 1 awaiting")
    page.locator(".breadcrumbs").get_by_role("link", name="Review queue").click()
    expect(counts.locator("li.selected")).to_have_attribute("data-reason", "bad_words")
    counts.locator('li[data-reason="all"] a').click()
    page.locator("#start-review").click()

    expect(page).to_have_url(screen_url(live_server, first))
    panel = page.locator("#review-panel")
    expect(panel).to_have_attribute("data-customization", str(first.pk))
    expect(page.locator("#queue-position")).to_have_text("1 of 3 awaiting")
    page.evaluate("window.__marker = 1")  # gone if the page reloads

    # a: approve the first; the second slides in, with a notice, under its own URL.
    settled(page)
    page.keyboard.press("a")
    expect(panel).to_have_attribute("data-customization", str(second.pk))
    expect(page.locator("#review-notice")).to_have_text(f"Approved {first}. Its print files are being fetched.")
    expect(page).to_have_url(screen_url(live_server, second))
    assert page.url == screen_url(live_server, second)  # HX-Push-Url
    # The heading, the breadcrumb and the window title follow the design on screen.
    expect(page.locator("#review-title")).to_have_text(f"Review {second}")
    expect(page.locator(".breadcrumbs")).to_have_text(f"Home › Review queue › {second}")
    expect(page).to_have_title(f"Review {second} | Back office")
    expect(page.locator("#queue-position")).to_have_text("1 of 2 awaiting")
    expect(panel.locator("mark.bad-word")).to_have_text(BAD_WORD)

    # r, a reason, Enter: reject the second.
    settled(page)
    page.keyboard.press("r")
    expect(page.locator("#reject-reason")).to_be_focused()
    page.keyboard.type(REJECTION)
    page.keyboard.press("Enter")
    expect(panel).to_have_attribute("data-customization", str(third.pk))
    expect(page.locator("#review-notice")).to_have_text(f"Rejected {second}: {REJECTION}")
    expect(page).to_have_url(screen_url(live_server, third))

    # k: back to the second, which shows who rejected it and why.
    settled(page)
    page.keyboard.press("k")
    expect(panel).to_have_attribute("data-customization", str(second.pk))
    expect(page).to_have_url(screen_url(live_server, second))
    expect(page.locator("#decision-state")).to_contain_text(f"Rejected by {reviewer.username}")
    expect(page.locator("#decision-state")).to_contain_text(REJECTION)
    expect(page.locator("#review-history li")).to_have_count(1)
    expect(page.locator("#review-history li")).to_contain_text(f"Rejected by {reviewer.username}: {REJECTION}")
    expect(page.locator("#approve-button")).to_have_count(0)  # decided: nothing to press again
    assert page.evaluate("window.__marker") == 1, "a decision reloaded the whole page"

    # A preview zooms on click; Esc closes it.
    overlay = page.locator("#zoom-overlay")
    expect(overlay).to_be_hidden()
    panel.locator("img.zoomable").first.click()
    expect(overlay).to_be_visible()
    expect(overlay.locator("img")).to_have_attribute("src", live_server.url + proxy_url(second.sides.get().preview_url))
    page.keyboard.press("Escape")
    expect(overlay).to_be_hidden()
    assert page.url == screen_url(live_server, second), "clicking a preview left the review screen"

    # j: on to the third, which another reviewer approves meanwhile; a then says so.
    settled(page)
    page.keyboard.press("j")
    expect(panel).to_have_attribute("data-customization", str(third.pk))
    expect(page).to_have_url(screen_url(live_server, third))
    artwork_approve(customization=third, user=other)
    settled(page)
    page.keyboard.press("a")
    expect(page.locator("#review-error")).to_contain_text(f"Not changed: {third} was already approved by other")
    expect(page.locator("#decision-state")).to_contain_text("Approved by other")
    assert page.evaluate("window.__marker") == 1, "a key reloaded the whole page"

    # What the database recorded.
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert (first.decision, first.decided_by, first.decision_reason) == ("approved", reviewer, "")
    assert (second.decision, second.decided_by, second.decision_reason) == ("rejected", reviewer, REJECTION)
    assert (third.decision, third.decided_by) == ("approved", other)
    recorded = ReviewDecision.objects.order_by("at", "pk").values_list("customization", "action", "user", "reason")
    assert list(recorded) == [
        (first.pk, "approve", reviewer.pk, ""),
        (second.pk, "reject", reviewer.pk, REJECTION),
        (third.pk, "approve", other.pk, ""),
    ]

    # A Manager undoes the rejection: the design is back in the queue, the history says so.
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(10_000)
    try:
        manager_page = context.new_page()
        log_in(manager_page, live_server, manager)
        manager_page.goto(screen_url(live_server, second))
        manager_page.evaluate("window.__marker = 1")
        manager_page.locator("#undo-button").click()
        expect(manager_page.locator("#review-notice")).to_have_text(
            f"Undid the decision on {second}: it is back in the queue."
        )
        history = manager_page.locator("#review-history li")
        expect(history).to_have_count(2)
        expect(history.first).to_contain_text(f"Undid a decision by {manager.username} (was rejected)")
        expect(history.nth(1)).to_contain_text(f"Rejected by {reviewer.username}: {REJECTION}")
        expect(manager_page.locator("#approve-button")).to_be_visible()
        assert manager_page.evaluate("window.__marker") == 1
    finally:
        context.close()
    second.refresh_from_db()
    assert (second.decision, second.decided_by) == ("", None)
    undo = ReviewDecision.objects.filter(customization=second).order_by("-at", "-pk").first()
    assert (undo.action, undo.user, undo.previous) == ("undo", manager, "rejected")
    assert list(Customization.objects.filter(decision="").values_list("pk", flat=True)) == [second.pk]
