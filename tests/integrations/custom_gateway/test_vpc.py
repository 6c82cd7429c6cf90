"""Custom Gateway's Virtual Product Creator: the signed URL (the doc's worked example as a test
vector), the sandbox VPC checking it over HTTP, and the PRODUCTS_CREATED message's parsing."""

import hashlib
import hmac
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from integrations.custom_gateway import sandbox_vpc
from integrations.custom_gateway.vpc import (
    CustomGatewayProductCreator,
    VpcMessageInvalid,
    VpcNotConfigured,
    php_query,
    products_parse,
    signature,
    signed_query,
)
from integrations.registry import Capability, ConnectionConfig, spec_for

# The doc's example ("Calculating the HMAC Message Digest"): its input and digest did not survive
# in our copy, only the parameters and the key. The input is what the doc's PHP builds from them
# (http_build_query, in order); the digest was computed independently with
#   printf %s '<input>' | openssl dgst -sha512 -hmac AAAAAAAAAAAAAAAAAAAAAAAAAAA
DOC_PARAMS = [
    ("company_ref_id", 99999),
    ("approved_pc", 1),
    ("blanks_pc", 2),
    ("time", 1543581543),
    ("nonce", "randomstring"),
]
DOC_KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAA"
DOC_INPUT = "company_ref_id=99999&approved_pc=1&blanks_pc=2&time=1543581543&nonce=randomstring"
DOC_DIGEST = (
    "d5fd1ec2550823fe419c6f32094c159e712942a44e565e4df83d3d7794f08e83"
    "69a40600e3fa999d88da3e64b2e45f97f63ef3090ab2f1ca8215ad92e7859084"
)


def test_the_docs_example_gives_its_input_and_digest():
    assert php_query(DOC_PARAMS) == DOC_INPUT
    assert signature(DOC_INPUT, DOC_KEY) == DOC_DIGEST
    assert signed_query(DOC_PARAMS, DOC_KEY) == f"{DOC_INPUT}&hmac={DOC_DIGEST}"


def test_the_query_is_encoded_as_phps_http_build_query():
    # RFC 1738 as PHP's urlencode: ":" and "/" encoded, a space as "+", "~" as %7E.
    assert php_query([("origin", "https://shop.example:8443"), ("x", "a b~c")]) == (
        "origin=https%3A%2F%2Fshop.example%3A8443&x=a+b%7Ec"
    )


def config(**settings):
    values = {
        "company": "99999",
        "vpc_url": "https://vpc.example/vpc/",
        "vpc_approved_category": "1",
        "vpc_blanks_category": "2",
        **settings,
    }
    return ConnectionConfig(id=1, name="CG", kind="custom_gateway", settings=values, secrets={"api_key": DOC_KEY})


def test_frame_url_signs_every_parameter_in_the_docs_order_including_origin():
    url = CustomGatewayProductCreator.frame_url(config(), "https://bo.example", now=1543581543, nonce="randomstring")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://vpc.example/vpc/"
    pairs = parse_qsl(parts.query)
    assert [key for key, _ in pairs] == [
        "company_ref_id",
        "approved_pc",
        "blanks_pc",
        "time",
        "nonce",
        "origin",
        "hmac",
    ]
    signed, _, digest = parts.query.rpartition("&hmac=")
    assert signed == DOC_INPUT + "&origin=https%3A%2F%2Fbo.example"
    assert digest == hmac.new(DOC_KEY.encode(), signed.encode(), hashlib.sha512).hexdigest()
    assert CustomGatewayProductCreator.frame_origin(config()) == "https://vpc.example"


def test_each_load_gets_a_fresh_nonce_and_time():
    first = dict(parse_qsl(urlsplit(CustomGatewayProductCreator.frame_url(config(), "https://bo.example")).query))
    second = dict(parse_qsl(urlsplit(CustomGatewayProductCreator.frame_url(config(), "https://bo.example")).query))
    assert first["nonce"] != second["nonce"] and first["nonce"].isalnum() and len(first["nonce"]) == 16
    assert abs(int(first["time"]) - time.time()) < 5


def test_frame_url_says_what_is_missing():
    with pytest.raises(VpcNotConfigured, match="the VPC URL, the blanks category ID"):
        CustomGatewayProductCreator.frame_url(config(vpc_url="", vpc_blanks_category=""), "https://bo.example")


