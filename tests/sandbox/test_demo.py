"""The development-only sandbox app: every registered vendor's simulator mounted from the
registry, and the demo that `bin/run` builds with `bootstrap_demo`."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from fulfilment.models import (
    BatchOrder,
    CatalogueCategory,
    CatalogueProduct,
    CatalogueVariant,
    FulfilmentOrder,
    PartnerPrintFile,
    PushedOrder,
    RoutingRule,
    StockLevel,
    VariantMapping,
)
from fulfilment.services.routing import customization_route
from integrations.idealfactory import sandbox as if_sandbox
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


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    """bootstrap_demo keeps the staff password in VAR_DIR: a test's own, not the developer's var/."""
    settings.VAR_DIR = tmp_path
    return tmp_path


def settings_var_dir():
    from django.conf import settings

    return settings.VAR_DIR


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
    # The same password as the first time (kept in var/, readable by its owner only).
    password = printed.split("Password: ")[1].split()[0]
    assert get_user_model().objects.get(username="staff").check_password(password)
    assert (settings_var_dir() / "staff-password").stat().st_mode & 0o777 == 0o600
    assert VendorConnection.objects.get(pk=gateway.pk).secret("push_hmac_key") == gateway.secret("push_hmac_key")


@pytest.mark.django_db
def test_bootstrap_demo_routes_mugs_to_ideal_factory_and_the_rest_to_custom_gateway():
    bootstrap()
    bootstrap()  # again: the same rules, not twice

    oms = VendorConnection.objects.get(kind="idealfactory")
    gateway = VendorConnection.objects.get(kind="custom_gateway")
    rules = list(RoutingRule.objects.order_by("priority"))
    assert [(r.connection_id, r.product_contains, r.is_default) for r in rules] == [
        (oms.pk, "mug", False),
        (gateway.pk, "", True),
    ]


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
    # The routing table chose them: no mug among them (those go to Ideal Factory).
    for order in orders:
        for item in order.items.all():
            assert "mug" not in item.customization.product_title.lower()
            assert customization_route(item.customization).connection == gateway
    assert custom_gateway_sandbox.calls["orders"] == 3  # one POST each, none twice
    pushed = PushedOrder.objects.get(connection=gateway)
    assert pushed.shipments.exists()
    assert StockLevel.objects.filter(connection=gateway).count() == 3
    # The day's operations: the stamp is low stock, the first order has a note and a tag, and a
    # rule waits switched off.
    from fulfilment.selectors import stock_levels_low
    from operations.models import AutomationRule, Note, Tagging

    assert list(stock_levels_low(StockLevel.objects.filter(connection=gateway)).values_list("sku", flat=True)) == [
        "STAMP-2X2"
    ]
    first = orders.order_by("pk").first()
    assert Note.objects.filter(fulfilment_order=first).count() == 1
    assert Tagging.objects.filter(fulfilment_order=first, tag__name="vip").exists()
    assert not AutomationRule.objects.get(name="Auto-approve clean designs").enabled
    assert demo_fulfilment_run(gateway, sandbox_origin=live_server.url) == "already there"


@pytest.fixture
def oms_sandbox():
    if_sandbox.reset()
    yield if_sandbox.sandbox()
    if_sandbox.reset()


@pytest.mark.postgres
def test_the_oms_demo_routes_mugs_there_pushes_its_catalogue_and_settles_one_file_ready_one_failed(
    live_server, settings, sandbox, kickflip_sandbox, custom_gateway_sandbox, oms_sandbox, require_postgres
):
    settings.PUBLIC_BASE_URL = live_server.url
    bootstrap(live_server.url)
    customizer = VendorConnection.objects.get(kind="qstomizer")
    oms = VendorConnection.objects.get(kind="idealfactory")
    customizations_sync(connection=customizer)

    assert demo_fulfilment_run(oms, sandbox_origin=live_server.url) == "done"

    # Two orders of one mug each, routed there, both sent (one POST each) with the mapped variant.
    orders = list(FulfilmentOrder.objects.filter(connection=oms).order_by("pk"))
    assert len(orders) == 2
    assert {order.state for order in orders} == {FulfilmentOrder.State.SENT}
    assert oms_sandbox.calls["orders"] == 2  # none twice
    assert len(oms_sandbox.orders) == 2
    variant = CatalogueVariant.objects.get(connection=oms, name="Ceramic Mug 11oz White")
    for order in orders:
        item = order.items.get()
        assert "mug" in item.customization.product_title.lower()
        assert customization_route(item.customization).connection == oms
    sent_variants = {
        item["ecommerce_variant_id"] for order in oms_sandbox.orders.values() for item in order.payload["items"]
    }
    assert sent_variants == {variant.vendor_id}
    assert VariantMapping.objects.filter(connection=oms, catalogue_variant=variant).exists()

    # The catalogue is at the partner: a category, a product, two variants; the retired product's
    # push failed and says why.
    category = CatalogueCategory.objects.get(connection=oms)
    product = CatalogueProduct.objects.get(connection=oms, name="Ceramic Mug")
    assert category.push_state == product.push_state == "pushed"
    assert set(CatalogueVariant.objects.filter(connection=oms).values_list("push_state", flat=True)) == {"pushed"}
    assert category.vendor_id in oms_sandbox.catalogue["category"]
    assert product.vendor_id in oms_sandbox.catalogue["product"]
    assert len(oms_sandbox.catalogue["variant"]) == 2
    retired = CatalogueProduct.objects.get(connection=oms, name="Ceramic Mug (retired)")
    assert retired.push_state == "failed" and retired.last_error

    # Print files settled: the first downloaded (a PDF, previewed), the second failed at the partner.
    ready, failed = (PartnerPrintFile.objects.get(order=order) for order in orders)
    assert ready.state == PartnerPrintFile.State.READY and ready.file and ready.preview
    assert ready.content_type == "application/pdf" and ready.next_poll_at is None
    assert failed.state == PartnerPrintFile.State.FAILED and failed.next_poll_at is None
    assert failed.vendor_code == "processingfailed"

    # The print-files hook is registered with the sandbox (the ready file's notification goes there).
    assert oms_sandbox.notify_url.startswith(f"{live_server.url}/hooks/")

    # One batch order of both items with a print template, Batching at the partner.
    batch = BatchOrder.objects.get(connection=oms)
    assert batch.status_code == "Batching"
    assert set(batch.items.values_list("order_id", flat=True)) == {order.pk for order in orders}
    assert batch.templates.count() == 1 and batch.vendor_id in oms_sandbox.batches

    assert demo_fulfilment_run(oms, sandbox_origin=live_server.url) == "already there"
