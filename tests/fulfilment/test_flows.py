"""Fulfilment end to end against the Custom Gateway sandbox over real HTTP (live_server)."""

import hashlib
import json
import time

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from fulfilment.models import FulfilmentOrder, IncomingRequest, PushedOrder, ShippingLabel, StockLevel, StockPush
from fulfilment.services.orders import (
    FulfilmentInvalid,
    fulfilment_order_create,
    fulfilment_order_send,
    fulfilment_payload,
    order_push_url,
)
from fulfilment.services.shipping import labels_pdf, pushed_order_ship
from fulfilment.services.stock import stock_changed, stock_push
from integrations.custom_gateway import sandbox as cg_sandbox
from integrations.http import VendorRetryable
from orders.models import Customization, SideArtwork
from tests.factories import CustomizationFactory, SideFactory
from tests.hostile import png

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = {
    "customer_name": "Ada Lovelace",
    "shipping_address_1": "Pinewood Court",
    "shipping_postcode": "SK10 2XR",
    "shipping_country_code": "gb",
    "shipping_method": "Standard",
}


@pytest.fixture
def box(custom_gateway_sandbox):
    return custom_gateway_sandbox


@pytest.fixture
def gateway(custom_gateway_connection):
    return custom_gateway_connection


def approved_with_artwork(sides=1, sku="MUG-11", *, title="Mug", decision=Customization.Decision.APPROVED):
    customization = CustomizationFactory(decision=decision, sku=sku, product_title=title)
    for index in range(sides):
        side = SideFactory(customization=customization, name=["Front", "Back"][index])
        content = png(40 + index, 30)  # a real PNG: the artwork link serves only what sniffs as one
        name = default_storage.save(f"artwork/test/{side.pk}.png", ContentFile(content))
        SideArtwork.objects.create(
            side=side,
            state=SideArtwork.State.READY,
            file=name,
            content_type="image/png",
            sha256=hashlib.sha256(content).hexdigest(),
            size_bytes=len(content),
        )
    return customization


def test_send_builds_the_documented_order_and_records_the_vendor_order(gateway, box, live_server):
    front_only, two_sides = approved_with_artwork(1), approved_with_artwork(2)
    order = fulfilment_order_create(connection=gateway, customizations=[front_only, two_sides], shipping=ADDRESS)

    payload = fulfilment_payload(order)
    sent = fulfilment_order_send(order)

    assert sent.state == FulfilmentOrder.State.SENT, sent.last_error
    assert payload["shipping_country_code"] == "GB" and payload["external_ref"] == order.external_ref
    assert (
        payload["status_callback_url"].startswith(live_server.url)
        and gateway.hook_token in payload["status_callback_url"]
    )
    single, multi = payload["items"]
    assert single["type"] == 1 and single["external_url"] == single["external_thumbnail_url"]
    assert multi["type"] == 7 and [u["name"] for u in multi["external_urls"]] == ["Front", "Back"]
    # The vendor can fetch the artwork through the signed link; a tampered link gets nothing.
    fetched = requests.get(single["external_url"], timeout=10)
    assert fetched.status_code == 200 and fetched.content.startswith(b"\x89PNG")
    assert requests.get(single["external_url"][:-3] + "xyz/", timeout=10).status_code == 404
    assert sent.vendor_orders.count() == 1 and sent.items.exclude(vendor_id="").count() == 2


def test_rules_are_checked_before_sending(gateway):
    with pytest.raises(FulfilmentInvalid) as invalid:
        fulfilment_order_create(
            connection=gateway,
            customizations=[approved_with_artwork()],
            shipping={**ADDRESS, "shipping_country_code": "UK", "shipping_postcode": ""},
        )
    assert "not an ISO 3166-1 alpha-2 country code" in invalid.value.errors["shipping_country_code"]
    assert "postcode is required" in invalid.value.errors["shipping_postcode"]
    unapproved = CustomizationFactory()
    with pytest.raises(FulfilmentInvalid, match="is not approved"):
        fulfilment_order_create(connection=gateway, customizations=[unapproved], shipping=ADDRESS)
    assert not FulfilmentOrder.objects.exists()


