"""Fulfilment with any partner (integrations.partners): orders we send (we are the retailer) and
orders pushed to us (we are the supplier), their statuses, shipments and labels, stock levels,
and every incoming request, raw. Statuses are ours (FulfilmentStatus), with the partner's own
code and name kept beside them."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.partners import STATUS_LABELS, HookKind, LineKind
from orders.models import Customization, StoreOrder, VendorConnection
from orders.text import counted

from .address import COUNTRY_HELP, country_code_validate

STATUS_CHOICES = [(status.value, label) for status, label in STATUS_LABELS.items()]


def status_fields():
    """Where the partner says it is: our status, and the partner's own code and name for it."""
    return (
        models.CharField(
            max_length=20, choices=STATUS_CHOICES, blank=True, db_index=True, help_text="Blank: none of ours."
        ),
        models.CharField("vendor status code", max_length=64, blank=True),
        models.CharField("vendor status", max_length=64, blank=True),
    )


class Address(models.Model):
    """The customer and where the goods go (fulfilment.address: the fields, the form, the one
    country check). Blank is allowed here; an order we send requires its own (below)."""

    customer_name = models.CharField(max_length=255, blank=True)
    customer_email = models.EmailField(blank=True)
    customer_telephone = models.CharField(max_length=64, blank=True)
    shipping_company = models.CharField(max_length=255, blank=True)
    shipping_address_1 = models.CharField(max_length=255, blank=True)
    shipping_address_2 = models.CharField(max_length=255, blank=True)
    shipping_address_3 = models.CharField(max_length=255, blank=True)
    shipping_address_4 = models.CharField("city or town", max_length=255, blank=True)
    shipping_address_5 = models.CharField("region", max_length=255, blank=True)
    shipping_postcode = models.CharField(max_length=32, blank=True)
    shipping_country_code = models.CharField(
        max_length=2, blank=True, help_text=COUNTRY_HELP, validators=[country_code_validate]
    )

    class Meta:
        abstract = True


class IncomingRequest(models.Model):
    """Every status callback and order push, stored before anything else is done with it."""

    class Kind(models.TextChoices):
        STATUS_CALLBACK = HookKind.STATUS_CALLBACK.value, "Status callback"
        ORDER_PUSH = HookKind.ORDER_PUSH.value, "Order push"
        PRINT_FILES_READY = HookKind.PRINT_FILES_READY.value, "Print files ready"
        SAVED_DESIGN = HookKind.SAVED_DESIGN.value, "Saved design"

    class Outcome(models.TextChoices):
        RECEIVED = "received", "Received"
        APPLIED = "applied", "Applied"
        DUPLICATE = "duplicate", "Duplicate (already applied)"
        LATE = "late", "Ignored: older than current"
        CONFLICT = "conflict", "Conflict (not applied, shown to staff)"
        IGNORED = "ignored", "Ignored (status we do not act on)"
        UNMATCHED = "unmatched", "Unmatched (unknown order)"
        REJECTED = "rejected", "Rejected (not verified)"
        INVALID = "invalid", "Invalid (unreadable)"
        ERROR = "error", "Error (kept to reprocess)"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    connection = models.ForeignKey(VendorConnection, null=True, blank=True, on_delete=models.SET_NULL)
    hook = models.CharField(max_length=50, blank=True, help_text="The hook it came to (the URL's last segment).")
    method = models.CharField(max_length=10)
    headers = models.JSONField(default=dict, blank=True, help_text="Credentials and cookies removed.")
    body = models.TextField(blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    verified = models.BooleanField(default=False)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RECEIVED, db_index=True)
    note = models.TextField(blank=True)
    size_bytes = models.PositiveIntegerField(default=0, help_text="The body's size as received.")
    error_traceback = models.TextField(blank=True, help_text="When applying failed unexpectedly.")
    reprocessed_at = models.DateTimeField(null=True, blank=True)
    reprocessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        permissions = [("reprocess_incomingrequest", "Can reprocess stored vendor requests")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.get_outcome_display()})"


