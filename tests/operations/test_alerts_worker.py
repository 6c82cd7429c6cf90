"""An alert delivered by a real Celery worker consuming from Redis: the failure is recorded in a
request's transaction, and the e-mail goes out from the worker once it is committed."""

import pytest
from django.core import mail

from operations.alerts_models import AlertKind, Incident
from operations.services import alerts as alerts_service
from tests.factories import staff_in
from tests.orders.test_tasks import module_worker, wait_for, worker

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
__all__ = ["module_worker", "worker"]  # fixtures, used by name


def test_a_worker_delivers_an_incident_alert_once(worker, settings):
    settings.BACKOFFICE_URL = "https://bo.example.com"
    user = staff_in("Manager")
    user.email = "oncall@example.com"
    user.save()
    alerts_service.alert_preference_set(user, email_kinds=[AlertKind.SYNC_FAILED], chat_kinds=[])
    problem = alerts_service.Problem(
        kind=AlertKind.SYNC_FAILED, key="sync_failed:conn:42", title="Sync of Shop failed", path="/admin/"
    )

    alerts_service.incident_raise(problem)
    alerts_service.incident_raise(problem)  # a retry failing again: no second task

    assert wait_for(lambda: Incident.objects.filter(emailed_at__isnull=False).exists())
    assert [message.to for message in mail.outbox] == [["oncall@example.com"]]
    assert "https://bo.example.com/admin/" in mail.outbox[0].body
    assert Incident.objects.get().occurrences == 2
