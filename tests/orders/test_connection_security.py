"""Vendor connections' secrets: the hook secret and its rotation, URL changes that need the key,
the URL policy, and add_connection's validation."""

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from fulfilment.models import IncomingRequest
from fulfilment.services.orders import order_push_url, status_callback_url
from orders.models import VendorConnection
from tests.factories import staff_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway():
    connection = VendorConnection(
        name="Custom Gateway",
        kind=VendorConnection.Kind.CUSTOM_GATEWAY,
        company="99999",
        api_key="cg-api-key-secret",
        push_hmac_key="push-hmac-key-secret",
        sync_every_minutes=None,
    )
    connection.save()
    return connection


def _callback(client, url):
    body = {"id": 1, "ref": "R", "external_ref": "nobody", "status": 128, "status_name": "Cancelled"}
    return client.put(url, data=json.dumps(body), content_type="application/json")


def _push(client, url):
    return client.post(url, data=b"{}", content_type="application/json", headers={"X-CustomGateway-Hmac": "x"})


def test_rotating_the_hook_secret_retires_the_old_urls(client, gateway):
    old_callback, old_push = status_callback_url(gateway), order_push_url(gateway)
    manager = staff_in("Manager", username="manager")
    client.force_login(manager)
    page = client.get(reverse("admin:orders_vendorconnection_change", args=[gateway.pk])).content.decode()
    rotate = reverse("admin:orders_vendorconnection_rotate_hook", args=[gateway.pk])
    assert rotate in page and "Rotate hook secret" in page

    confirm = client.get(rotate)
    assert confirm.status_code == 200 and b"Yes, rotate the hook secret" in confirm.content
    gateway.refresh_from_db()
    assert status_callback_url(gateway) == old_callback  # looking at the confirmation changes nothing

    response = client.post(rotate, {"confirm": "yes"})
    assert response.status_code == 302
    gateway.refresh_from_db()
    new_callback, new_push = status_callback_url(gateway), order_push_url(gateway)
    assert new_callback != old_callback and new_push != old_push
    assert gateway.hook_token_rotated_by == manager and gateway.hook_token_rotated_at is not None
    assert LogEntry.objects.filter(object_id=str(gateway.pk), change_message__contains="Rotated").exists()
    page = client.get(reverse("admin:orders_vendorconnection_change", args=[gateway.pk])).content.decode()
    assert new_callback in page and old_callback not in page and "by manager" in page

    client.logout()  # the vendor has no login
    path = lambda url: url.split("://", 1)[1].split("/", 1)[1]  # noqa: E731
    assert _callback(client, "/" + path(old_callback)).status_code == 404
    assert _push(client, "/" + path(old_push)).status_code == 404
    assert _callback(client, "/" + path(new_callback)).status_code == 200
    # The new push URL is known: a bad signature is now the reason it is refused.
    assert _push(client, "/" + path(new_push)).status_code == 401
    assert IncomingRequest.objects.filter(outcome="rejected").count() == 3


def test_only_managers_can_rotate_and_a_get_changes_nothing(client, gateway):
    token = gateway.hook_token
    rotate = reverse("admin:orders_vendorconnection_rotate_hook", args=[gateway.pk])
    for role in ("Viewer", "Reviewer"):
        client.force_login(staff_in(role))
        assert client.get(rotate).status_code == 403
        assert client.post(rotate, {"confirm": "yes"}).status_code == 403
    client.force_login(staff_in("Manager"))
    assert client.post(rotate, {}).status_code == 200  # no confirmation: the question again
    gateway.refresh_from_db()
    assert gateway.hook_token == token


def test_the_hook_secret_is_in_no_list_and_not_shown_to_viewers(client, gateway):
    for role in ("Viewer", "Reviewer", "Manager"):
        client.force_login(staff_in(role))
        listing = client.get(reverse("admin:orders_vendorconnection_changelist")).content.decode()
        assert "Custom Gateway" in listing and gateway.hook_token not in listing
        page = client.get(reverse("admin:orders_vendorconnection_change", args=[gateway.pk])).content.decode()
        assert (gateway.hook_token in page) == (role == "Manager")
