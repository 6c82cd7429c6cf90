from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.mycustomizer.types import DEFAULT_BASE_URL as MYCUSTOMIZER_BASE_URL
from integrations.qstomizer.types import DEFAULT_BASE_URL as QSTOMIZER_BASE_URL

from .fields import EncryptedTextField


class VendorConnection(models.Model):
    """One account at one vendor: where to call it and with which credentials."""

    class Kind(models.TextChoices):
        QSTOMIZER = "qstomizer", "Qstomizer"
        KICKFLIP = "kickflip", "Kickflip"
        MYCUSTOMIZER = "mycustomizer", "MyCustomizer"
        CUSTOM_GATEWAY = "custom_gateway", "Custom Gateway"

    DEFAULT_BASE_URLS = {
        Kind.QSTOMIZER: QSTOMIZER_BASE_URL,
        Kind.KICKFLIP: MYCUSTOMIZER_BASE_URL,
        Kind.MYCUSTOMIZER: MYCUSTOMIZER_BASE_URL,
    }
    # Customizer apps: the kinds whose customizations are synced.
    CUSTOMIZER_KINDS = (Kind.QSTOMIZER, Kind.KICKFLIP, Kind.MYCUSTOMIZER)
    # Kinds whose API has the bad-words list ("wordfilter").
    WORDFILTER_KINDS = (Kind.KICKFLIP,)

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    shop_domain = models.CharField(
        max_length=255, blank=True, help_text="Qstomizer: the Shopify store, e.g. mystore.myshopify.com"
    )
    company = models.CharField(
        "company / brand", max_length=255, blank=True, help_text="Kickflip / MyCustomizer: your company or brand name."
    )
    api_key = EncryptedTextField(
        "API key / token",
        blank=True,
        help_text="Qstomizer API key or Kickflip JWT. Stored encrypted; never shown back.",
    )
    base_url = models.URLField(blank=True, help_text="Leave blank for the vendor's production URL.")
    is_active = models.BooleanField(default=True, help_text="Inactive connections are never synced.")
    sync_every_minutes = models.PositiveIntegerField(
        null=True, blank=True, default=15, help_text="Scheduled sync interval; blank for no schedule."
    )
    lookback_days = models.PositiveIntegerField(
        default=30, help_text="Each sync re-reads this many days back to pick up status changes."
    )
    # Custom Gateway: its doc lost the endpoint URLs, so each is a setting (blank: our default).
    orders_url = models.URLField("Order-iT orders URL", max_length=500, blank=True)
    shipping_url = models.CharField(
        "order shipping URL", max_length=500, blank=True, help_text="May contain {order_id}. Blank: the default."
    )
    stock_url = models.URLField("stock URL", max_length=500, blank=True)
    push_hmac_key = EncryptedTextField(
        "order push HMAC key", blank=True, help_text="Custom Gateway supplier: verifies pushed orders. Write-only."
    )
    hook_token = EncryptedTextField(blank=True, editable=False, help_text="Secret part of this connection's hook URLs.")
    hook_token_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    hook_token_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    hook_token_rotated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    review_everything = models.BooleanField(
        default=False, help_text="Put every new customization of this connection in the review queue."
    )
    detail_concurrency = models.PositiveSmallIntegerField(
        default=8, help_text="How many customization details are fetched at once."
    )
    synced_until = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Every customization dated before this was written (by the last sync, even one that failed).",
    )
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask", null=True, blank=True, on_delete=models.SET_NULL, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [("sync_vendorconnection", "Can run a sync of a vendor connection")]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def save(self, *args, **kwargs):
        if self.kind == self.Kind.CUSTOM_GATEWAY and not self.hook_token:
            self.hook_token_rotate()
        super().save(*args, **kwargs)

    # Where the stored key is sent: changing one needs the key re-typed (see urls_changed).
    URL_FIELDS = ("base_url", "orders_url", "shipping_url", "stock_url")

    def clean(self):
        from integrations.validators import (
            company_slug_validate,
            connection_url_validate,
            custom_gateway_company_validate,
            shopify_domain_validate,
        )

        errors = {}
        self.shop_domain = self.shop_domain.strip()
        self.company = self.company.strip()
        if self.kind == self.Kind.QSTOMIZER:
            if not self.shop_domain:
                errors["shop_domain"] = "Qstomizer needs the shop, e.g. mystore.myshopify.com."
            if not self.api_key:
                errors["api_key"] = "Qstomizer needs the V3 API key."
        elif self.kind == self.Kind.CUSTOM_GATEWAY:
            if not self.company:
                errors["company"] = "Custom Gateway needs your company reference ID."
            if not self.api_key:
                errors["api_key"] = "Custom Gateway needs the API key."
        elif self.kind in (self.Kind.KICKFLIP, self.Kind.MYCUSTOMIZER):
            label = self.get_kind_display()
            if not self.company:
                errors["company"] = f"{label} needs your company (brand) name."
            if not self.api_key:
                errors["api_key"] = f"{label} needs the API token (JWT)."
        checks = [(name, connection_url_validate) for name in self.URL_FIELDS]
        if self.shop_domain:
            checks.append(("shop_domain", shopify_domain_validate))
        if self.company and self.kind == self.Kind.CUSTOM_GATEWAY:
            checks.append(("company", custom_gateway_company_validate))
        elif self.company and self.kind in (self.Kind.KICKFLIP, self.Kind.MYCUSTOMIZER):
            checks.append(("company", company_slug_validate))
        for name, check in checks:
            value = getattr(self, name)
            if name == "shipping_url":
                value = value.replace("{order_id}", "0")
            try:
                check(value)
            except ValidationError as exc:
                errors.setdefault(name, exc.messages[0])
        if errors:
            raise ValidationError(errors)

    def urls_changed(self, values: dict | None = None) -> list[str]:
        """The URL fields that differ from what is stored (all that are set, for a new connection).
        `values` (a form's cleaned data) are compared instead of the instance's own, where given."""
        wanted = {name: getattr(self, name) for name in self.URL_FIELDS} | {
            name: value for name, value in (values or {}).items() if name in self.URL_FIELDS
        }
        if self.pk is None:
            return [name for name in self.URL_FIELDS if wanted[name]]
        stored = type(self).objects.filter(pk=self.pk).values(*self.URL_FIELDS).first() or {}
        return [name for name in self.URL_FIELDS if (wanted[name] or "") != (stored.get(name) or "")]

    def hook_token_rotate(self) -> None:
        """A new secret for the status-callback and order-push URLs (the old URLs stop working)."""
        import hashlib
        import secrets

        self.hook_token = secrets.token_urlsafe(32)
        self.hook_token_hash = hashlib.sha256(self.hook_token.encode()).hexdigest()

    # -- the registry's view of a connection -------------------------------------------------
    # Code outside the connection's own admin and services reads settings and secrets through
    # these, never through the storage fields, so the storage can change in one place.

    @property
    def spec(self):
        from integrations.registry import spec_for

        return spec_for(self.kind)

    def setting(self, name: str):
        """A vendor setting (see the vendor's spec), or its default when blank."""
        value = getattr(self, name, "")
        if value in ("", None):
            declared = {s.name: s for s in self.spec.settings}.get(name)
            return declared.default if declared else value
        return value

    def secret(self, name: str) -> str:
        """A decrypted credential. Never render or log it."""
        return getattr(self, name, "") or ""

    def config(self):
        from integrations.registry import ConnectionConfig

        spec = self.spec
        return ConnectionConfig(
            id=self.pk,
            name=self.name,
            kind=self.kind,
            settings={s.name: self.setting(s.name) for s in spec.settings},
            secrets={s.name: self.secret(s.name) for s in spec.secrets},
        )

    @property
    def has_wordfilter(self) -> bool:
        return self.kind in self.WORDFILTER_KINDS

    @property
    def effective_base_url(self) -> str:
        return self.base_url or self.DEFAULT_BASE_URLS.get(self.kind, "")


