"""The background tasks of both apps: queued by name, declared in one style, and what staff see
when one is queued, succeeds or gives up."""

import celery
import pytest
from django.db import OperationalError
from django.utils import timezone

from config.celery import app
from fulfilment import tasks as fulfilment_tasks
from fulfilment.models import PushedOrder, StockLevel, StockPush
from fulfilment.services import queue as fulfilment_queue
from fulfilment.services import shipping as shipping_services
from fulfilment.services import stock as stock_services
from fulfilment.services.orders import order_push_url
from integrations.custom_gateway import sandbox as cg_sandbox
from integrations.http import VendorRetryable
from orders import tasks as orders_tasks
from orders.models import SideArtwork, SyncRun
from orders.services import artwork as artwork_services
from orders.services import queue as orders_queue
from orders.services import sync as sync_services
from tests.factories import CustomizationFactory, SideFactory, staff_in

PUSHED_URL = "/admin/fulfilment/pushedorder/"
STOCK_URL = "/admin/fulfilment/stocklevel/"


def task_names(module) -> list[str]:
    return [value for name, value in vars(module).items() if name.endswith("_TASK")]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_every_task_queued_by_name_is_registered_and_delivered_at_least_once(settings):
    app.loader.import_default_modules()
    names = task_names(orders_queue) + task_names(fulfilment_queue)
    names += [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert len(names) >= 10
    for name in names:
        task = app.tasks[name]  # KeyError: a name services queue that no worker knows
        assert task.acks_late and task.reject_on_worker_lost, name


def test_a_fulfilment_retry_waits_at_most_the_configured_countdown(settings, monkeypatch):
    settings.FULFILMENT_RETRY_MAX_COUNTDOWN = 7  # read when retrying, not when the module loaded
    asked = []
    monkeypatch.setattr(celery.Task, "retry", lambda self, *args, **kwargs: asked.append(args[5]))

    fulfilment_tasks.fulfilment_order_send_task.retry(countdown=1800, exc=VendorRetryable("x", vendor="v"))
    fulfilment_tasks.fulfilment_order_send_task.retry(countdown=3, exc=VendorRetryable("x", vendor="v"))

    assert asked == [7, 3]


@pytest.mark.django_db
def test_an_artwork_fetch_out_of_retries_fails_the_side_with_the_reason(monkeypatch):
    side = SideFactory(customization=CustomizationFactory())
    SideArtwork.objects.create(side=side, state=SideArtwork.State.PENDING, error="Will try again: busy")

    def busy(side, **kwargs):
        raise VendorRetryable("the HD file generation failed; try again in a few seconds", vendor="Qstomizer")

    monkeypatch.setattr(artwork_services, "artwork_fetch", busy)
    orders_tasks.artwork_fetch_task.apply(args=[side.pk], retries=6)

    artwork = SideArtwork.objects.get(side=side)
    assert artwork.state == SideArtwork.State.FAILED
    assert (
        artwork.error
        == "Gave up after 7 attempts: Qstomizer: the HD file generation failed; try again in a few seconds"
    )


@pytest.mark.django_db
def test_a_sync_task_out_of_retries_says_so_on_its_last_run(monkeypatch):
    connection = CustomizationFactory().connection

    def unreachable(*, connection, task_id, **kwargs):
        SyncRun.objects.create(
            connection=connection, task_id=task_id, status=SyncRun.Status.FAILED, finished_at=timezone.now()
        )
        raise VendorRetryable("could not connect to the vendor", vendor="Qstomizer")

    monkeypatch.setattr(sync_services, "customizations_sync", unreachable)
    orders_tasks.sync_connection_task.apply(args=[connection.pk], retries=5)

    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.FAILED
    assert run.note == "The worker gave up after 6 attempts: Qstomizer: could not connect to the vendor"


# -- admin actions that call a vendor queue a task ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ship_queues_the_shipping_and_its_labels_appear_on_the_order(
    client, custom_gateway_connection, custom_gateway_sandbox, tasks_inline
):
    gateway = custom_gateway_connection
    assert cg_sandbox.push_order(order_push_url(gateway), gateway.secret("push_hmac_key")) == 200
    pushed = PushedOrder.objects.get()
    # Applying the push queued the copy of its artwork (when it has any), nothing else.
    assert {name for name, _, _ in tasks_inline} <= {fulfilment_queue.PUSHED_ASSETS_TASK}
    tasks_inline.clear()
    client.force_login(staff_in("Manager", username="manager"))

    answer = client.post(PUSHED_URL, {"action": "ship_selected", "_selected_action": [pushed.pk], "index": "0"})

    assert messages_of(client.get(answer["Location"])) == [
        "Shipping of 1 order queued: each order's shipments and labels appear on its page when the vendor has "
        "answered (reload it in a moment); a failure shows as its state, with the reason."
    ]
    assert tasks_inline == [(fulfilment_queue.PUSHED_ORDER_SHIP_TASK, (pushed.pk,), {})]
    pushed.refresh_from_db()
    assert pushed.state == PushedOrder.State.SHIPPED and pushed.shipments.exists()
    page = client.get(f"{PUSHED_URL}{pushed.pk}/change/").content.decode()
    assert "label-viewer" in page

    # Shipped already: not queued again, and staff are told where its labels are.
    again = client.post(PUSHED_URL, {"action": "ship_selected", "_selected_action": [pushed.pk], "index": "0"})
    assert messages_of(client.get(again["Location"])) == [f"{pushed} is shipped already: its labels are on its page."]
    assert len(tasks_inline) == 1


