"""The built-in Custom Gateway sandbox: its views through Django's test client, and the real
CustomGatewayClient against it over HTTP (the session's sandbox server). Status callbacks and order pushes are
sent to the sandbox's own echo endpoint, which records them."""

from __future__ import annotations

import base64
import io
import json
import time
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
import requests

from integrations.custom_gateway import sandbox as cg_sandbox
from integrations.custom_gateway.client import (
    CredentialsRejected,
    CustomGatewayClient,
    CustomGatewayServerError,
    OrderAlreadyExists,
    OrderRejected,
    RateLimitedByVendor,
)
from integrations.custom_gateway.types import ORDER_STATUSES, PUSH_HMAC_HEADER, verify_push_signature
from integrations.http import VendorRetryable

COMPANY = "99999"
ORDERS = "/sandbox/custom-gateway/order"
STOCK = "/sandbox/custom-gateway/stock/availability"
AUTH_FAILED = {"error": {"message": "Authentication failed", "code": 50000}}


@pytest.fixture
def box(settings):
    """A fresh sandbox (orders, stock, hooks and records forgotten)."""
    cg_sandbox.reset()
    yield cg_sandbox.sandbox()
    cg_sandbox.reset()


@pytest.fixture
def cg(sandbox_server, box, settings):
    """The real client pointed at the sandbox over HTTP."""
    with CustomGatewayClient(
        company_ref_id=COMPANY, api_key=settings.SANDBOX_API_KEY, backoff=0, **cg_sandbox.base_url(sandbox_server.url)
    ) as client:
        yield client


@pytest.fixture
def echo(sandbox_server) -> str:
    return f"{sandbox_server.url}/sandbox/custom-gateway/echo/"


def an_order(external_ref: str = "TEST001", **fields) -> dict:
    """The doc's example order, with a sale_datetime safely in the past."""
    order = {
        "external_ref": external_ref,
        "sale_datetime": (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"),
        "customer_name": "Ada Lovelace",
        "shipping_company": "Custom Gateway Ltd.",
        "shipping_address_1": "Pinewood Court",
        "shipping_address_4": "Macclesfield",
        "shipping_postcode": "SK10 2XR",
        "shipping_country_code": "GB",
        "items": [
            {
                "external_ref": "ITEM001",
                "sku": "MUG-11",
                "quantity": 1,
                "type": 2,
                "print_job_ref": "CF921CF10F59B3A258",
            }
        ],
    }
    order.update(fields)
    return order


def item(**fields) -> dict:
    base = {"external_ref": "ITEM002", "sku": "TEE-M", "quantity": 2, "type": 4}
    base.update(fields)
    return base


def wait_for(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


# -- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [f"{COMPANY}:sandbox-key", base64.b64encode(f"{COMPANY}:sandbox-key".encode()).decode()],
    ids=["literal", "base64"],
)
def test_literal_and_base64_basic_auth_are_accepted(client, box, settings, token):
    settings.SANDBOX_API_KEY = "sandbox-key"

    response = client.put(STOCK, "[]", content_type="application/json", HTTP_AUTHORIZATION=f"Basic {token}")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "Basic 99999:wrong", "Basic 12345:sandbox-key", "Bearer 99999:sandbox-key", "Basic !!notbase64", "Basic "],
)
def test_bad_credentials_get_the_docs_answer(client, box, settings, header):
    settings.SANDBOX_API_KEY = "sandbox-key"
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}

    response = client.post(ORDERS, json.dumps(an_order()), content_type="application/json", **extra)

    assert response.status_code == 400
    assert response.json() == AUTH_FAILED
    assert box.orders == {}


def test_the_client_with_a_wrong_key_is_told_so(sandbox_server, box):
    urls = cg_sandbox.base_url(sandbox_server.url)
    with (
        CustomGatewayClient(company_ref_id=COMPANY, api_key="wrong", **urls) as wrong,
        pytest.raises(CredentialsRejected) as caught,
    ):
        wrong.create_order(an_order())

    assert caught.value.code == 50000


# -- orders --------------------------------------------------------------------------------------


