"""Fulfilment speaks our statuses, with the partner's code (a string) and name beside them.

Every fulfilment order, vendor order and status event is carried over: its Custom Gateway
status code (an integer) becomes `vendor_status_code` ("4") and the status of ours it maps to
(`status`, "in_production"); the name stays. Incoming requests get the hook they came to.

The code -> status table is frozen here (a copy of integrations/custom_gateway/types.STATUS_MAP as
it was when this migration was written): a migration must mean the same thing forever, whatever
the vendor module later says. Until now only Custom Gateway connections had fulfilment rows.
"""

from django.db import migrations, models

import fulfilment.address

FROZEN_STATUS_MAP = {
    1: "accepted",  # Received
    512: "routed",  # Sent to Supplier
    513: "at_site",  # Received by Supplier
    4: "in_production",  # In Production
    515: "packed",  # Sent to Shipper
    516: "collected",  # Received by Shipper
    8: "shipped",  # Dispatched
    64: "shipped_confirmed",  # Dispatched (Retailer Notified)
    32: "problem",  # QC Query
    256: "on_hold",  # On Hold
    128: "cancelled",  # Cancelled
}
FROZEN_HOOKS = {"status_callback": "status", "order_push": "orders"}
STATUS_CHOICES = [
    ("accepted", "Accepted"),
    ("routed", "Routed to a production site"),
    ("at_site", "At the production site"),
    ("in_production", "In production"),
    ("packed", "Packed for the carrier"),
    ("collected", "With the carrier"),
    ("shipped", "Shipped"),
    ("shipped_confirmed", "Shipped (retailer notified)"),
    ("on_hold", "On hold"),
    ("problem", "Problem (queried by the partner)"),
    ("cancelled", "Cancelled"),
]


def status_field():
    return models.CharField(
        blank=True, choices=STATUS_CHOICES, db_index=True, help_text="Blank: none of ours.", max_length=20
    )


def forward(apps, schema_editor):
    for model, old in (("FulfilmentOrder", "vendor_status"), ("VendorOrder", "legacy_status"), ("StatusEvent", "legacy_status")):
        Model = apps.get_model("fulfilment", model)
        codes = Model.objects.exclude(**{f"{old}__isnull": True}).values_list(old, flat=True).distinct()
        for code in list(codes):
            Model.objects.filter(**{old: code}).update(
                vendor_status_code=str(code), status=FROZEN_STATUS_MAP.get(code, "")
            )
    IncomingRequest = apps.get_model("fulfilment", "IncomingRequest")
    for kind, hook in FROZEN_HOOKS.items():
        IncomingRequest.objects.filter(kind=kind, hook="").update(hook=hook)


def backward(apps, schema_editor):
    for model, old in (("FulfilmentOrder", "vendor_status"), ("VendorOrder", "legacy_status"), ("StatusEvent", "legacy_status")):
        Model = apps.get_model("fulfilment", model)
        for code in list(Model.objects.exclude(vendor_status_code="").values_list("vendor_status_code", flat=True).distinct()):
            if code.isdigit():
                Model.objects.filter(vendor_status_code=code).update(**{old: int(code)})
    # An event must have a code: one without (none of Custom Gateway's) cannot go back.
    apps.get_model("fulfilment", "StatusEvent").objects.filter(legacy_status__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("fulfilment", "0003_fulfil_races_status_hooks"),
    ]

    operations = [
        # The old integer columns are kept aside while the rows are carried over.
        migrations.RenameField("vendororder", "status", "legacy_status"),
        migrations.RenameField("vendororder", "status_name", "vendor_status_name"),
        migrations.RenameField("statusevent", "status", "legacy_status"),
        migrations.RenameField("statusevent", "status_name", "vendor_status_name"),
        migrations.AlterField("statusevent", "legacy_status", models.IntegerField(null=True, blank=True)),
        migrations.AlterField(
            "fulfilmentorder", "vendor_status", models.IntegerField(null=True, blank=True)
        ),  # no index while it goes
        *[
            op
            for model in ("fulfilmentorder", "vendororder", "statusevent")
            for op in (
                migrations.AddField(model, "status", status_field()),
                migrations.AddField(
                    model,
                    "vendor_status_code",
                    models.CharField(blank=True, max_length=64, verbose_name="vendor status code"),
                ),
                migrations.AlterField(
                    model,
                    "vendor_status_name",
                    models.CharField(blank=True, max_length=64, verbose_name="vendor status"),
                ),
            )
        ],
        migrations.AddField(
            "incomingrequest",
            "hook",
            models.CharField(blank=True, help_text="The hook it came to (the URL's last segment).", max_length=50),
        ),
        migrations.AlterField(
            "fulfilmentorder",
            "has_error",
            models.BooleanField(default=False, help_text="Created by the vendor in an error state (queried)."),
        ),
        migrations.AlterField(
            "fulfilmentorder",
            "reconciled",
            models.BooleanField(default=False, help_text="A retry found the vendor already had it."),
        ),
        # One Address (fulfilment.address): the country checked in one place; the same labels.
        migrations.AlterField(
            "fulfilmentorder",
            "shipping_country_code",
            models.CharField(
                help_text="ISO 3166-1 alpha-2, e.g. GB",
                max_length=2,
                validators=[fulfilment.address.country_code_validate],
            ),
        ),
        migrations.AlterField(
            "pushedorder",
            "shipping_address_4",
            models.CharField(blank=True, max_length=255, verbose_name="town or city"),
        ),
        migrations.AlterField(
            "pushedorder", "shipping_address_5", models.CharField(blank=True, max_length=255, verbose_name="region")
        ),
        migrations.AlterField(
            "pushedorder",
            "shipping_country_code",
            models.CharField(
                blank=True,
                help_text="ISO 3166-1 alpha-2, e.g. GB",
                max_length=2,
                validators=[fulfilment.address.country_code_validate],
            ),
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveField("fulfilmentorder", "vendor_status"),
        migrations.RemoveField("vendororder", "legacy_status"),
        migrations.RemoveField("statusevent", "legacy_status"),
    ]
