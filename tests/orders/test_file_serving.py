"""Every view that serves a stored vendor file sends the sniffed type with nosniff and a
sandboxing CSP, and refuses (403, in words) a hostile file stored before files were sniffed."""

import pytest

from tests.factories import StaffFactory
from tests.hostile import corpus, file_urls, pdf, png, stored_artwork, stored_label

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


def assert_hardened(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy.split(";")[-1]
    assert "script" not in policy


@pytest.mark.parametrize("name", sorted(corpus()))
def test_a_hostile_file_stored_before_is_refused_by_every_view(staff_client, name):
    content, claimed = corpus()[name]
    artwork, label = stored_artwork(content, claimed), stored_label(content, claimed)

    for url in file_urls(artwork, label):
        response = staff_client.get(url)
        assert response.status_code == 403, url
        body = response.content.decode()
        assert body.startswith("Not served: this stored file is "), body
        assert response["Content-Type"].startswith("text/plain")
        assert content[:200] not in response.content or not content
        assert_hardened(response)


def test_a_png_stored_as_text_html_is_served_as_png(staff_client):
    artwork = stored_artwork(png(), "text/html", name="design.html")

    for url in file_urls(artwork):
        response = staff_client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
        assert response["Content-Disposition"].startswith("inline") and response["Content-Disposition"].endswith(
            '.png"'
        )
        assert "style-src 'unsafe-inline'" in response["Content-Security-Policy"]
        assert_hardened(response)


def test_labels_pdf_inline_and_zpl_as_a_download(staff_client):
    pdf_label = stored_label(pdf(), "text/html", name="label.html")
    zpl_label = stored_label(b"^XA^FO50,50^FDRM1^FS^XZ", "application/pdf", name="label.pdf")

    (pdf_url,) = file_urls(label=pdf_label)
    (zpl_url,) = file_urls(label=zpl_label)
    shown, zpl = staff_client.get(pdf_url), staff_client.get(zpl_url)

    assert shown["Content-Type"] == "application/pdf" and shown["Content-Disposition"].startswith("inline")
    assert zpl["Content-Type"] == "application/x-zpl"
    assert zpl["Content-Disposition"].startswith("attachment") and zpl["Content-Disposition"].endswith('.zpl"')
    assert_hardened(shown)
    assert_hardened(zpl)


def test_file_views_need_a_login(client):
    artwork = stored_artwork(png(), "image/png")
    for url in file_urls(artwork, stored_label(pdf(), "application/pdf"))[::2]:  # the vendor link has no login
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
