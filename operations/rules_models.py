"""Automation rules (operations.rules): what the back office does by itself, each switched on
or off by Managers, and the log of everything a rule did (RuleAction), shown to staff as done
"by rule X"."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from fulfilment.models import FulfilmentOrder
from orders.models import Customization, VendorConnection


class AutomationRule(models.Model):
    class Kind(models.TextChoices):
        AUTO_APPROVE = "auto_approve", "Auto-approve clean designs"
        AUTO_SEND = "auto_send", "Auto-create and send fulfilment orders"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(default=True, help_text="Switched off, the rule does nothing at all.")
    connection = models.ForeignKey(
        VendorConnection,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="automation_rules",
        verbose_name="customizer connection",
        help_text="Only designs from this connection (blank: every connection).",
    )
    delay_minutes = models.PositiveIntegerField(
        default=30,
        help_text="Auto-send: how long a new order waits as a draft (staff can hold it) before it is sent.",
    )
    # Auto-send: where orders go (customizers give no address: e.g. the merchant's own warehouse).
    ship_to_name = models.CharField("ship to (name)", max_length=255, blank=True)
    ship_to_address_1 = models.CharField("ship to (address line 1)", max_length=255, blank=True)
    ship_to_city = models.CharField("ship to (town or city)", max_length=255, blank=True)
    ship_to_postcode = models.CharField("ship to (postcode)", max_length=32, blank=True)
    ship_to_country_code = models.CharField("ship to (country code)", max_length=2, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class RuleAction(models.Model):
    """One thing a rule did (or decided not to do), with its target and the outcome in words."""

    class What(models.TextChoices):
        APPROVE = "approve", "Approved a design"
        CREATE_ORDER = "create_order", "Created a fulfilment order"
        SEND = "send", "Sent a fulfilment order"

    class Outcome(models.TextChoices):
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="actions")
    what = models.CharField(max_length=20, choices=What.choices)
    customization = models.ForeignKey(
        Customization, null=True, blank=True, on_delete=models.CASCADE, related_name="rule_actions"
    )
    fulfilment_order = models.ForeignKey(
        FulfilmentOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="rule_actions"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.DONE)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "rule action"

    def __str__(self):
        return f"{self.get_what_display()} by rule {self.rule.name} ({self.get_outcome_display()})"

    @property
    def target(self) -> str:
        return str(self.fulfilment_order or self.customization or "—")


class AutoSend(models.Model):
    """A design approved while an auto-send rule was on: ordered once its print files are ready,
    and the order sent once `send_after` has passed (unless it is on hold)."""

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="auto_sends")
    customization = models.OneToOneField(Customization, on_delete=models.CASCADE, related_name="auto_send")
    fulfilment_order = models.ForeignKey(
        FulfilmentOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="auto_sends"
    )
    created_at = models.DateTimeField(default=timezone.now)
    send_after = models.DateTimeField(null=True, blank=True, db_index=True)
    done_at = models.DateTimeField(null=True, blank=True, db_index=True)
    note = models.CharField(max_length=500, blank=True, help_text="Why it waits, in words.")

    class Meta:
        verbose_name = "auto-send"

    def __str__(self):
        return f"Auto-send of {self.customization}"