class SyncRun(models.Model):
    """One sync of one connection: what it read and wrote, and what went wrong, in words."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Finished with errors"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        ABANDONED = "abandoned", "Abandoned (worker stopped)"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Sync now"
        SCHEDULE = "schedule", "Schedule"
        COMMAND = "command", "Command"

    connection = models.ForeignKey(VendorConnection, on_delete=models.CASCADE, related_name="sync_runs")
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.MANUAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING, db_index=True)
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    read_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Every customization dated before this is written (the resume point of the next sync).",
    )
    task_id = models.CharField(
        max_length=255, blank=True, db_index=True, help_text="The Celery task that ran this sync, if any."
    )
    progress = models.FloatField(default=0.0, help_text="Share of the date range read, 0 to 1.")
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    requests_made = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=255, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # The lock: at most one running sync per connection, enforced by the database.
            models.UniqueConstraint(
                fields=["connection"], condition=Q(status="running"), name="one_running_sync_per_connection"
            )
        ]

    def __str__(self):
        return f"Sync #{self.pk} of {self.connection.name}"

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.RUNNING

    def summary(self) -> dict:
        return {
            "run": self.pk,
            "status": self.status,
            "fetched": self.fetched,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "requests": self.requests_made,
            "errors": len(self.errors),
        }

    def summary_line(self) -> str:
        return (
            f"{self.get_status_display()}: {self.fetched} fetched, {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.failed} failed ({self.requests_made} requests)"
        )


class StoreOrder(models.Model):
    """An order in the merchant's online store (Shopify) that contains customizations."""

    connection = models.ForeignKey(VendorConnection, on_delete=models.CASCADE, related_name="store_orders")
    external_id = models.CharField("vendor id", max_length=64)
    name = models.CharField(max_length=64, blank=True, db_index=True)
    store_order_id = models.CharField(
        max_length=64, blank=True, help_text="The order's id in the online store (Shopify), when the vendor gives it."
    )
    status = models.CharField(max_length=64, blank=True, db_index=True)
    payment_status = models.CharField(max_length=64, blank=True)
    status_history = models.JSONField(default=list, blank=True)
    total_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=8, blank=True)
    ordered_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True, help_text="The vendor's order, as sent.")
    payload_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-ordered_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["connection", "external_id"], name="unique_store_order")]

    def __str__(self):
        return self.name or self.external_id


