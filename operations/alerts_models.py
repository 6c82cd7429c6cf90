"""Alerts: incidents (one per thing that went wrong, alerted once) and who wants to hear of which.

An incident is open from the first failure until the thing recovers; every failure of the same
thing in between counts on it and alerts nobody. The database decides "the same": at most one
open incident per key (a partial unique constraint), so two workers that see one failure at the
same moment make one incident, and one alert."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class AlertKind(models.TextChoices):
    SYNC_FAILED = "sync_failed", "Sync failed"
    PRINT_FILE_FAILED = "print_file_failed", "Print file failed"
    ORDER_PROBLEM = "order_problem", "Fulfilment order has a problem"
    ORDER_LATE = "order_late", "Order late for dispatch"
    NO_CALLBACK = "no_callback", "No status from the partner"
    HD_QUOTA = "hd_quota", "HD quota reached"
    STOCK_LOW = "stock_low", "Stock below its threshold"


class IncidentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)


class Incident(models.Model):
    """One thing that went wrong, from its first sighting until it recovered."""

    kind = models.CharField(max_length=30, choices=AlertKind.choices, db_index=True)
    key = models.CharField(max_length=200, help_text="What went wrong, as an id: e.g. sync_failed:conn:5.")
    title = models.CharField(max_length=255, help_text="What happened, in one line.")
    detail = models.TextField(blank=True, help_text="What is known about it (the error, in words).")
    action = models.TextField(blank=True, help_text="What to do.")
    path = models.CharField(max_length=500, blank=True, help_text="Its page in the back office.")
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    occurrences = models.PositiveIntegerField(default=1, help_text="Times it was seen failing while open.")
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    emailed_to = models.PositiveIntegerField(default=0, editable=False, help_text="Staff e-mailed.")
    chatted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            # Once per incident: a second failure of the same thing, even at the same moment in
            # another worker, finds this and alerts nobody.
            models.UniqueConstraint(
                fields=["key"], condition=Q(resolved_at__isnull=True), name="one_open_incident_per_key"
            )
        ]
        # Managers see the incidents list; every role sees its own alert settings.
        permissions = [("list_incident", "Can see the incidents list")]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class AlertPreference(models.Model):
    """Which kinds of alert one staff member gets, by e-mail and by the team's chat."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preference")
    email_kinds = models.JSONField(default=list, blank=True, help_text="Kinds sent to their e-mail address.")
    chat_kinds = models.JSONField(default=list, blank=True, help_text="Kinds posted to the team's chat.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "my alerts"
        verbose_name_plural = "my alerts"

    def __str__(self):
        return f"Alerts of {self.user}"
