"""Print files after approval: the Qstomizer HD flow against the sandbox over real HTTP."""

import hashlib
from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image

from integrations.http import VendorRetryable
from orders.models import Customization, CustomizationSide, PrintRequirement, SideArtwork
from orders.services.artwork import artwork_fetch
from orders.services.review import artwork_approve
from orders.services.sync import customizations_sync

pytestmark = pytest.mark.django_db
State = SideArtwork.State


@pytest.fixture(autouse=True)
def small_sandbox(settings):
    """A Qstomizer sandbox of 12 customizations instead of the tests' 120: each test here syncs
    only to have one approved customization (of a template that prints from 2400×2400 files, or
    of 600103 for the preflight), and the sync of 120 over HTTP was most of every test's time."""
    settings.SANDBOX_QSTOMIZER_SIZE = 12


@pytest.fixture
def approved(qstomizer_connection, sandbox, django_capture_on_commit_callbacks):
    """A synced, approved Qstomizer customization whose template prints from 2400×2400 files."""
    customizations_sync(connection=qstomizer_connection)
    customization = Customization.objects.filter(connection=qstomizer_connection).exclude(template_id="600103").first()
    with django_capture_on_commit_callbacks(execute=False):  # the tests fetch in-process
        artwork_approve(customization=customization, user=None)
    return customization


def first_side(customization) -> CustomizationSide:
    return customization.sides.order_by("position").first()


def test_fetch_stores_a_measured_checksummed_png(approved, sandbox):
    artwork = artwork_fetch(first_side(approved))

    assert artwork.state == State.READY, artwork.error
    content = default_storage.open(artwork.file.name).read()
    assert content.startswith(b"\x89PNG")
    assert artwork.size_bytes == len(content)
    assert artwork.sha256 == hashlib.sha256(content).hexdigest()
    assert (artwork.width, artwork.height) == Image.open(BytesIO(content)).size == (2400, 2400)
    assert artwork.content_type == "image/png"
    assert "?" not in artwork.source_url and "signature" not in artwork.source_url
    assert artwork_fetch(first_side(approved)) is None  # already done: not fetched twice


def test_an_expired_link_is_requested_again(approved, sandbox):
    sandbox.hd_expire_next_download = 1

    artwork = artwork_fetch(first_side(approved))

    assert artwork.state == State.READY
    assert sandbox.calls["hd"] == 2


def test_quota_reached_is_shown_and_not_retried(approved, sandbox):
    sandbox.fail_next("hd", 429)

    artwork = artwork_fetch(first_side(approved))

    assert artwork.state == State.FAILED
    assert "Monthly HD quota reached" in artwork.error
    assert sandbox.calls["hd"] == 1


def test_503_is_retried_then_left_pending_for_the_task(approved, sandbox):
    sandbox.fail_next("hd", 503, times=50)

    with pytest.raises(VendorRetryable):
        artwork_fetch(first_side(approved))

    artwork = SideArtwork.objects.get(side=first_side(approved))
    assert artwork.state == State.PENDING and "Will try again" in artwork.error
    assert sandbox.calls["hd"] > 1  # the session retried with backoff before giving up


def test_404_fails_the_side_with_the_reason(approved, sandbox):
    sandbox.fail_next("hd", 404)

    artwork = artwork_fetch(first_side(approved))

    assert artwork.state == State.FAILED and "Order not found" in artwork.error
    again = artwork_fetch(first_side(approved), retry_failed=True)  # staff pressed retry
    assert again.state == State.READY


def test_preflight_marks_small_artwork_for_attention(qstomizer_connection, sandbox, django_capture_on_commit_callbacks):
    customizations_sync(connection=qstomizer_connection)
    small = Customization.objects.filter(template_id="600103").first()
    PrintRequirement.objects.create(template_id="600103", min_width=1200, min_height=1200)
    with django_capture_on_commit_callbacks(execute=False):
        artwork_approve(customization=small, user=None)

    artwork = artwork_fetch(first_side(small))

    assert artwork.state == State.NEEDS_ATTENTION
    assert artwork.error == "600×600 px is below the 1200×1200 px template 600103 needs."


def test_a_crash_mid_store_leaves_the_side_retryable_never_ready(approved, sandbox, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(default_storage, "save", crash)
    with pytest.raises(RuntimeError):
        artwork_fetch(first_side(approved))
    artwork = SideArtwork.objects.get(side=first_side(approved))
    assert artwork.state == State.FETCHING and not artwork.file

    monkeypatch.undo()
    assert artwork_fetch(first_side(approved)) is None  # another worker may still be on it
    SideArtwork.objects.filter(pk=artwork.pk).update(started_at=timezone.now() - timedelta(hours=1))
    assert artwork_fetch(first_side(approved)).state == State.READY  # stale: taken again


def test_fetch_artwork_command(approved, sandbox, capsys):
    sides = approved.sides.count()
    sandbox.fail_next("hd", 404)

    with pytest.raises(CommandError, match="could not be fetched"):
        call_command("fetch_artwork", "--no-progress")
    call_command("fetch_artwork", "--no-progress", "--retry-failed", "--customization", str(approved.pk))

    out = capsys.readouterr().out
    assert f"{sides - 1} ready" in out and "1 ready" in out
    assert SideArtwork.objects.filter(side__customization=approved, state=State.READY).count() == sides


def test_kickflip_design_images_are_stored_the_same_way(sandbox_server, django_capture_on_commit_callbacks):
    from django.conf import settings

    from integrations.mycustomizer import sandbox as mycustomizer_sandbox
    from orders.models import VendorConnection

    mycustomizer_sandbox.reset()
    kickflip = VendorConnection.objects.create(
        name="Kickflip",
        kind="kickflip",
        settings={
            "company": settings.SANDBOX_KICKFLIP_COMPANY,
            "base_url": mycustomizer_sandbox.base_url(sandbox_server.url, "kickflip"),
        },
        secrets={"api_key": settings.SANDBOX_API_KEY},
        sync_every_minutes=None,
    )
    customizations_sync(connection=kickflip)
    design = Customization.objects.filter(connection=kickflip).exclude(sides__design_url="").first()
    with django_capture_on_commit_callbacks(execute=False):
        artwork_approve(customization=design, user=None)

    artwork = artwork_fetch(first_side(design))

    assert artwork.state == State.READY, artwork.error
    assert artwork.content_type == "image/png" and artwork.width and artwork.height
    assert default_storage.open(artwork.file.name).read().startswith(b"\x89PNG")
    mycustomizer_sandbox.reset()


def test_stored_files_are_served_only_to_staff_who_may_see_them(approved, sandbox, client):
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from tests.factories import StaffFactory

    artwork = artwork_fetch(first_side(approved))
    url = reverse("admin:orders_reviewitem_artwork_file", args=[artwork.pk])

    assert client.get(url).status_code == 302  # to the login page
    client.force_login(StaffFactory())
    assert client.get(url).status_code == 403
    viewer = StaffFactory()
    viewer.groups.add(Group.objects.get(name="Viewer"))
    client.force_login(viewer)
    response = client.get(url)
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == artwork.sha256
