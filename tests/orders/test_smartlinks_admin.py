"""The Smartlink builder and live preview pages (orders/admin/smartlinks.py)."""

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import VendorConnection
from orders.services.connections import connection_hook_urls
from tests.factories import staff_in

pytestmark = pytest.mark.django_db

QUERY = {
    "app": "acp3_2",
    "locale": "en_GB",
    "configuration": "default",
    "product_id": "1007644",
    "renderer": "webgl",
    "add_to_cart": "on",
}


def _client(role):
    client = Client()
    client.force_login(staff_in(role))
    return client


def _builder(connection):
    return reverse("admin:orders_vendorconnection_smartlink", args=[connection.pk])


def _preview(connection):
    return reverse("admin:orders_vendorconnection_smartlink_preview", args=[connection.pk])


def test_the_builder_shows_the_form_with_the_docs_defaults_and_the_company(gateway):
    response = _client("Viewer").get(_builder(gateway))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="acp3_2"' in html and 'value="en_GB"' in html and 'value="default"' in html
    assert '<div class="readonly" id="smartlink-guid">99999</div>' in html
    assert 'id="smartlink-url"' not in html  # nothing built yet


def test_the_builder_shows_the_url_the_snippet_and_the_preview_link(gateway):
    response = _client("Viewer").get(_builder(gateway), QUERY)
    html = response.content.decode()
    url = unescape(re.search(r'id="smartlink-url"[^>]*value="([^"]+)"', html).group(1))
    assert url == ("https://g3d-app.com/s/app/acp3_2/en_GB/default.html#p=1007644&r=webgl&guid=99999&a2c=postMessage")
    snippet = unescape(re.search(r'<textarea[^>]*id="smartlink-snippet"[^>]*>(.*?)</textarea>', html, re.S).group(1))
    assert 'var iframeOrigin = "https://g3d-app.com";' in snippet and "IFRAME_RESIZE" in snippet
    assert f'href="{_preview(gateway)}?' in html


def test_the_designer_base_url_comes_from_the_connection(gateway):
    gateway.settings = {**gateway.settings, "designer_url": "https://designer.example/white-label"}
    gateway.save()
    html = _client("Viewer").get(_builder(gateway), QUERY).content.decode()
    assert "https://designer.example/white-label/s/app/acp3_2/en_GB/default.html#p=1007644" in unescape(html)


def test_bad_parameters_are_form_errors_in_words_not_500(gateway):
    client = _client("Viewer")
    html = client.get(_builder(gateway), {**QUERY, "product_id": "abc", "renderer": "flash"}).content.decode()
    assert "Product ID: the Custom Gateway product" in unescape(html)
    assert "Select a valid choice" in html
    html = client.get(_builder(gateway), {**QUERY, "app": "../../x"}).content.decode()
    assert "App: letters, digits" in unescape(html) and 'id="smartlink-url"' not in html
    response = client.get(_preview(gateway), {**QUERY, "product_id": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()


def test_the_preview_embeds_the_link_with_this_page_as_parent_and_a_fresh_mei(gateway):
    client = _client("Viewer")
    first = client.get(_preview(gateway), QUERY)
    html = unescape(first.content.decode())
    frame = re.search(r'<iframe id="smartlink-preview"[^>]*>', html).group(0)
    src = re.search(r'data-src="([^"]+)"', frame).group(1)
    mei = re.search(r'data-mei="([^"]+)"', frame).group(1)
    assert 'data-origin="https://g3d-app.com"' in frame
    assert src.endswith(f"&a2c=postMessage&meo=http://testserver&mei={mei}")
    second = unescape(client.get(_preview(gateway), QUERY).content.decode())
    assert f'data-mei="{mei}"' not in second
    # The CSP lets this page frame the designer's origin, and only this page.
    assert "frame-src 'self' https://g3d-app.com" in first["Content-Security-Policy"]
    assert "g3d-app.com" not in client.get(_builder(gateway), QUERY)["Content-Security-Policy"]
    # Directive by directive: django-csp does not keep their order, so the last has no ";".
    directives = [directive.strip() for directive in first["Content-Security-Policy"].split(";")]
    assert "script-src 'self'" in directives and "<script>" not in html


def test_the_save_callback_url_holds_the_secret_so_only_managers_links_carry_it(gateway):
    hook = connection_hook_urls(gateway)["designs"]  # the saved-designs hook, with the secret token
    query = {**QUERY, "save_design": "on"}
    viewer = unescape(_client("Viewer").get(_builder(gateway), query).content.decode())
    assert gateway.hook_token not in viewer and "only a manager" in viewer
    manager = unescape(_client("Manager").get(_builder(gateway), query).content.decode())
    assert f"&spu={hook}" in manager and gateway.hook_token in hook


def test_without_the_designs_hook_the_link_has_no_save_button_and_says_so(gateway, monkeypatch):
    monkeypatch.setattr("orders.admin.smartlinks.connection_hook_urls", lambda connection: {"status": "x"})
    html = unescape(_client("Manager").get(_builder(gateway), {**QUERY, "save_design": "on"}).content.decode())
    assert "no saved-designs callback URL yet" in html and "&spu=" not in html


def test_restore_a_print_job_or_reload_a_saved_design(gateway):
    client = _client("Viewer")
    html = unescape(client.get(_builder(gateway), {**QUERY, "print_job_ref": "PJ42"}).content.decode())
    assert "&guid=99999&pj=PJ42&a2c=postMessage" in html
    html = unescape(client.get(_builder(gateway), {**QUERY, "saved_design_ref": "44EEEA752F59C3A3B1"}).content.decode())
    assert "&ps=44EEEA752F59C3A3B1" in html


def test_a_vendor_without_smartlinks_has_no_builder(db):
    kickflip = VendorConnection.objects.create(
        name="KF", kind="kickflip", settings={"company": "brand"}, secrets={"api_key": "k"}, sync_every_minutes=None
    )
    client = _client("Manager")
    assert client.get(_builder(kickflip)).status_code == 404
    assert client.get(_preview(kickflip), QUERY).status_code == 404
    assert client.get("/admin/orders/vendorconnection/nope/smartlink/").status_code == 404


def test_the_connection_page_links_to_the_builder(gateway):
    html = _client("Viewer").get(reverse("admin:orders_vendorconnection_change", args=[gateway.pk])).content.decode()
    assert f'href="{_builder(gateway)}"' in html
