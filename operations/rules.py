"""The automation rules' receivers (imported from operations.receivers): a sync's new or changed
designs go to the auto-approve task; an approval is planned for auto-send. Both run after the
sender's transaction committed (the senders use transaction.on_commit)."""

from __future__ import annotations

from django.dispatch import receiver

from config.celery import queue_on_commit
from orders.signals import customizations_synced, design_decided

from .rules_models import AutomationRule
from .services.rules import auto_send_plan

AUTO_APPROVE_TASK = "operations.tasks.designs_auto_approve_task"
AUTO_SENDS_TASK = "operations.tasks.auto_sends_run_task"
HOLDS_RELEASE_TASK = "operations.tasks.holds_release_expired_task"


@receiver(customizations_synced, dispatch_uid="operations.rules.auto_approve")
def on_customizations_synced(sender, *, connection, customization_ids, **kwargs):
    if not customization_ids:
        return
    if not AutomationRule.objects.filter(kind=AutomationRule.Kind.AUTO_APPROVE, enabled=True).exists():
        return  # no rule on: nothing queued
    queue_on_commit(AUTO_APPROVE_TASK, connection.pk, list(customization_ids))


@receiver(design_decided, dispatch_uid="operations.rules.auto_send")
def on_design_decided(sender, *, decision, **kwargs):
    auto_send_plan(decision)