def test_a_retry_after_a_timeout_the_vendor_received_is_reconciled(gateway, box):
    order = fulfilment_order_create(connection=gateway, customizations=[approved_with_artwork()], shipping=ADDRESS)
    box.timeout_after_create_next(status=504)  # the vendor records the order, we see a failure

    with pytest.raises(VendorRetryable):
        fulfilment_order_send(order)
    assert FulfilmentOrder.objects.get(pk=order.pk).state == FulfilmentOrder.State.QUEUED

    again = fulfilment_order_send(order)

    assert again.state == FulfilmentOrder.State.SENT and again.reconciled
    assert len([o for o in box.orders.values() if o.external_ref == order.external_ref]) == 1
    # The first callback tells us the vendor's id for it.
    vendor = next(o for o in box.orders.values() if o.external_ref == order.external_ref)
    cg_sandbox.emit_status(vendor.id, 1)
    assert again.vendor_orders.get().vendor_id == str(vendor.id)


def test_slow_down_is_not_a_failed_order(gateway, box):
    order = fulfilment_order_create(connection=gateway, customizations=[approved_with_artwork()], shipping=ADDRESS)
    box.rate_limit_next(1)

    waiting = fulfilment_order_send(order)  # 50004: waits, does not raise, does not count as failing

    assert waiting.state == FulfilmentOrder.State.QUEUED and waiting.next_attempt_at is not None
    assert "Waiting for Custom Gateway's rate limit (50004) until" in waiting.last_error
    assert fulfilment_order_send(waiting).state == FulfilmentOrder.State.SENT


def test_a_rejected_order_says_why_in_words(gateway, box):
    order = fulfilment_order_create(connection=gateway, customizations=[approved_with_artwork()], shipping=ADDRESS)
    box.fail_next("orders", 400, body={"error": {"code": 8012, "message": "Invalid status_callback_url"}})

    failed = fulfilment_order_send(order)

    assert failed.state == FulfilmentOrder.State.FAILED
    assert "status_callback_url" in failed.last_error and "8012" in failed.last_error


def test_split_and_qc_query_orders(gateway, box):
    split = fulfilment_order_create(
        connection=gateway,
        customizations=[approved_with_artwork(sku="MUG-1"), approved_with_artwork(sku="SPLIT-TEE")],
        shipping=ADDRESS,
    )
    qc = fulfilment_order_create(
        connection=gateway, customizations=[approved_with_artwork()], shipping={**ADDRESS, "shipping_company": "QC"}
    )

    assert fulfilment_order_send(split).vendor_orders.count() == 2
    queried = fulfilment_order_send(qc)
    assert queried.has_error and queried.vendor_status_name == "QC Query" and queried.error_message


def test_vendor_callbacks_build_the_timeline(gateway, box):
    order = fulfilment_order_send(
        fulfilment_order_create(connection=gateway, customizations=[approved_with_artwork()], shipping=ADDRESS)
    )
    vendor_id = int(order.vendor_orders.get().vendor_id)

    for code in (512, 4):
        cg_sandbox.emit_status(vendor_id, code)
    attempts = cg_sandbox.emit_status(vendor_id, 8, tracking="RM123456789GB", carrier="Royal Mail")

    assert attempts[-1]["status_code"] == 200
    order.refresh_from_db()
    assert order.vendor_status_name == "Dispatched"
    assert list(order.events.values_list("vendor_status_name", flat=True)) == [
        "Sent to Supplier",
        "In Production",
        "Dispatched",
    ]
    assert order.vendor_orders.get().shipping_tracking == "RM123456789GB"