def test_create_then_a_status_callback_reaches_the_callback_url(cg, box, echo):
    (created,) = cg.create_order(an_order(status_callback_url=echo + "callbacks"))

    attempts = cg_sandbox.emit_status(created["id"], 8, tracking="TRACK123", carrier="Royal Mail", method="RM1")

    assert created["external_ref"] == "TEST001"
    assert created["has_error"] is False
    assert [i["external_ref"] for i in created["items"]] == ["ITEM001"]
    assert [(a["url"], a["status_code"]) for a in attempts] == [(echo + "callbacks", 200)]
    (request,) = box.echo_requests
    assert request["method"] == "PUT"
    assert request["path"] == "/sandbox/custom-gateway/echo/callbacks"
    body = json.loads(request["body"])
    assert body == {
        "id": created["id"],
        "external_ref": "TEST001",
        "ref": created["ref"],
        "status": 8,
        "status_name": "Dispatched",
        "shipping_tracking": "TRACK123",
        "shipping_method": "RM1",
        "shipping_carrier": "Royal Mail",
    }
    assert box.orders[created["id"]].status == 8


def test_a_failing_callback_is_retried_then_given_up(cg, box, echo):
    (created,) = cg.create_order(an_order(status_callback_url=echo))
    box.echo_fail_next(500, times=2)

    retried = cg_sandbox.emit_status("TEST001", 1, extra={"note": "hello"})
    box.echo_fail_next(503, times=10)
    given_up = cg_sandbox.emit_status(created["id"], 128, retries=2)

    assert [a["status_code"] for a in retried] == [500, 500, 200]
    assert [a["status_code"] for a in given_up] == [503, 503, 503]
    assert len(box.callback_attempts) == 6
    assert json.loads(box.echo_requests[0]["body"])["note"] == "hello"
    assert json.loads(box.echo_requests[-1]["body"])["status_name"] == "Cancelled"


def test_the_control_endpoint_sends_the_callback_in_the_background(cg, box, echo, sandbox_server):
    (created,) = cg.create_order(an_order(status_callback_url=echo))
    url = f"{sandbox_server.url}/sandbox/custom-gateway/control/orders/{created['id']}/status"

    response = requests.post(url, json={"status": 515, "tracking": "T1", "carrier": "DPD"}, timeout=5)

    assert response.status_code == 202
    request = wait_for(lambda: box.echo_requests and box.echo_requests[0])
    body = json.loads(request["body"])
    assert (body["status"], body["status_name"], body["shipping_tracking"]) == (515, ORDER_STATUSES[515], "T1")
    unknown = requests.post(url.replace(str(created["id"]), "NOPE"), json={"status": 8}, timeout=5)
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"items": []}, 8000),
        ({"sale_datetime": "2017-01-01T12:00:43Z"}, 8011),
        ({"sale_datetime": "2999-01-01 00:00:00"}, 8011),
        ({"status_callback_url": "not a url"}, 8012),
        ({"status_callback_url": "ftp://example.com/cb"}, 8012),
        ({"shipping_country_code": "UK"}, 8013),
        ({"shipping_country_code": "gb"}, 8013),
        ({"required_dispatch_date": "2017-01-01"}, 8014),
        ({"required_dispatch_date": "01/01/2030"}, 8014),
        ({"external_ref": ""}, 8031),
        ({"shipping_address_1": None}, 8032),
        ({"shipping_postcode": " "}, 8033),
        ({"shipping_country_code": ""}, 8034),
        ({"items": [item(type=6)]}, 8040),
        ({"items": [item(type="2")]}, 8040),
        ({"items": [item(quantity=0)]}, 8041),
        ({"items": [item(quantity=-1)]}, 8041),
        ({"items": [item(quantity="1")]}, 8041),
        ({"items": [item(type=2, print_job_ref="nope")]}, 8043),
        ({"items": [item(external_ref="")]}, 8050),
        ({"items": [item(type=2)]}, 8051),
        ({"items": [item(type=5)]}, 8052),
        ({"items": [item(type=1, external_thumbnail_url="https://x.test/t.png")]}, 8053),
        ({"items": [item(type=1, external_url="https://x.test/a.png")]}, 8054),
        ({"items": [item(type=7)]}, 8053),
        ({"items": [item(type=7, external_urls=[{"thumbnail": "https://x.test/t", "name": "Front"}])]}, 8053),
        ({"items": [item(type=7, external_urls=[{"fullsize": "https://x.test/f", "name": "Front"}])]}, 8054),
        (
            {
                "items": [
                    item(type=7, external_urls=[{"fullsize": "https://x.test/f", "thumbnail": "https://x.test/t"}])
                ]
            },
            0,
        ),
        ({"items": [item(type=3)]}, 0),
        ({"shipping_note_url": "example.com/note.pdf"}, 0),
    ],
)
def test_validation_answers_the_docs_codes(cg, box, change, code):
    with pytest.raises(OrderRejected) as caught:
        cg.create_order(an_order(**change))

    assert caught.value.code == code
    assert caught.value.status == 400
    assert box.orders == {}


