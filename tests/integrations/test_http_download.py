"""VendorClient.download(): signed S3 / CDN links streamed to a file, faked with `responses`."""

from __future__ import annotations

import hashlib
import io
import logging
import random
import traceback

import pytest
import requests
import responses

from integrations.http import (
    DownloadExpired,
    DownloadResult,
    VendorError,
    VendorRejected,
    VendorRetryable,
)
from integrations.qstomizer.client import QstomizerClient

API_KEY = "secret-key-123"
FILE_URL = "https://bucket.s3.test/mystore/hd/order-1789921-side-8443.png"
SIGNATURE = "0f9e8d7c6b5a49382716fedcba9876543210abcdef"
QUERY = f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=900&X-Amz-Signature={SIGNATURE}"
SIGNED_URL = f"{FILE_URL}?{QUERY}"
EXPIRED_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>AccessDenied</Code><Message>Request has expired</Message>"
    "<X-Amz-Expires>900</X-Amz-Expires><Expires>2025-06-09T16:00:00Z</Expires></Error>"
)


@pytest.fixture
def client():
    # A vendor client whose own session carries the API key: none of it may reach the file host.
    with QstomizerClient(api_key=API_KEY, shop="mystore.myshopify.com", backoff=0, retries=2) as client:
        yield client


@pytest.fixture
def host():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def png_bytes(size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + random.Random(size).randbytes(size - 8)


def assert_no_signature(exc: VendorError) -> None:
    for text in (str(exc), exc.message, exc.excerpt, repr(exc), "".join(traceback.format_exception(exc))):
        assert SIGNATURE not in text
        assert QUERY not in text
        assert API_KEY not in text


def test_streams_the_file_and_reports_its_size_and_hash(client, host):
    body = png_bytes(300_000)
    host.get(FILE_URL, body=body, content_type="image/png", headers={"Content-Length": str(len(body))})
    target = io.BytesIO()

    result = client.download(SIGNED_URL, target, chunk=4096)

    assert target.getvalue() == body
    assert result == DownloadResult(
        size=len(body), sha256=hashlib.sha256(body).hexdigest(), content_type="image/png", url=FILE_URL
    )
    assert host.calls[0].request.url == SIGNED_URL  # the signed link is used as given


def test_the_file_host_gets_no_api_key_or_vendor_header(client, host):
    host.get(FILE_URL, body=b"png")

    client.download(SIGNED_URL, io.BytesIO())

    headers = {name.lower(): value for name, value in host.calls[0].request.headers.items()}
    assert not {"api_key", "x-api-key", "authorization", "cookie"} & set(headers)
    assert API_KEY not in repr(headers)
    assert client.session.headers["API_KEY"] == API_KEY  # the vendor session still has it


def test_503_then_200_is_retried_by_the_download_session(client, host):
    host.get(FILE_URL, status=503, body="Slow Down")
    host.get(FILE_URL, body=b"png-bytes")
    target = io.BytesIO()

    result = client.download(SIGNED_URL, target)

    assert target.getvalue() == b"png-bytes"
    assert result.size == 9
    assert len(host.calls) == 2


def test_a_persistent_503_is_retryable(client, host):
    host.get(FILE_URL, status=503, body="Slow Down")

    with pytest.raises(VendorRetryable) as caught:
        client.download(SIGNED_URL, io.BytesIO())

    assert caught.value.status == 503
    assert len(host.calls) == 3  # the first try and retries=2
    assert_no_signature(caught.value)


@pytest.mark.parametrize("failure", [requests.exceptions.ConnectTimeout(), requests.exceptions.ConnectionError()])
def test_timeouts_and_connection_errors_are_retryable(client, host, failure):
    host.get(FILE_URL, body=failure)

    with pytest.raises(VendorRetryable) as caught:
        client.download(SIGNED_URL, io.BytesIO())

    assert FILE_URL in str(caught.value)
    assert_no_signature(caught.value)


def test_an_expired_link_raises_download_expired(client, host):
    host.get(FILE_URL, status=403, body=EXPIRED_XML, content_type="application/xml")

    with pytest.raises(DownloadExpired) as caught:
        client.download(SIGNED_URL, io.BytesIO())

    assert isinstance(caught.value, VendorRejected)
    assert caught.value.status == 403
    assert caught.value.url == FILE_URL
    assert "expired" in str(caught.value)
    assert "Request has expired" in caught.value.excerpt
    assert len(host.calls) == 1
    assert_no_signature(caught.value)


@pytest.mark.parametrize(
    ("status", "body"),
    [(403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"), (410, "Gone")],
)
def test_any_403_or_410_on_a_signed_link_asks_for_a_fresh_one(client, host, status, body):
    host.get(FILE_URL, status=status, body=body)

    with pytest.raises(DownloadExpired) as caught:
        client.download(SIGNED_URL, io.BytesIO())

    assert caught.value.status == status


def test_a_403_on_a_plain_url_is_rejected_not_expired(client, host):
    host.get(FILE_URL, status=403, body="<Error><Code>AccessDenied</Code></Error>")

    with pytest.raises(VendorRejected) as caught:
        client.download(FILE_URL, io.BytesIO())

    assert not isinstance(caught.value, DownloadExpired)


def test_a_signature_echoed_in_the_error_body_is_scrubbed(client, host):
    echo = f"<Error><Code>SignatureDoesNotMatch</Code><SignatureProvided>{SIGNATURE}</SignatureProvided></Error>"
    host.get(FILE_URL, status=403, body=echo)

    with pytest.raises(DownloadExpired) as caught:
        client.download(SIGNED_URL, io.BytesIO())

    assert "SignatureDoesNotMatch" in caught.value.excerpt
    assert_no_signature(caught.value)


def test_404_is_rejected_the_file_is_not_there(client, host):
    host.get(FILE_URL, status=404, body="<Error><Code>NoSuchKey</Code></Error>")

    with pytest.raises(VendorRejected) as caught:
        client.download(SIGNED_URL, io.BytesIO())

    assert not isinstance(caught.value, DownloadExpired)
    assert caught.value.status == 404
    assert "the file is not there" in str(caught.value)
    assert_no_signature(caught.value)


def test_a_body_shorter_than_its_content_length_is_retryable(client, host):
    host.get(FILE_URL, body=png_bytes(1_000), headers={"Content-Length": "5000"})

    with pytest.raises(VendorRetryable) as caught:
        client.download(SIGNED_URL, io.BytesIO())

    assert "the download was cut short" in str(caught.value)
    assert_no_signature(caught.value)


def test_a_declared_size_over_the_limit_is_rejected_before_reading(client, host):
    host.get(FILE_URL, body=png_bytes(2_000), headers={"Content-Length": "2000"})
    target = io.BytesIO()

    with pytest.raises(VendorRejected) as caught:
        client.download(SIGNED_URL, target, max_bytes=1_000)

    assert "file too large" in str(caught.value)
    assert target.getvalue() == b""
    assert_no_signature(caught.value)


def test_an_undeclared_body_over_the_limit_is_rejected_while_streaming(client, host):
    host.get(FILE_URL, body=png_bytes(10_000))  # no Content-Length
    target = io.BytesIO()

    with pytest.raises(VendorRejected) as caught:
        client.download(SIGNED_URL, target, max_bytes=5_000, chunk=1_024)

    assert "file too large" in str(caught.value)
    assert len(target.getvalue()) <= 5_000


def test_the_signature_is_never_logged(client, host, caplog):
    host.get(FILE_URL, status=503, body="Slow Down")
    host.get(FILE_URL, body=b"png")
    host.get(FILE_URL, status=404, body="")

    # urllib3 logs each URL, query included, at DEBUG (the settings keep it at WARNING)
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="urllib3"):
        client.download(SIGNED_URL, io.BytesIO())
        with pytest.raises(VendorRejected):
            client.download(SIGNED_URL, io.BytesIO())

    assert any(record.name.startswith("urllib3") for record in caplog.records)  # the retry was logged
    assert FILE_URL in caplog.text
    assert SIGNATURE not in caplog.text
