"""Vendor previews mirrored into our storage in the background: stored once, a second run
fetches nothing, hostile content refused and recorded, an unreachable host recorded and retried
a bounded number of times; the lists point at our stored copy, never the vendor's host."""

import io
import socket

import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from PIL import Image

from integrations.http import VendorRetryable
from orders.models import Customization, CustomizationSide, ProxiedImage
from orders.services import thumbnails
from orders.services.image_proxy import proxy_url
from orders.services.queue import THUMBNAILS_MIRROR_TASK
from tests import hostile
from tests.factories import CustomizationFactory, SideFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client):
    user = StaffFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_customization"))
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def mirroring_on(settings):
    settings.THUMBNAILS_MIRROR = True  # off for the rest of the suite (config/settings/test.py)


def _closed_port_url() -> str:
    with socket.socket() as probe:  # a port nothing listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/good.png"


def test_a_preview_is_mirrored_once_as_a_small_thumbnail(hostile_host):
    hostile.SERVED.pop("good.png", None)
    side = SideFactory(preview_url=hostile_host + "good.png")

    assert thumbnails.side_thumbnails_mirror([side.pk]) == {"ready": 1, "kept": 0, "refused": 0, "failed": 0, "none": 0}
    side.refresh_from_db()
    assert side.thumbnail_state == "ready" and side.thumbnail_source == side.preview_url
    with default_storage.open(side.thumbnail.name) as stored:
        image = Image.open(stored)
        assert image.format == "PNG" and max(image.size) <= thumbnails.THUMBNAIL_PX
    # the whole copy is the image proxy's too: the full-size view needs no fetch either
    assert ProxiedImage.objects.get().state == ProxiedImage.State.READY

    assert thumbnails.side_thumbnails_mirror([side.pk])["kept"] == 1
    assert hostile.SERVED["good.png"] == 1  # the vendor host was asked once


def test_a_changed_preview_is_mirrored_again(hostile_host, settings):
    side = SideFactory(preview_url=hostile_host + "good.png")
    thumbnails.side_thumbnails_mirror([side.pk])
    first = CustomizationSide.objects.get(pk=side.pk).thumbnail.name
    CustomizationSide.objects.filter(pk=side.pk).update(preview_url=hostile_host + "good.png?v=2")

    assert thumbnails.side_thumbnails_mirror([side.pk])["ready"] == 1
    side.refresh_from_db()
    assert side.thumbnail.name != first and not default_storage.exists(first)


@pytest.mark.parametrize(
    "name", ["svg-with-script", "html-as-png", "decompression-bomb", "png-polyglot", "truncated-png"]
)
def test_hostile_content_is_refused_recorded_and_not_fetched_again(hostile_host, name):
    if name not in hostile.corpus():
        pytest.skip(f"{name} is not in the hostile corpus")
    hostile.SERVED.pop(name, None)
    side = SideFactory(preview_url=hostile_host + name)

    assert thumbnails.side_thumbnails_mirror([side.pk])["refused"] == 1
    side.refresh_from_db()
    assert side.thumbnail_state == "refused" and not side.thumbnail
    assert side.thumbnail_error.startswith("The vendor's image is ")
    assert thumbnails.side_thumbnails_mirror([side.pk])["kept"] == 1
    assert hostile.SERVED.get(name, 0) <= 1
    assert thumbnails.thumbnail_url(side) == proxy_url(side.preview_url)  # the proxy says why


def test_loopback_is_refused_outside_the_sandbox(hostile_host, settings):
    settings.SANDBOX_ENABLED = False
    hostile.SERVED.pop("good.png", None)
    side = SideFactory(preview_url=hostile_host + "good.png")

    thumbnails.side_thumbnails_mirror([side.pk])

    side.refresh_from_db()
    assert side.thumbnail_state == "refused" and "loopback address" in side.thumbnail_error
    assert "good.png" not in hostile.SERVED


def test_an_unreachable_host_is_recorded_retried_and_then_left_failed():
    side = SideFactory(preview_url=_closed_port_url())
    for attempt in range(1, thumbnails.MAX_ATTEMPTS):
        with pytest.raises(VendorRetryable):
            thumbnails.side_thumbnails_mirror([side.pk])
        side.refresh_from_db()
        assert side.thumbnail_state == "failed" and side.thumbnail_attempts == attempt
        assert "could not be fetched" in side.thumbnail_error
    # the last try records the failure without asking for another
    assert thumbnails.side_thumbnails_mirror([side.pk])["failed"] == 1
    assert thumbnails.side_thumbnails_mirror([side.pk])["kept"] == 1
    side.refresh_from_db()
    assert side.thumbnail_attempts == thumbnails.MAX_ATTEMPTS