class FulfilmentOrder(Address):
    """An order we send to a fulfilment partner: approved customizations to be printed. `state` is
    our side (sending it); `status` is the partner's news about it, once sent."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        QUEUED = "queued", "Queued to send"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed to send"
        DISCARDED = "discarded", "Discarded"
        # A send whose answer was lost, to a partner whose send is not idempotent: never sent
        # again blindly; the partner is asked (probe) or staff confirm.
        CHECK = "check", "Check: did the partner get it?"

    connection = models.ForeignKey(VendorConnection, on_delete=models.PROTECT, related_name="fulfilment_orders")
    store_order = models.ForeignKey(StoreOrder, null=True, blank=True, on_delete=models.SET_NULL)
    external_ref = models.CharField(max_length=64, unique=True, help_text="Ours, unique: makes sending idempotent.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT, db_index=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="Waiting (a rate limit): the reconciler sends it then."
    )
    reconciliations = models.PositiveIntegerField(
        default=0, help_text="Times the reconciler found it stuck and queued it again."
    )
    status_conflict = models.TextField(
        blank=True, help_text="Final statuses that contradict each other (e.g. Cancelled after Dispatched)."
    )
    sale_datetime = models.DateTimeField(default=timezone.now, help_text="UTC; not in the future.")
    required_dispatch_date = models.DateField(null=True, blank=True)
    # Required to send (the partners' rule; staff's form asks for them).
    shipping_address_1 = models.CharField(max_length=255)
    shipping_postcode = models.CharField(max_length=32)
    shipping_country_code = models.CharField(max_length=2, help_text=COUNTRY_HELP, validators=[country_code_validate])
    shipping_method = models.CharField(max_length=100, blank=True)
    shipping_carrier = models.CharField(max_length=100, blank=True)
    # What richer partners keep (integrations.partners.OrderToSend); all optional.
    shipping_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    subtotal_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    total_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=8, blank=True, help_text="ISO 4217, e.g. EUR (default: the store order's).")
    note = models.TextField(blank=True, help_text="For the partner.")
    partner_store = models.CharField(
        max_length=64, blank=True, help_text="The partner's store, when the connection has several (its store_ids)."
    )
    coupon_code = models.CharField(max_length=100, blank=True)
    payment_trans_id = models.CharField("payment transaction id", max_length=255, blank=True)
    # The billing name and address; all blank: the same as the shipping address.
    billing_customer_name = models.CharField("billing name", max_length=255, blank=True)
    billing_company = models.CharField(max_length=255, blank=True)
    billing_address_1 = models.CharField(max_length=255, blank=True)
    billing_address_2 = models.CharField(max_length=255, blank=True)
    billing_address_3 = models.CharField(max_length=255, blank=True)
    billing_address_4 = models.CharField("billing city or town", max_length=255, blank=True)
    billing_address_5 = models.CharField("billing region", max_length=255, blank=True)
    billing_postcode = models.CharField(max_length=32, blank=True)
    billing_country_code = models.CharField(
        max_length=2,
        blank=True,
        help_text=COUNTRY_HELP + " (blank: the shipping country)",
        validators=[country_code_validate],
    )
    probes = models.PositiveIntegerField(
        default=0, help_text="Times the partner was asked whether it got the order (state Check)."
    )
    # Held (operations' holds and rules): not sent, by hand or by the auto-send rule, until
    # released, or until hold_until passes. A hold says why and who.
    on_hold = models.BooleanField(default=False, db_index=True)
    hold_until = models.DateTimeField(null=True, blank=True, help_text="Blank: until released.")
    hold_reason = models.CharField(max_length=255, blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A reprint: a new order for work already shipped, linked to the order it reprints.
    reprint_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reprints")
    reprint_reason = models.CharField(max_length=255, blank=True)
    status, vendor_status_code, vendor_status_name = status_fields()
    has_error = models.BooleanField(default=False, help_text="Created by the vendor in an error state (queried).")
    error_message = models.TextField(blank=True, help_text="The vendor's own message.")
    last_error = models.TextField(blank=True, help_text="Why the last send failed, in words.")
    attempts = models.PositiveIntegerField(default=0)
    reconciled = models.BooleanField(default=False, help_text="A retry found the vendor already had it.")
    request_payload = models.JSONField(default=dict, blank=True)
    response_payload = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("send_fulfilmentorder", "Can send fulfilment orders to the vendor")]
        indexes = [
            # The dashboard: orders per day per partner (index-only over the window), turnaround
            # of the orders sent in it, and the late ones (only open orders with a date: small).
            models.Index(fields=["created_at", "connection", "state"], name="fulfilmentorder_day_partner"),
            models.Index(fields=["sent_at"], name="fulfilmentorder_sent_at"),
            # The admin list (orders.admin.scale): the default ordering, by state, the vendor status values.
            models.Index(fields=["created_at", "id"], name="fulfilmentorder_list_order"),
            models.Index(fields=["state", "created_at", "id"], name="fulfilmentorder_state_list"),
            models.Index(fields=["vendor_status_name"], name="fulfilmentorder_vendor_status"),
            models.Index(
                fields=["required_dispatch_date"],
                name="fulfilmentorder_open_dispatch",
                condition=Q(required_dispatch_date__isnull=False)
                & ~Q(state="discarded")
                & ~Q(status__in=["shipped", "shipped_confirmed", "cancelled"]),
            ),
        ]

    def __str__(self):
        return self.external_ref


ITEM_KINDS = [
    (LineKind.ARTWORK.value, "Artwork (the design's print files)"),
    (LineKind.PRINT_ON_DEMAND.value, "Print-on-demand sample"),
    (LineKind.STOCK.value, "Stock item (no artwork)"),
    (LineKind.TEXTUAL.value, "Textual item"),
]


class FulfilmentItem(models.Model):
    order = models.ForeignKey(FulfilmentOrder, on_delete=models.CASCADE, related_name="items")
    customization = models.ForeignKey(Customization, on_delete=models.PROTECT, related_name="fulfilment_items")
    external_ref = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField(default=1)
    sku = models.CharField(max_length=255, blank=True)
    description = models.CharField(max_length=255, blank=True)
    vendor_id = models.CharField(max_length=64, blank=True)
    vendor_ref = models.CharField(max_length=64, blank=True)
    # What the item is (integrations.partners.LineKind) and what each kind needs; the partner's
    # `problems` says in words what its rules require of them.
    kind = models.CharField(
        "item type",
        max_length=20,
        choices=ITEM_KINDS,
        default=LineKind.ARTWORK.value,
        help_text="Artwork: the design's print files. The others send no print file.",
    )
    print_on_demand_ref = models.CharField(
        "print-on-demand ref", max_length=64, blank=True, help_text="Print-on-demand: the partner's sample."
    )
    textual_product_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="Textual item: the partner's product id."
    )
    colour = models.CharField(max_length=64, blank=True)
    size = models.CharField(max_length=64, blank=True)
    # Denormalised from the order: True until the vendor cancels it or staff discard it. The
    # partial unique constraint below is what stops one design being printed twice (a double
    # submit, two staff at once): the database, not a check-then-insert, decides.
    live = models.BooleanField(default=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "external_ref"], name="unique_fulfilment_item"),
            models.UniqueConstraint(
                fields=["customization"], condition=Q(live=True), name="one_live_fulfilment_item_per_customization"
            ),
        ]

    def __str__(self):
        return f"{self.external_ref} × {self.quantity}"

    def clean(self):
        """What each kind needs, whatever the partner (its own rules: the partner's `problems`)."""
        from django.core.exceptions import ValidationError

        if self.kind == LineKind.PRINT_ON_DEMAND and not self.print_on_demand_ref.strip():
            raise ValidationError({"print_on_demand_ref": "A print-on-demand item needs the ref of its sample."})
        if self.kind == LineKind.TEXTUAL and self.textual_product_id is None:
            raise ValidationError({"textual_product_id": "A textual item needs the partner's product id."})

    @property
    def store_item_id(self) -> str:
        """The id a partner knows this line by, unique across every order we send it (the one
        rule for LineToSend.store_item_id and PartnerPrintFile.store_item_id)."""
        return f"{self.order.external_ref}-{self.external_ref}"


class RoutingRule(models.Model):
    """Which partner a design goes to (fulfilment.services.routing): the first active rule, by
    priority (lowest first), whose conditions all hold. A rule with no condition is the default
    (at most one active)."""

    connection = models.ForeignKey(
        VendorConnection, on_delete=models.CASCADE, related_name="routing_rules", verbose_name="partner"
    )
    product_contains = models.CharField(
        max_length=255, blank=True, help_text="The design's product title contains this (any case)."
    )
    template_id = models.CharField(max_length=64, blank=True, help_text="The customizer's template id, exactly.")
    sku = models.CharField(
        "SKU", max_length=255, blank=True, help_text="The SKU exactly, or a prefix ending in * (MUG-*)."
    )
    priority = models.PositiveIntegerField(default=100, help_text="Lower goes first.")
    is_active = models.BooleanField("active", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True, product_contains="", template_id="", sku=""),
                name="one_active_default_routing_rule",
                violation_error_message="There is already an active default rule (one with no condition).",
            )
        ]

    def __str__(self):
        return f"{self.condition} → {self.connection.name}"

    @property
    def is_default(self) -> bool:
        return not (self.product_contains or self.template_id or self.sku)

    @property
    def condition(self) -> str:
        parts = []
        if self.product_contains:
            parts.append(f"product contains “{self.product_contains}”")
        if self.template_id:
            parts.append(f"template {self.template_id}")
        if self.sku:
            parts.append(f"SKU {self.sku}")
        return " and ".join(parts) or "default (every design)"


