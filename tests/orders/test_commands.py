"""Operators' commands: add_connection (scripted set-up) and sync_vendor (progress + summary)."""

import io

import pytest
from django.core.management import CommandError, call_command

from orders.models import Customization, SyncRun, VendorConnection


@pytest.mark.django_db
def test_add_connection_creates_then_updates_by_name(capsys):
    call_command(
        "add_connection", "--kind", "qstomizer", "--name", "Shop", "--shop", "a.myshopify.com", "--api-key", "k1"
    )
    call_command("add_connection", "--kind", "qstomizer", "--name", "Shop", "--sync-every", "30")

    connection = VendorConnection.objects.get()
    assert connection.secret("api_key") == "k1"  # kept: not given the second time
    assert connection.sync_every_minutes == 30
    out = capsys.readouterr().out
    assert "Created connection 'Shop'" in out and "Updated connection 'Shop'" in out
    assert "k1" not in out
    assert connection.periodic_task.enabled


@pytest.mark.django_db
def test_add_connection_rejects_bad_input_clearly():
    with pytest.raises(CommandError, match="Qstomizer needs the V3 API key"):
        call_command("add_connection", "--kind", "qstomizer", "--name", "Shop", "--shop", "a.myshopify.com")
    with pytest.raises(CommandError, match="--base-url"):
        call_command(
            "add_connection",
            "--kind",
            "qstomizer",
            "--name",
            "Shop",
            "--shop",
            "a.myshopify.com",
            "--api-key",
            "k",
            "--base-url",
            "not a url",
        )
    assert not VendorConnection.objects.exists()


@pytest.mark.django_db
def test_sync_vendor_prints_a_summary(qstomizer_connection, sandbox, capsys):
    call_command("sync_vendor", qstomizer_connection.name, "--since", "2000-01-01")

    out = capsys.readouterr().out
    assert f"{len(sandbox.items)} created" in out and "Succeeded" in out
    assert Customization.objects.count() == len(sandbox.items)
    assert SyncRun.objects.get().trigger == SyncRun.Trigger.COMMAND


@pytest.mark.django_db
def test_sync_vendor_fails_loudly(qstomizer_connection, sandbox):
    with pytest.raises(CommandError, match="no connection 'nope'"):
        call_command("sync_vendor", "nope")
    with pytest.raises(CommandError, match="--since"):
        call_command("sync_vendor", qstomizer_connection.name, "--since", "yesterday")

    qstomizer_connection.secrets["api_key"] = "wrong"
    qstomizer_connection.save()
    with pytest.raises(CommandError, match="sync failed: Qstomizer: Invalid API_KEY"):
        call_command("sync_vendor", str(qstomizer_connection.pk), "--no-progress")


@pytest.mark.django_db
def test_sync_vendor_exits_non_zero_when_a_customization_failed(qstomizer_connection, sandbox):
    sandbox.fail_next("order", 404)
    with pytest.raises(CommandError, match="1 customization failed"):
        call_command("sync_vendor", qstomizer_connection.name, "--no-progress")


@pytest.mark.django_db
def test_add_connection_sets_every_custom_gateway_setting_and_secret():
    out = io.StringIO()
    call_command(
        "add_connection",
        "--kind",
        "custom_gateway",
        "--name",
        "CG",
        "--company",
        "123",
        "--api-key",
        "cg-key",
        "--push-hmac-key",
        "hmac-key",
        "--orders-url",
        "https://cg.example/order",
        "--shipping-url",
        "https://cg.example/order/{order_id}/shipment",
        "--stock-url",
        "https://cg.example/stock",
        stdout=out,
    )
    connection = VendorConnection.objects.get()
    assert connection.settings == {
        "company": "123",
        "orders_url": "https://cg.example/order",
        "shipping_url": "https://cg.example/order/{order_id}/shipment",
        "stock_url": "https://cg.example/stock",
    }
    assert (connection.secret("api_key"), connection.secret("push_hmac_key")) == ("cg-key", "hmac-key")
    assert "cg-key" not in out.getvalue() and "hmac-key" not in out.getvalue()
    assert connection.periodic_task is None  # nothing to sync: no schedule


@pytest.mark.django_db
def test_add_connection_sets_up_ideal_factory_and_refuses_a_yes_no_typo(capsys, settings):
    settings.SANDBOX_ENABLED = True  # the URL's host need not resolve here
    base = ["add_connection", "--kind", "idealfactory", "--name", "OMS", "--base-url", "https://oms.example/api/v1"]
    with pytest.raises(CommandError, match=r'^--create-print-files: "maybe" is not yes or no'):
        call_command(*base, "--store-ids", "s1", "--api-token", "tok", "--create-print-files", "maybe")
    assert not VendorConnection.objects.exists()

    call_command(*base, "--store-ids", "s1, s2", "--api-token", "tok", "--create-print-files", "off")

    connection = VendorConnection.objects.get(name="OMS")
    assert connection.setting("store_ids") == "s1, s2" and connection.setting("create_print_files") is False
    assert connection.secret("api_token") == "tok" and "tok" not in capsys.readouterr().out


@pytest.mark.django_db
def test_add_connection_refuses_a_flag_of_another_vendor():
    with pytest.raises(CommandError, match=r"^--shop: not a setting of Custom Gateway \(it is for Qstomizer\)$"):
        call_command(
            "add_connection", "--kind", "custom_gateway", "--name", "CG", "--company", "1", "--api-key", "k",
            "--shop", "a.myshopify.com",
        )  # fmt: skip
    with pytest.raises(
        CommandError, match=r"^--push-hmac-key: not a setting of Kickflip \(it is for Custom Gateway\)$"
    ):
        call_command(
            "add_connection", "--kind", "kickflip", "--name", "K", "--company", "b", "--token", "t",
            "--push-hmac-key", "h",
        )  # fmt: skip
    assert not VendorConnection.objects.exists()
