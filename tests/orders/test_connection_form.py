"""The connection screen per kind: choose the vendor first, then only its fields; hook URLs for
kinds with hooks; Test connection against the sandboxes and when it fails."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from integrations.registry import Capability, vendor_specs
from orders.models import VendorConnection
from orders.services.connections import connection_hook_urls
from tests.factories import VendorConnectionFactory, staff_in

pytestmark = pytest.mark.django_db

ADD = reverse("admin:orders_vendorconnection_add")


def fields_of(html: str) -> set[str]:
    """The form's fields: the page's content only (the header has the search box's `q`)."""
    content = html.split('<div id="content"', 1)[-1]
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', content)) - {"csrfmiddlewaretoken"}


@pytest.fixture
def manager(client):
    client.force_login(staff_in("Manager"))
    return client


def test_add_asks_for_the_vendor_first_with_one_button_per_registered_vendor(manager):
    page = manager.get(ADD)
    assert page.status_code == 200
    html = page.content.decode()
    for kind, spec in vendor_specs().items():
        assert f"?kind={kind}" in html and spec.label in html
    assert 'name="api_key"' not in html  # no form before the vendor is chosen


@pytest.mark.parametrize("kind", ["qstomizer", "kickflip", "mycustomizer", "custom_gateway"])
def test_each_kind_shows_only_its_own_fields(manager, kind):
    spec = vendor_specs()[kind]
    html = manager.get(f"{ADD}?kind={kind}").content.decode()
    sync = {"sync_every_minutes", "lookback_days", "detail_concurrency"}
    expected = {"name", "is_active", *(s.name for s in spec.settings), *(s.name for s in spec.secrets)}
    if spec.has(Capability.CUSTOMIZER_SYNC):
        expected |= sync
    assert fields_of(html) - {"_save", "_addanother", "_continue"} == expected


def test_a_custom_gateway_connection_has_no_shop_domain_nor_sync_schedule(manager):
    html = manager.get(f"{ADD}?kind=custom_gateway").content.decode()
    for absent in ("Shop domain", 'name="shop_domain"', 'name="sync_every_minutes"', 'name="lookback_days"'):
        assert absent not in html
    assert "Company reference ID" in html and "Order push HMAC key" in html


def test_adding_a_custom_gateway_connection_through_its_form_shows_its_hook_urls(manager):
    response = manager.post(
        f"{ADD}?kind=custom_gateway",
        {"name": "CG", "is_active": "on", "company": " 12345 ", "api_key": "cg-key-1", "push_hmac_key": "hm-1"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    connection = VendorConnection.objects.get()
    assert connection.kind == "custom_gateway" and connection.settings == {"company": "12345"}
    assert connection.secret("api_key") == "cg-key-1" and connection.secret("push_hmac_key") == "hm-1"
    assert connection.periodic_task is None  # no customizations: no schedule
    html = manager.get(reverse("admin:orders_vendorconnection_change", args=[connection.pk])).content.decode()
    urls = connection_hook_urls(connection)
    assert set(urls) == {"status", "orders", "designs"}
    assert all(url in html for url in urls.values())
    assert "Status callbacks" in html and "Order push" in html
    assert "cg-key-1" not in html and "hm-1" not in html


def test_a_kind_without_hooks_shows_no_hook_urls(manager):
    connection = VendorConnectionFactory()
    assert connection_hook_urls(connection) == {} and not connection.hook_token
    html = manager.get(reverse("admin:orders_vendorconnection_change", args=[connection.pk])).content.decode()
    assert "URLs to give the vendor" not in html and "Rotate hook secret" not in html


def test_hook_urls_are_the_public_base_url_and_the_hook_route(settings, gateway):
    settings.PUBLIC_BASE_URL = "https://bo.example/"
    urls = connection_hook_urls(gateway)
    assert urls == {
        "status": f"https://bo.example/hooks/custom-gateway/{gateway.hook_token}/status/",
        "orders": f"https://bo.example/hooks/custom-gateway/{gateway.hook_token}/orders/",
        "designs": f"https://bo.example/hooks/custom-gateway/{gateway.hook_token}/designs/",
    }


def test_the_vendor_filter_lists_the_registered_kinds(manager):
    VendorConnectionFactory(kind="custom_gateway")
    html = manager.get(reverse("admin:orders_vendorconnection_changelist")).content.decode()
    for kind, spec in vendor_specs().items():
        assert f"?kind={kind}" in html and spec.label in html
    filtered = manager.get(reverse("admin:orders_vendorconnection_changelist") + "?kind=qstomizer")
    assert filtered.status_code == 200 and "Custom Gateway" not in filtered.context["cl"].result_list.__repr__()


# --- Test connection ------------------------------------------------------------------------------


def press_test(client, connection) -> tuple[int, list[str], str]:
    response = client.post(reverse("admin:orders_vendorconnection_test", args=[connection.pk]))
    said = [str(message) for message in get_messages(response.wsgi_request)]
    page = client.get(reverse("admin:orders_vendorconnection_change", args=[connection.pk])).content.decode()
    return response.status_code, said, page


def test_the_button_is_on_a_saved_connections_page_for_those_who_may_change_it(client, gateway):
    url = reverse("admin:orders_vendorconnection_change", args=[gateway.pk])
    client.force_login(staff_in("Manager"))
    assert 'form="test-connection-form"' in client.get(url).content.decode()
    client.force_login(staff_in("Viewer"))
    assert "test-connection-form" not in client.get(url).content.decode()
    assert client.post(reverse("admin:orders_vendorconnection_test", args=[gateway.pk])).status_code == 403


def test_a_get_changes_nothing_and_calls_nobody(manager, gateway):
    assert manager.get(reverse("admin:orders_vendorconnection_test", args=[gateway.pk])).status_code == 405


@pytest.mark.parametrize(
    "fixture, words",
    [
        ("qstomizer_connection", "Connected to Qstomizer (sandbox.myshopify.com): "),
        ("kickflip_connection", "Connected to Kickflip"),
        ("custom_gateway_connection", "the credentials were accepted"),
    ],
)
def test_test_connection_reads_the_sandbox_and_says_what_it_found(manager, request, fixture, words, settings):
    connection = request.getfixturevalue(fixture)
    status, said, page = press_test(manager, connection)
    assert status == 302
    assert len(said) == 1 and words.split(" (")[0] in said[0], said
    assert settings.SANDBOX_API_KEY not in page and "Traceback" not in page
    if fixture == "qstomizer_connection":
        assert re.search(r"\d+ customizations in the last 30 days", said[0])
    if fixture == "kickflip_connection":
        assert re.search(r"\d+ designs", said[0])


def test_a_wrong_key_is_said_in_words_without_the_key(manager, qstomizer_connection):
    qstomizer_connection.secrets["api_key"] = "wrong-key-that-must-not-leak"
    qstomizer_connection.save()
    _status, said, page = press_test(manager, qstomizer_connection)
    assert len(said) == 1 and "the test failed" in said[0] and "Invalid API_KEY" in said[0]
    assert "wrong-key-that-must-not-leak" not in said[0] + page and "Traceback" not in page


def test_a_wrong_custom_gateway_key_is_not_taken_for_a_refused_order(manager, custom_gateway_connection):
    custom_gateway_connection.secrets["api_key"] = "not-the-cg-key"
    custom_gateway_connection.save()
    _status, said, page = press_test(manager, custom_gateway_connection)
    assert "the test failed" in said[0] and "50000" in said[0] and "not-the-cg-key" not in said[0] + page


def test_an_unreachable_host_is_said_in_words(manager):
    connection = VendorConnectionFactory(base_url="http://127.0.0.1:9/v3")
    _status, said, _page = press_test(manager, connection)
    assert said == [f"{connection.name}: the test failed. Qstomizer: could not connect to the vendor"]


def test_a_refused_address_is_not_called(manager, settings):
    connection = VendorConnectionFactory(base_url="http://127.0.0.1:9/v3")
    settings.SANDBOX_ENABLED = False
    settings.DEBUG = True
    _status, said, _page = press_test(manager, connection)
    assert "the test failed" in said[0] and "not sent" in said[0] and "Base URL: 127.0.0.1 is a local" in said[0]


def test_a_timeout_is_said_in_words(manager, qstomizer_connection, sandbox, settings):
    settings.VENDOR_HTTP_READ_TIMEOUT = 0.3
    sandbox.set_faults(1.0, kinds=("stall",), stall_seconds=1.0)
    _status, said, _page = press_test(manager, qstomizer_connection)
    assert "the test failed" in said[0] and "did not answer in time" in said[0]


def test_the_list_finds_a_connection_by_its_shop_or_company_and_shows_its_base_url(manager):
    shop = VendorConnectionFactory(name="Main", shop_domain="findme.myshopify.com")
    VendorConnectionFactory(name="Other", base_url="https://q.example/v3")
    changelist = reverse("admin:orders_vendorconnection_changelist")
    found = manager.get(changelist + "?q=findme")
    assert list(found.context["cl"].result_list) == [shop]
    html = manager.get(changelist).content.decode()
    assert "https://q.example/v3" in html and "title='https://api.bigvanet.com/v3'>production" in html
