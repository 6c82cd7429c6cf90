"""Notes and tags on the four kinds: who may add and delete them, bounds and escaping, the htmx
panel, and the "Tag" filter of the four admin lists."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from operations.notes_models import NOTE_MAX_LENGTH, Note, Tagging
from operations.services.notes import note_add, tag_add, tag_remove
from tests.factories import (
    CustomizationFactory,
    FulfilmentOrderFactory,
    PushedOrderFactory,
    StoreOrderFactory,
    staff_in,
)

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def urls(obj):
    args = [ContentType.objects.get_for_model(obj).pk, obj.pk]
    return {
        "panel": reverse("admin:operations_note_panel", args=args),
        "write": reverse("admin:operations_note_write", args=args),
        "tag": reverse("admin:operations_note_tag", args=args),
        "untag": reverse("admin:operations_note_untag", args=args),
    }


@pytest.fixture
def things(gateway):
    customization = CustomizationFactory()
    return {
        "customization": customization,
        "store_order": StoreOrderFactory(connection=customization.connection),
        "fulfilment_order": FulfilmentOrderFactory(connection=gateway),
        "pushed_order": PushedOrderFactory(connection=gateway),
    }


@pytest.mark.parametrize("kind", ["customization", "store_order", "fulfilment_order", "pushed_order"])
def test_a_reviewer_adds_a_note_on_each_kind_and_it_shows_escaped_on_its_page(things, kind):
    obj = things[kind]
    reviewer = staff_in("Reviewer")
    response = client_of(reviewer).post(
        urls(obj)["write"], {"text": "<script>alert(1)</script> call back"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    note = Note.objects.get()
    assert note.target == obj and note.author == reviewer
    body = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; call back" in body
    assert "<script>alert(1)" not in body
    opts = obj._meta
    page = client_of(staff_in("Viewer")).get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert page.status_code == 200
    assert 'id="activity-panel"' in page.content.decode()
    assert "&lt;script&gt;alert(1)" in page.content.decode()


def test_a_viewer_sees_notes_but_cannot_add_or_tag(things):
    obj = things["fulfilment_order"]
    note_add(obj=obj, author=staff_in("Manager"), text="Packed twice")
    viewer = client_of(staff_in("Viewer"))
    panel = viewer.get(urls(obj)["panel"])
    assert panel.status_code == 200 and "Packed twice" in panel.content.decode()
    assert 'name="text"' not in panel.content.decode()
    assert viewer.post(urls(obj)["write"], {"text": "mine"}).status_code == 403
    assert viewer.post(urls(obj)["tag"], {"tag": "rush"}).status_code == 403
    assert Note.objects.count() == 1 and not Tagging.objects.exists()


def test_a_note_is_bounded_and_not_blank(things):
    obj = things["customization"]
    client = client_of(staff_in("Reviewer"))
    too_long = client.post(urls(obj)["write"], {"text": "x" * (NOTE_MAX_LENGTH + 1)})
    assert too_long.status_code == 400 and b"at most 2000 characters" in too_long.content
    blank = client.post(urls(obj)["write"], {"text": "   "}, HTTP_HX_REQUEST="true")
    assert blank.status_code == 400 and "Write something in the note." in blank.content.decode()
    assert 'id="activity-panel"' in blank.content.decode()
    assert not Note.objects.exists()


def test_without_htmx_a_note_goes_back_to_the_page(things):
    obj = things["pushed_order"]
    response = client_of(staff_in("Reviewer")).post(urls(obj)["write"], {"text": "Label reprinted"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:fulfilment_pushedorder_change", args=[obj.pk]) + "#activity-panel"


def test_only_the_author_or_a_manager_deletes_a_note(things):
    obj = things["store_order"]
    author, other = staff_in("Reviewer"), staff_in("Reviewer")
    note = note_add(obj=obj, author=author, text="Customer asked for gift wrap")
    remove = reverse("admin:operations_note_remove", args=[note.pk])
    assert client_of(other).post(remove).status_code == 403
    assert client_of(staff_in("Viewer")).post(remove).status_code == 403
    assert client_of(author).get(remove).status_code == 405
    assert Note.objects.filter(pk=note.pk).exists()
    assert client_of(author).post(remove, HTTP_HX_REQUEST="true").status_code == 200
    assert not Note.objects.exists()
    second = note_add(obj=obj, author=author, text="Again")
    manager = client_of(staff_in("Manager"))
    assert manager.post(reverse("admin:operations_note_remove", args=[second.pk])).status_code == 302
    assert not Note.objects.exists()


def test_the_delete_button_shows_only_to_who_may_delete(things):
    obj = things["fulfilment_order"]
    author = staff_in("Reviewer")
    note_add(obj=obj, author=author, text="Mine")
    assert ">Delete</button>" in client_of(author).get(urls(obj)["panel"]).content.decode()
    assert ">Delete</button>" not in client_of(staff_in("Reviewer")).get(urls(obj)["panel"]).content.decode()
    assert ">Delete</button>" in client_of(staff_in("Manager")).get(urls(obj)["panel"]).content.decode()


def test_tags_are_reused_lower_case_and_removed(things):
    order, other = things["fulfilment_order"], things["pushed_order"]
    client = client_of(staff_in("Reviewer"))
    assert client.post(urls(order)["tag"], {"tag": "  VIP "}, HTTP_HX_REQUEST="true").status_code == 200
    assert client.post(urls(order)["tag"], {"tag": "vip"}).status_code == 302  # already on it: unchanged
    assert client.post(urls(other)["tag"], {"tag": "Vip"}).status_code == 302
    assert Tagging.objects.filter(removed_at=None).count() == 2
    assert Tagging.objects.values("tag").distinct().count() == 1
    bad = client.post(urls(order)["tag"], {"tag": "<b>x</b>"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and "A tag is letters, digits" in bad.content.decode()
    assert client.post(urls(order)["tag"], {"tag": "x" * 41}).status_code == 400
    assert client.post(urls(order)["untag"], {"tag": "vip"}).status_code == 302
    assert not Tagging.objects.filter(fulfilment_order=order, removed_at=None).exists()
    assert Tagging.objects.filter(fulfilment_order=order).get().removed_at is not None
    # Tagged again after removal: a new live tagging.
    tag_add(obj=order, user=None, name="vip")
    assert Tagging.objects.filter(fulfilment_order=order, removed_at=None).count() == 1


def test_a_thing_of_another_kind_or_unknown_is_a_404(things):
    client = client_of(staff_in("Reviewer"))
    connection = things["customization"].connection
    ct = ContentType.objects.get_for_model(connection)
    assert (
        client.post(reverse("admin:operations_note_write", args=[ct.pk, connection.pk]), {"text": "x"}).status_code
        == 404
    )
    ct = ContentType.objects.get_for_model(things["customization"])
    assert client.get(reverse("admin:operations_note_panel", args=[ct.pk, 999999])).status_code == 404
    assert client.get(reverse("admin:operations_note_panel", args=[999999, 1])).status_code == 404


@pytest.mark.parametrize(
    "kind,changelist",
    [
        ("customization", "admin:orders_customization_changelist"),
        ("store_order", "admin:orders_storeorder_changelist"),
        ("fulfilment_order", "admin:fulfilment_fulfilmentorder_changelist"),
        ("pushed_order", "admin:fulfilment_pushedorder_changelist"),
    ],
)
def test_each_list_filters_by_tag(things, gateway, kind, changelist):
    tagged = things[kind]
    untagged = {
        "customization": lambda: CustomizationFactory(connection=tagged.connection),
        "store_order": lambda: StoreOrderFactory(connection=tagged.connection),
        "fulfilment_order": lambda: FulfilmentOrderFactory(connection=gateway),
        "pushed_order": lambda: PushedOrderFactory(connection=gateway),
    }[kind]()
    tag_add(obj=tagged, user=None, name="rush")
    tag_add(obj=untagged, user=None, name="later")
    tag_remove(obj=untagged, user=None, name="later")
    client = client_of(staff_in("Viewer"))
    listing = client.get(reverse(changelist))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "By tag" in body and "?tag=rush" in body
    assert "?tag=later" not in body  # removed: offered no more
    filtered = client.get(reverse(changelist), {"tag": "rush"})
    assert filtered.status_code == 200
    shown = list(filtered.context["cl"].result_list)
    assert shown == [type(tagged).objects.get(pk=tagged.pk)]
    assert untagged not in shown