def test_valid_item_types_are_accepted(cg, box):
    items = [
        item(
            external_ref="A", type=1, external_url="https://x.test/a.png", external_thumbnail_url="https://x.test/t.png"
        ),
        item(external_ref="B", type=2, print_job_ref="44EEEA752F59C3A3B1"),
        item(external_ref="C", type=3, print_on_demand_ref="POD-1"),
        item(external_ref="D", type=4),
        item(external_ref="E", type=5, textual_product_id=1007644),
        item(
            external_ref="F",
            type=7,
            external_urls=[{"fullsize": "https://x.test/f", "thumbnail": "https://x.test/t", "name": "Front"}],
        ),
    ]

    (created,) = cg.create_order(an_order(items=items, required_dispatch_date=datetime.now(UTC).strftime("%Y-%m-%d")))

    assert [i["external_ref"] for i in created["items"]] == ["A", "B", "C", "D", "E", "F"]


@pytest.mark.parametrize(("company_ref_id", "code"), [("", 8030), (None, 8030), (12345, 50000), (99999, None)])
def test_the_company_ref_id_in_the_body(client, box, settings, company_ref_id, code):
    # The client always fills it in, so the raw view is asked.
    auth = f"Basic {COMPANY}:{settings.SANDBOX_API_KEY}"
    body = json.dumps(an_order(company_ref_id=company_ref_id))

    response = client.post(ORDERS, body, content_type="application/json", HTTP_AUTHORIZATION=auth)

    if code is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert response.json()["error"]["code"] == code


def test_invalid_json_is_code_100(client, box, settings):
    auth = f"Basic {COMPANY}:{settings.SANDBOX_API_KEY}"

    response = client.post(ORDERS, "{not json", content_type="application/json", HTTP_AUTHORIZATION=auth)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


def test_items_on_two_suppliers_split_the_order(cg, box):
    items = [item(external_ref="A"), item(external_ref="B", sku="SPLIT-POSTER"), item(external_ref="C")]

    created = cg.create_order(an_order("TEST002", items=items))

    assert len(created) == 2
    assert {order["external_ref"] for order in created} == {"TEST002"}
    assert [[i["external_ref"] for i in order["items"]] for order in created] == [["A", "C"], ["B"]]
    assert created[0]["id"] != created[1]["id"]


def test_an_administrative_error_creates_the_order_in_qc_query(cg, box):
    (qc,) = cg.create_order(an_order("QC1", shipping_company="QC"))
    by_sku = cg.create_order(an_order("QC2", items=[item(external_ref="A"), item(external_ref="B", sku="SPLIT-QC")]))
    (sku_qc,) = cg.create_order(an_order("QC3", items=[item(sku="QC-BROKEN")]))

    assert qc["has_error"] is True
    assert qc["error_message"] == "Failed to split order due to invalid supplier information"
    assert box.orders[qc["id"]].status == 32
    assert [order["has_error"] for order in by_sku] == [False, False]
    assert sku_qc["has_error"] is True and box.orders[sku_qc["id"]].status == 32


def test_a_duplicate_external_ref_is_order_already_exists(cg, box):
    cg.create_order(an_order("DUP1"))

    with pytest.raises(OrderAlreadyExists) as caught:
        cg.create_order(an_order("DUP1"))

    assert caught.value.code == 8001
    assert len(box.orders) == 1


def test_the_rate_limit_hook(cg, box):
    box.rate_limit_next(2)

    for _ in range(2):
        with pytest.raises(RateLimitedByVendor) as caught:
            cg.create_order(an_order("RL1"))
        assert caught.value.code == 50004
    created = cg.create_order(an_order("RL1"))

    assert len(created) == 1