class Customization(models.Model):
    """A design a customer made in a customizer app, keyed by the vendor's own id."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        STOPPED = "stopped", "Stopped"
        IN_PRODUCTION = "in_production", "In Production"
        FINISHED = "finished", "Finished"
        CANCELED = "canceled", "Canceled"
        DELETED = "deleted", "Deleted"
        ARTWORK_APPROVAL_PENDING = "artwork_approval_pending", "Artwork approval pending"
        DESIGN = "design", "Design (no vendor status)"
        UNKNOWN = "unknown", "Unknown"

    connection = models.ForeignKey(VendorConnection, on_delete=models.PROTECT, related_name="customizations")
    external_id = models.CharField("vendor id", max_length=64)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.UNKNOWN, db_index=True)
    vendor_status = models.CharField(max_length=64, blank=True, help_text="The status exactly as the vendor gave it.")
    customized_at = models.DateTimeField(null=True, blank=True, db_index=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    product_title = models.CharField(max_length=500, blank=True)
    template_id = models.CharField(max_length=64, blank=True)
    hex_color = models.CharField(max_length=32, blank=True)
    variant_title = models.CharField(max_length=255, blank=True)
    sku = models.CharField(max_length=255, blank=True)
    price = models.CharField(max_length=32, blank=True)
    options = models.JSONField(default=dict, blank=True, help_text="The variant options the customer chose.")
    production_data = models.JSONField(default=list, blank=True, help_text="Kickflip: what production needs.")
    summary = models.JSONField(default=list, blank=True, help_text="Kickflip: the customer-facing summary.")

    class Decision(models.TextChoices):
        UNDECIDED = "", "Awaiting decision"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True, default="", db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    has_bad_words = models.BooleanField(default=False, db_index=True)
    bad_words = models.JSONField(default=list, blank=True, help_text="Listed words found in its texts.")
    screened_version = models.PositiveIntegerField(default=0, help_text="Bad-words list version last screened with.")
    user_notes = models.TextField("customer's notes", blank=True)
    comments = models.TextField("merchant's comments", blank=True)
    user_agent = models.TextField(blank=True)
    listing = models.JSONField(default=list, blank=True, help_text="The vendor's list rows, as sent.")
    payload = models.JSONField(default=dict, blank=True, help_text="The vendor's detail answer, as sent.")
    payload_hash = models.CharField(max_length=64, blank=True)
    store_orders = models.ManyToManyField(StoreOrder, through="OrderLine", related_name="customizations")
    fetched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-customized_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["connection", "external_id"], name="unique_customization")]
        indexes = [models.Index(fields=["connection", "status"]), models.Index(fields=["decision", "customized_at"])]
        permissions = [
            ("review_customization", "Can approve or reject designs"),
            ("undo_decision", "Can undo a review decision"),
        ]

    def __str__(self):
        return f"{self.connection.get_kind_display()} {self.external_id}"


class CustomizationSide(models.Model):
    """One printable side of a customization (Front, Back, ...)."""

    customization = models.ForeignKey(Customization, on_delete=models.CASCADE, related_name="sides")
    external_id = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=100, blank=True)
    preview_url = models.URLField(max_length=1000, blank=True)
    design_url = models.URLField("design PNG", max_length=1000, blank=True)
    design_hd_url = models.URLField(max_length=1000, blank=True)
    generator_tool_url = models.URLField(max_length=1000, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["customization", "position"]
        constraints = [models.UniqueConstraint(fields=["customization", "external_id"], name="unique_side")]

    def __str__(self):
        return self.name or self.external_id


class DesignNode(models.Model):
    """One element of a side's design: a text or an image, with how it is drawn."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        IMAGE = "image", "Image"
        COLOUR = "colour", "Colour"
        MATERIAL = "material", "Material"
        OTHER = "other", "Other"

    side = models.ForeignKey(CustomizationSide, on_delete=models.CASCADE, related_name="nodes")
    position = models.PositiveSmallIntegerField()
    node_id = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=255, blank=True, help_text="The choice's name, e.g. 'Name color'.")
    value = models.CharField(max_length=500, blank=True, help_text="A colour, material or other chosen value.")
    text = models.TextField(blank=True)
    font_family = models.CharField(max_length=100, blank=True)
    font_size = models.FloatField(null=True, blank=True)
    fill = models.CharField(max_length=32, blank=True)
    stroke = models.CharField(max_length=32, blank=True)
    image_url = models.URLField(max_length=1000, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["side", "position"]
        constraints = [models.UniqueConstraint(fields=["side", "position"], name="unique_node_position")]

    def __str__(self):
        return self.text or self.image_url or self.node_id


class OrderLine(models.Model):
    """A customization ordered in a store order, with its quantity."""

    customization = models.ForeignKey(Customization, on_delete=models.CASCADE, related_name="order_lines")
    store_order = models.ForeignKey(StoreOrder, on_delete=models.CASCADE, related_name="lines")
    product_id = models.CharField(max_length=64, blank=True)
    variant_id = models.CharField(max_length=64, blank=True)
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customization", "store_order", "variant_id"], name="unique_order_line")
        ]

    def __str__(self):
        return f"{self.store_order} × {self.quantity}"