class OrderAction(models.Model):
    """What staff (or the probe after a lost answer) did to a sent order at the partner, with
    what was sent and what the partner answered, and the holds, releases and reprints of the
    order (nothing sent): the order's "Staff actions" timeline, and its activity feed."""

    class Action(models.TextChoices):
        UPDATE = "update", "Update"
        CANCEL = "cancel", "Cancel"
        GET = "get", "Get status"
        PROBE = "probe", "Probe (did the partner get it?)"
        CONFIRM_SENT = "confirm_sent", "Confirm sent"
        SEND_AGAIN = "send_again", "Send again anyway"
        # Ours only, nothing sent to the partner (fulfilment.services.holds).
        HOLD = "hold", "Hold"
        RELEASE = "release", "Release"
        REPRINT = "reprint", "Reprint"

    order = models.ForeignKey(FulfilmentOrder, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(max_length=20, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    sent = models.JSONField(null=True, blank=True, help_text="What was sent to the partner.")
    answer = models.JSONField(null=True, blank=True, help_text="What the partner answered.")
    ok = models.BooleanField(default=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"


class VendorOrder(models.Model):
    """An order at the partner. One of ours may be split into several (one per supplier)."""

    connection = models.ForeignKey(VendorConnection, on_delete=models.CASCADE)
    fulfilment_order = models.ForeignKey(
        FulfilmentOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="vendor_orders"
    )
    vendor_id = models.CharField(max_length=64)
    ref = models.CharField(max_length=64, blank=True)
    external_ref = models.CharField(max_length=64, blank=True, db_index=True)
    has_error = models.BooleanField(default=False)
    error_message = models.TextField(blank=True)
    status, vendor_status_code, vendor_status_name = status_fields()
    shipping_tracking = models.CharField(max_length=255, blank=True)
    shipping_carrier = models.CharField(max_length=100, blank=True)
    shipping_method = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "vendor_id"], name="unique_vendor_order")]

    def __str__(self):
        return f"{self.ref or self.vendor_id} ({self.vendor_status_name or 'no status yet'})"


