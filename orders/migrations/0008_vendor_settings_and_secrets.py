"""Vendor connections: the kind-specific columns become `settings` (JSON, validated against the
vendor's spec) and `secrets` (one encrypted JSON object), and `kind` takes its choices from the
vendor registry (a callable: a new vendor needs no migration).

The data step carries every connection's values over. It is frozen here (it does not read the
specs, which will change): which old column became which setting of which kind, as the code of
0007 read them. Secrets stay encrypted: the historical models use the same encrypted fields, so
they are decrypted from the old columns and encrypted again into the new one, never written out
in plain text. A Custom Gateway connection's old `base_url` becomes its `orders_url` when that was
blank (the old client used `orders_url or base_url`).
"""

import integrations.registry
import orders.fields
from django.db import migrations, models

# kind -> the old columns that were its settings, as 0007's clean() and client factory read them.
SETTINGS_OF = {
    "qstomizer": ("shop_domain", "base_url"),
    "kickflip": ("company", "base_url"),
    "mycustomizer": ("company", "base_url"),
    "custom_gateway": ("company", "orders_url", "shipping_url", "stock_url"),
}
ALL_SETTINGS = ("shop_domain", "company", "base_url", "orders_url", "shipping_url", "stock_url")
SECRETS_OF = {
    "qstomizer": ("api_key",),
    "kickflip": ("api_key",),
    "mycustomizer": ("api_key",),
    "custom_gateway": ("api_key", "push_hmac_key"),
}
ALL_SECRETS = ("api_key", "push_hmac_key")


def columns_to_json(apps, schema_editor):
    VendorConnection = apps.get_model("orders", "VendorConnection")
    for connection in VendorConnection.objects.using(schema_editor.connection.alias).order_by("pk"):
        old = {name: (getattr(connection, name) or "").strip() for name in ALL_SETTINGS}
        if connection.kind == "custom_gateway" and not old["orders_url"]:
            old["orders_url"] = old["base_url"]
        # A kind this migration does not know (none existed) keeps every value it had.
        names = SETTINGS_OF.get(connection.kind, ALL_SETTINGS)
        connection.settings = {name: old[name] for name in names if old[name]}
        secrets = {name: (getattr(connection, name) or "").strip() for name in ALL_SECRETS}
        names = SECRETS_OF.get(connection.kind, ALL_SECRETS)
        connection.secrets = {name: secrets[name] for name in names if secrets[name]}
        connection.save(update_fields=["settings", "secrets"])


def json_to_columns(apps, schema_editor):
    VendorConnection = apps.get_model("orders", "VendorConnection")
    for connection in VendorConnection.objects.using(schema_editor.connection.alias).order_by("pk"):
        values = connection.settings or {}
        for name in ALL_SETTINGS:
            setattr(connection, name, str(values.get(name) or ""))
        secrets = connection.secrets or {}
        for name in ALL_SECRETS:
            setattr(connection, name, secrets.get(name) or "")
        connection.save(update_fields=[*ALL_SETTINGS, *ALL_SECRETS])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_sync_resume"),
    ]

    operations = [
        migrations.AddField(
            model_name="vendorconnection",
            name="settings",
            field=models.JSONField(
                blank=True, default=dict, editable=False, help_text="The vendor's settings, as its spec declares them."
            ),
        ),
        migrations.AddField(
            model_name="vendorconnection",
            name="secrets",
            field=orders.fields.EncryptedJSONField(
                blank=True, default=dict, editable=False, help_text="The vendor's credentials. Stored encrypted; never shown."
            ),
        ),
        migrations.RunPython(columns_to_json, json_to_columns, elidable=False),
        migrations.RemoveField(model_name="vendorconnection", name="api_key"),
        migrations.RemoveField(model_name="vendorconnection", name="base_url"),
        migrations.RemoveField(model_name="vendorconnection", name="company"),
        migrations.RemoveField(model_name="vendorconnection", name="orders_url"),
        migrations.RemoveField(model_name="vendorconnection", name="push_hmac_key"),
        migrations.RemoveField(model_name="vendorconnection", name="shipping_url"),
        migrations.RemoveField(model_name="vendorconnection", name="shop_domain"),
        migrations.RemoveField(model_name="vendorconnection", name="stock_url"),
        migrations.AlterField(
            model_name="vendorconnection",
            name="kind",
            field=models.CharField(choices=integrations.registry.kind_choices, max_length=30),
        ),
    ]