def test_a_timeout_after_creation_is_reconciled_by_8001(sandbox_server, box, settings):
    box.slow_seconds = 1.5
    box.timeout_after_create_next()
    urls = cg_sandbox.base_url(sandbox_server.url)
    impatient = CustomGatewayClient(company_ref_id=COMPANY, api_key=settings.SANDBOX_API_KEY, read_timeout=0.5, **urls)

    with impatient, pytest.raises(VendorRetryable, match="did not answer in time"):
        impatient.create_order(an_order("SLOW1"))
    with impatient, pytest.raises(OrderAlreadyExists):
        impatient.create_order(an_order("SLOW1"))

    assert [order.external_ref for order in box.orders.values()] == ["SLOW1"]


def test_a_gateway_timeout_after_creation(cg, box):
    box.timeout_after_create_next(status=504)

    with pytest.raises(CustomGatewayServerError) as caught:
        cg.create_order(an_order("GW1"))
    with pytest.raises(OrderAlreadyExists):
        cg.create_order(an_order("GW1"))

    assert caught.value.status == 504
    assert len(box.orders) == 1


def test_fail_next_500_is_the_docs_internal_error(cg, box):
    box.fail_next("orders", 500)

    with pytest.raises(CustomGatewayServerError) as caught:
        cg.create_order(an_order())

    assert caught.value.vendor_message.startswith("An unexpected error occured ")
    assert len(caught.value.vendor_message.rsplit(" ", 1)[1]) == 32
    assert caught.value.vendor_message in str(caught.value)
    assert box.orders == {}


# -- shipping and labels --------------------------------------------------------------------------


def test_ship_returns_a_pdf_label_showing_the_address_and_tracking(cg, box):
    (created,) = cg.create_order(an_order("SHIP1", items=[item(external_ref="A", quantity=3)]))

    (shipment,) = cg.ship_order(created["id"])
    buffer = io.BytesIO()
    result = cg.download_label(shipment["label_url"], buffer)

    assert shipment["items"] == [
        {"id": created["items"][0]["id"], "order_id": created["id"], "quantity": 3, "quantity_shipped": 3}
    ]
    assert shipment["tracking"] and shipment["carrier"]
    assert buffer.getvalue().startswith(b"%PDF")
    assert result.content_type == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(buffer.getvalue()), strict=True).pages[0].extract_text()
    for shown in (shipment["tracking"], "Ada Lovelace", "Pinewood Court", "SK10 2XR", "GB"):
        assert shown in text
    assert box.orders[created["id"]].status == 8


def test_an_order_with_several_lines_ships_in_two_shipments(cg, box):
    items = [item(external_ref="A"), item(external_ref="B"), item(external_ref="C")]
    (created,) = cg.create_order(an_order("SHIP2", items=items))

    shipments = cg.ship_order(created["id"])

    assert len(shipments) == 2
    assert [[i["id"] for i in s["items"]] for s in shipments] == [
        [created["items"][0]["id"]],
        [created["items"][1]["id"], created["items"][2]["id"]],
    ]
    assert shipments[0]["tracking"] != shipments[1]["tracking"]


def test_a_png_label(cg, box):
    box.label_format = "png"
    (created,) = cg.create_order(an_order("SHIP3"))

    (shipment,) = cg.ship_order(created["id"])
    buffer = io.BytesIO()
    cg.download_label(shipment["label_url"], buffer)

    assert shipment["label_url"].endswith(".png")
    assert buffer.getvalue().startswith(b"\x89PNG\r\n\x1a\n")


def test_shipping_an_unknown_or_shipped_order_is_refused(cg, box):
    (created,) = cg.create_order(an_order("SHIP4"))
    cg.ship_order(created["id"])

    with pytest.raises(OrderRejected) as unknown:
        cg.ship_order(123)
    with pytest.raises(OrderRejected) as again:
        cg.ship_order(created["id"])

    assert (unknown.value.code, again.value.code) == (0, 0)
    assert "not found" in unknown.value.vendor_message
    assert "already been shipped" in again.value.vendor_message


# -- stock ---------------------------------------------------------------------------------------


def test_stock_levels_are_stored(cg, box):
    answer = cg.update_stock([("ABC", 10), ("DEF", 12)])
    cg.update_stock([("ABC", 0)])

    assert answer == {"updated": 2, "skus": ["ABC", "DEF"]}
    assert box.stock == {"ABC": 0, "DEF": 12}
    assert len(box.stock_updates) == 2