def test_pushed_order_ships_with_labels_printable_as_one_pdf(gateway, box):
    assert cg_sandbox.push_order(order_push_url(gateway), gateway.secret("push_hmac_key")) == 200
    assert cg_sandbox.push_order(order_push_url(gateway), "wrong-key") == 401
    pushed = PushedOrder.objects.get()
    assert pushed.items.exists() and all(item.assets for item in pushed.items.all())

    shipments = pushed_order_ship(pushed)

    assert shipments and all(s.tracking for s in shipments)
    labels = ShippingLabel.objects.filter(shipment__order=pushed)
    assert all(label.state == ShippingLabel.State.READY and label.is_pdf for label in labels)
    assert default_storage.open(labels[0].file.name).read().startswith(b"%PDF")
    assert pushed_order_ship(pushed) == shipments  # not shipped twice
    merged = labels_pdf(labels).pdf
    assert merged.startswith(b"%PDF")
    assert merged.count(b"/Type /Page\n") + merged.count(b"/Type /Page ") + merged.count(b"/Type/Page") >= 1


def test_stock_push_sends_changed_levels_in_batches_and_records_it(gateway, box):
    StockLevel.objects.bulk_create(
        StockLevel(connection=gateway, sku=f"SKU-{n:03d}", quantity_available=n) for n in range(150)
    )

    record = stock_push(gateway, stock_changed(gateway))

    assert record.status == StockPush.Status.SUCCEEDED and record.count == 150
    assert len(record.sent) == 2 and len(record.sent[0]) == 100
    assert box.stock["SKU-042"] == 42
    assert not stock_changed(gateway).exists()
    StockLevel.objects.filter(sku="SKU-001").update(quantity_available=99)
    assert list(stock_changed(gateway).values_list("sku", flat=True)) == ["SKU-001"]


def test_company_ref_id_is_sent_as_the_integer_the_doc_types(gateway, box):
    order = fulfilment_order_send(
        fulfilment_order_create(connection=gateway, customizations=[approved_with_artwork()], shipping=ADDRESS)
    )

    received = next(o for o in box.orders.values() if o.external_ref == order.external_ref).payload
    assert received["company_ref_id"] == int(gateway.setting("company")) and type(received["company_ref_id"]) is int


def test_a_vendor_calling_back_before_the_post_answers_leaves_the_order_sent_with_its_status(gateway, box):
    box.auto_callbacks = True  # the sandbox PUTs status 1 as soon as the order exists
    order = fulfilment_order_create(connection=gateway, customizations=[approved_with_artwork()], shipping=ADDRESS)

    sent = fulfilment_order_send(order)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not IncomingRequest.objects.filter(outcome="applied").exists():
        time.sleep(0.1)

    sent.refresh_from_db()
    assert sent.state == FulfilmentOrder.State.SENT
    assert sent.vendor_status_name == "Received" and sent.vendor_orders.get().vendor_status_code == "1"
    assert [a["status_code"] for a in box.callback_attempts] == [200]


def test_the_hook_token_never_appears_in_the_sent_payload_shown(gateway, box, client):
    from tests.factories import staff_in

    order = fulfilment_order_send(
        fulfilment_order_create(connection=gateway, customizations=[approved_with_artwork()], shipping=ADDRESS)
    )
    older = fulfilment_order_create(connection=gateway, customizations=[approved_with_artwork()], shipping=ADDRESS)
    FulfilmentOrder.objects.filter(pk=older.pk).update(request_payload=fulfilment_payload(older))  # stored before
    client.force_login(staff_in("Manager", username="manager"))

    assert gateway.hook_token not in json.dumps(FulfilmentOrder.objects.get(pk=order.pk).request_payload)
    for shown in (order, older):
        page = client.get(reverse("admin:fulfilment_fulfilmentorder_change", args=[shown.pk])).content.decode()
        assert "/hooks/custom-gateway/[redacted]/status/" in page
        assert gateway.hook_token not in page
