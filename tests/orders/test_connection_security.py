"""Vendor connections' secrets: the hook secret and its rotation, URL changes that need the key,
the URL policy, and add_connection's validation."""

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from fulfilment.models import IncomingRequest
from fulfilment.services.orders import order_push_url, status_callback_url
from integrations.registry import Capability
from orders.models import VendorConnection
from tests.factories import staff_in

pytestmark = pytest.mark.django_db


def _callback(client, url):
    body = {"id": 1, "ref": "R", "external_ref": "nobody", "status": 128, "status_name": "Cancelled"}
    return client.put(url, data=json.dumps(body), content_type="application/json")


def _push(client, url):
    return client.post(url, data=b"{}", content_type="application/json", headers={"X-CustomGateway-Hmac": "x"})


def test_rotating_the_hook_secret_retires_the_old_urls(client, gateway):
    old_callback, old_push = status_callback_url(gateway), order_push_url(gateway)
    manager = staff_in("Manager", username="manager")
    client.force_login(manager)
    page = client.get(reverse("admin:orders_vendorconnection_change", args=[gateway.pk])).content.decode()
    rotate = reverse("admin:orders_vendorconnection_rotate_hook", args=[gateway.pk])
    assert rotate in page and "Rotate hook secret" in page

    confirm = client.get(rotate)
    assert confirm.status_code == 200 and b"Yes, rotate the hook secret" in confirm.content
    gateway.refresh_from_db()
    assert status_callback_url(gateway) == old_callback  # looking at the confirmation changes nothing

    response = client.post(rotate, {"confirm": "yes"})
    assert response.status_code == 302
    gateway.refresh_from_db()
    new_callback, new_push = status_callback_url(gateway), order_push_url(gateway)
    assert new_callback != old_callback and new_push != old_push
    assert gateway.hook_token_rotated_by == manager and gateway.hook_token_rotated_at is not None
    assert LogEntry.objects.filter(object_id=str(gateway.pk), change_message__contains="Rotated").exists()
    page = client.get(reverse("admin:orders_vendorconnection_change", args=[gateway.pk])).content.decode()
    assert new_callback in page and old_callback not in page and "by manager" in page

    client.logout()  # the vendor has no login
    path = lambda url: url.split("://", 1)[1].split("/", 1)[1]  # noqa: E731
    assert _callback(client, "/" + path(old_callback)).status_code == 404
    assert _push(client, "/" + path(old_push)).status_code == 404
    assert _callback(client, "/" + path(new_callback)).status_code == 200
    # The new push URL is known: a bad signature is now the reason it is refused.
    assert _push(client, "/" + path(new_push)).status_code == 401
    assert IncomingRequest.objects.filter(outcome="rejected").count() == 3


def test_only_managers_can_rotate_and_a_get_changes_nothing(client, gateway):
    token = gateway.hook_token
    rotate = reverse("admin:orders_vendorconnection_rotate_hook", args=[gateway.pk])
    for role in ("Viewer", "Reviewer"):
        client.force_login(staff_in(role))
        assert client.get(rotate).status_code == 403
        assert client.post(rotate, {"confirm": "yes"}).status_code == 403
    client.force_login(staff_in("Manager"))
    assert client.post(rotate, {}).status_code == 200  # no confirmation: the question again
    gateway.refresh_from_db()
    assert gateway.hook_token == token


def test_the_hook_secret_is_in_no_list_and_not_shown_to_viewers(client, gateway):
    for role in ("Viewer", "Reviewer", "Manager"):
        client.force_login(staff_in(role))
        listing = client.get(reverse("admin:orders_vendorconnection_changelist")).content.decode()
        assert "Custom Gateway" in listing and gateway.hook_token not in listing
        page = client.get(reverse("admin:orders_vendorconnection_change", args=[gateway.pk])).content.decode()
        assert (gateway.hook_token in page) == (role == "Manager")


# --- URL changes need the key -------------------------------------------------------------------

KEY = "qst-live-7f3a9c2e-very-secret"


@pytest.fixture
def shop():
    connection = VendorConnection(
        name="Main shop",
        kind="qstomizer",
        settings={"shop_domain": "mystore.myshopify.com", "base_url": "https://api.bigvanet.com/v3"},
        secrets={"api_key": KEY},
        sync_every_minutes=None,
    )
    connection.save()
    return connection


@pytest.fixture
def gateway_with_key():
    connection = VendorConnection(
        name="Gateway", kind="custom_gateway", settings={"company": "123"}, secrets={"api_key": KEY}
    )
    connection.save()
    return connection


# Each URL a connection's key is sent to, on a connection of the kind that has it.
URL_OWNER = {
    "base_url": "shop",
    "orders_url": "gateway_with_key",
    "shipping_url": "gateway_with_key",
    "stock_url": "gateway_with_key",
}