class StatusEvent(models.Model):
    """One status the vendor reported. Replays of the same callback land on the same event."""

    fulfilment_order = models.ForeignKey(
        FulfilmentOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    vendor_order = models.ForeignKey(
        VendorOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    incoming = models.ForeignKey(IncomingRequest, null=True, blank=True, on_delete=models.SET_NULL)
    status, vendor_status_code, vendor_status_name = status_fields()
    shipping_tracking = models.CharField(max_length=255, blank=True)
    shipping_carrier = models.CharField(max_length=100, blank=True)
    shipping_method = models.CharField(max_length=100, blank=True)
    extra = models.JSONField(default=dict, blank=True, help_text="Fields we do not act on (shipments, ...).")
    received_at = models.DateTimeField(default=timezone.now)
    dedupe_key = models.CharField(max_length=64, unique=True)
    effect = models.CharField(
        max_length=10,
        choices=[
            ("apply", "Applied"),
            ("late", "Late (ignored)"),
            ("conflict", "Conflict (not applied)"),
            ("unknown", "Unknown status (ignored)"),
        ],
        default="apply",
    )
    effect_note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self):
        return f"{self.vendor_status_name or self.vendor_status_code} at {self.received_at:%Y-%m-%d %H:%M}"


class PushedOrder(Address):
    """An order a partner pushed to us as its supplier, to print and ship."""

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        SHIPPING = "shipping", "Shipping…"  # queued by Ship and print, until the partner answers
        SHIPPED = "shipped", "Shipped"
        SHIP_FAILED = "ship_failed", "Shipping failed"

    connection = models.ForeignKey(VendorConnection, on_delete=models.PROTECT, related_name="pushed_orders")
    incoming = models.ForeignKey(IncomingRequest, null=True, blank=True, on_delete=models.SET_NULL)
    vendor_id = models.CharField(max_length=64)
    ref = models.CharField(max_length=64, blank=True)
    external_ref = models.CharField(max_length=128, blank=True)
    # Partners push no contact details: those columns are not here.
    customer_email = customer_telephone = shipping_company = None
    shipping_carrier = models.CharField(max_length=100, blank=True)
    shipping_method = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.RECEIVED, db_index=True)
    last_error = models.TextField(blank=True)
    raw = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["connection", "vendor_id"], name="unique_pushed_order")]
        indexes = [
            # The admin list (orders.admin.scale): the default ordering, the carrier filter's values.
            models.Index(fields=["received_at", "id"], name="pushedorder_list_order"),
            models.Index(fields=["shipping_carrier"], name="pushedorder_carrier"),
        ]
        permissions = [("ship_pushedorder", "Can ship pushed orders and print their labels")]

    def __str__(self):
        return f"Pushed order {self.ref or self.vendor_id}"


