"""Get HD Design and the HD download: the real QstomizerClient against the built-in sandbox over
real HTTP (the session's sandbox server), and the answers the sandbox does not give faked with `responses`."""

from __future__ import annotations

import hashlib
import json
import traceback
from datetime import UTC, datetime, timedelta
from io import BytesIO
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import responses
from PIL import Image

from integrations.http import DownloadExpired, VendorError, VendorRejected, VendorRetryable
from integrations.qstomizer import sandbox as qstomizer_sandbox
from integrations.qstomizer.client import HdLink, HdQuotaExceeded, QstomizerClient
from integrations.qstomizer.sandbox import HD_DEFAULT_SIZE

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SMALL_TEMPLATE = 600103  # the pickguard, whose HD file is deliberately small


@pytest.fixture
def client(sandbox_server, sandbox, settings):
    with QstomizerClient(
        api_key=settings.SANDBOX_API_KEY,
        shop=settings.SANDBOX_QSTOMIZER_SHOP,
        base_url=qstomizer_sandbox.base_url(sandbox_server.url),
        backoff=0,
    ) as client:
        yield client


def design_hd_urls(client, box, *, template: int | None = None) -> tuple[qstomizer_sandbox.FakeCustomization, list]:
    """A customization (of `template`, if given) and its sides' design_hd_url, read through Get Order."""
    item = next(item for item in box.items if template is None or item.templates[0] == template)
    sides = client.customization(item.order_id)["sides"]
    assert [side["side_id"] for side in sides] == box.side_ids(item)
    return item, [side["design_hd_url"] for side in sides]


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


def assert_no_key(exc: VendorError, key: str) -> None:
    for text in (str(exc), exc.message, exc.excerpt, repr(exc), "".join(traceback.format_exception(exc))):
        assert key not in text


# -- the happy path -----------------------------------------------------------------------


@pytest.mark.parametrize("template", [SMALL_TEMPLATE, 522273])
def test_hd_download_writes_the_sides_png_at_the_templates_size(client, sandbox, tmp_path, template):
    item, urls = design_hd_urls(client, sandbox, template=template)
    target = tmp_path / "front.png"

    with target.open("wb") as fileobj:
        link, result = client.hd_download(urls[0], fileobj)

    data = target.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    expected = (600, 600) if template == SMALL_TEMPLATE else HD_DEFAULT_SIZE
    assert sandbox.hd_sizes.get(template, HD_DEFAULT_SIZE) == expected
    assert Image.open(BytesIO(data)).size == expected
    assert (result.size, result.sha256, result.content_type) == (
        len(data),
        hashlib.sha256(data).hexdigest(),
        "image/png",
    )
    assert "?" not in result.url  # the signature is not kept
    assert link.cached is False
    now = datetime.now(UTC)
    assert now + timedelta(minutes=14) < link.expires_at <= now + timedelta(minutes=15, seconds=1)
    assert (sandbox.calls["hd"], sandbox.calls["hd_download"]) == (1, 1)
    assert list(sandbox.hd_download_keys) == [""]  # the file host never saw the API key


def test_each_side_has_its_own_file_and_the_same_side_the_same_bytes(client, sandbox):
    item = next(item for item in sandbox.items if len(sandbox.side_ids(item)) >= 2)
    urls = [side["design_hd_url"] for side in client.customization(item.order_id)["sides"]]

    hashes = [client.hd_download(url, BytesIO())[1].sha256 for url in [urls[0], urls[1], urls[0]]]

    assert hashes[0] != hashes[1]
    assert hashes[0] == hashes[2]


def test_the_second_request_for_a_side_is_cached(client, sandbox):
    _item, urls = design_hd_urls(client, sandbox)

    first, second = client.hd_design(urls[0]), client.hd_design(urls[0])

    assert (first.cached, second.cached) == (False, True)
    assert isinstance(first, HdLink)
    assert first.url not in repr(first)  # a bearer link stays out of logs


# -- expired links --------------------------------------------------------------------------


def test_a_link_born_expired_is_asked_again_then_download_expired(client, sandbox):
    _item, urls = design_hd_urls(client, sandbox)
    sandbox.hd_ttl_seconds = -1

    with pytest.raises(DownloadExpired) as caught:
        client.hd_download(urls[0], BytesIO())

    # expired on arrival -> asked again; refused by the file host -> one fresh link; refused again
    assert (sandbox.calls["hd"], sandbox.calls["hd_download"]) == (3, 2)
    assert caught.value.status == 403
    assert "signature=" not in str(caught.value)

    sandbox.hd_ttl_seconds = 900
    _link, result = client.hd_download(urls[0], BytesIO())
    assert result.size > 0


