"""Vendor images reach staff pages only through our own origin: fetched once, sniffed, cached;
SVG and non-images refused with a placeholder that says why; private addresses refused."""

import io

import pytest
from django.contrib.auth.models import Permission
from PIL import Image

from integrations.http import public_address_refusal
from orders.models import ProxiedImage
from orders.services.image_proxy import proxy_url
from tests import hostile
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client):
    user = StaffFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_customization"))
    client.force_login(user)
    return client


def test_an_image_is_fetched_once_and_served_from_our_origin(viewer, hostile_host):
    url = hostile_host + "good.png"  # the host calls it application/octet-stream
    hostile.SERVED.pop("good.png", None)

    for _ in range(2):
        response = viewer.get(proxy_url(url))
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff" and "sandbox" in response["Content-Security-Policy"]
        assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (40, 30)
    assert hostile.SERVED["good.png"] == 1  # cached: the vendor host is asked once
    assert ProxiedImage.objects.get().state == ProxiedImage.State.READY


def test_a_host_that_cannot_be_reached_now_is_asked_again_on_the_next_view(viewer, hostile_host):
    import socket

    with socket.socket() as probe:  # a port nothing listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/good.png"
    response = viewer.get(proxy_url(closed))
    assert response.status_code == 200 and "could not be fetched" in response["X-Image-Refused"]
    # Not kept as refused for an hour: a busy moment must not blank a page's images.
    assert not ProxiedImage.objects.exists()


@pytest.mark.parametrize("name", sorted(hostile.corpus()))
def test_a_hostile_image_is_a_placeholder_saying_why(viewer, hostile_host, name):
    response = viewer.get(proxy_url(hostile_host + name))

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    placeholder = Image.open(io.BytesIO(response.content))
    assert placeholder.width == 360  # our placeholder, not the vendor's bytes
    reason = response["X-Image-Refused"]
    assert reason.startswith("The vendor's image is ")
    assert hostile.corpus()[name][0][:64] not in response.content or not hostile.corpus()[name][0]
    record = ProxiedImage.objects.get()
    assert record.state == ProxiedImage.State.REFUSED and record.error == reason and not record.file


def test_svg_is_refused_as_an_svg(viewer, hostile_host):
    response = viewer.get(proxy_url(hostile_host + "svg-with-script"))
    assert "an SVG image (it may contain script)" in response["X-Image-Refused"]


def test_loopback_is_refused_outside_the_sandbox(viewer, hostile_host, settings):
    settings.SANDBOX_ENABLED = False
    hostile.SERVED.pop("good.png", None)

    response = viewer.get(proxy_url(hostile_host + "good.png"))

    assert "loopback address" in response["X-Image-Refused"]
    assert "good.png" not in hostile.SERVED  # never fetched


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/x.png", "loopback"),
        ("http://[::1]/x.png", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/x.png", "private"),
        ("http://192.168.0.10/x.png", "private"),
        ("http://0.0.0.0/x.png", "private"),
        ("javascript:alert(1)", "not an http(s) URL"),
    ],
)
def test_non_public_addresses_are_named(url, why):
    assert why in public_address_refusal(url)


def test_a_public_address_is_fine():
    assert public_address_refusal("http://93.184.216.34/x.png") == ""


def test_the_proxy_needs_a_permission_and_a_signed_link(client, hostile_host):
    link = proxy_url(hostile_host + "good.png")
    assert client.get(link).status_code == 302  # not logged in: to the login page
    client.force_login(StaffFactory())  # staff with no permission
    assert client.get(link).status_code == 403
    client.force_login(StaffFactory(is_superuser=True))
    tampered = link.replace("/image/", "/image/x")
    assert client.get(tampered).status_code == 404
    assert proxy_url("javascript:alert(1)") == proxy_url("//evil.example/x") == ""
