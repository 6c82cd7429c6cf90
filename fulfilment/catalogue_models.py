"""The partner's product catalogue (CATALOGUE) and batch orders (BATCH_ORDERS), vendor-neutral.

The partner's API can create, read, update and delete categories, products and variants but not
list them: the catalogue is kept here, and every save is pushed (fulfilment.services.catalogue).
Each record keeps the partner's id of it (`vendor_id`, a string: a partner may type its ids as
UID strings in one place and integers in another) and how its last push went. Required fields
follow the partner's documentation (Ideal Factory's OMS API v1).

Imported by fulfilment.models, so Django sees these as the fulfilment app's models."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator
from django.db import models
from django.utils import timezone

from integrations.partners import CatalogueKind
from orders.models import VendorConnection


class PushState(models.TextChoices):
    NOT_PUSHED = "not_pushed", "Not pushed"
    PUSHED = "pushed", "Pushed"
    FAILED = "failed", "Push failed"


class CatalogueRecord(models.Model):
    """What every catalogue record has: its connection, the partner's id, how its push went."""

    kind: CatalogueKind  # set by each concrete model
    connection: VendorConnection  # each concrete model's own field
    connection_id: int

    vendor_id = models.CharField(
        "partner's id", max_length=64, blank=True, editable=False, help_text="Blank until it is created at the partner."
    )
    push_state = models.CharField(
        max_length=12, choices=PushState.choices, default=PushState.NOT_PUSHED, editable=False, db_index=True
    )
    pushed_at = models.DateTimeField("last pushed at", null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False, help_text="Why the last push failed, in words.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def pushes(self):
        """Its pushes, newest first (no GenericRelation: that would delete them with it)."""
        return CataloguePush.objects.filter(content_type=ContentType.objects.get_for_model(self), object_id=self.pk)

    def parent_record(self) -> "CatalogueRecord | None":
        """The record that must exist at the partner before this one (None: none)."""
        return None

    def has_children(self) -> bool:
        return False

    def _moved_from_connection(self, connection_id) -> bool:
        """Whether a record already at a partner would now go to another connection's partner."""
        if not (self.pk and self.vendor_id and connection_id):
            return False
        stored = type(self).objects.filter(pk=self.pk).values_list("connection_id", flat=True).first()
        return stored is not None and stored != connection_id


class CatalogueCategory(CatalogueRecord):
    kind = CatalogueKind.CATEGORY

    connection = models.ForeignKey(VendorConnection, on_delete=models.PROTECT, related_name="catalogue_categories")
    name = models.CharField(max_length=255)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    description = models.TextField(blank=True)
    default_dpi = models.PositiveIntegerField("default DPI", default=300)
    editor_category_id = models.CharField("editor category id", max_length=64, blank=True)
    default_location_id = models.CharField("default location id", max_length=64, blank=True)

    class Meta:
        ordering = ["connection", "name"]
        verbose_name = "catalogue category"
        verbose_name_plural = "catalogue categories"

    def __str__(self):
        return self.name

    def parent_record(self):
        return self.parent

    def has_children(self) -> bool:
        return self.children.exists() or self.products.exists()

    def clean(self):
        errors = {}
        if self.parent_id and self.connection_id and self.parent.connection_id != self.connection_id:
            errors["parent"] = "The parent category belongs to another connection's catalogue."
        ancestor, seen = self.parent, set()
        while ancestor is not None and self.pk and ancestor.pk not in seen:
            if ancestor.pk == self.pk:
                errors["parent"] = "A category cannot be inside itself or one of its own subcategories."
                break
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
        if self._moved_from_connection(self.connection_id):
            errors["connection"] = "It is at that connection's partner already: create it anew for another one."
        if errors:
            raise ValidationError(errors)


class CatalogueProduct(CatalogueRecord):
    kind = CatalogueKind.PRODUCT

    # The category's connection (set on save): kept here so lists filter by it.
    connection = models.ForeignKey(
        VendorConnection, on_delete=models.PROTECT, related_name="catalogue_products", editable=False
    )
    category = models.ForeignKey(CatalogueCategory, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=255)
    code = models.CharField(max_length=64, blank=True)
    order_column = models.PositiveIntegerField("order", help_text="Its place in the partner's listings.")
    active = models.BooleanField(default=True)
    description = models.TextField(blank=True)
    default_dpi = models.PositiveIntegerField("default DPI", null=True, blank=True)
    team_id = models.PositiveIntegerField("team id")
    editor_category_id = models.CharField("editor category id", max_length=64, blank=True)
    default_location_id = models.PositiveIntegerField("default location id", null=True, blank=True)

    class Meta:
        ordering = ["connection", "order_column", "name"]
        verbose_name = "catalogue product"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.connection_id = self.category.connection_id
        super().save(*args, **kwargs)

    def parent_record(self):
        return self.category

    def clean(self):
        if self.category_id and self._moved_from_connection(self.category.connection_id):
            raise ValidationError(
                {"category": "That category is another connection's: this product is at its own partner already."}
            )

    def has_children(self) -> bool:
        return self.variants.exists()


class CatalogueVariant(CatalogueRecord):
    kind = CatalogueKind.VARIANT

    connection = models.ForeignKey(
        VendorConnection, on_delete=models.PROTECT, related_name="catalogue_variants", editable=False
    )
    product = models.ForeignKey(CatalogueProduct, on_delete=models.PROTECT, related_name="variants")
    name = models.CharField(max_length=255)
    uuid = models.CharField(
        "UUID", max_length=36, blank=True, validators=[MinLengthValidator(36)], help_text="Optional; 36 characters."
    )
    product_variant_category_id = models.PositiveIntegerField("variant category id", null=True, blank=True)
    price_id = models.PositiveIntegerField("price id", null=True, blank=True)
    editor_product_id = models.CharField("editor product id", max_length=64, blank=True)
    weight = models.PositiveIntegerField(null=True, blank=True)
    length = models.PositiveIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    country_id = models.PositiveIntegerField("country id")
    customs_code = models.CharField(max_length=64, blank=True)
    customs_description = models.CharField(max_length=255, blank=True)
    long_customs_description = models.TextField(blank=True)
    default_dpi = models.PositiveIntegerField("default DPI", null=True, blank=True)
    seo_details = models.TextField("SEO details", blank=True)
    ecommerce_tags = models.CharField("e-commerce tags", max_length=500, blank=True, help_text="Comma-separated.")
    default_location_id = models.PositiveIntegerField("default location id", null=True, blank=True)

    class Meta:
        ordering = ["connection", "product", "name"]
        verbose_name = "catalogue variant"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.connection_id = self.product.connection_id
        super().save(*args, **kwargs)

    def parent_record(self):
        return self.product

    def clean(self):
        if self.product_id and self._moved_from_connection(self.product.connection_id):
            raise ValidationError(
                {"product": "That product is another connection's: this variant is at its own partner already."}
            )


class CataloguePush(models.Model):
    """One create, update or delete sent to the partner, and its answer: the record's history.
    Kept when the record itself is deleted."""

    class Action(models.TextChoices):
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"

    connection = models.ForeignKey(VendorConnection, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=[(k.value, k.value.capitalize()) for k in CatalogueKind])
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    record_name = models.CharField(max_length=255, help_text="The record's name when it was pushed.")
    vendor_id = models.CharField("partner's id", max_length=64, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    body = models.JSONField(default=dict, blank=True, help_text="What was sent, in the partner's field names.")
    answer = models.JSONField(null=True, blank=True, help_text="What the partner answered.")
    ok = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name_plural = "catalogue pushes"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"{self.get_action_display()} {self.kind} {self.record_name}: {'ok' if self.ok else 'failed'}"


class VariantMapping(models.Model):
    """Which partner variant an order line is sent as (the order item's ecommerce_variant_id):
    matched by the store's variant id, the customizer's template id or the SKU."""

    class MatchBy(models.TextChoices):
        STORE_VARIANT = "store_variant", "Store variant id"
        TEMPLATE = "template", "Customizer template id"
        SKU = "sku", "SKU"

    connection = models.ForeignKey(VendorConnection, on_delete=models.CASCADE, related_name="variant_mappings")
    match_by = models.CharField(max_length=15, choices=MatchBy.choices)
    match_value = models.CharField(max_length=255, help_text="The store variant id, template id or SKU to match.")
    catalogue_variant = models.ForeignKey(
        CatalogueVariant,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="mappings",
        help_text="Sent as its partner's id (once pushed).",
    )
    ecommerce_variant_id = models.CharField(
        "variant id to send", max_length=64, blank=True, help_text="Typed in: sent as it is."
    )

    class Meta:
        ordering = ["connection", "match_by", "match_value"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "match_by", "match_value"], name="unique_variant_mapping"),
            models.CheckConstraint(
                condition=(models.Q(catalogue_variant__isnull=False) & models.Q(ecommerce_variant_id=""))
                | (models.Q(catalogue_variant__isnull=True) & ~models.Q(ecommerce_variant_id="")),
                name="variant_mapping_one_target",
            ),
        ]

    def __str__(self):
        target = self.catalogue_variant or self.ecommerce_variant_id
        return f"{self.get_match_by_display()} {self.match_value} → {target}"

    def clean(self):
        self.match_value = (self.match_value or "").strip()
        self.ecommerce_variant_id = (self.ecommerce_variant_id or "").strip()
        if bool(self.catalogue_variant_id) == bool(self.ecommerce_variant_id):
            raise ValidationError("Choose a catalogue variant or type a variant id to send (one of the two).")
        if (
            self.catalogue_variant_id
            and self.connection_id
            and self.catalogue_variant.connection_id != self.connection_id
        ):
            raise ValidationError({"catalogue_variant": "This variant belongs to another connection's catalogue."})


