"""Products staff create in a partner's embedded product creator (Capability.PRODUCT_CREATOR),
and the stored copies of pushed orders' artwork assets."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from orders.models import VendorConnection


class FileState(models.TextChoices):
    PENDING = "pending", "Pending (queued)"
    READY = "ready", "Stored"
    FAILED = "failed", "Failed"


class CreatorProduct(models.Model):
    """One product the partner's creator said it made (PRODUCTS_CREATED), keyed by its id; its
    snapshot downloaded here and identified by its bytes; mapped to one of our stock SKUs."""

    connection = models.ForeignKey(VendorConnection, on_delete=models.PROTECT, related_name="creator_products")
    vendor_id = models.CharField("product ID", max_length=64, help_text="Reloads the design in a Smartlink.")
    name = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    retail_sku = models.CharField("retail SKU", max_length=255, blank=True)
    base_product_code = models.CharField(
        "base product code", max_length=255, blank=True, help_text="The SKU to send in future order lines."
    )
    snapshot_url = models.CharField(max_length=2000, blank=True, help_text="Where the partner said the snapshot is.")
    snapshot_state = models.CharField(max_length=10, choices=FileState.choices, default=FileState.PENDING)
    snapshot = models.FileField(upload_to="virtual-products/", blank=True, max_length=500)
    snapshot_content_type = models.CharField(max_length=100, blank=True, help_text="What the bytes are (sniffed).")
    snapshot_error = models.TextField(blank=True)
    stock_level = models.ForeignKey(
        "fulfilment.StockLevel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="creator_products",
        verbose_name="stock SKU",
        help_text="One of this connection's stock levels.",
    )
    raw = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["connection", "vendor_id"], name="unique_creator_product")]
        # Made by staff in the vendor's creator (not VirtualProduct: made here from approved artwork).
        verbose_name = "VPC product"

    def __str__(self):
        return self.name or f"Product {self.vendor_id}"


class PushedAsset(models.Model):
    """A stored copy of one artwork asset of a pushed order's item (the vendor's link kept)."""

    item = models.ForeignKey("fulfilment.PushedOrderItem", on_delete=models.CASCADE, related_name="stored_assets")
    position = models.PositiveIntegerField(help_text="Its place in the item's assets, from 0.")
    name = models.CharField(max_length=255, blank=True)
    description = models.CharField(max_length=255, blank=True)
    source_url = models.CharField("vendor link", max_length=2000, blank=True)
    state = models.CharField(max_length=10, choices=FileState.choices, default=FileState.PENDING, db_index=True)
    file = models.FileField(upload_to="pushed-assets/", blank=True, max_length=500)
    content_type = models.CharField(max_length=100, blank=True, help_text="What the bytes are (sniffed).")
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="What went wrong, in words.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item", "position"]
        constraints = [models.UniqueConstraint(fields=["item", "position"], name="unique_pushed_asset")]

    def __str__(self):
        return self.name or f"Asset {self.position + 1}"