@pytest.mark.parametrize(
    "body",
    [
        "{",
        '{"sku": "ABC"}',
        '[{"sku": "ABC"}]',
        '[{"sku": "", "data": {"quantity_available": 1}}]',
        '[{"sku": "ABC", "data": {"quantity_available": -1}}]',
        '[{"sku": "ABC", "data": {"quantity_available": "1"}}]',
        '["ABC"]',
    ],
)
def test_a_malformed_stock_body_is_code_100(client, box, settings, body):
    auth = f"Basic {COMPANY}:{settings.SANDBOX_API_KEY}"

    response = client.put(STOCK, body, content_type="application/json", HTTP_AUTHORIZATION=auth)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100
    assert box.stock == {}


# -- order pushes ----------------------------------------------------------------------------------


def test_a_pushed_order_is_signed_over_its_raw_bytes(sandbox_server, box, echo):
    status = cg_sandbox.push_order(echo + "push", "supplier-hmac-key")

    assert status == 200
    (request,) = box.echo_requests
    raw = request["body"]
    assert request["method"] == "POST"
    assert request["headers"]["Content-Type"] == "application/json"
    signature = request["headers"][PUSH_HMAC_HEADER]
    assert verify_push_signature("supplier-hmac-key", raw, signature)
    assert not verify_push_signature("another-key", raw, signature)
    # PHP's json_encode escapes "/": a body parsed and encoded again is not what was signed.
    assert b"\\/" in raw
    assert not verify_push_signature("supplier-hmac-key", json.dumps(json.loads(raw)).encode(), signature)
    order = json.loads(raw)
    expected_keys = {
        "id",
        "ref",
        "external_ref",
        "customer_name",
        "shipping_address_1",
        "shipping_address_2",
        "shipping_address_3",
        "shipping_address_4",
        "shipping_address_5",
        "shipping_postcode",
        "shipping_country_code",
        "shipping_carrier",
        "shipping_method",
        "items",
    }
    assert set(order) == expected_keys
    for pushed_item in order["items"]:
        assert set(pushed_item) == {"id", "type", "mapped_sku", "sku", "description", "quantity", "assets"}
        for asset in pushed_item["assets"]:
            assert set(asset) == {"name", "url", "description"}
            image = requests.get(asset["url"], timeout=5)
            assert image.status_code == 200
            assert image.content.startswith(b"\x89PNG")


def test_a_pushed_order_can_be_shipped(cg, box, echo):
    cg_sandbox.push_order(echo, "k", order={"items": [{"id": 1, "type": 4, "sku": "S", "quantity": 2, "assets": []}]})
    pushed = box.pushes[-1]["order"]

    (shipment,) = cg.ship_order(pushed["id"])

    assert shipment["items"] == [{"id": 1, "order_id": pushed["id"], "quantity": 2, "quantity_shipped": 2}]


def test_pushes_are_deterministic_after_a_reset(box, echo):
    cg_sandbox.push_order(echo, "k")
    first = cg_sandbox.sandbox().pushes[-1]["body"]
    cg_sandbox.reset()
    cg_sandbox.push_order(echo, "k")
    again = cg_sandbox.sandbox().pushes[-1]["body"]

    assert first == again


def test_the_control_push_endpoint(sandbox_server, box, echo):
    response = requests.post(
        f"{sandbox_server.url}/sandbox/custom-gateway/control/push",
        json={"push_url": echo, "hmac_key": "demo-key"},
        timeout=10,
    )

    assert response.status_code == 200
    assert response.json()["status_code"] == 200
    (request,) = box.echo_requests
    assert verify_push_signature("demo-key", request["body"], request["headers"][PUSH_HMAC_HEADER])
    assert response.json()["order"]["id"] == json.loads(request["body"])["id"]


def test_base_url_and_the_root_page(client, sandbox_server, box):
    urls = cg_sandbox.base_url(sandbox_server.url + "/")

    assert urls == {
        "orders_url": f"{sandbox_server.url}/sandbox/custom-gateway/order",
        "shipping_url": f"{sandbox_server.url}/sandbox/custom-gateway/order/{{order_id}}/shipment",
        "stock_url": f"{sandbox_server.url}/sandbox/custom-gateway/stock/availability",
    }
    assert client.get("/sandbox/custom-gateway/").json()["company_ref_id"] == COMPANY