class PrintTemplate(models.Model):
    """A print template made by hand in the partner's dashboard, entered here by its UID."""

    connection = models.ForeignKey(VendorConnection, on_delete=models.CASCADE, related_name="print_templates")
    vendor_uid = models.CharField("partner's UID", max_length=64)
    name = models.CharField(max_length=255)

    class Meta:
        ordering = ["connection", "name"]
        constraints = [models.UniqueConstraint(fields=["connection", "vendor_uid"], name="unique_print_template")]

    def __str__(self):
        return f"{self.name} ({self.vendor_uid})"


class BatchOrder(models.Model):
    """Items of several sent orders combined by the partner into one print file."""

    connection = models.ForeignKey(VendorConnection, on_delete=models.PROTECT, related_name="batch_orders")
    vendor_id = models.CharField("partner's id", max_length=64)
    status_code = models.CharField(
        "status", max_length=100, blank=True, help_text="The partner's own word for it, whatever it is."
    )
    raw = models.JSONField(null=True, blank=True, help_text="The partner's last answer.")
    items = models.ManyToManyField("fulfilment.FulfilmentItem", related_name="batch_orders")
    templates = models.ManyToManyField(PrintTemplate, related_name="batch_orders")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    refreshed_at = models.DateTimeField("last refreshed", null=True, blank=True)
    error = models.TextField(blank=True, help_text="Why the last refresh failed, in words.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["connection", "vendor_id"], name="unique_batch_order")]

    def __str__(self):
        return f"Batch {self.vendor_id} ({self.status_code or 'no status'})"
