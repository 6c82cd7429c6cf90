"""CustomGatewayClient against vendor HTTP faked at the boundary with `responses`, and the HMAC
helpers. Payloads come from the vendor doc's examples (tests/fixtures/custom_gateway/)."""

from __future__ import annotations

import base64
import io
import json
import re
import traceback
from pathlib import Path

import pytest
import requests
import responses

from integrations.custom_gateway.client import (
    CredentialsRejected,
    CustomGatewayClient,
    CustomGatewayError,
    CustomGatewayServerError,
    OrderAlreadyExists,
    OrderRejected,
    RateLimitedByVendor,
    iter_stock_batches,
)
from integrations.custom_gateway.types import (
    DEFAULT_ORDERS_URL,
    DEFAULT_SHIPPING_URL,
    DEFAULT_STOCK_URL,
    ERROR_CODES,
    ITEM_TYPES,
    ORDER_STATUSES,
    hmac_sha256_hex,
    verify_push_signature,
)
from integrations.http import VendorBadResponse, VendorError, VendorRejected, VendorRetryable

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "custom_gateway"
COMPANY = "99999"
API_KEY = "k3y-SECRET-abcdef0123456789"
ORDERS_URL = "https://cg.test/order"
SHIPPING_URL = "https://cg.test/order/{order_id}/shipment"
STOCK_URL = "https://cg.test/stock/availability"


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def make_client(**kwargs) -> CustomGatewayClient:
    options = {
        "company_ref_id": COMPANY,
        "api_key": API_KEY,
        "orders_url": ORDERS_URL,
        "shipping_url": SHIPPING_URL,
        "stock_url": STOCK_URL,
        "backoff": 0,
        "retries": 2,
    }
    options.update(kwargs)
    return CustomGatewayClient(**options)


@pytest.fixture
def client():
    with make_client() as client:
        yield client


@pytest.fixture
def vendor():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def assert_no_secret(exc: BaseException) -> None:
    encoded = base64.b64encode(f"{COMPANY}:{API_KEY}".encode()).decode()
    texts = [str(exc), repr(exc), getattr(exc, "excerpt", ""), "".join(traceback.format_exception(exc))]
    for text in texts:
        assert API_KEY not in text
        assert encoded not in text


# -- vocabulary ----------------------------------------------------------------------------------


def test_every_documented_error_code_has_a_staff_sentence():
    documented = {0, 100, 8000, 8001, 8011, 8012, 8013, 8014, 8030, 8031, 8032, 8033, 8034}
    documented |= {8040, 8041, 8042, 8043, 8050, 8051, 8052, 8053, 8054, 50000, 50001, 50002, 50003, 50004}

    assert set(ERROR_CODES) == documented
    assert all(text.endswith(".") and len(text) > 20 for text in ERROR_CODES.values())


def doc_table(heading: str) -> dict[int, str]:
    """One code table of the vendor doc (tests/fixtures/custom_gateway/doc_codes.txt, copied
    verbatim from custom-gateway-api.txt): code -> the rest of its line, "Name Description"."""
    lines = (FIXTURES / "doc_codes.txt").read_text().split(heading, 1)[1].splitlines()[1:]
    table = {}
    for line in lines:
        found = re.match(r"(\d+)†? (.+)", line)
        if not found:
            break
        table[int(found[1])] = found[2]
    return table


@pytest.mark.parametrize(
    ("ours", "heading"),
    [(ORDER_STATUSES, "Status Code Status Name Description"), (ITEM_TYPES, "Type Code Name Description")],
    ids=["order statuses", "item types"],
)
def test_statuses_and_item_types_are_the_docs(ours, heading):
    documented = doc_table(heading)

    assert documented, "the doc's table was not found"
    assert set(ours) == set(documented)  # every code of the doc, and no other
    for code, name in ours.items():
        # The doc's line is "<code> <name> <description>": ours is the name as the doc writes it.
        assert documented[code].startswith(f"{name} "), (code, name, documented[code])


