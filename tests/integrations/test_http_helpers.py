"""The shared parts of integrations/http.py every client is built on: the retry builder, the
error-in-a-200 and bad-response helpers, the project's HTTP options, and errors that survive
pickling (Celery pickles the exception a task stopped on before `on_failure` sees it)."""

import pickle

import pytest
import requests
import responses

from integrations.custom_gateway.client import CustomGatewayClient, RateLimitedByVendor
from integrations.http import (
    DownloadExpired,
    VendorBadResponse,
    VendorClient,
    VendorRejected,
    VendorRetryable,
    VendorUnreadableBody,
    http_options,
    retry_policy,
)
from integrations.mycustomizer.client import KickflipClient
from integrations.qstomizer.client import HdQuotaExceeded, QstomizerClient
from integrations.registry import HttpOptions

BASE = "https://vendor.test"


@pytest.mark.parametrize(
    "error",
    [
        VendorRetryable("timeout", vendor="V", status=503, excerpt="busy"),
        VendorRejected("refused", vendor="V", status=401),
        DownloadExpired("the link expired", vendor="V", status=403, url="https://cdn.test/file"),
        RateLimitedByVendor("[50004] slow down", vendor="CG", status=400, code=50004, retry_after=12.0),
        HdQuotaExceeded("monthly HD quota reached", vendor="Q", status=429),
    ],
)
def test_every_vendor_error_pickles_with_its_type_and_attributes(error):
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
    assert type(copy) is type(error)
    assert str(copy) == str(error) and vars(copy) == vars(error)


def test_the_retry_builder_retries_idempotent_calls_only_and_429_only_when_asked():
    plain = retry_policy(retries=3, backoff=0.5)
    limited = retry_policy(retries=3, backoff=0.5, retry_429=True)
    assert plain.total == 3 and "POST" not in plain.allowed_methods and "GET" in plain.allowed_methods
    assert not plain.is_retry("GET", 429, has_retry_after=True)  # a spent quota is not waited out
    assert limited.is_retry("GET", 429, has_retry_after=True) and limited.is_retry("GET", 429)
    assert not limited.is_retry("POST", 503)
    # What it builds is what a client's sessions use.
    with QstomizerClient(api_key="k-123456", shop="s.myshopify.com", base_url=BASE, retries=2) as client:
        assert client.session.get_adapter(BASE).max_retries.is_retry("GET", 429)
        assert not client.hd_session.get_adapter(BASE).max_retries.is_retry("GET", 429, has_retry_after=True)
        assert client.download_session.get_adapter(BASE).max_retries.allowed_methods == {"GET"}


def test_the_http_options_come_from_the_settings(settings):
    settings.VENDOR_HTTP_CONNECT_TIMEOUT, settings.VENDOR_HTTP_READ_TIMEOUT = 2.0, 9.0
    settings.VENDOR_HTTP_RETRIES, settings.VENDOR_HTTP_BACKOFF = 1, 0.25
    options = http_options(pool_size=16)
    assert vars(options) == {
        "connect_timeout": 2.0,
        "read_timeout": 9.0,
        "retries": 1,
        "backoff": 0.25,
        "pool_size": 16,
    }


@responses.activate
def test_an_error_in_a_200_raises_what_the_same_error_with_its_status_would():
    body = {"error": {"code": 8001, "message": "external_ref used"}}
    responses.post(f"{BASE}/orders", json=body, status=200)
    responses.post(f"{BASE}/orders-400", json=body, status=400)
    client = CustomGatewayClient(company_ref_id="9", api_key="cg-key-123", orders_url=f"{BASE}/orders")
    as_200 = client.error_in_body(requests.post(f"{BASE}/orders", json={}), status=400)
    as_400 = client.error_for(requests.post(f"{BASE}/orders-400", json={}))
    assert type(as_200) is type(as_400) and str(as_200) == str(as_400) and as_200.code == as_400.code == 8001


@responses.activate
def test_a_bad_response_says_what_was_wrong_with_an_excerpt_and_no_secret():
    token = "t-secret-123456"
    responses.get(f"{BASE}/brands/acme/orders", body=f"<html>proxy error for {token}</html>", status=200)
    with KickflipClient(token=token, company="acme", base_url=BASE, retries=0) as client:
        response = client.session.get(f"{BASE}/brands/acme/orders")
        error = client.bad_response(response, f"unexpected page ({token})")
        unreadable = client.bad_response(response, "not JSON", cls=VendorUnreadableBody)
    assert isinstance(error, VendorBadResponse) and isinstance(unreadable, VendorUnreadableBody)
    assert error.excerpt.startswith("<html>proxy error") and token not in error.excerpt + str(error)


def test_a_client_without_options_uses_the_http_options_defaults():
    client = VendorClient(base_url=BASE)
    defaults = HttpOptions()
    assert client.timeout == (defaults.connect_timeout, defaults.read_timeout)