class PushedOrderItem(models.Model):
    order = models.ForeignKey(PushedOrder, on_delete=models.CASCADE, related_name="items")
    vendor_id = models.CharField(max_length=64)
    type = models.IntegerField(null=True, blank=True)
    mapped_sku = models.CharField("supplier SKU", max_length=255, blank=True)
    sku = models.CharField("retail SKU", max_length=255, blank=True)
    description = models.CharField(max_length=500, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    assets = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "vendor_id"], name="unique_pushed_item")]

    def __str__(self):
        return f"{self.mapped_sku or self.sku} × {self.quantity}"


class Shipment(models.Model):
    order = models.ForeignKey(PushedOrder, on_delete=models.CASCADE, related_name="shipments")
    vendor_id = models.CharField(max_length=64)
    carrier = models.CharField(max_length=100, blank=True)
    tracking = models.CharField(max_length=255, blank=True)
    items = models.JSONField(default=list, blank=True, help_text="Items and quantities shipped, as sent.")
    raw = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "vendor_id"], name="unique_shipment")]
        indexes = [
            # The admin list (orders.admin.scale): drill-down bounds, the carrier filter's values.
            models.Index(fields=["created_at"], name="shipment_created"),
            models.Index(fields=["carrier"], name="shipment_carrier"),
        ]

    def __str__(self):
        return f"{self.carrier} {self.tracking}".strip() or self.vendor_id