def form_of(connection, **changes):
    """The connection's change form as a browser posts it: its kind's own fields only."""
    spec = connection.spec
    data = {
        "name": connection.name,
        "kind": connection.kind,
        "is_active": "on",
        **{s.name: connection.settings.get(s.name, "") for s in spec.settings},
        **{s.name: "" for s in spec.secrets},
    }
    if spec.has(Capability.CUSTOMIZER_SYNC):
        data |= {"sync_every_minutes": "", "lookback_days": "30", "detail_concurrency": "8"}
    return {**data, **changes}


@pytest.mark.parametrize(
    "field, value",
    [
        ("base_url", "https://attacker.example/v3"),
        ("orders_url", "https://attacker.example/orders"),
        ("shipping_url", "https://attacker.example/ship/{order_id}"),
        ("stock_url", "https://attacker.example/stock"),
    ],
)
def test_changing_a_url_needs_the_key_retyped_in_the_same_save(client, request, field, value):
    shop = request.getfixturevalue(URL_OWNER[field])
    client.force_login(staff_in("Manager"))
    url = reverse("admin:orders_vendorconnection_change", args=[shop.pk])

    refused = client.post(url, form_of(shop, **{field: value}))
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert "needs the API key re-typed" in errors[field][0] and "api_key" in errors
    shop.refresh_from_db()
    assert shop.setting(field) != value
    assert KEY not in refused.content.decode()

    saved = client.post(url, form_of(shop, **{field: value, "api_key": KEY}))
    assert saved.status_code == 302
    shop.refresh_from_db()
    assert shop.setting(field) == value and shop.secret("api_key") == KEY