def test_the_default_urls_are_https_and_the_shipping_one_takes_an_order_id():
    for url in (DEFAULT_ORDERS_URL, DEFAULT_SHIPPING_URL, DEFAULT_STOCK_URL):
        assert url.startswith("https://")
    assert DEFAULT_SHIPPING_URL.format(order_id=42).endswith("/order/42/shipment")
    with CustomGatewayClient(company_ref_id=COMPANY, api_key=API_KEY) as default:
        assert (default.orders_url, default.shipping_url, default.stock_url) == (
            DEFAULT_ORDERS_URL,
            DEFAULT_SHIPPING_URL,
            DEFAULT_STOCK_URL,
        )


# -- authentication ------------------------------------------------------------------------------


def test_the_header_is_sent_literally_by_default(client, vendor):
    vendor.post(ORDERS_URL, json=fixture("order_created.json"))

    client.create_order(fixture("order_request.json"))

    assert vendor.calls[0].request.headers["Authorization"] == f"Basic {COMPANY}:{API_KEY}"


def test_the_header_can_be_base64_as_rfc_7617(vendor):
    vendor.post(ORDERS_URL, json=fixture("order_created.json"))

    with make_client(auth_style="base64") as client:
        client.create_order(fixture("order_request.json"))

    header = vendor.calls[0].request.headers["Authorization"]
    scheme, token = header.split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == f"{COMPANY}:{API_KEY}"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"auth_style": "bearer"},
        {"api_key": ""},
        {"company_ref_id": ""},
        {"shipping_url": "https://cg.test/order/shipment"},
    ],
)
def test_a_misconfigured_client_is_refused(kwargs):
    with pytest.raises(ValueError):
        make_client(**kwargs)


@pytest.mark.parametrize("auth_style", ["literal", "base64"])
def test_no_credential_in_errors_even_when_the_vendor_echoes_it(vendor, auth_style):
    with make_client(auth_style=auth_style) as client:
        header = client.session.headers["Authorization"]
        vendor.post(ORDERS_URL, status=400, json={"error": {"code": 50000, "message": f"Bad header {header}"}})
        with pytest.raises(CredentialsRejected) as caught:
            client.create_order(fixture("order_request.json"))

    assert_no_secret(caught.value)
    assert "***" in caught.value.vendor_message


# -- create_order ----------------------------------------------------------------------------------


def test_create_order_posts_the_order_and_returns_the_created_orders(client, vendor):
    vendor.post(ORDERS_URL, json=fixture("order_created.json"))
    order = fixture("order_request.json")

    created = client.create_order(order)

    assert created == fixture("order_created.json")
    sent = json.loads(vendor.calls[0].request.body)
    assert sent == {**order, "company_ref_id": 99999}
    assert vendor.calls[0].request.headers["Content-Type"] == "application/json"
    assert "company_ref_id" not in order  # the caller's dict is left alone


def test_create_order_keeps_a_matching_company_ref_id_and_refuses_another(client, vendor):
    vendor.post(ORDERS_URL, json=fixture("order_created.json"))

    client.create_order({**fixture("order_request.json"), "company_ref_id": "99999"})
    with pytest.raises(ValueError, match="company_ref_id"):
        client.create_order({**fixture("order_request.json"), "company_ref_id": 12345})

    assert json.loads(vendor.calls[0].request.body)["company_ref_id"] == "99999"
    assert len(vendor.calls) == 1


def test_a_split_order_comes_back_as_several_orders(client, vendor):
    vendor.post(ORDERS_URL, json=fixture("order_created_split.json"))

    created = client.create_order(fixture("order_request.json"))

    assert [order["id"] for order in created] == [4201338, 4201339]
    assert {order["external_ref"] for order in created} == {"TEST002"}
    assert [item["external_ref"] for order in created for item in order["items"]] == ["ITEM001", "ITEM002"]


def test_an_administrative_error_is_a_created_order_not_an_exception(client, vendor):
    vendor.post(ORDERS_URL, json=fixture("order_created_admin_error.json"))

    (created,) = client.create_order(fixture("order_request.json"))

    assert created["has_error"] is True
    assert created["error_message"] == "Failed to split order due to invalid supplier information"