def test_the_task_mirrors_each_side_and_gives_up_without_failing_the_others(
    hostile_host, tasks_inline, django_capture_on_commit_callbacks
):
    good = SideFactory(preview_url=hostile_host + "good.png")
    down = SideFactory(preview_url=_closed_port_url())
    none = SideFactory(preview_url="")

    with django_capture_on_commit_callbacks(execute=True):
        thumbnails.thumbnails_queue([good.pk, down.pk, none.pk])

    assert [name for name, _, _ in tasks_inline] == [THUMBNAILS_MIRROR_TASK]
    states = dict(CustomizationSide.objects.values_list("pk", "thumbnail_state"))
    assert states == {good.pk: "ready", down.pk: "failed", none.pk: ""}
    assert CustomizationSide.objects.get(pk=down.pk).thumbnail_attempts == thumbnails.MAX_ATTEMPTS


def test_lists_show_our_stored_copy_once_mirrored(viewer, hostile_host):
    customization = CustomizationFactory(decision="", status=Customization.Status.ARTWORK_APPROVAL_PENDING)
    side = SideFactory(customization=customization, preview_url=hostile_host + "good.png")
    before = viewer.get("/admin/orders/customization/").content.decode()
    assert proxy_url(side.preview_url) in before  # not mirrored yet: the proxy link

    thumbnails.side_thumbnails_mirror([side.pk])
    side.refresh_from_db()
    ours = thumbnails.thumbnail_url(side)
    assert ours.startswith(f"/admin/orders/reviewitem/side/{side.pk}/thumbnail/")
    for page in ("/admin/orders/customization/", "/admin/orders/reviewitem/"):
        html = viewer.get(page).content.decode()
        assert ours in html, page
        assert hostile_host not in html

    response = viewer.get(ours)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (40, 30)


def test_the_create_order_screen_shows_the_stored_thumbnail(client, hostile_host):
    from tests.factories import staff_in

    client.force_login(staff_in("Manager"))
    customization = CustomizationFactory(decision="approved")
    side = SideFactory(customization=customization, preview_url=hostile_host + "good.png")
    thumbnails.side_thumbnails_mirror([side.pk])
    side.refresh_from_db()

    html = client.get("/admin/fulfilment/fulfilmentorder/create/").content.decode()
    assert thumbnails.thumbnail_url(side) in html and hostile_host not in html


def test_a_thumbnail_needs_permission_and_a_mirrored_side(client, viewer, hostile_host):
    side = SideFactory(preview_url=hostile_host + "good.png")
    assert viewer.get(f"/admin/orders/reviewitem/side/{side.pk}/thumbnail/x/").status_code == 404  # not yet
    thumbnails.side_thumbnails_mirror([side.pk])
    side.refresh_from_db()
    url = thumbnails.thumbnail_url(side)
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(StaffFactory())
    assert client.get(url).status_code == 403


def test_a_sync_mirrors_the_sandboxs_rendered_previews(
    qstomizer_connection, sandbox, tasks_inline, django_capture_on_commit_callbacks
):
    from orders.services.sync import customizations_sync

    with django_capture_on_commit_callbacks(execute=True):
        customizations_sync(connection=qstomizer_connection)
    sent = [name for name, _, _ in tasks_inline if name == THUMBNAILS_MIRROR_TASK]
    assert sent
    sides = CustomizationSide.objects.exclude(preview_url="")
    assert sides.exists() and not sides.exclude(thumbnail_state="ready").exists()
    # The thumbnail is the sandbox's picture of the design: the side's text in its colour.
    side = next(
        s for s in sides.prefetch_related("nodes") if any(n.text and n.fill not in ("#ffffff",) for n in s.nodes.all())
    )
    fill = next(n.fill for n in side.nodes.all() if n.text and n.fill != "#ffffff")
    with default_storage.open(side.thumbnail.name) as stored:
        pixels = Image.open(stored).convert("RGB").get_flattened_data()
    rgb = tuple(int(fill.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    assert sum(1 for p in pixels if sum(abs(a - b) for a, b in zip(p, rgb, strict=True)) < 60) > 5

    tasks_inline.clear()
    with django_capture_on_commit_callbacks(execute=True):
        customizations_sync(connection=qstomizer_connection)  # nothing changed: nothing to mirror
    assert THUMBNAILS_MIRROR_TASK not in [name for name, _, _ in tasks_inline]


def test_no_mirroring_is_queued_when_it_is_switched_off(settings, tasks_inline, django_capture_on_commit_callbacks):
    settings.THUMBNAILS_MIRROR = False
    side = SideFactory(preview_url="https://cdn.vendor.example/a.png")
    with django_capture_on_commit_callbacks(execute=True):
        thumbnails.thumbnails_queue([side.pk])
    assert tasks_inline == []
