"""Hostile files from a vendor's file host, over real HTTP: a side or label never goes ready
with one, nothing reaches storage, and the reason is recorded in words."""

import pytest
from django.core.files.storage import default_storage

from orders.models import SideArtwork
from orders.services.artwork import artwork_fetch
from tests.factories import SideFactory, VendorConnectionFactory
from tests.hostile import REASONS, corpus

pytestmark = pytest.mark.django_db


def _side(url):
    connection = VendorConnectionFactory(base_url="http://127.0.0.1:9/v3")
    return SideFactory(customization__connection=connection, design_url=url, design_hd_url="")


def _stored(prefix: str) -> list[str]:
    try:
        return default_storage.listdir(prefix)[1]
    except FileNotFoundError:
        return []


@pytest.mark.parametrize("name", sorted(corpus()))
def test_a_hostile_print_file_fails_the_side_with_the_reason(hostile_host, name):
    side = _side(hostile_host + name)

    artwork = artwork_fetch(side)

    assert artwork.state == SideArtwork.State.FAILED
    assert artwork.error.startswith("The vendor's file is ") and REASONS[name] in artwork.error
    artwork.refresh_from_db()
    assert artwork.state == SideArtwork.State.FAILED and not artwork.file
    assert not _stored(f"artwork/{side.customization.connection_id}/{side.customization.external_id}")


def test_a_real_png_is_stored_with_the_type_its_bytes_say(hostile_host):
    side = _side(hostile_host + "good.png")  # the host calls it application/octet-stream

    artwork = artwork_fetch(side)

    assert artwork.state == SideArtwork.State.READY, artwork.error
    assert artwork.content_type == "image/png" and artwork.file.name.endswith(".png")
    assert (artwork.width, artwork.height) == (40, 30)