def expected_class(code: int) -> type[CustomGatewayError]:
    if code == 8001:
        return OrderAlreadyExists
    if code == 50004:
        return RateLimitedByVendor
    if code in (50000, 50001, 50002, 50003):
        return CredentialsRejected
    return OrderRejected


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_every_error_code_raises_its_class_with_the_staff_text(client, vendor, code):
    vendor.post(ORDERS_URL, status=400, json={"error": {"code": code, "message": f"vendor says {code}"}})

    with pytest.raises(CustomGatewayError) as caught:
        client.create_order(fixture("order_request.json"))

    exc = caught.value
    assert type(exc) is expected_class(code)
    assert exc.code == code
    assert exc.vendor_message == f"vendor says {code}"
    assert exc.status == 400
    assert ERROR_CODES[code] in str(exc)
    assert f"vendor says {code}" in str(exc)
    if code == 50004:
        assert isinstance(exc, VendorRetryable) and not isinstance(exc, VendorRejected)
    else:
        assert isinstance(exc, VendorRejected) and not isinstance(exc, VendorRetryable)
    assert len(vendor.calls) == 1


def test_the_docs_example_400_with_an_unlisted_code_is_a_rejection(client, vendor):
    vendor.post(ORDERS_URL, status=400, json=fixture("error_400.json"))

    with pytest.raises(OrderRejected) as caught:
        client.create_order(fixture("order_request.json"))

    assert caught.value.code == 12345
    assert "does not list" in str(caught.value)
    assert "A brief description of the problem" in str(caught.value)


def test_the_docs_auth_failure_body_is_credentials_rejected(client, vendor):
    vendor.post(ORDERS_URL, status=400, json=fixture("error_auth.json"))

    with pytest.raises(CredentialsRejected) as caught:
        client.create_order(fixture("order_request.json"))

    assert caught.value.code == 50000
    assert "Authentication failed" in str(caught.value)


def test_a_500_keeps_the_long_identifier_to_quote(client, vendor):
    vendor.post(ORDERS_URL, status=500, json=fixture("error_500.json"))

    with pytest.raises(CustomGatewayServerError) as caught:
        client.create_order(fixture("order_request.json"))

    exc = caught.value
    assert isinstance(exc, VendorRetryable)
    assert exc.code is None
    assert exc.vendor_message == "An unexpected error occured 84C1E94BAF83D9C2A43CFCCBC04FE937"
    assert "An unexpected error occured 84C1E94BAF83D9C2A43CFCCBC04FE937" in str(exc)
    assert len(vendor.calls) == 1  # a POST is never retried


def test_a_post_is_not_retried_on_503(client, vendor):
    vendor.post(ORDERS_URL, status=503, body="<html>Service Unavailable</html>")

    with pytest.raises(VendorRetryable) as caught:
        client.create_order(fixture("order_request.json"))

    assert len(vendor.calls) == 1
    assert caught.value.status == 503
    assert caught.value.code is None


def test_rate_limited_is_retryable_not_a_failed_order(client, vendor):
    vendor.post(
        ORDERS_URL,
        status=400,
        json={"error": {"code": 50004, "message": "Rate limit exceeded"}},
        headers={"Retry-After": "120"},
    )

    with pytest.raises(RateLimitedByVendor) as caught:
        client.create_order(fixture("order_request.json"))

    assert isinstance(caught.value, VendorRetryable)
    assert not isinstance(caught.value, VendorRejected)
    assert caught.value.retry_after == 120.0
    assert "rate limit" in str(caught.value).lower()


def test_a_timeout_is_retryable_and_the_post_is_sent_once(client, vendor):
    vendor.post(ORDERS_URL, body=requests.exceptions.ReadTimeout("read timed out"))

    with pytest.raises(VendorRetryable, match="did not answer in time"):
        client.create_order(fixture("order_request.json"))

    assert len(vendor.calls) == 1


def test_an_error_in_an_http_200_raises_just_the_same(client, vendor):
    vendor.post(ORDERS_URL, json={"error": {"code": 8001, "message": "duplicate"}})

    with pytest.raises(OrderAlreadyExists):
        client.create_order(fixture("order_request.json"))


