"""The development-only sandbox app: every registered vendor's simulator mounted from the
registry, and the demo that `bin/run` builds with `bootstrap_demo`."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from fulfilment.models import FulfilmentOrder, PushedOrder, StockLevel
from integrations.registry import Capability, vendor_specs
from integrations.sandbox.demo import demo_fulfilment_run
from orders.models import VendorConnection
from orders.services.sync import customizations_sync

ORIGIN = "http://127.0.0.1:8123"


def test_every_registered_vendor_s_sandbox_is_mounted_at_its_slug(client):
    mounted = [spec for spec in vendor_specs().values() if spec.sandbox]
    assert {spec.kind for spec in mounted} >= {
        "qstomizer",
        "kickflip",
        "mycustomizer",
        "custom_gateway",
        "idealfactory",
    }
    for spec in mounted:
        response = client.get(f"/sandbox/{spec.slug}/")
        assert response.status_code == 200, spec.kind
    # One module, two kinds: each mount answers as its own kind.
    assert "Kickflip" in client.get("/sandbox/kickflip/").content.decode()
    assert "MyCustomizer" in client.get("/sandbox/mycustomizer/").content.decode()


def bootstrap(origin=ORIGIN):
    out = StringIO()
    call_command("bootstrap_demo", origin=origin, no_sync=True, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_bootstrap_demo_connects_each_vendor_s_sandbox_from_the_registry():
    printed = bootstrap()

    names = dict(VendorConnection.objects.values_list("kind", "name"))
    assert names == {
        "qstomizer": "Demo Qstomizer (sandbox)",
        "kickflip": "Demo Kickflip (sandbox)",
        "custom_gateway": "Demo Custom Gateway (sandbox)",
        "idealfactory": "Demo Ideal Factory (sandbox)",
    }
    for connection in VendorConnection.objects.all():
        urls = [value for value in connection.config().settings.values() if str(value).startswith("http")]
        assert urls and all(url.startswith(f"{ORIGIN}/sandbox/{connection.spec.slug}") for url in urls)
        assert all(connection.config().secrets[s.name] for s in connection.spec.secrets if s.required)
    gateway = VendorConnection.objects.get(kind="custom_gateway")
    assert gateway.secret("push_hmac_key")
    staff = get_user_model().objects.get(username="staff")
    assert staff.is_superuser and "Password: " in printed and "Login:    staff" in printed

    bootstrap()  # again, as each `bin/run` does: the same connections, the push key kept

    assert VendorConnection.objects.count() == 4
    assert VendorConnection.objects.get(pk=gateway.pk).secret("push_hmac_key") == gateway.secret("push_hmac_key")


@pytest.mark.postgres
def test_the_fulfilment_demo_sends_orders_ships_a_pushed_one_and_sets_stock(
    live_server, settings, sandbox, kickflip_sandbox, custom_gateway_sandbox, require_postgres
):
    # PostgreSQL: the sandbox calls back into the app while the demo goes on (SQLite's in-memory
    # test database is one connection shared with the live server's threads).
    settings.PUBLIC_BASE_URL = live_server.url
    bootstrap(live_server.url)
    customizer = VendorConnection.objects.get(kind="qstomizer")
    gateway = VendorConnection.objects.get(kind="custom_gateway")
    assert gateway.spec.has(Capability.FULFILMENT_SEND)

    customizations_sync(connection=customizer)
    assert demo_fulfilment_run(gateway, sandbox_origin=live_server.url) == "done"

    orders = FulfilmentOrder.objects.filter(connection=gateway)
    assert orders.count() == 3
    assert set(orders.values_list("state", flat=True)) == {FulfilmentOrder.State.SENT}
    assert custom_gateway_sandbox.calls["orders"] == 3  # one POST each, none twice
    pushed = PushedOrder.objects.get(connection=gateway)
    assert pushed.shipments.exists()
    assert StockLevel.objects.filter(connection=gateway).count() == 3
    assert demo_fulfilment_run(gateway, sandbox_origin=live_server.url) == "already there"