def test_a_link_about_to_expire_is_asked_again_before_downloading(client, sandbox):
    _item, urls = design_hd_urls(client, sandbox)
    sandbox.hd_ttl_seconds = 10  # inside the 30 s margin, but still good for the download

    link, result = client.hd_download(urls[0], BytesIO())

    assert (sandbox.calls["hd"], sandbox.calls["hd_download"]) == (2, 1)
    assert link.cached is True
    assert result.size > 0


def test_a_link_refused_once_is_replaced_and_the_file_written_once(client, sandbox, tmp_path):
    _item, urls = design_hd_urls(client, sandbox)
    sandbox.hd_expire_next_download = 1
    target = tmp_path / "side.png"

    with target.open("wb") as fileobj:
        _link, result = client.hd_download(urls[0], fileobj)

    assert (sandbox.calls["hd"], sandbox.calls["hd_download"]) == (2, 2)
    data = target.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert (len(data), hashlib.sha256(data).hexdigest()) == (result.size, result.sha256)


def test_a_tampered_link_is_refused_by_the_file_host(client, sandbox):
    _item, urls = design_hd_urls(client, sandbox)
    link = client.hd_design(urls[0])

    with pytest.raises(DownloadExpired) as caught:
        client.download(with_query(link.url, signature="0" * 64), BytesIO())

    assert "Request has expired" in caught.value.excerpt


# -- errors ---------------------------------------------------------------------------------


def test_a_spent_quota_is_not_retried(client, sandbox):
    _item, urls = design_hd_urls(client, sandbox)
    sandbox.fail_next("hd", 429)

    with pytest.raises(HdQuotaExceeded) as caught:
        client.hd_download(urls[0], BytesIO())

    assert isinstance(caught.value, VendorRejected)
    assert str(caught.value) == "Qstomizer: monthly HD quota reached (HTTP 429)"
    assert caught.value.resets_at is None
    assert "quota_exceeded" in caught.value.excerpt
    assert (sandbox.calls["hd"], sandbox.calls["hd_download"]) == (1, 0)


def test_a_spent_quota_with_retry_after_says_when_it_resets_and_is_not_retried(client, sandbox):
    _item, urls = design_hd_urls(client, sandbox)
    sandbox.fail_next("hd", 429, headers={"Retry-After": str(3 * 86400)})

    with pytest.raises(HdQuotaExceeded) as caught:
        client.hd_design(urls[0])

    resets_at = caught.value.resets_at
    assert datetime.now(UTC) + timedelta(days=2, hours=23) < resets_at < datetime.now(UTC) + timedelta(days=3, hours=1)
    assert f"monthly HD quota reached, resets on {resets_at:%Y-%m-%d}" in str(caught.value)
    assert sandbox.calls["hd"] == 1


def test_a_spent_quota_with_a_reset_field_in_the_body(client, sandbox):
    _item, urls = design_hd_urls(client, sandbox)
    body = {"ok": False, "error": "quota_exceeded", "resets_at": "2026-11-01T00:00:00Z"}
    sandbox.fail_next("hd", 429, body=json.dumps(body))

    with pytest.raises(HdQuotaExceeded) as caught:
        client.hd_design(urls[0])

    assert caught.value.resets_at == datetime(2026, 11, 1, tzinfo=UTC)
    assert "monthly HD quota reached, resets on 2026-11-01" in str(caught.value)


def test_a_failed_generation_twice_then_success_is_retried_by_the_session(client, sandbox):
    _item, urls = design_hd_urls(client, sandbox)
    sandbox.fail_next("hd", 503, times=2)

    link = client.hd_design(urls[0])

    assert link.url.startswith("http")
    assert sandbox.calls["hd"] == 3


def test_a_generation_failing_past_the_retries_is_retryable(client, sandbox):
    _item, urls = design_hd_urls(client, sandbox)
    sandbox.fail_next("hd", 503, times=10)

    with pytest.raises(VendorRetryable) as caught:
        client.hd_design(urls[0])

    assert caught.value.status == 503
    assert "generation failed" in str(caught.value)
    assert sandbox.calls["hd"] == 5  # the first try and retries=4