def test_custom_gateway_declares_the_product_creator():
    spec = spec_for("custom_gateway")
    assert spec.has(Capability.PRODUCT_CREATOR) and spec.product_creator is not None
    assert {"vpc_url", "vpc_approved_category", "vpc_blanks_category"} <= {s.name for s in spec.settings}


DOC_PRODUCT = {
    "id": 123456,
    "description": "My design",
    "name": "Dog mug",
    "retail_sku": "MUG-11OZ-V1",
    "snapshots": {"small": "https://cdn.example/s/123456.png"},
    "base_product": {"productCode": "MUG-11OZ"},
}


def test_products_created_is_read_with_the_docs_fields():
    (product,) = products_parse({"type": "PRODUCTS_CREATED", "body": [DOC_PRODUCT]})
    assert product.vendor_id == "123456"
    assert (product.name, product.description, product.retail_sku) == ("Dog mug", "My design", "MUG-11OZ-V1")
    assert product.snapshot_url == "https://cdn.example/s/123456.png"
    assert product.base_product_code == "MUG-11OZ"
    assert product.raw == DOC_PRODUCT
    # The same sent as a JSON string, with `event` for the type, or as the bare body array.
    assert products_parse('{"event": "PRODUCTS_CREATED", "body": [{"id": 1}]}')[0].vendor_id == "1"
    assert products_parse([{"id": 2}])[0].vendor_id == "2"


@pytest.mark.parametrize(
    "message, reason",
    [
        ({"type": "IFRAME_RESIZE", "body": []}, "not PRODUCTS_CREATED"),
        ({"type": "PRODUCTS_CREATED"}, "no list of products"),
        ({"type": "PRODUCTS_CREATED", "body": []}, "lists no product"),
        ({"type": "PRODUCTS_CREATED", "body": [{"name": "x"}]}, "product 1 has no id"),
        ({"type": "PRODUCTS_CREATED", "body": ["x"]}, "product 1 is not an object"),
        ("{not json", "not JSON"),
    ],
)
def test_an_unreadable_message_is_refused_in_words(message, reason):
    with pytest.raises(VpcMessageInvalid, match=reason):
        products_parse(message)


def test_a_snapshot_that_is_not_an_http_url_is_dropped():
    (product,) = products_parse([{**DOC_PRODUCT, "snapshots": {"small": "javascript:alert(1)"}}])
    assert product.snapshot_url == ""


# -- the sandbox VPC over HTTP ------------------------------------------------------------------


@pytest.fixture
def vpc(live_server, settings):
    sandbox_vpc.reset()
    yield ConnectionConfig(
        id=1,
        name="CG",
        kind="custom_gateway",
        settings={"company": settings.SANDBOX_CUSTOM_GATEWAY_COMPANY, **sandbox_vpc.vpc_settings(live_server.url)},
        secrets={"api_key": settings.SANDBOX_API_KEY},
    )
    sandbox_vpc.reset()


def test_the_sandbox_vpc_accepts_a_fresh_signature_once(vpc):
    url = CustomGatewayProductCreator.frame_url(vpc, "https://bo.example")
    response = requests.get(url, timeout=10)
    assert response.status_code == 200 and "Create products" in response.text
    assert "X-Frame-Options" not in response.headers  # framed by the back office
    again = requests.get(url, timeout=10)
    assert again.status_code == 403 and "nonce was used before" in again.text


def test_the_sandbox_vpc_refuses_a_stale_or_tampered_signature(vpc):
    stale = CustomGatewayProductCreator.frame_url(vpc, "https://bo.example", now=time.time() - 20)
    assert "older than 15 seconds" in requests.get(stale, timeout=10).text
    fresh = CustomGatewayProductCreator.frame_url(vpc, "https://bo.example")
    tampered = fresh.replace("approved_pc=1", "approved_pc=7")
    response = requests.get(tampered, timeout=10)
    assert response.status_code == 403 and "hmac does not match" in response.text
    wrong_key = ConnectionConfig(**{**vpc.__dict__, "secrets": {"api_key": "not-the-key"}})
    assert (
        requests.get(CustomGatewayProductCreator.frame_url(wrong_key, "https://x.example"), timeout=10).status_code
        == 403
    )


def test_the_sandbox_snapshot_is_a_600_pixel_png(vpc, live_server):
    from io import BytesIO

    from PIL import Image

    response = requests.get(f"{live_server.url}/sandbox/custom-gateway/vpc/snapshots/50001.png", timeout=10)
    assert Image.open(BytesIO(response.content)).size == (600, 600)