def test_other_changes_keep_the_stored_key_without_retyping(client, shop):
    client.force_login(staff_in("Manager"))
    response = client.post(
        reverse("admin:orders_vendorconnection_change", args=[shop.pk]), form_of(shop, lookback_days="10")
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.lookback_days == 10 and shop.secret("api_key") == KEY


def test_connection_upsert_refuses_a_url_change_without_the_key(shop):
    from django.core.exceptions import ValidationError

    from orders.services.connections import connection_upsert

    with pytest.raises(ValidationError) as refused:
        connection_upsert(name=shop.name, kind="qstomizer", settings={"base_url": "https://attacker.example/v3"})
    assert "base_url" in refused.value.message_dict
    shop.refresh_from_db()
    assert shop.setting("base_url") == "https://api.bigvanet.com/v3"
    connection_upsert(
        name=shop.name, kind="qstomizer", settings={"base_url": "https://other.example/v3"}, secrets={"api_key": KEY}
    )
    shop.refresh_from_db()
    assert shop.setting("base_url") == "https://other.example/v3"


# --- the URL policy -------------------------------------------------------------------------------

LOCAL = [
    "http://127.0.0.1:8000/v3",
    "https://localhost/v3",
    "https://api.localhost/v3",
    "https://169.254.169.254/latest/meta-data",
    "https://[fe80::1]/v3",
    "https://[::1]/v3",
    "https://0.0.0.0/v3",
    "https://10.1.2.3/v3",
    "https://192.168.0.10/v3",
    "https://172.16.0.1/v3",
    "https://[::ffff:127.0.0.1]/v3",
]


@pytest.mark.parametrize("url", LOCAL)
def test_no_local_or_private_address_unless_the_sandbox_is_on(settings, shop, url):
    from django.core.exceptions import ValidationError

    settings.SANDBOX_ENABLED = False
    settings.DEBUG = True  # http allowed, so that only the address is the reason
    shop.settings["base_url"] = url
    with pytest.raises(ValidationError) as refused:
        shop.full_clean()
    message = refused.value.message_dict["base_url"][0]
    assert "address" in message or "localhost" in message

    settings.SANDBOX_ENABLED = True
    shop.full_clean()


def test_a_host_name_that_resolves_to_a_local_address_is_refused(settings, shop, monkeypatch):
    import socket

    from django.core.exceptions import ValidationError

    settings.SANDBOX_ENABLED = False
    answers = {"rebind.example": "127.0.0.1", "metadata.example": "169.254.169.254", "vendor.example": "93.184.215.14"}

    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for host in ("rebind.example", "metadata.example"):
        shop.settings["base_url"] = f"https://{host}/v3"
        with pytest.raises(ValidationError, match="resolves to a local, private or link-local address"):
            shop.full_clean()
    shop.settings["base_url"] = "https://vendor.example/v3"
    shop.full_clean()


@pytest.mark.parametrize("field", ["base_url", "orders_url", "shipping_url", "stock_url"])
def test_production_takes_https_only_on_every_url(settings, request, field):
    from django.core.exceptions import ValidationError

    shop = request.getfixturevalue(URL_OWNER[field])
    settings.SANDBOX_ENABLED = False
    settings.DEBUG = False
    shop.settings[field] = "http://93.184.215.14/x"
    with pytest.raises(ValidationError) as refused:
        shop.full_clean()
    assert "Only https" in refused.value.message_dict[field][0]
    shop.settings[field] = "ftp://93.184.215.14/x"
    with pytest.raises(ValidationError):
        shop.full_clean()
    shop.settings[field] = "https://93.184.215.14/x"
    shop.full_clean()
    settings.DEBUG = True
    shop.settings[field] = "http://93.184.215.14/x"
    shop.full_clean()


def test_the_admin_form_shows_the_url_policy_on_the_field(client, shop, settings):
    settings.SANDBOX_ENABLED = False
    client.force_login(staff_in("Manager"))
    response = client.post(
        reverse("admin:orders_vendorconnection_change", args=[shop.pk]),
        form_of(shop, base_url="https://169.254.169.254/latest", api_key=KEY),
    )
    assert response.status_code == 200
    assert "link-local" in response.context["adminform"].form.errors["base_url"][0]
    shop.refresh_from_db()
    assert shop.setting("base_url") == "https://api.bigvanet.com/v3"


# --- add_connection -------------------------------------------------------------------------------


def add(*args):
    from django.core.management import call_command

    call_command("add_connection", *args)


def refused_with(*args) -> str:
    from django.core.management import CommandError

    with pytest.raises(CommandError) as refused:
        add(*args)
    message = str(refused.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_add_connection_never_changes_the_kind(shop):
    message = refused_with("--kind", "kickflip", "--name", "Main shop", "--company", "brand", "--token", "t")
    assert message.startswith("--kind:") and "exists as Qstomizer" in message
    shop.refresh_from_db()
    assert shop.kind == "qstomizer" and shop.secret("api_key") == KEY


@pytest.mark.parametrize(
    "flag, kind, others",
    [
        ("--api-key", "qstomizer", ["--shop", "a.myshopify.com"]),
        ("--token", "kickflip", ["--company", "brand"]),
        ("--push-hmac-key", "custom_gateway", ["--company", "123", "--api-key", "k"]),
    ],
)
@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_add_connection_refuses_blank_secrets(flag, kind, others, blank):
    message = refused_with("--kind", kind, "--name", "X", *others, flag, blank)
    assert message.startswith(f"{flag}:") and "blank" in message
    assert not VendorConnection.objects.exists()


@pytest.mark.parametrize(
    "shop_value", ["mystore", "https://mystore.myshopify.com", "mystore.myshopify.com/admin", "my store.myshopify.com"]
)
def test_add_connection_validates_the_shop_domain(shop_value):
    message = refused_with("--kind", "qstomizer", "--name", "X", "--shop", shop_value, "--api-key", "k")
    assert message.startswith(f'--shop: "{shop_value}" is not a …myshopify.com domain')
    assert not VendorConnection.objects.exists()


@pytest.mark.parametrize(
    "kind, company, secret",
    [
        ("custom_gateway", "ACME-1", ["--api-key", "k"]),
        ("custom_gateway", "12 34", ["--api-key", "k"]),
        ("kickflip", "my brand/x", ["--token", "t"]),
        ("mycustomizer", "../other", ["--token", "t"]),
    ],
)
def test_add_connection_validates_company_ids(kind, company, secret):
    message = refused_with("--kind", kind, "--name", "X", "--company", company, *secret)
    assert message.startswith(f'--company: "{company}" is not a')
    assert not VendorConnection.objects.exists()


def test_add_connection_refuses_a_url_change_without_the_key_and_names_the_flags(shop):
    message = refused_with("--kind", "qstomizer", "--name", "Main shop", "--base-url", "https://attacker.example/v3")
    assert message.startswith("--base-url:") and "API key" in message
    add("--kind", "qstomizer", "--name", "Main shop", "--base-url", "https://other.example/v3", "--api-key", KEY)
    shop.refresh_from_db()
    assert shop.setting("base_url") == "https://other.example/v3"


def test_add_connection_exits_non_zero_with_one_line(capsys):
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(
            ["manage.py", "add_connection", "--kind", "qstomizer", "--name", "X", "--shop", "mystore", "--api-key", "k"]
        ).execute()
    assert exited.value.code != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("CommandError: --shop:") and "Traceback" not in err


def test_the_admin_form_never_changes_a_connections_kind(client, shop):
    client.force_login(staff_in("Manager"))
    url = reverse("admin:orders_vendorconnection_change", args=[shop.pk])
    response = client.post(url, form_of(shop, kind="kickflip", company="brand", lookback_days="12"))
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.kind == "qstomizer" and shop.lookback_days == 12
    assert 'name="kind"' not in client.get(url).content.decode()
