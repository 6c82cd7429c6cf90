"""The operations app's Celery tasks: thin, each calls one service."""

from django.db import InterfaceError, OperationalError

from config.celery import reliable_task
from fulfilment.services.holds import holds_release_expired

from .rules import AUTO_APPROVE_TASK, AUTO_SENDS_TASK, HOLDS_RELEASE_TASK
from .services import alerts as alert_services
from .services import dashboard_totals
from .services import rules as rule_services

DATABASE_GONE = (OperationalError, InterfaceError)


# Alerts: delivery retried (the mail server, the chat) with backoff; never blocks the event that
# raised the incident. Each channel is sent once (the incident records it).
@reliable_task(
    name=alert_services.DELIVER_TASK,
    autoretry_for=(alert_services.AlertDeliveryFailed, OperationalError, InterfaceError),
    retry_backoff=30,
    max_retries=8,
)
def alert_deliver_task(self, incident_id: int) -> dict:
    return alert_services.incident_deliver(incident_id)


@reliable_task(
    name=alert_services.SWEEP_TASK, autoretry_for=(OperationalError, InterfaceError), retry_backoff=10, max_retries=3
)
def alerts_sweep_task(self) -> dict:
    return alert_services.incidents_sweep()


@reliable_task(name=AUTO_APPROVE_TASK, autoretry_for=DATABASE_GONE, retry_backoff=10, max_retries=5)
def designs_auto_approve_task(self, connection_id: int, customization_ids: list[int]) -> dict:
    """After a sync: approve its clean designs by the auto-approve rule (idempotent)."""
    return rule_services.designs_auto_approve(connection_id=connection_id, customization_ids=customization_ids)


@reliable_task(name=AUTO_SENDS_TASK, autoretry_for=DATABASE_GONE, retry_backoff=10, max_retries=3)
def auto_sends_run_task(self) -> dict:
    """Beat, every minute: order approved designs, send auto-created drafts whose delay passed."""
    return rule_services.auto_sends_run()


@reliable_task(name=HOLDS_RELEASE_TASK, autoretry_for=DATABASE_GONE, retry_backoff=10, max_retries=3)
def holds_release_expired_task(self) -> int:
    """Beat, every minute: release the holds whose date has passed."""
    return holds_release_expired()


@reliable_task(name=dashboard_totals.REFRESH_TASK, autoretry_for=DATABASE_GONE, retry_backoff=10, max_retries=5)
def dashboard_totals_refresh_task(self, part: str, day: str) -> int:
    """After orders, designs or decisions of a day changed: recompute that day's kept totals."""
    return dashboard_totals.refresh(part, day)


@reliable_task(name="operations.tasks.dashboard_totals_repair_task", autoretry_for=DATABASE_GONE, max_retries=3)
def dashboard_totals_repair_task(self, days: int = 7) -> int:
    """Beat, daily: the last week's kept totals recomputed from the rows (drift repaired)."""
    return dashboard_totals.rebuild(days)