@pytest.mark.parametrize(
    "body",
    ["not json", json.dumps([]), json.dumps({"orders": []}), json.dumps([{"ref": "no id"}]), json.dumps(["x"])],
)
def test_an_unreadable_answer_is_a_bad_response(client, vendor, body):
    vendor.post(ORDERS_URL, body=body, content_type="application/json")

    with pytest.raises(VendorBadResponse):
        client.create_order(fixture("order_request.json"))


def test_a_bare_order_object_is_read_as_one_order(client, vendor):
    vendor.post(ORDERS_URL, json=fixture("order_created.json")[0])

    assert client.create_order(fixture("order_request.json")) == fixture("order_created.json")


# -- ship_order ----------------------------------------------------------------------------------


def test_ship_order_posts_to_the_order_shipment_url_and_returns_shipments(client, vendor):
    vendor.post("https://cg.test/order/1234/shipment", json=fixture("shipments.json"))

    shipments = client.ship_order(1234)

    assert shipments == fixture("shipments.json")
    assert shipments[0]["label_url"] == "http://example.com/label.pdf"
    assert vendor.calls[0].request.method == "POST"
    assert vendor.calls[0].request.headers["Authorization"] == f"Basic {COMPANY}:{API_KEY}"


def test_ship_order_accepts_a_numeric_string_and_refuses_anything_else(client, vendor):
    vendor.post("https://cg.test/order/1234/shipment", json=fixture("shipments.json"))

    assert client.ship_order("1234")
    for bad in ("12/../34", "ABC", "", True, None):
        with pytest.raises(ValueError):
            client.ship_order(bad)
    assert len(vendor.calls) == 1


def test_ship_order_errors_map_like_orders(client, vendor):
    vendor.post("https://cg.test/order/99/shipment", status=400, json={"error": {"code": 0, "message": "nope"}})
    vendor.post("https://cg.test/order/98/shipment", status=502, body="bad gateway")

    with pytest.raises(OrderRejected) as rejected:
        client.ship_order(99)
    with pytest.raises(CustomGatewayServerError):
        client.ship_order(98)

    assert rejected.value.code == 0
    assert [call.request.url for call in vendor.calls].count("https://cg.test/order/98/shipment") == 1


def test_download_label_sends_no_credentials_to_the_label_host(client, vendor):
    vendor.get("https://labels.test/label.pdf", body=b"%PDF-1.4 fake", content_type="application/pdf")
    buffer = io.BytesIO()

    result = client.download_label("https://labels.test/label.pdf", buffer)

    assert buffer.getvalue() == b"%PDF-1.4 fake"
    assert result.size == len(b"%PDF-1.4 fake")
    assert "Authorization" not in vendor.calls[0].request.headers


# -- update_stock ----------------------------------------------------------------------------------


def test_update_stock_puts_the_docs_array(client, vendor):
    vendor.put(STOCK_URL, json={"updated": 2})

    answer = client.update_stock([("ABC", 10), ("DEF", 12)])

    assert answer == {"updated": 2}
    assert vendor.calls[0].request.method == "PUT"
    assert json.loads(vendor.calls[0].request.body) == fixture("stock_request.json")


@pytest.mark.parametrize(("body", "expected"), [(b"", None), (b"  ", None), (b"OK", "OK"), (b"[]", [])])
def test_update_stock_returns_what_the_vendor_said(client, vendor, body, expected):
    vendor.put(STOCK_URL, body=body)

    assert client.update_stock([("ABC", 0)]) == expected


def test_update_stock_is_retried_on_503_since_a_put_is_idempotent(client, vendor):
    vendor.put(STOCK_URL, status=503, body="busy")
    vendor.put(STOCK_URL, body=b"")

    assert client.update_stock([("ABC", 1)]) is None
    assert len(vendor.calls) == 2


