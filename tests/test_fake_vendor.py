"""The issue's check: a vendor registered in settings.VENDORS (here a test-only package,
tests/fake_vendor/) is in the connection form with its own fields, in add_connection and its
--help, in the client factory, the schedule and the capability dispatch, with no other code
changed."""

import io
import re

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse

from integrations.registry import Capability, kind_choices, specs_with
from orders.models import VendorConnection
from orders.services.connections import connection_client, connection_syncs
from tests.factories import staff_in
from tests.fake_vendor.client import FakeVendorClient

pytestmark = pytest.mark.django_db

FAKE = "tests.fake_vendor.spec.SPEC"


@pytest.fixture(autouse=True)
def fake_vendor(settings):
    settings.VENDORS = [*settings.VENDORS, FAKE]  # the one line a new vendor adds


def add(*args) -> str:
    out = io.StringIO()
    call_command("add_connection", *args, stdout=out)
    return out.getvalue()


def test_the_registry_lists_it_with_its_capabilities():
    assert ("fake_vendor", "Fake Vendor") in kind_choices()
    assert "fake_vendor" in [spec.kind for spec in specs_with(Capability.CUSTOMIZER_SYNC)]
    assert "fake_vendor" not in [spec.kind for spec in specs_with(Capability.FULFILMENT_SEND)]


def test_add_connection_has_its_flags_and_names_it_in_help(capsys):
    with pytest.raises(SystemExit):
        call_command("add_connection", "--help")
    help_text = re.sub(r"\s+", " ", capsys.readouterr().out)
    assert "fake_vendor (Fake Vendor)" in help_text
    for flag in ("--tenant", "--fake-endpoint", "--page-size", "--access-token"):
        assert flag in help_text
    assert "Fake Vendor: Access token (stored encrypted)" in help_text
    # Today's flags are there too, each naming its vendors.
    for flag in ("--push-hmac-key", "--orders-url", "--shipping-url", "--stock-url", "--shop", "--token"):
        assert flag in help_text
    assert re.search(r"--company COMPANY Kickflip, MyCustomizer: Company / brand\. .*Custom Gateway:", help_text)


def test_add_connection_creates_it_and_refuses_other_vendors_flags():
    out = add("--kind", "fake_vendor", "--name", "Fake", "--tenant", "acme", "--access-token", "good-token")
    assert "Created connection 'Fake' (id" in out and "Fake Vendor" in out and "good-token" not in out
    connection = VendorConnection.objects.get(name="Fake")
    assert connection.settings == {"tenant": "acme"} and connection.secret("access_token") == "good-token"
    assert connection.setting("endpoint") == "https://api.fake-vendor.example/v1"

    with pytest.raises(CommandError, match=r"^--shop: not a setting of Fake Vendor \(it is for Qstomizer\)$"):
        add("--kind", "fake_vendor", "--name", "Fake", "--shop", "a.myshopify.com")
    with pytest.raises(CommandError, match=r'^--tenant: "acme-1" is not a tenant: letters only$'):
        add("--kind", "fake_vendor", "--name", "Other", "--tenant", "acme-1", "--access-token", "t")
    with pytest.raises(CommandError, match=r"^--fake-endpoint: changing this URL needs the API key given again$"):
        add("--kind", "fake_vendor", "--name", "Fake", "--fake-endpoint", "https://elsewhere.example/v1")
    add("--kind", "fake_vendor", "--name", "Fake", "--page-size", "20")
    connection.refresh_from_db()
    assert connection.setting("page_size") == 20 and connection.secret("access_token") == "good-token"


