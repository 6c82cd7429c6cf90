"""What a first use found (issue 12, item 8), below the browser."""

import pytest

from orders.models import SyncRun
from orders.services.sync import customizations_sync

pytestmark = pytest.mark.django_db


def test_a_kickflip_run_that_skipped_a_design_still_ends_at_100_percent(kickflip_connection, kickflip_sandbox):
    kickflip_sandbox.fail_next("design", 404)

    run = customizations_sync(connection=kickflip_connection)

    assert run.status == SyncRun.Status.PARTIAL
    run.refresh_from_db()
    assert run.progress == 1.0


def test_a_failed_run_keeps_where_it_got_to(kickflip_connection, kickflip_sandbox):
    kickflip_connection.secrets["api_key"] = "not-the-token"
    kickflip_connection.save()

    with pytest.raises(Exception):  # noqa: B017, PT011 - the refusal itself is test_kickflip_sync's subject
        customizations_sync(connection=kickflip_connection)

    assert SyncRun.objects.get().progress < 1.0


def test_the_print_file_list_shows_each_side_s_preview_linked_to_its_design(client):
    from orders.models import SideArtwork
    from tests.factories import SideArtworkFactory, SideFactory, staff_in

    side = SideFactory(name="Front", preview_url="https://cdn.example.com/previews/front.png")
    SideArtworkFactory(side=side, state=SideArtwork.State.READY, size_bytes=28_900)
    client.force_login(staff_in("Viewer"))

    page = client.get("/admin/orders/sideartwork/").content.decode()

    design = f"/admin/orders/customization/{side.customization_id}/change/"
    assert f'<a href="{design}"><img class="list-thumb" src="/admin/orders/reviewitem/image/' in page
    assert f'<a href="{design}">{side.customization}</a>' in page
    assert "28.2\xa0KB" in page
    assert "cdn.example.com" not in page  # the browser loads it from our own origin, never the vendor's