@pytest.mark.django_db(transaction=True)
def test_a_ship_task_that_breaks_records_the_failure_in_words(client, gateway, tasks_inline, monkeypatch):
    pushed = PushedOrder.objects.create(connection=gateway, vendor_id="123")

    def broken(order):
        raise RuntimeError("a bug")

    monkeypatch.setattr(shipping_services, "pushed_order_ship", broken)
    client.force_login(staff_in("Manager", username="manager"))
    client.post(PUSHED_URL, {"action": "ship_selected", "_selected_action": [pushed.pk], "index": "0"})

    pushed.refresh_from_db()
    assert pushed.state == PushedOrder.State.SHIP_FAILED
    assert pushed.last_error == (
        "Not shipped: stopped by an internal error (RuntimeError). Check its shipments, then ship again."
    )


@pytest.mark.django_db(transaction=True)
def test_a_stock_push_that_cannot_reach_the_database_is_recorded_as_failed(client, gateway, tasks_inline, monkeypatch):
    level = StockLevel.objects.create(connection=gateway, sku="MUG", quantity_available=3)
    calls = []

    def gone(connection, levels, **kwargs):
        calls.append(1)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(stock_services, "stock_push", gone)
    manager = staff_in("Manager", username="manager")
    client.force_login(manager)
    client.post(STOCK_URL, {"action": "push_all_changed", "_selected_action": [level.pk], "index": "0"})

    assert len(calls) == 4  # the first try and max_retries=3
    record = StockPush.objects.get()
    assert (record.status, record.user, record.count) == (StockPush.Status.FAILED, manager, 0)
    assert record.error == "Not pushed: the database was unavailable (OperationalError). Push the levels again."


@pytest.mark.django_db(transaction=True)
def test_a_task_is_queued_by_name_only_once_its_transaction_commits(monkeypatch):
    from django.db import transaction

    from config.celery import queue_on_commit

    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args=(), kwargs=None, **options: sent.append((name, args)))
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_on_commit(orders_queue.RESCREEN_TASK)
        raise RuntimeError("rolled back")
    assert sent == []  # nothing queued for work that did not happen

    with transaction.atomic():
        queue_on_commit(orders_queue.ARTWORK_FETCH_TASK, 7, options={"countdown": 5})
        assert sent == []
    assert sent == [(orders_queue.ARTWORK_FETCH_TASK, (7,))]