class BadWordList(models.Model):
    """The merchant's bad-words list: one row. Every save bumps `version` and is recorded."""

    words = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField("filtering active", default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = "bad-words list"
        verbose_name_plural = "bad-words list"
        permissions = [("sync_badwordlist", "Can pull and push the bad-words list to a vendor")]

    def __str__(self):
        return f"Bad-words list ({len(self.words)} words, {'active' if self.is_active else 'inactive'})"

    @classmethod
    def current(cls) -> "BadWordList":
        return cls.objects.order_by("pk").first() or cls.objects.create()


class BadWordChange(models.Model):
    """Who changed the bad-words list, when, how, and what changed."""

    class Source(models.TextChoices):
        STAFF = "staff", "Edited here"
        PULL = "pull", "Pulled from vendor"
        PUSH = "push", "Pushed to vendor"

    word_list = models.ForeignKey(BadWordList, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.STAFF)
    connection = models.ForeignKey(VendorConnection, null=True, blank=True, on_delete=models.SET_NULL)
    added = models.JSONField(default=list, blank=True)
    removed = models.JSONField(default=list, blank=True)
    active_before = models.BooleanField(null=True)
    active_after = models.BooleanField(null=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_source_display()} by {self.user or 'system'} at {self.at:%Y-%m-%d %H:%M}"


class WordFilterState(models.Model):
    """What a Kickflip connection's list looked like when we last pulled or pushed it, so that a
    push can tell whether someone changed the list on the vendor's side since."""

    connection = models.OneToOneField(VendorConnection, on_delete=models.CASCADE, related_name="wordfilter_state")
    words = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(null=True)
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Word filter of {self.connection.name} as of {self.seen_at:%Y-%m-%d %H:%M}"


class ReviewDecision(models.Model):
    """Every approve, reject and undo: who, when, what, why."""

    class Action(models.TextChoices):
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"
        UNDO = "undo", "Undid a decision"

    customization = models.ForeignKey(Customization, on_delete=models.CASCADE, related_name="decisions")
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.TextField(blank=True)
    previous = models.CharField(max_length=10, blank=True, help_text="The decision before this one.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.customization} by {self.user} at {self.at:%Y-%m-%d %H:%M}"


class PrintRequirement(models.Model):
    """Preflight: the smallest artwork (in pixels) a product template can be printed from."""

    connection = models.ForeignKey(
        VendorConnection, null=True, blank=True, on_delete=models.CASCADE, help_text="Blank: every connection."
    )
    template_id = models.CharField(max_length=64, help_text="The vendor's product template (Kickflip: productId).")
    min_width = models.PositiveIntegerField(help_text="pixels")
    min_height = models.PositiveIntegerField(help_text="pixels")
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["template_id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "template_id"], name="unique_print_requirement"),
            models.UniqueConstraint(
                fields=["template_id"], condition=Q(connection=None), name="unique_print_requirement_any_connection"
            ),
        ]

    def __str__(self):
        return f"Template {self.template_id}: at least {self.min_width}×{self.min_height} px"


class SideArtwork(models.Model):
    """The print-ready file of one side, fetched after approval and kept in Django's storage."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        FETCHING = "fetching", "Fetching"
        READY = "ready", "Ready"
        NEEDS_ATTENTION = "needs_attention", "Needs attention"
        FAILED = "failed", "Failed"

    side = models.OneToOneField(CustomizationSide, on_delete=models.CASCADE, related_name="artwork")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING, db_index=True)
    file = models.FileField(upload_to="artwork/", blank=True, max_length=500)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField("checksum (SHA-256)", max_length=64, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    source_url = models.URLField(max_length=1000, blank=True, help_text="Where it came from (signature removed).")
    error = models.TextField(blank=True, help_text="Why it failed or needs attention, in words.")
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "side artwork"
        permissions = [("retry_sideartwork", "Can retry an artwork download")]

    def __str__(self):
        return f"Artwork of {self.side} ({self.get_state_display()})"


class ReviewItem(Customization):
    """The review queue's entry in the admin: customizations seen as designs awaiting a decision."""

    class Meta:
        proxy = True
        verbose_name = "review queue"
        verbose_name_plural = "review queue"


class ProxiedImage(models.Model):
    """A vendor image (side preview, design PNG, node image, pushed-order asset) fetched once
    through our image proxy, sniffed and kept, so staff pages show it from our own origin (as
    GitHub's Camo does). A refused or failed fetch is kept too, with the reason shown in its place."""

    class State(models.TextChoices):
        READY = "ready", "Ready"
        REFUSED = "refused", "Refused"

    url_hash = models.CharField(max_length=64, unique=True)
    url = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices)
    file = models.FileField(upload_to="proxied/", blank=True, max_length=500)
    content_type = models.CharField(max_length=100, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    fetched_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.url[:120]