class ShippingLabel(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    shipment = models.OneToOneField(Shipment, on_delete=models.CASCADE, related_name="label")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    file = models.FileField(upload_to="labels/", blank=True, max_length=500)
    content_type = models.CharField(max_length=100, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    source_url = models.URLField(max_length=1000, blank=True)
    error = models.TextField(blank=True)

    def __str__(self):
        return f"Label for {self.shipment}"

    @property
    def is_pdf(self) -> bool:
        return self.content_type.startswith("application/pdf")


class StockLevel(models.Model):
    connection = models.ForeignKey(VendorConnection, on_delete=models.CASCADE, related_name="stock_levels")
    sku = models.CharField(max_length=255)
    quantity_available = models.PositiveIntegerField(default=0)
    low_stock_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="Below this, the dashboard and the low-stock alert flag it. Blank: never."
    )
    pushed_quantity = models.PositiveIntegerField(null=True, blank=True, editable=False)
    pushed_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        constraints = [models.UniqueConstraint(fields=["connection", "sku"], name="unique_stock_sku")]
        indexes = [models.Index(fields=["sku"], name="stocklevel_sku")]  # the admin list's ordering
        permissions = [("push_stocklevel", "Can push stock levels to the vendor")]

    def __str__(self):
        return f"{self.sku}: {self.quantity_available}"

    @property
    def is_changed(self) -> bool:
        return self.pushed_quantity != self.quantity_available


class StockImport(models.Model):
    """A stock CSV kept on the server between its preview and its confirmation, so that the
    confirmation imports exactly the file that was previewed (however large) and nothing travels
    back through the browser. Tied to the user and connection that previewed it; expires after
    STOCK_IMPORT_TTL_MINUTES and is pruned (on each new preview and by beat)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    connection = models.ForeignKey(VendorConnection, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    filename = models.CharField(max_length=255, blank=True)
    encoding = models.CharField(max_length=20, help_text="The encoding the file was read with.")
    text = models.TextField(help_text="The decoded file.")

    def __str__(self):
        return f"{self.filename or 'stock CSV'} ({self.created_at:%Y-%m-%d %H:%M})"


class StockPush(models.Model):
    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Partly failed"
        FAILED = "failed", "Failed"

    connection = models.ForeignKey(VendorConnection, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices)
    sent = models.JSONField(default=list, help_text="What was sent, batch by batch.")
    answers = models.JSONField(default=list, help_text="The vendor's answer to each batch.")
    count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "stock pushes"
        ordering = ["-at"]

    def __str__(self):
        return f"Stock push of {counted(self.count, 'SKU')} at {self.at:%Y-%m-%d %H:%M}"


class RateLimitWindow(models.Model):
    """Calls made to a vendor in one window, shared by every worker through the database."""

    connection = models.ForeignKey(VendorConnection, on_delete=models.CASCADE)
    period = models.CharField(max_length=1, choices=[("h", "hour"), ("d", "day")])
    starts_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "period", "starts_at"], name="unique_rate_window"),
        ]

    def __str__(self):
        return f"{self.get_period_display()} from {self.starts_at:%Y-%m-%d %H:%M}: {self.count}"


class PartnerPrintFile(models.Model):
    """The print file a partner makes for one item it was sent (Capability.PRINT_FILE_POLLING):
    where the partner says it is (polled with backoff until it settles), and once ready, the file
    downloaded here, identified by its bytes, measured and previewed. `next_poll_at` is None once
    it has settled (stored, or failed)."""

    class State(models.TextChoices):
        RECEIVED = "received", "Received (queued at the partner)"
        PROCESSING = "processing", "Processing"
        FAILED = "failed", "Failed"
        READY = "ready", "Ready"
        UNKNOWN = "unknown", "Unknown (a code we do not know)"

    order = models.ForeignKey(FulfilmentOrder, on_delete=models.CASCADE, related_name="partner_print_files")
    item = models.OneToOneField(FulfilmentItem, on_delete=models.CASCADE, related_name="partner_print_file")
    store_item_id = models.CharField(max_length=140, db_index=True, help_text="The id the partner knows the line by.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.RECEIVED, db_index=True)
    vendor_code = models.CharField("vendor's code", max_length=64, blank=True)
    url = models.CharField(max_length=2000, blank=True, help_text="Where the partner said it is (ready only).")
    polls = models.PositiveIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True, help_text="None: settled.")
    file = models.FileField(upload_to="partner-print-files/", blank=True, max_length=500)
    content_type = models.CharField(max_length=100, blank=True, help_text="What the bytes are (sniffed).")
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True, help_text="Pixels (images).")
    height = models.PositiveIntegerField(null=True, blank=True, help_text="Pixels (images).")
    preview = models.FileField(upload_to="partner-print-files/previews/", blank=True, max_length=500)
    error = models.TextField(blank=True, help_text="What went wrong, in words.")
    raw = models.JSONField(default=dict, blank=True, help_text="The partner's last answer.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Print file of {self.store_item_id} ({self.get_state_display()})"

    @property
    def settled(self) -> bool:
        return self.state == self.State.FAILED or (self.state == self.State.READY and bool(self.file))

    @property
    def url_is_web(self) -> bool:
        return self.url.lower().startswith(("http://", "https://"))


# The partner's catalogue and batch orders (their own module, fulfilment models all the same).
from .catalogue_models import (  # noqa: E402, F401
    BatchOrder,
    CatalogueCategory,
    CatalogueProduct,
    CataloguePush,
    CatalogueVariant,
    PrintTemplate,
    PushState,
    VariantMapping,
)

# Virtual products made from approved designs (VIRTUAL_PRODUCTS).
from .virtual_product_models import VirtualProduct  # noqa: E402, F401

# Products made in a partner's creator, and pushed orders' stored artwork.
from .vpc_models import CreatorProduct, FileState, PushedAsset  # noqa: E402, F401
