from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from integrations.registry import ConnectionConfig, kind_choices, spec_for, vendor_specs

from .fields import EncryptedJSONField, EncryptedTextField


class VendorConnectionQuerySet(models.QuerySet):
    def with_capability(self, capability):
        """The connections whose vendor's spec declares `capability` (integrations.registry)."""
        from integrations.registry import specs_with

        return self.filter(kind__in=[spec.kind for spec in specs_with(capability)])


class VendorConnection(models.Model):
    """One account at one vendor: where to call it and with which credentials. What a vendor needs
    beyond the common fields is declared by its spec (integrations/<vendor>/spec.py) and stored in
    `settings` (validated against the spec) and `secrets` (one encrypted field)."""

    name = models.CharField(max_length=100, unique=True)
    # A callable: a new vendor in settings.VENDORS needs no migration.
    kind = models.CharField(max_length=30, choices=kind_choices)
    is_active = models.BooleanField(default=True, help_text="Inactive connections are never synced.")
    sync_every_minutes = models.PositiveIntegerField(
        null=True, blank=True, default=15, help_text="Scheduled sync interval; blank for no schedule."
    )
    lookback_days = models.PositiveIntegerField(
        default=30, help_text="Each sync re-reads this many days back to pick up status changes."
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
    # The vendor's settings and secrets, by the names its spec declares. Declared after every
    # field that reads django.conf.settings: from here on `settings` in this class body is this field.
    settings = models.JSONField(
        default=dict, blank=True, editable=False, help_text="The vendor's settings, as its spec declares them."
    )
    secrets = EncryptedJSONField(editable=False, help_text="The vendor's credentials. Stored encrypted; never shown.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VendorConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [("sync_vendorconnection", "Can run a sync of a vendor connection")]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def save(self, *args, **kwargs):
        spec = vendor_specs().get(self.kind)
        if spec is not None and spec.hooks and not self.hook_token:
            self.hook_token_rotate()
        super().save(*args, **kwargs)

    def clean(self):
        """Validate `settings` and `secrets` against the kind's spec; errors are keyed by the
        setting's or secret's name (the form's field and add_connection's flag have that name)."""
        spec = vendor_specs().get(self.kind)
        if spec is None:
            raise ValidationError({"kind": f"unknown vendor {self.kind!r}"})
        errors: dict[str, str] = {}
        self.settings, setting_errors = spec_settings_clean(spec, self.settings or {})
        errors |= setting_errors
        self.secrets, secret_errors = spec_secrets_clean(spec, self.secrets or {})
        errors |= secret_errors
        if errors:
            raise ValidationError(errors)

    def urls_changed(self, values: dict | None = None) -> list[str]:
        """The settings the secrets are sent to (`Setting.sends_secrets`) that differ from what is
        stored (all that are set, for a new connection). `values` (a form's cleaned data) are
        compared instead of the instance's own, where given. A blank value is the default."""
        spec = vendor_specs().get(self.kind)
        if spec is None:
            return []
        names = [s.name for s in spec.settings if s.sends_secrets]
        wanted = {name: self.settings.get(name) for name in names} | {
            name: value for name, value in (values or {}).items() if name in names
        }
        if self.pk is None:
            return [name for name in names if wanted[name]]
        row = type(self).objects.filter(pk=self.pk).values("settings").first() or {}
        stored = row.get("settings") or {}
        return [name for name in names if (wanted[name] or "") != (stored.get(name) or "")]

    def hook_token_rotate(self) -> None:
        """A new secret for the connection's hook URLs (the old URLs stop working)."""
        import hashlib
        import secrets

        self.hook_token = secrets.token_urlsafe(32)
        self.hook_token_hash = hashlib.sha256(self.hook_token.encode()).hexdigest()

    # -- the registry's view of a connection -------------------------------------------------
    # Code outside the connection's own admin and services reads settings and secrets through
    # these, never through the storage fields, so the storage can change in one place.

    @property
    def spec(self):
        return spec_for(self.kind)

    def setting(self, name: str):
        """A vendor setting (see the vendor's spec), or its default when blank."""
        value = (self.settings or {}).get(name, "")
        if value in ("", None):
            declared = {s.name: s for s in self.spec.settings}.get(name)
            return declared.default if declared else value
        return value

    def secret(self, name: str) -> str:
        """A decrypted credential. Never render or log it."""
        return (self.secrets or {}).get(name) or ""

    def config(self):
        spec = self.spec
        return ConnectionConfig(
            id=self.pk,
            name=self.name,
            kind=self.kind,
            settings={s.name: self.setting(s.name) for s in spec.settings},
            secrets={s.name: self.secret(s.name) for s in spec.secrets},
        )


TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def setting_bool(value) -> bool:
    """A yes/no setting from a checkbox, JSON or a command flag; anything else is refused (a typo
    such as "ture" must not quietly read as "no")."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise ValidationError(f'"{str(value)[:20]}" is not yes or no: use one of {", ".join(TRUE_WORDS + FALSE_WORDS)}.')


def spec_settings_clean(spec, values) -> tuple[dict, dict[str, str]]:
    """A spec's settings from `values`: stripped, typed, validated; blank ones left out (they
    read as the default). Returns (settings, errors by name)."""
    declared = {s.name: s for s in spec.settings}
    errors = {name: f"{spec.label} has no setting {name!r}" for name in values if name not in declared}
    cleaned = {}
    for setting in spec.settings:
        value = values.get(setting.name, "")
        if isinstance(value, str):
            value = value.strip()
        if value in ("", None):
            if setting.required:
                errors[setting.name] = f"{spec.label} needs the {setting.label[0].lower()}{setting.label[1:]}."
            continue
        try:
            if setting.type == "url":
                URLValidator(schemes=["http", "https"])(value)
            if setting.type == "int":
                value = int(value)
            elif setting.type == "bool":
                value = setting_bool(value)
            elif not isinstance(value, str):
                raise ValidationError("must be text")
            if setting.validate is not None:
                setting.validate(value)
        except (ValidationError, ValueError) as exc:
            messages = getattr(exc, "messages", None) or [str(exc)]
            errors[setting.name] = messages[0]
            continue
        cleaned[setting.name] = value
    return cleaned, errors


def spec_secrets_clean(spec, values) -> tuple[dict, dict[str, str]]:
    """A spec's secrets from `values`: stripped; blank ones left out. Returns (secrets, errors)."""
    declared = {s.name: s for s in spec.secrets}
    errors = {name: f"{spec.label} has no secret {name!r}" for name in values if name not in declared}
    cleaned = {}
    for secret in spec.secrets:
        value = values.get(secret.name) or ""
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            if secret.required:
                errors[secret.name] = f"{spec.label} needs the {secret.label}."
            continue
        cleaned[secret.name] = value
    return cleaned, errors


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
        indexes = [
            # The dashboard: failed syncs of the last day, and each connection's last good sync.
            models.Index(fields=["status", "started_at"], name="syncrun_status_started"),
            models.Index(fields=["connection", "status", "finished_at"], name="syncrun_last_good"),
            # The admin list (orders.admin.scale): its default ordering and drill-down bounds.
            models.Index(fields=["started_at"], name="syncrun_started"),
        ]
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
        indexes = [
            # The admin list (orders.admin.scale): its default ordering, the payment filter's values.
            models.Index(fields=["ordered_at", "id"], name="storeorder_list_order"),
            models.Index(fields=["payment_status"], name="storeorder_payment_status"),
        ]

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
    awaiting_review = models.BooleanField(
        default=False,
        editable=False,
        help_text="In the review queue: undecided, and artwork approval pending, bad words or a connection "
        "that reviews everything. Kept in step by orders/services/review_flag.py.",
    )
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
        indexes = [
            models.Index(fields=["connection", "status"]),
            models.Index(fields=["decision", "customized_at"]),
            # The dashboard's designs per day per source: an index-only scan over the window.
            models.Index(fields=["customized_at", "connection"], name="customization_day_source"),
            # The list's search by vendor id ("=external_id": UPPER(external_id) = UPPER(term)).
            models.Index(Upper("external_id"), name="customization_external_id_up"),
            # The review queue, oldest first: only the rows awaiting review are in it.
            models.Index(
                fields=["customized_at", "id"], condition=Q(awaiting_review=True), name="customization_review_queue"
            ),
            # Its "bad words" reason (the dashboard's count, the queue filtered): a sliver of a big queue,
            # which the queue's own index would walk entry by entry to find.
            models.Index(
                fields=["customized_at", "id"],
                condition=Q(awaiting_review=True, has_bad_words=True),
                name="customization_flagged_queue",
            ),
            # The admin list (orders.admin.scale): the default ordering, by status, by source.
            models.Index(fields=["customized_at", "id"], name="customization_list_order"),
            models.Index(fields=["status", "customized_at", "id"], name="customization_status_list"),
            models.Index(fields=["connection", "customized_at", "id"], name="customization_source_list"),
        ]
        permissions = [
            ("review_customization", "Can approve or reject designs"),
            ("undo_decision", "Can undo a review decision"),
        ]

    def __str__(self):
        return f"{self.connection.get_kind_display()} {self.external_id}"

    # What the review queue's condition reads (orders/services/review_flag.py keeps the flag in
    # step where rows are written in bulk; a save() of one row sets it here).
    QUEUE_FIELDS = frozenset({"decision", "status", "has_bad_words", "connection"})

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or self.QUEUE_FIELDS & set(update_fields):
            self.awaiting_review = self.queue_condition_holds()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "awaiting_review"}
        super().save(*args, **kwargs)

    def queue_condition_holds(self) -> bool:
        return self.decision == self.Decision.UNDECIDED and (
            self.status == self.Status.ARTWORK_APPROVAL_PENDING
            or self.has_bad_words
            or self.connection.review_everything
        )


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
    # The vendor's preview mirrored into our storage in the background (orders/services/thumbnails.py),
    # so lists show it without loading the vendor's host: made from `thumbnail_source` (the
    # preview_url it was fetched from; a changed preview is mirrored again).
    thumbnail = models.FileField(upload_to="thumbnails/", blank=True, max_length=500)
    thumbnail_source = models.URLField(max_length=1000, blank=True)
    thumbnail_state = models.CharField(
        max_length=10,
        blank=True,
        choices=[("ready", "Ready"), ("refused", "Refused"), ("failed", "Failed")],
    )
    thumbnail_error = models.TextField(blank=True)
    thumbnail_attempts = models.PositiveSmallIntegerField(default=0)

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
    by_rule = models.CharField(
        max_length=100, blank=True, help_text="The automation rule that made it (blank: a staff member)."
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        who = f"rule {self.by_rule}" if self.by_rule else self.user
        return f"{self.get_action_display()} {self.customization} by {who} at {self.at:%Y-%m-%d %H:%M}"


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
    # A Manager accepted a file that needs attention (preflight) anyway: it is ready, and who and
    # when are kept beside the problem it had. A new fetch clears them.
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "print file"
        permissions = [
            ("retry_sideartwork", "Can retry an artwork download"),
            ("accept_sideartwork", "Can accept a print file that needs attention anyway"),
        ]

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