def test_update_stock_errors_map_like_orders(client, vendor):
    vendor.put(STOCK_URL, status=400, json={"error": {"code": 100, "message": "Syntax error"}})

    with pytest.raises(OrderRejected) as caught:
        client.update_stock([("ABC", 1)])

    assert caught.value.code == 100
    assert ERROR_CODES[100] in str(caught.value)


@pytest.mark.parametrize(
    "levels",
    [
        [("", 1)],
        [("  ", 1)],
        [(None, 1)],
        [("ABC", -1)],
        [("ABC", 1.5)],
        [("ABC", "3")],
        [("ABC", True)],
        [("ABC",)],
        [("ABC", 1), ("ABC", 2)],
        "ABC",
        {"ABC": 1},
    ],
)
def test_update_stock_refuses_bad_levels_before_sending(client, vendor, levels):
    with pytest.raises(ValueError):
        client.update_stock(levels)

    assert len(vendor.calls) == 0


def test_stock_batches():
    levels = [(f"SKU-{n}", n) for n in range(250)]

    batches = list(iter_stock_batches(levels))
    small = list(CustomGatewayClient.iter_stock_batches(iter(levels[:5]), size=2))

    assert [len(batch) for batch in batches] == [100, 100, 50]
    assert [level for batch in batches for level in batch] == levels
    assert small == [[("SKU-0", 0), ("SKU-1", 1)], [("SKU-2", 2), ("SKU-3", 3)], [("SKU-4", 4)]]
    assert list(iter_stock_batches([])) == []
    for size in (0, -1, 1.5, True):
        with pytest.raises(ValueError):
            list(iter_stock_batches(levels, size))


def test_batches_go_out_one_put_each(client, vendor):
    vendor.put(STOCK_URL, body=b"")
    levels = [(f"SKU-{n}", n) for n in range(7)]

    for batch in iter_stock_batches(levels, size=3):
        client.update_stock(batch)

    sent = [json.loads(call.request.body) for call in vendor.calls]
    assert [len(body) for body in sent] == [3, 3, 1]
    assert sent[2] == [{"sku": "SKU-6", "data": {"quantity_available": 6}}]


# -- HMAC ----------------------------------------------------------------------------------------


PUSH_BODY = json.dumps(fixture("order_push.json")).encode()
PUSH_KEY = "push-hmac-key"


def test_hmac_matches_phps_hash_hmac():
    # hash_hmac('sha256', 'The quick brown fox jumps over the lazy dog', 'key')
    assert (
        hmac_sha256_hex("key", b"The quick brown fox jumps over the lazy dog")
        == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    )


def test_a_valid_signature_verifies_whatever_its_case():
    signature = hmac_sha256_hex(PUSH_KEY, PUSH_BODY)

    assert verify_push_signature(PUSH_KEY, PUSH_BODY, signature)
    assert verify_push_signature(PUSH_KEY, PUSH_BODY, f" {signature.upper()} ")


def test_a_flipped_byte_fails():
    signature = hmac_sha256_hex(PUSH_KEY, PUSH_BODY)
    tampered = bytearray(PUSH_BODY)
    tampered[10] ^= 0x01

    assert not verify_push_signature(PUSH_KEY, bytes(tampered), signature)
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert not verify_push_signature(PUSH_KEY, PUSH_BODY, flipped)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_header_fails(header):
    assert not verify_push_signature(PUSH_KEY, PUSH_BODY, header)


def test_another_key_fails_and_no_key_verifies_nothing():
    signature = hmac_sha256_hex(PUSH_KEY, PUSH_BODY)

    assert not verify_push_signature("another-key", PUSH_BODY, signature)
    assert not verify_push_signature("", PUSH_BODY, hmac_sha256_hex("", PUSH_BODY))
    assert not verify_push_signature(PUSH_KEY, PUSH_BODY, "é" * 64)


def test_errors_are_vendor_errors_with_a_code():
    for cls in (OrderRejected, OrderAlreadyExists, CredentialsRejected, RateLimitedByVendor, CustomGatewayServerError):
        exc = cls("x", vendor="Custom Gateway", code=7)
        assert isinstance(exc, VendorError)
        assert exc.code == 7
        assert exc.vendor_message == ""
