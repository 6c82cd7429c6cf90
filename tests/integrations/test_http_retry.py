"""Which vendor answers are asked again, and which are final (vendor HTTP faked with `responses`,
which runs urllib3's Retry of the session's adapter, Retry-After included)."""

from __future__ import annotations

import json

import pytest
import requests
import responses
import urllib3.util.retry

from integrations.http import RETRY_AFTER_MAX, VendorBadResponse, VendorClient, VendorRejected, VendorRetryable
from integrations.mycustomizer.client import KickflipClient
from integrations.qstomizer.client import HdQuotaExceeded, QstomizerClient

BASE_URL = "https://api.test/v3"
ORDERS_URL = f"{BASE_URL}/orders"
ORDER_URL = f"{BASE_URL}/order"
HD_URL = "https://api.test/backend/index.php?page=apiGenerateDesign&id_order=1&sideid=8000"
ROW = {"order_id": 1, "order_date": "2026/01/01 10:00", "status_id": 1, "status_date": "2026/01/01 10:00"}


def envelope(data) -> dict:
    return {"statusCode": 200, "body": {"version": 3, "error": False, "error_message": "", "data": data}}


LIST_BODY = json.dumps(envelope([ROW]))
DETAIL_BODY = json.dumps(envelope({"status_id": 1, "sides": []}))


@pytest.fixture
def client():
    with QstomizerClient(api_key="k-123456", shop="s.myshopify.com", base_url=BASE_URL, backoff=0, retries=3) as c:
        yield c


@pytest.fixture
def vendor():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def policy(session: requests.Session) -> urllib3.util.retry.Retry:
    return session.get_adapter(BASE_URL).max_retries


def retry_after_wait(session: requests.Session, value: str) -> float | None:
    """How long the session's policy would sleep for a 429 with `Retry-After: value`."""
    answer = urllib3.HTTPResponse(body=b"", status=429, headers={"Retry-After": value}, preload_content=False)
    return policy(session).get_retry_after(answer)


def list_page(client):
    from datetime import UTC, datetime

    return client.list_page(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))


# -- 429 and 5xx on list and detail calls ----------------------------------------------------


def test_a_plain_429_on_the_list_call_is_asked_again(client, vendor):
    vendor.get(ORDERS_URL, status=429, body="Too Many Requests")
    vendor.get(ORDERS_URL, body=LIST_BODY, content_type="application/json")

    assert [row["order_id"] for row in list_page(client)] == [1]
    assert len(vendor.calls) == 2


def test_a_429_with_retry_after_waits_as_told_then_succeeds(client, vendor):
    vendor.get(ORDER_URL, status=429, body="slow down", headers={"Retry-After": "2"})
    vendor.get(ORDER_URL, body=DETAIL_BODY, content_type="application/json")

    assert client.customization(1)["status_id"] == 1
    assert len(vendor.calls) == 2
    # The wait is the vendor's (2 s), and a six-hour one is cut to RETRY_AFTER_MAX.
    assert policy(client.session).is_retry("GET", 429, has_retry_after=True)
    assert retry_after_wait(client.session, "2") == 2
    assert retry_after_wait(client.session, "21600") == RETRY_AFTER_MAX


def test_a_long_retry_after_is_capped_and_a_429_that_stays_is_retry_later(client, vendor):
    vendor.get(ORDER_URL, status=429, body="slow down", headers={"Retry-After": "21600"})

    with pytest.raises(VendorRetryable) as caught:
        client.customization(1)

    assert caught.value.status == 429
    assert not isinstance(caught.value, VendorRejected)
    assert len(vendor.calls) == 4  # the first try and retries=3


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_the_detail_call_is_asked_again(client, vendor, status):
    vendor.get(ORDER_URL, status=status, body="oops")
    vendor.get(ORDER_URL, body=DETAIL_BODY, content_type="application/json")

    assert client.customization(1)["sides"] == []
    assert len(vendor.calls) == 2


