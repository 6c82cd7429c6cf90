"""The bad-words list screen: who may do what, validation, and the guarded push to Kickflip."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from orders.models import BadWordChange, BadWordList, WordFilterState
from orders.services.bad_words import bad_words_save
from tests.factories import StaffFactory

URL = "/admin/orders/badwordlist/"


def staff_with(*codenames):
    user = StaffFactory()
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def box(kickflip_sandbox):
    return kickflip_sandbox


@pytest.fixture
def kickflip(kickflip_connection):
    return kickflip_connection


@pytest.mark.django_db
def test_screen_needs_the_view_permission(client):
    assert reverse("admin:orders_badwordlist_changelist") == URL
    client.force_login(staff_with("view_customization"))
    assert client.get(URL).status_code == 403


@pytest.mark.django_db
def test_viewer_sees_the_list_but_cannot_save(client):
    bad_words_save(words=["damn"], is_active=True)
    client.force_login(staff_with("view_badwordlist"))

    page = client.get(URL).content.decode()
    assert "damn" in page and 'id="save-words"' not in page
    response = client.post(URL, {"action": "save", "keep": ["damn"], "add": "crap", "is_active": "on"})
    assert response.status_code == 403
    assert BadWordList.current().words == ["damn"]


@pytest.mark.django_db
def test_editor_adds_removes_and_toggles_in_one_save(client, django_capture_on_commit_callbacks):
    bad_words_save(words=["damn", "crap"], is_active=True)
    editor = staff_with("view_badwordlist", "change_badwordlist")
    client.force_login(editor)

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(URL, {"action": "save", "keep": ["damn"], "add": "heck, darn\nDAMN"}, follow=True)

    word_list = BadWordList.current()
    assert word_list.words == ["damn", "heck", "darn"] and not word_list.is_active
    assert "Saved: 2 added, 1 removed." in response.content.decode()
    change = BadWordChange.objects.first()
    assert (change.user, change.added, change.removed) == (editor, ["heck", "darn"], ["crap"])


@pytest.mark.django_db
def test_invalid_entries_come_back_with_the_reason_and_the_typed_text(client):
    client.force_login(staff_with("view_badwordlist", "change_badwordlist"))
    long_entry = "x" * 150

    response = client.post(URL, {"action": "save", "add": f"heck\n{long_entry}", "is_active": "on"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Too long (150 characters, at most 100)" in page
    assert long_entry in page  # nothing typed is lost
    assert BadWordList.current().words == []


@pytest.mark.django_db
def test_pull_and_push_need_the_sync_permission(client, kickflip):
    client.force_login(staff_with("view_badwordlist", "change_badwordlist"))
    assert client.post(URL, {"action": "pull", "connection": kickflip.pk}).status_code == 403
    assert client.post(URL, {"action": "push", "connection": kickflip.pk}).status_code == 403
    assert client.get(reverse("admin:orders_badwordlist_preview", args=[kickflip.pk])).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_push_refuses_to_overwrite_vendor_changes_unless_confirmed(client, kickflip, box):
    client.force_login(staff_with("view_badwordlist", "change_badwordlist", "sync_badwordlist"))
    client.post(URL, {"action": "pull", "connection": kickflip.pk})
    assert BadWordList.current().words == box.wordfilter["words"]
    bad_words_save(words=[*box.wordfilter["words"], "heck"], is_active=True)

    # Someone edits the list on Kickflip after our pull.
    box.wordfilter["words"] = [*box.wordfilter["words"], "frak"]
    preview = client.get(reverse("admin:orders_badwordlist_preview", args=[kickflip.pk])).content.decode()
    assert "changed there since" in preview and "heck" in preview and "frak" in preview

    refused = client.post(URL, {"action": "push", "connection": kickflip.pk}, follow=True)
    assert "Not pushed" in refused.content.decode()
    assert "frak" in box.wordfilter["words"] and "heck" not in box.wordfilter["words"]

    client.post(URL, {"action": "push", "connection": kickflip.pk, "overwrite": "on"})
    assert box.wordfilter["words"] == BadWordList.current().words
    assert BadWordChange.objects.filter(source=BadWordChange.Source.PUSH, connection=kickflip).exists()
    assert WordFilterState.objects.get(connection=kickflip).words == BadWordList.current().words

    # Nothing changed on Kickflip since that push: the next push goes straight through.
    bad_words_save(words=["heck"], is_active=True)
    client.post(URL, {"action": "push", "connection": kickflip.pk})
    assert box.wordfilter["words"] == ["heck"]
