"""The operations app's Celery tasks: thin, each calls one service."""

from django.db import InterfaceError, OperationalError  # noqa: E402

from config.celery import reliable_task  # noqa: E402

from .services import alerts as alert_services  # noqa: E402


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