def test_kickflip_listing_429_is_asked_again(vendor):
    url = "https://kf.test/brands/acme/orders"
    page = {"results": [], "pagination": {"lastIndex": 0, "collectionSize": 0, "resultSize": 0}}
    vendor.get(url, status=429, body="{}", headers={"Retry-After": "1"})
    vendor.get(url, json=page)
    with KickflipClient(token="t-123456", company="acme", base_url="https://kf.test", backoff=0, retries=2) as kf:
        assert list(kf.iter_orders()) == []
    assert len(vendor.calls) == 2


# -- Qstomizer HD: 429 is the monthly quota, final --------------------------------------------


def test_hd_quota_exceeded_is_final_and_asked_once_even_with_retry_after(client, vendor):
    vendor.get(HD_URL, status=429, json={"ok": False, "error": "quota_exceeded"}, headers={"Retry-After": "5"})

    with pytest.raises(HdQuotaExceeded):
        client.hd_design(HD_URL)

    assert len(vendor.calls) == 1
    assert not policy(client.hd_session).is_retry("GET", 429, has_retry_after=True)


def test_hd_503_generation_failed_is_still_asked_again(client, vendor):
    vendor.get(HD_URL, status=503, json={"ok": False, "error": "The HD file generation failed"})
    vendor.get(HD_URL, json={"ok": True, "url": "https://files.test/a.png", "expires_at": None, "cached": False})

    assert client.hd_design(HD_URL).url == "https://files.test/a.png"
    assert len(vendor.calls) == 2


# -- bodies cut short or unreadable on a GET ---------------------------------------------------


@pytest.mark.parametrize(
    "broken",
    [
        {"body": LIST_BODY[: len(LIST_BODY) // 2], "content_type": "application/json"},
        {"body": requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead(120 bytes read)")},
        {"body": json.dumps({"statusCode": 200, "body": '{"version": 3, "data": [{"order_'})},
    ],
    ids=["truncated-json", "cut-short-on-the-wire", "body-string-cut"],
)
def test_a_body_cut_short_is_asked_again(client, vendor, broken):
    vendor.get(ORDERS_URL, **broken)
    vendor.get(ORDERS_URL, body=LIST_BODY, content_type="application/json")

    assert [row["order_id"] for row in list_page(client)] == [1]
    assert len(vendor.calls) == 2


def test_a_body_that_stays_unreadable_ends_in_a_clear_bad_response(client, vendor):
    vendor.get(ORDER_URL, body='{"statusCode": 200, "body": {"data": {"sid', content_type="application/json")

    with pytest.raises(VendorBadResponse) as caught:
        client.customization(1)

    assert "not valid JSON" in str(caught.value)
    assert len(vendor.calls) == client.body_retries + 1 == 4


def test_a_body_cut_short_on_the_wire_that_stays_says_so(client, vendor):
    vendor.get(ORDER_URL, body=requests.exceptions.ChunkedEncodingError("IncompleteRead"))

    with pytest.raises(VendorBadResponse) as caught:
        client.customization(1)

    assert "cut short" in str(caught.value)
    assert len(vendor.calls) == 4


# -- a POST is never repeated ------------------------------------------------------------------


class _PostingClient(VendorClient):
    vendor = "Test"
    session_retries_429 = True
    retry_on_429 = True


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_post_is_never_retried(vendor, status):
    vendor.post(f"{BASE_URL}/things", status=status, body="no", headers={"Retry-After": "1"})
    with _PostingClient(base_url=BASE_URL, backoff=0, retries=3) as poster, pytest.raises(VendorRetryable):
        poster.request("POST", "things", json={"a": 1})
    assert len(vendor.calls) == 1


def test_a_post_whose_answer_is_cut_short_is_not_sent_again(vendor):
    vendor.post(f"{BASE_URL}/things", body=requests.exceptions.ChunkedEncodingError("IncompleteRead"))
    with _PostingClient(base_url=BASE_URL, backoff=0, retries=3) as poster, pytest.raises(VendorBadResponse):
        poster.request("POST", "things", json={"a": 1})
    assert len(vendor.calls) == 1
