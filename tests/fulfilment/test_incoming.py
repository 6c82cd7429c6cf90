"""Status callbacks and order pushes: stored raw, verified, applied once."""

import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from fulfilment.models import IncomingRequest, PushedOrder, StatusEvent, VendorOrder

pytestmark = pytest.mark.django_db


def callback_url(connection, token=None):
    return reverse("fulfilment:hook", args=["custom-gateway", token or connection.hook_token, "status"])


def put(client, url, body):
    return client.put(url, data=json.dumps(body), content_type="application/json")


def status(code, name, **extra):
    return {
        "id": 501,
        "external_ref": "BO-000001",
        "ref": "CGREF1",
        "status": code,
        "status_name": name,
        "shipping_tracking": "",
        "shipping_method": "",
        "shipping_carrier": "",
        **extra,
    }


def test_callback_is_stored_raw_then_applied(client, gateway, sent_order):
    response = put(client, callback_url(gateway), status(512, "Sent to Supplier"))

    assert response.status_code == 200
    incoming = IncomingRequest.objects.get()
    assert incoming.verified and incoming.outcome == "applied"
    assert json.loads(incoming.body)["status"] == 512
    sent_order.refresh_from_db()
    assert (sent_order.vendor_status_code, sent_order.vendor_status_name) == ("512", "Sent to Supplier")


def test_replayed_callback_changes_nothing(client, gateway, sent_order):
    body = status(8, "Dispatched", shipping_tracking="RM123", shipping_carrier="Royal Mail")
    put(client, callback_url(gateway), body)
    again = put(client, callback_url(gateway), body)

    assert again.status_code == 200
    assert StatusEvent.objects.count() == 1
    assert list(IncomingRequest.objects.values_list("outcome", flat=True)) == ["duplicate", "applied"]
    assert VendorOrder.objects.get(vendor_id="501").shipping_tracking == "RM123"


def test_out_of_order_callbacks_keep_the_timeline_and_the_latest_state(client, gateway, sent_order):
    put(client, callback_url(gateway), status(8, "Dispatched", shipping_tracking="RM123"))
    put(client, callback_url(gateway), status(512, "Sent to Supplier"))  # arrives late

    sent_order.refresh_from_db()
    assert sent_order.vendor_status_name == "Dispatched"
    assert list(sent_order.events.values_list("vendor_status_code", flat=True)) == ["8", "512"]


def test_unknown_orders_and_extra_fields_get_200_and_are_recorded(client, gateway, sent_order):
    unknown = put(client, callback_url(gateway), {**status(1, "Received"), "id": 999, "external_ref": "NOPE"})
    extra = put(
        client,
        callback_url(gateway),
        status(64, "Dispatched (Retailer Notified)", shipments=[{"tracking": "X"}], cancellations=[]),
    )

    assert unknown.status_code == extra.status_code == 200
    assert IncomingRequest.objects.filter(outcome="unmatched").count() == 1
    assert StatusEvent.objects.get().extra == {"shipments": [{"tracking": "X"}], "cancellations": []}


def test_split_order_callbacks_attach_to_the_one_order(client, gateway, sent_order):
    put(client, callback_url(gateway), {**status(512, "Sent to Supplier"), "id": 502, "ref": "CGREF2"})

    assert sent_order.vendor_orders.count() == 2
    assert VendorOrder.objects.get(vendor_id="502").vendor_status_name == "Sent to Supplier"


def test_wrong_token_is_refused_and_changes_nothing(client, gateway, sent_order):
    response = put(client, callback_url(gateway, token="guessed-token"), status(128, "Cancelled"))

    assert response.status_code == 404
    assert not StatusEvent.objects.exists()
    assert IncomingRequest.objects.get().outcome == "rejected"


def test_unreadable_callback_is_recorded(client, gateway, sent_order):
    response = client.put(callback_url(gateway), data="{not json", content_type="application/json")

    assert response.status_code == 200  # nothing the vendor can fix by retrying
    assert IncomingRequest.objects.get().outcome == "invalid"


# -- order pushes ----------------------------------------------------------------------------

PUSH = {
    "id": 7001,
    "ref": "CG7001",
    "external_ref": "SHOP-1001",
    "customer_name": "Ada Lovelace",
    "shipping_address_1": "Pinewood Court",
    "shipping_postcode": "SK10 2XR",
    "shipping_country_code": "GB",
    "shipping_carrier": "Royal Mail",
    "shipping_method": "RM1",
    "items": [
        {
            "id": 1,
            "type": 1,
            "mapped_sku": "SUP-MUG",
            "sku": "MUG-11",
            "description": "Mug",
            "quantity": 2,
            "assets": [{"name": "output-1.png", "url": "https://cdn.test/output-1.png", "description": "Front"}],
        }
    ],
}


def push(client, connection, body: bytes, signature: str | None):
    headers = {"X-CustomGateway-Hmac": signature} if signature is not None else {}
    url = reverse("fulfilment:hook", args=["custom-gateway", connection.hook_token, "orders"])
    return client.post(url, data=body, content_type="application/json", headers=headers)


def sign(body: bytes, key="push-hmac-key-secret"):
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def test_signed_push_creates_the_order_with_items_and_assets(client, gateway):
    body = json.dumps(PUSH).encode()

    response = push(client, gateway, body, sign(body))

    assert response.status_code == 200
    order = PushedOrder.objects.get()
    assert (order.vendor_id, order.customer_name, order.shipping_country_code) == ("7001", "Ada Lovelace", "GB")
    item = order.items.get()
    assert (item.mapped_sku, item.sku, item.quantity) == ("SUP-MUG", "MUG-11", 2)
    assert item.assets[0]["url"] == "https://cdn.test/output-1.png"
    assert IncomingRequest.objects.get().verified


@pytest.mark.parametrize("tamper", ["flipped-byte", "missing-header", "other-key"])
def test_unverified_push_gets_401_and_creates_nothing(client, gateway, tamper):
    body = json.dumps(PUSH).encode()
    signature = sign(body)
    if tamper == "flipped-byte":
        body = body.replace(b"Ada", b"Adb")  # one byte changed after signing
    elif tamper == "missing-header":
        signature = None
    else:
        signature = sign(body, key="not-the-key")

    response = push(client, gateway, body, signature)

    assert response.status_code == 401
    assert not PushedOrder.objects.exists()
    incoming = IncomingRequest.objects.get()  # the raw request is kept, marked rejected
    assert (incoming.outcome, incoming.verified) == ("rejected", False)


def test_replayed_push_creates_nothing_new(client, gateway):
    body = json.dumps(PUSH).encode()
    push(client, gateway, body, sign(body))

    again = push(client, gateway, body, sign(body))

    assert again.status_code == 200
    assert PushedOrder.objects.count() == 1
    assert list(IncomingRequest.objects.values_list("outcome", flat=True)) == ["duplicate", "applied"]


def test_credentials_never_stored_with_the_request(client, gateway, sent_order):
    client.put(
        callback_url(gateway),
        data=json.dumps(status(1, "Received")),
        content_type="application/json",
        headers={"Authorization": "Basic secret", "Cookie": "sessionid=abc"},
    )

    headers = {key.lower() for key in IncomingRequest.objects.get().headers}
    assert "authorization" not in headers and "cookie" not in headers
