"""Staff keep the bad-words list: add words, see customizations become flagged, push the list to
Kickflip (guarded against overwriting changes made there) and pull a change made there back.
Qstomizer data and the Kickflip list come from the built-in sandboxes, over real HTTP."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from integrations.mycustomizer import sandbox as kickflip_sandbox
from orders.models import BadWordChange, BadWordList, Customization, DesignNode, VendorConnection
from orders.services.bad_words import customizations_screen
from orders.services.sync import customizations_sync
from tests.browser.staff import log_in
from tests.factories import StaffFactory

PER_PAGE = 50  # CustomizationAdmin.list_per_page
# Words of the Qstomizer sandbox's texts; the test lists the first one the synced data holds.
CANDIDATE_WORDS = ["Birthday", "Rocket", "Kitchen", "Laugh"]
HARMLESS = "fiddlesticks"  # in no sandbox text
EDITED_ON_KICKFLIP = "heck"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kickflip(live_server, settings):
    """A Kickflip connection to the built-in sandbox, whose word list starts as INITIAL_WORDS."""
    kickflip_sandbox.reset()
    connection = VendorConnection.objects.create(
        name="Sandbox Kickflip",
        kind="kickflip",
        settings={
            "company": settings.SANDBOX_KICKFLIP_COMPANY,
            "base_url": kickflip_sandbox.base_url(live_server.url, "kickflip"),
        },
        secrets={"api_key": settings.SANDBOX_API_KEY},
        sync_every_minutes=None,
    )
    yield connection
    kickflip_sandbox.reset()


def staff_who_can_keep_the_bad_words_list():
    user = StaffFactory(username="moderator")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="orders",
            codename__in=["view_customization", "view_badwordlist", "change_badwordlist", "sync_badwordlist"],
        )
    )
    assert not user.is_superuser
    return user


def a_word_in_the_synced_texts() -> str:
    texts = DesignNode.objects.filter(kind=DesignNode.Kind.TEXT)
    word = next((word for word in CANDIDATE_WORDS if texts.filter(text__icontains=word).exists()), None)
    assert word is not None, "the Qstomizer sandbox should hold texts with one of the candidate words"
    return word


def test_staff_add_words_see_customizations_flagged_push_to_kickflip_and_pull_back(
    page, live_server, qstomizer_connection, kickflip
):
    run = customizations_sync(connection=qstomizer_connection)
    assert run.failed == 0, run.errors
    word = a_word_in_the_synced_texts()
    assert not Customization.objects.filter(has_bad_words=True).exists()
    user = staff_who_can_keep_the_bad_words_list()
    editor_url = f"{live_server.url}/admin/orders/badwordlist/"
    messages = page.locator("ul.messagelist")
    chips = page.locator(".word-chips label.chip")
    history = page.locator("#bad-words-history tbody tr")

    log_in(page, live_server, user)
    page.goto(editor_url)
    page.locator("#id_add").fill(f"{word}\n{HARMLESS}")
    expect(page.locator("#id_is_active")).to_be_checked()
    page.locator("#save-words").click()

    expect(messages.locator("li.success")).to_contain_text("Saved: 2 added, 0 removed.")
    expect(chips).to_have_text([word, HARMLESS])
    expect(history.first).to_contain_text(user.username)
    expect(history.first).to_contain_text("Edited here")
    expect(history.first).to_contain_text(f"{word}, {HARMLESS}")
    assert BadWordList.current().words == [word, HARMLESS]

    # An over-long entry is refused with the reason; what was typed stays, nothing is saved.
    typed = "crud\n" + "x" * 101
    page.locator("#id_add").fill(typed)
    page.locator("#save-words").click()

    expect(page.locator("#bad-words-errors")).to_contain_text("Too long (101 characters, at most 100)")
    expect(page.locator("#id_add")).to_have_value(typed)
    expect(chips).to_have_text([word, HARMLESS])
    assert BadWordList.current().words == [word, HARMLESS]
    assert BadWordChange.objects.count() == 1

    # The save queued rescreen_customizations_task on commit; the suite's in-memory broker has no
    # worker, so the test process runs the task's service in the worker's stead.
    customizations_screen()
    flagged = Customization.objects.filter(has_bad_words=True)
    expected = flagged.count()
    assert expected > 0
    with_word = Customization.objects.filter(
        sides__nodes__kind=DesignNode.Kind.TEXT, sides__nodes__text__icontains=word
    )
    assert set(flagged.values_list("pk", flat=True)) == set(with_word.values_list("pk", flat=True))
    target = flagged.order_by("-customized_at", "-id").first()  # first in the admin's order

    page.goto(f"{live_server.url}/admin/orders/customization/?has_bad_words__exact=1")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(min(expected, PER_PAGE))
    expect(rows.locator(".bad-flag")).to_have_text(["⚠ 1"] * min(expected, PER_PAGE))
    expect(page.locator("p.paginator")).to_contain_text(re.compile(rf"\b{expected} customizations?\b"))
    page.locator("#result_list").get_by_role("link", name=target.external_id, exact=True).click()

    expect(page).to_have_url(re.compile(rf"/admin/orders/customization/{target.pk}/change/"))
    expect(page.locator("tr.bad-words-row")).to_contain_text(word)
    mark = page.locator("span.node-text mark.bad-word").first
    expect(mark).to_be_visible()
    expect(mark).to_have_text(re.compile(rf"^{word}$", re.IGNORECASE))

    # Push: the list on Kickflip was never pulled, so the preview warns before overwriting it.
    page.goto(editor_url)
    page.locator(f'[data-preview="{kickflip.pk}"]').click()
    preview = page.locator("#push-preview")
    expect(preview.locator(".push-added")).to_have_text(f"{word}, {HARMLESS}")
    expect(preview.locator(".push-removed")).to_have_text(", ".join(kickflip_sandbox.INITIAL_WORDS))
    expect(preview.locator(".vendor-changed")).to_contain_text("never been pulled")
    expect(preview.locator("#id_overwrite")).not_to_be_checked()

    page.locator(f"#push-{kickflip.pk}").click()

    expect(messages.locator("li.warning")).to_contain_text("Not pushed")
    expect(preview.locator(".vendor-changed")).to_be_visible()
    assert kickflip_sandbox.sandbox().wordfilter["words"] == kickflip_sandbox.INITIAL_WORDS

    preview.locator("#id_overwrite").check()
    page.locator(f"#push-{kickflip.pk}").click()

    expect(messages.locator("li.success")).to_contain_text("Pushed to Sandbox Kickflip: 2 added and 4 removed there.")
    expect(history.first).to_contain_text("Pushed to vendor (Sandbox Kickflip)")
    assert kickflip_sandbox.sandbox().wordfilter == {"isActive": True, "words": [word, HARMLESS]}

    # Someone edits the list on Kickflip; pulling brings the change here.
    kickflip_sandbox.sandbox().wordfilter["words"].append(EDITED_ON_KICKFLIP)
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.locator(f'[data-pull="{kickflip.pk}"]').click()

    expect(messages.locator("li.success")).to_contain_text("Pulled from Sandbox Kickflip: 1 added, 0 removed.")
    assert "Words only here will be removed" in dialogs[0]  # the pull asked before replacing
    expect(chips).to_have_text([word, HARMLESS, EDITED_ON_KICKFLIP])
    expect(history.first).to_contain_text("Pulled from vendor (Sandbox Kickflip)")
    expect(history.first).to_contain_text(EDITED_ON_KICKFLIP)
    assert BadWordList.current().words == [word, HARMLESS, EDITED_ON_KICKFLIP]
