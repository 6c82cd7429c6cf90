"""Virtual products (VIRTUAL_PRODUCTS): a sellable product the partner made from an approved
design on one of its base products, vendor-neutral.

One row per design, connection and base product (a database constraint), so choosing the same
design and base product again finds the row instead of making a second product at the partner.
The print file the partner hosts for it (original, preview and processed URLs) is kept beside
the partner's id of the product.

Imported by fulfilment.models, so Django sees it as the fulfilment app's model."""

from django.conf import settings
from django.db import models

from orders.models import Customization, VendorConnection


class VirtualProduct(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        CREATED = "created", "Created"
        FAILED = "failed", "Failed"
        # The partner may have made it (the answer was lost): look before trying again.
        CHECK = "check", "Check at the partner"

    customization = models.ForeignKey(Customization, on_delete=models.PROTECT, related_name="virtual_products")
    connection = models.ForeignKey(VendorConnection, on_delete=models.PROTECT, related_name="virtual_products")
    base_product_id = models.CharField("base product", max_length=64)
    category_id = models.CharField("target category", max_length=64)
    design_name = models.CharField(max_length=255, blank=True)
    vendor_id = models.CharField(
        "partner's id", max_length=64, blank=True, help_text="The virtual product's id at the partner."
    )
    vendor_ids = models.JSONField(
        default=list, blank=True, help_text="Every id of the answer, when it could not be told which is this one's."
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    error = models.TextField(blank=True, help_text="What the partner said went wrong, in words.")
    artwork_sha256 = models.CharField(
        "artwork SHA-256", max_length=64, blank=True, help_text="The print file that was hosted."
    )
    original_url = models.URLField("hosted original", max_length=1000, blank=True)
    preview_url = models.URLField("hosted preview", max_length=1000, blank=True)
    processed_url = models.URLField("hosted processed image", max_length=1000, blank=True)
    raw = models.JSONField(default=dict, blank=True, help_text="The partner's last answer, as sent.")
    attempts = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customization", "connection", "base_product_id"], name="unique_virtual_product"
            ),
            models.UniqueConstraint(
                fields=["connection", "vendor_id"], condition=~models.Q(vendor_id=""), name="unique_virtual_product_id"
            ),
        ]

    def __str__(self):
        return f"Virtual product {self.vendor_id or '(not made)'} of {self.customization} on {self.base_product_id}"