def test_the_connection_form_shows_its_own_fields_and_saves_them(client):
    client.force_login(staff_in("Manager"))
    add_url = reverse("admin:orders_vendorconnection_add")
    assert "?kind=fake_vendor" in client.get(add_url).content.decode()
    html = client.get(f"{add_url}?kind=fake_vendor").content.decode()
    for name in ("tenant", "endpoint", "page_size", "access_token", "sync_every_minutes"):
        assert f'name="{name}"' in html
    assert 'name="shop_domain"' not in html and 'name="company"' not in html

    data = {"name": "Fake", "is_active": "on", "tenant": "acme", "access_token": "good-token", "page_size": "25"}
    data |= {"sync_every_minutes": "10", "lookback_days": "30", "detail_concurrency": "2"}
    response = client.post(f"{add_url}?kind=fake_vendor", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    connection = VendorConnection.objects.get()
    assert connection.kind == "fake_vendor" and connection.settings == {"tenant": "acme", "page_size": 25}
    # The schedule dispatch: a customizer kind gets its periodic sync.
    assert connection.periodic_task.enabled and connection.periodic_task.interval.every == 10

    response = client.post(reverse("admin:orders_vendorconnection_test", args=[connection.pk]))
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said[-1:] == ["Fake: Connected to Fake Vendor (acme) at https://api.fake-vendor.example/v1."]


def test_the_client_factory_and_the_sync_dispatch_read_its_spec(client, settings, django_capture_on_commit_callbacks):
    connection = VendorConnection.objects.create(
        name="Fake", kind="fake_vendor", settings={"tenant": "acme"}, secrets={"access_token": "bad"}
    )
    vendor = connection_client(connection)
    assert isinstance(vendor, FakeVendorClient)
    assert (vendor.tenant, vendor.access_token) == ("acme", "bad")
    assert vendor.options.read_timeout == settings.VENDOR_HTTP_READ_TIMEOUT
    assert connection_syncs(connection)
    assert list(VendorConnection.objects.with_capability(Capability.CUSTOMIZER_SYNC)) == [connection]

    client.force_login(staff_in("Manager"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("admin:orders_vendorconnection_changelist"),
            {"action": "sync_now", "_selected_action": [connection.pk]},
        )
    assert response.status_code == 302 and [c.args[0] for c in callbacks] == [connection.pk]


def test_the_generic_sync_reads_its_source():
    from orders.models import Customization
    from orders.services.sync import customizations_sync, customizer_kinds

    assert "fake_vendor" in customizer_kinds()
    connection = VendorConnection.objects.create(
        name="Fake", kind="fake_vendor", settings={"tenant": "acme"}, secrets={"access_token": "good-token"}
    )
    run = customizations_sync(connection=connection)
    assert (run.status, run.created) == ("succeeded", 2), run.errors
    made = Customization.objects.filter(connection=connection).order_by("external_id")
    assert [(c.external_id, c.product_title, c.sides.count()) for c in made] == [
        ("F-1", "Fake mug", 1),
        ("F-2", "Fake tee", 1),
    ]
    assert customizations_sync(connection=connection).unchanged == 2  # idempotent
    # A fake fulfilment partner through the same registry: tests/fulfilment/test_any_partner.py.


def test_a_spec_whose_names_clash_with_the_common_fields_is_refused(settings):
    import dataclasses

    from integrations.registry import Setting, spec_for
    from tests.fake_vendor import spec as fake

    clashing = dataclasses.replace(fake.SPEC, settings=(*fake.SPEC.settings, Setting("name", "Name")))
    fake.CLASHING = clashing
    try:
        settings.VENDORS = ["tests.fake_vendor.spec.CLASHING"]
        with pytest.raises(ValueError, match="'fake_vendor': these setting, secret or flag names clash: name"):
            spec_for("fake_vendor")
    finally:
        del fake.CLASHING


def test_a_spec_with_fulfilment_capabilities_but_no_partner_is_refused(settings):
    import dataclasses

    from integrations.registry import Capability, spec_for
    from tests.fake_vendor import spec as fake

    fake.PARTNERLESS = dataclasses.replace(fake.SPEC, capabilities=frozenset({Capability.STOCK}))
    try:
        settings.VENDORS = ["tests.fake_vendor.spec.PARTNERLESS"]
        with pytest.raises(ValueError, match="'fake_vendor' declares fulfilment capabilities but no partner"):
            spec_for("fake_vendor")
    finally:
        del fake.PARTNERLESS
