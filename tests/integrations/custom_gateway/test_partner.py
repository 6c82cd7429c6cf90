"""Custom Gateway as a fulfilment partner: neutral records in, its wire format out, and its
answers, errors, callbacks and pushes back as neutral records (no Django model involved)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import responses

from integrations.custom_gateway.client import CustomGatewayClient
from integrations.custom_gateway.partner import CustomGatewayPartner, push_parse, push_verify, status_parse
from integrations.custom_gateway.types import ERROR_CODES, ORDER_STATUSES
from integrations.custom_gateway.wire import WireInvalid, status_of
from integrations.http import VendorRetryable
from integrations.partners import (
    Address,
    FulfilmentStatus,
    HookInvalid,
    LineToSend,
    NotSupported,
    OrderToSend,
    PrintFile,
    PushedOrderRecord,
    SendError,
    StatusReport,
    StockLine,
)
from integrations.registry import ConnectionConfig

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "custom_gateway"
ORDERS_URL = "https://cg.test/order"
CONFIG = ConnectionConfig(
    id=1,
    name="CG",
    kind="custom_gateway",
    settings={
        "company": "99999",
        "orders_url": ORDERS_URL,
        "shipping_url": "https://cg.test/order/{order_id}/shipment",
        "stock_url": "https://cg.test/stock",
    },
    secrets={"api_key": "k3y", "push_hmac_key": "push-key"},
)
ORDER = OrderToSend(
    reference="BO-000001",
    sold_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    address=Address(name="Ada", line_1="Pinewood Court", town="Macclesfield", postcode="SK10 2XR", country_code="GB"),
    lines=(
        LineToSend("C1", 2, "MUG-11", "Mug", (PrintFile("https://x/front.png", "Front"),)),
        LineToSend(
            "C2", 1, "TEE", "Tee", (PrintFile("https://x/f.png", "Front"), PrintFile("https://x/b.png", "Back"))
        ),
    ),
    callback_url="https://bo.test/hooks/custom-gateway/token/status/",
    shipping_method="Standard",
    dispatch_by=date(2026, 1, 9),
)


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def partner():
    client = CustomGatewayClient(company_ref_id="99999", api_key="k3y", orders_url=ORDERS_URL, backoff=0, retries=0)
    with client:
        yield CustomGatewayPartner(CONFIG, client)


@pytest.fixture
def vendor():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_the_order_body_is_the_documented_order_object():
    body = CustomGatewayPartner(CONFIG).request_body(ORDER)

    assert body["company_ref_id"] == 99999 and body["external_ref"] == "BO-000001"
    assert body["sale_datetime"] == "2026-01-02 03:04:05" and body["required_dispatch_date"] == "2026-01-09"
    assert (body["shipping_address_1"], body["shipping_address_4"], body["shipping_country_code"]) == (
        "Pinewood Court",
        "Macclesfield",
        "GB",
    )
    assert "shipping_address_2" not in body  # blank fields are left out
    single, multi = body["items"]
    assert single == {
        "external_ref": "C1",
        "quantity": 2,
        "sku": "MUG-11",
        "description": "Mug",
        "type": 1,
        "external_url": "https://x/front.png",
        "external_thumbnail_url": "https://x/front.png",
    }
    assert multi["type"] == 7 and [u["name"] for u in multi["external_urls"]] == ["Front", "Back"]


def test_a_created_order_comes_back_as_neutral_records(partner, vendor):
    vendor.post(ORDERS_URL, json=fixture("order_created_admin_error.json"))

    result = partner.send(ORDER)

    assert result.error is None and len(result.created) == 1
    created = result.created[0]
    assert created.has_error and "invalid supplier" in created.error_message
    assert created.status.status == FulfilmentStatus.PROBLEM and created.status.code == "32"
    assert created.status.name == "QC Query"
    assert created.lines[0].reference == "ITEM001" and created.lines[0].vendor_id == "8812004"


@pytest.mark.parametrize(
    "answer, error",
    [
        ({"error": {"code": 8001, "message": "exists"}}, SendError.DUPLICATE),
        ({"error": {"code": 50004, "message": "slow down"}}, SendError.RETRY_LATER),
        ({"error": {"code": 8013, "message": "bad country"}}, SendError.REJECTED),
        ({"error": {"code": 50000, "message": "bad key"}}, SendError.REJECTED),
    ],
)
def test_its_error_codes_become_typed_errors_in_words(partner, vendor, answer, error):
    vendor.post(ORDERS_URL, json=answer, status=400)

    result = partner.send(ORDER)

    assert result.error == error and not result.created
    code = answer["error"]["code"]
    assert ERROR_CODES[code][:30] in result.message
    if error == SendError.RETRY_LATER:
        assert result.limit == "Custom Gateway's rate limit (50004)"


def test_a_5xx_is_retry_later_by_raising(partner, vendor):
    vendor.post(ORDERS_URL, json={"error": {"code": None, "message": "oops ID123"}}, status=500)

    with pytest.raises(VendorRetryable):
        partner.send(ORDER)


def test_what_order_it_cannot_do_is_not_supported():
    with pytest.raises(NotSupported):
        CustomGatewayPartner(CONFIG).cancel("1")
    with pytest.raises(NotSupported):
        CustomGatewayPartner(CONFIG).poll_status("1")


def test_every_documented_status_is_one_of_ours_or_ignored():
    ours = {code: status_of(code).status for code in ORDER_STATUSES}
    assert ours[4] == FulfilmentStatus.IN_PRODUCTION and ours[128] == FulfilmentStatus.CANCELLED
    assert ours[0] is None and ours[2] is None  # Unknown, Unused
    assert status_of("1024") == status_of(1024) and status_of(1024).name == "status 1024"
    assert status_of(1024).status is None and status_of(1024).code == "1024"


def test_a_callback_parses_into_a_status_report():
    (report,) = status_parse(json.dumps(fixture("status_callback.json")).encode())

    assert isinstance(report, StatusReport)
    assert (
        report.reference and report.vendor_id and report.status.code == str(fixture("status_callback.json")["status"])
    )
    with pytest.raises(HookInvalid):
        status_parse(b"{nope")
    assert issubclass(WireInvalid, HookInvalid)


def test_a_push_is_verified_over_the_raw_bytes_then_parsed():
    body = json.dumps({**fixture("order_push.json"), "shipping_address_5": "Cheshire"}).encode()
    good = hmac.new(b"push-key", body, hashlib.sha256).hexdigest()

    assert push_verify(CONFIG, body, {"X-CustomGateway-Hmac": good}) == ""
    assert push_verify(CONFIG, body + b" ", {"X-CustomGateway-Hmac": good}).endswith("does not match")
    assert push_verify(CONFIG, body, {}).endswith("missing")
    no_key = ConnectionConfig(1, "CG", "custom_gateway", CONFIG.settings, {"api_key": "k3y", "push_hmac_key": ""})
    assert push_verify(no_key, body, {"X-CustomGateway-Hmac": good}) == "no HMAC key is set on the connection"
    (order,) = push_parse(body)
    assert isinstance(order, PushedOrderRecord) and order.address.region == "Cheshire"
    assert order.lines[0].mapped_sku == "supplier SKU" and order.lines[0].assets[0]["description"] == "Front"


def test_stock_and_shipping_go_through_the_supplier_apis(partner, vendor):
    vendor.put("https://cg.test/stock", json={"ok": True})
    vendor.post("https://cg.test/order/77/shipment", json=fixture("shipments.json"))
    partner.client.stock_url = "https://cg.test/stock"
    partner.client.shipping_url = "https://cg.test/order/{order_id}/shipment"

    assert partner.push_stock([StockLine("A", 3)]) == {"ok": True}
    assert json.loads(vendor.calls[0].request.body) == partner.stock_body([StockLine("A", 3)])
    (shipment,) = partner.ship("77")
    assert (shipment.carrier, shipment.tracking, shipment.label_url) == (
        "hermes",
        "ABCDEFGHIJKL",
        "http://example.com/label.pdf",
    )


def test_its_reference_tables_are_the_docs():
    errors, statuses = CustomGatewayPartner.reference_tables()
    assert dict(errors.rows) == {str(code): text for code, text in ERROR_CODES.items()}
    assert dict(statuses.rows) == {str(code): text for code, text in ORDER_STATUSES.items()}
