"""No order stays queued or sending forever: rate limits are waited out however long they last,
stuck orders are queued again or failed with the reason, and a send task survives a database
that briefly refuses connections."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import OperationalError
from django.utils import timezone

from config.celery import app
from fulfilment import tasks
from fulfilment.models import FulfilmentOrder, RateLimitWindow
from fulfilment.services import orders as order_services
from fulfilment.services.orders import fulfilment_order_create, fulfilment_order_send
from fulfilment.services.reconcile import fulfilment_orders_reconcile
from tests.factories import FulfilmentOrderFactory, staff_in
from tests.fulfilment.test_flows import ADDRESS, approved_with_artwork

State = FulfilmentOrder.State
ORDERS_URL = "/admin/fulfilment/fulfilmentorder/"


def an_order(gateway, **fields):
    order = FulfilmentOrderFactory(connection=gateway, external_ref=f"BO-{FulfilmentOrder.objects.count() + 1:06d}")
    FulfilmentOrder.objects.filter(pk=order.pk).update(**fields)
    order.refresh_from_db()
    return order


@pytest.mark.django_db
def test_our_own_rate_limit_is_waited_out_not_given_up(gateway):
    order = fulfilment_order_create(connection=gateway, customizations=[approved_with_artwork()], shipping=ADDRESS)
    now = timezone.now()
    for period, starts_at in (("h", now.replace(minute=0, second=0, microsecond=0)),):
        RateLimitWindow.objects.create(
            connection=gateway, period=period, starts_at=starts_at, count=gateway.spec.rate_limits[period]
        )

    waiting = fulfilment_order_send(order)

    assert waiting.state == State.QUEUED and waiting.next_attempt_at is not None
    assert waiting.next_attempt_at.minute == 0 and waiting.next_attempt_at > now
    assert "Waiting for our count of Custom Gateway's rate limit until" in waiting.last_error
    assert waiting.reconciliations == 0


@pytest.mark.django_db
def test_a_day_long_limit_is_sent_when_it_lifts(gateway, django_capture_on_commit_callbacks):
    now = timezone.now()
    order = an_order(gateway, state=State.QUEUED, next_attempt_at=now + timedelta(hours=24), updated_at=now)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        for hour in (1, 12, 23):  # the reconciler runs every minute; nothing is due for a day
            assert fulfilment_orders_reconcile(now=now + timedelta(hours=hour)) == {
                "due": 0,
                "requeued": 0,
                "failed": 0,
                "check": 0,
            }
    assert queued == []

    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert fulfilment_orders_reconcile(now=now + timedelta(hours=24, minutes=1))["due"] == 1
    order.refresh_from_db()
    assert len(queued) == 1 and order.state == State.QUEUED and order.next_attempt_at is None
    assert order.reconciliations == 0  # waiting is not failing


@pytest.mark.django_db
def test_a_stuck_order_is_queued_again_then_failed_with_the_reason(
    gateway, settings, client, django_capture_on_commit_callbacks
):
    settings.FULFILMENT_RECONCILE_MAX = 2
    now = timezone.now()
    stuck = an_order(gateway, state=State.SENDING, updated_at=now - timedelta(minutes=20), last_error="timeout")
    live = an_order(gateway, state=State.SENDING, updated_at=now - timedelta(minutes=1))
    client.force_login(staff_in("Manager", username="manager"))
    assert list(client.get(ORDERS_URL, {"attention": "stuck"}).context["cl"].result_list) == [stuck]

    for rescue in (1, 2):
        with django_capture_on_commit_callbacks(execute=False) as queued:
            assert fulfilment_orders_reconcile()["requeued"] == 1
        stuck.refresh_from_db()
        assert len(queued) == 1 and stuck.state == State.QUEUED and stuck.reconciliations == rescue
        FulfilmentOrder.objects.filter(pk=stuck.pk).update(updated_at=now - timedelta(minutes=20))  # no attempt ran

    assert fulfilment_orders_reconcile()["failed"] == 1
    stuck.refresh_from_db()
    live.refresh_from_db()
    assert stuck.state == State.FAILED
    assert stuck.last_error == (
        "Not sent: it was stuck queued 3 times with no attempt running. Last error: timeout. "
        "Check the connection, then Send it again."
    )
    assert live.state == State.SENDING  # an attempt in flight is left alone


@pytest.mark.django_db
def test_the_send_action_accepts_stuck_and_waiting_orders(gateway, client, django_capture_on_commit_callbacks):
    now = timezone.now()
    stuck = an_order(gateway, state=State.SENDING, updated_at=now - timedelta(hours=2))
    waiting = an_order(gateway, state=State.QUEUED, next_attempt_at=now + timedelta(hours=5))
    in_flight = an_order(gateway, state=State.SENDING, updated_at=now)
    client.force_login(staff_in("Manager", username="manager"))

    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(
            ORDERS_URL,
            {"action": "send_selected", "_selected_action": [stuck.pk, waiting.pk, in_flight.pk], "index": "0"},
        )

    assert len(queued) == 2
    assert {o.pk: o.state for o in FulfilmentOrder.objects.all()} == {
        stuck.pk: State.QUEUED,
        waiting.pk: State.QUEUED,
        in_flight.pk: State.SENDING,
    }


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_send_task_retries_a_database_error_instead_of_dying(
    redis_url, custom_gateway_connection, custom_gateway_sandbox, settings, monkeypatch
):
    """'too many clients already' used to kill the task and leave the order queued for good."""
    settings.FULFILMENT_RETRY_MAX_COUNTDOWN = 0  # retry at once (the backoff is capped by this)
    order = fulfilment_order_create(
        connection=custom_gateway_connection, customizations=[approved_with_artwork()], shipping=ADDRESS
    )
    FulfilmentOrder.objects.filter(pk=order.pk).update(state=State.QUEUED)
    real, calls = order_services.fulfilment_order_send, []

    def refused_once(order):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("connection failed: FATAL:  sorry, too many clients already")
        return real(order)

    monkeypatch.setattr(order_services, "fulfilment_order_send", refused_once)
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        tasks.fulfilment_order_send_task.delay(order.pk)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and FulfilmentOrder.objects.get(pk=order.pk).state != State.SENT:
            time.sleep(0.2)

    order.refresh_from_db()
    assert order.state == State.SENT and len(calls) == 2


def test_every_beat_entry_names_a_registered_task(settings):
    from config.celery import app as celery_app

    celery_app.loader.import_default_modules()
    for name in ("fulfilment-orders-reconcile", "fulfilment-incoming-prune"):
        assert settings.CELERY_BEAT_SCHEDULE[name]["task"] in celery_app.tasks


@pytest.mark.django_db
def test_a_send_task_out_of_retries_leaves_the_order_to_the_reconciler(gateway, monkeypatch):
    from integrations.http import VendorRetryable

    order = an_order(gateway, state=State.QUEUED)

    def timeout(order):
        FulfilmentOrder.objects.filter(pk=order.pk).update(state=State.QUEUED, last_error="Will retry: timeout")
        raise VendorRetryable("timeout", vendor="Custom Gateway")

    monkeypatch.setattr(order_services, "fulfilment_order_send", timeout)

    result = tasks.fulfilment_order_send_task.apply(args=[order.pk], retries=5).get()

    order.refresh_from_db()
    assert result == "left to the reconciler"
    assert order.state == State.QUEUED and "Gave up" not in order.last_error