@pytest.mark.parametrize("change", [{"sideid": "8999"}, {"id_order": "999999"}], ids=["side", "order"])
def test_an_unknown_side_or_order_is_rejected_as_not_found(client, sandbox, change):
    _item, urls = design_hd_urls(client, sandbox)

    with pytest.raises(VendorRejected) as caught:
        client.hd_design(with_query(urls[0], **change))

    assert caught.value.status == 404
    assert "Order not found" in str(caught.value)
    assert not isinstance(caught.value, VendorRetryable)


def test_a_missing_side_is_a_bad_request(client, sandbox):
    _item, urls = design_hd_urls(client, sandbox)

    with pytest.raises(VendorRejected) as caught:
        client.hd_design(with_query(urls[0], sideid="0"))

    assert caught.value.status == 400
    assert "Missing id_order or sideid" in str(caught.value)


def test_a_wrong_api_key_is_rejected(client, sandbox, sandbox_server, settings):
    _item, urls = design_hd_urls(client, sandbox)
    wrong = QstomizerClient(
        api_key="not-the-key-42", shop=client.shop, base_url=qstomizer_sandbox.base_url(sandbox_server.url), backoff=0
    )

    with wrong, pytest.raises(VendorRejected) as caught:
        wrong.hd_design(urls[0])

    assert caught.value.status == 401
    assert "Invalid API_KEY" in str(caught.value)
    assert_no_key(caught.value, "not-the-key-42")


# -- answers the sandbox does not give ------------------------------------------------------

HD_URL = "https://qstomizer.bigvanet.com/backend/index.php?page=apiGenerateDesign&id_order=1789921&sideid=8443"
SIGNED = (
    "https://s3.amazonaws.com/qstomizeruserimages/mystore/hd/order-1789921-side-8443.png?X-Amz-Signature=abc123def456"
)


@pytest.fixture
def offline():
    with (
        QstomizerClient(api_key="secret-key-123", shop="mystore.myshopify.com", backoff=0, retries=1) as client,
        responses.RequestsMock(assert_all_requests_are_fired=False) as vendor,
    ):
        yield client, vendor


def test_the_docs_example_answer(offline):
    client, vendor = offline
    vendor.get(HD_URL, json={"ok": True, "url": SIGNED, "expires_at": "2025-06-09T16:00:00Z", "cached": False})

    link = client.hd_design(HD_URL)

    assert link == HdLink(url=SIGNED, expires_at=datetime(2025, 6, 9, 16, tzinfo=UTC), cached=False)
    assert vendor.calls[0].request.headers["API_KEY"] == "secret-key-123"


@pytest.mark.parametrize(
    "body",
    [{"ok": False, "error": "Generation error"}, {"ok": True, "expires_at": "2025-06-09T16:00:00Z"}, {"ok": True}],
    ids=["ok-false", "no-url", "bare"],
)
def test_http_200_without_a_link_is_rejected(offline, body):
    client, vendor = offline
    vendor.get(HD_URL, json=body)

    with pytest.raises(VendorRejected) as caught:
        client.hd_design(HD_URL)

    assert "the HD design was not generated" in str(caught.value)
    assert len(vendor.calls) == 1


def test_a_quota_error_inside_http_200_is_still_the_quota(offline):
    client, vendor = offline
    vendor.get(HD_URL, json={"ok": False, "error": "quota_exceeded", "reset": "2026-12-01"})

    with pytest.raises(HdQuotaExceeded) as caught:
        client.hd_design(HD_URL)

    assert caught.value.resets_at == datetime(2026, 12, 1, tzinfo=UTC)


def test_an_unreadable_expiry_is_unknown_not_an_error(offline):
    client, vendor = offline
    vendor.get(HD_URL, json={"ok": True, "url": SIGNED, "expires_at": "in 15 minutes", "cached": "true"})

    link = client.hd_design(HD_URL)

    assert (link.expires_at, link.cached) == (None, True)
    assert not link.expires_within()


def test_the_key_is_not_sent_to_a_foreign_host_or_through_a_redirect(offline):
    client, vendor = offline
    vendor.get(HD_URL, status=302, headers={"Location": "https://elsewhere.test/collect"})

    for url in ["https://evil.test/backend/index.php?page=apiGenerateDesign", HD_URL.replace("https", "http")]:
        with pytest.raises(VendorRejected, match="refusing to send the API key"):
            client.hd_design(url)
    with pytest.raises(VendorRejected, match="redirect"):
        client.hd_design(HD_URL)

    assert [call.request.url for call in vendor.calls] == [HD_URL]
