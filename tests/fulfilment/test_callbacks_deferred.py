"""Status callbacks stored in one INSERT, answered at once and applied by a worker
(fulfilment.services.incoming_deferred): exactly once whoever applies them and however often,
late and conflicting statuses decided as before, unreadable bodies refused at once, and rows
that no task applied picked up by the reconciler."""

import json
import threading
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from fulfilment.models import FulfilmentOrder, IncomingRequest, StatusEvent
from fulfilment.services import incoming as incoming_services
from fulfilment.services import incoming_deferred
from fulfilment.services.incoming_deferred import (
    INCOMING_APPLY_TASK,
    incoming_apply_stored,
    incoming_drain,
    incoming_unapplied_reconcile,
)
from tests.factories import FulfilmentOrderFactory, VendorOrderFactory

Outcome = IncomingRequest.Outcome
STATUS = {"id": 501, "external_ref": "BO-000001", "ref": "R", "status": 4, "status_name": "In Production"}


@pytest.fixture(autouse=True)
def deferred(settings):
    settings.HOOK_STATUS_CALLBACKS_DEFERRED = True
    cache.clear()  # the applier's wake-up key
    incoming_deferred._connections.clear()
    incoming_deferred._woken_at = float("-inf")  # and this process's memory of it
    yield
    cache.clear()
    incoming_deferred._connections.clear()
    incoming_deferred._woken_at = float("-inf")


def put(client, token, payload):
    url = reverse("fulfilment:hook", args=["custom-gateway", token, "status"])
    return client.put(url, data=json.dumps(payload).encode(), content_type="application/json")


@pytest.fixture
def queued(monkeypatch):
    """Tasks sent by name are kept here instead of going to a broker (a worker that never came);
    the test's transaction never commits, so what would be queued on commit is listed at once."""
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args=(), kwargs=None, **options: sent.append((name, args)))
    monkeypatch.setattr(incoming_deferred, "queue_on_commit", lambda name, *args: sent.append((name, args)))
    return sent


@pytest.mark.django_db
def test_a_callback_is_stored_in_one_insert_answered_received_and_applied_by_its_task(
    client, gateway, sent_order, queued, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):  # the connection by its token, the INSERT
        response = put(client, gateway.hook_token, STATUS)
    with django_assert_max_num_queries(1):  # then the connection is remembered a few seconds
        assert put(client, gateway.hook_token, STATUS).status_code == 200

    assert response.status_code == 200 and response.json() == {"ok": True, "outcome": "received"}
    row, again = IncomingRequest.objects.order_by("id")
    assert (row.outcome, row.verified, json.loads(row.body)) == (Outcome.RECEIVED, True, STATUS)
    assert queued == [(INCOMING_APPLY_TASK, ())] and not StatusEvent.objects.exists()

    assert incoming_apply_stored(row.pk) == Outcome.APPLIED
    assert incoming_apply_stored(again.pk) == Outcome.DUPLICATE
    row.refresh_from_db()
    sent_order.refresh_from_db()
    assert row.outcome == Outcome.APPLIED and "In Production" in row.note
    assert sent_order.vendor_status_code == "4" and StatusEvent.objects.get().incoming == row
    # Delivered again (acks_late, a lost worker): nothing more happens.
    assert incoming_apply_stored(row.pk) is None
    assert StatusEvent.objects.count() == 1


@pytest.mark.django_db
def test_a_remembered_connection_still_needs_its_exact_token(client, gateway, sent_order, queued):
    assert put(client, gateway.hook_token, STATUS).status_code == 200
    assert put(client, gateway.hook_token[:-1] + "x", STATUS).status_code == 404


@pytest.mark.django_db
def test_a_burst_wakes_the_applier_once_and_it_applies_all_of_it(client, gateway, sent_order, queued):
    for tracking in ("T-1", "T-2", "T-3"):
        put(client, gateway.hook_token, {**STATUS, "status": 8, "shipping_tracking": tracking})

    assert queued == [(INCOMING_APPLY_TASK, ())]
    assert incoming_drain(tail_wait=0) == 3
    assert set(IncomingRequest.objects.values_list("outcome", flat=True)) == {Outcome.APPLIED}
    assert StatusEvent.objects.count() == 3


@pytest.mark.django_db
def test_an_applier_that_runs_out_of_time_with_rows_left_queues_the_next(client, gateway, sent_order, queued):
    put(client, gateway.hook_token, STATUS)
    queued.clear()

    assert incoming_drain(tail_wait=0, max_seconds=0) == 0
    assert queued == [(INCOMING_APPLY_TASK, ())]  # not left for the reconciler minutes later
    assert incoming_drain(tail_wait=0) == 1 and len(queued) == 1


@pytest.mark.django_db
def test_an_unreadable_callback_is_refused_at_once_and_never_queued(client, gateway, queued):
    url = reverse("fulfilment:hook", args=["custom-gateway", gateway.hook_token, "status"])
    response = client.put(url, data=b"{not json", content_type="application/json")

    # Custom Gateway's hook answers an unreadable body 200 (its retries of the same bytes cannot help).
    assert response.status_code == 200 and response.json() == {"ok": True, "outcome": "invalid"}
    row = IncomingRequest.objects.get()
    assert row.outcome == Outcome.INVALID and row.note.startswith("invalid:") and queued == []


@pytest.mark.django_db
def test_late_and_conflicting_statuses_are_decided_in_the_worker_as_before(client, gateway, sent_order, queued):
    for code, name in ((8, "Dispatched"), (4, "In Production")):
        put(client, gateway.hook_token, {**STATUS, "status": code, "status_name": name})
    assert incoming_drain(tail_wait=0) == 2

    outcomes = list(IncomingRequest.objects.order_by("id").values_list("outcome", flat=True))
    sent_order.refresh_from_db()
    assert outcomes == [Outcome.APPLIED, Outcome.LATE]
    assert sent_order.vendor_status_code == "8"


@pytest.mark.django_db
def test_an_apply_that_breaks_is_kept_as_an_error_with_nothing_half_applied(
    client, gateway, sent_order, queued, monkeypatch
):
    def broken(*args):
        raise RuntimeError("boom")

    put(client, gateway.hook_token, {**STATUS, "status": 8, "status_name": "Dispatched"})
    assert incoming_drain(tail_wait=0) == 1  # applied: Dispatched
    put(client, gateway.hook_token, {**STATUS, "status": 128, "status_name": "Cancelled"})  # a conflict
    monkeypatch.setattr(incoming_services, "_flag_conflict", broken)

    row = IncomingRequest.objects.latest("id")
    assert incoming_apply_stored(row.pk) == Outcome.ERROR
    row.refresh_from_db()
    assert row.outcome == Outcome.ERROR and "RuntimeError: boom" in row.error_traceback
    assert StatusEvent.objects.count() == 1  # the failed one's event went with its savepoint
    assert incoming_apply_stored(row.pk) is None  # not retried blindly: staff Reprocess it


@pytest.mark.django_db
def test_the_reconciler_applies_rows_no_task_applied_and_leaves_young_ones_to_their_task(
    client, gateway, sent_order, queued
):
    put(client, gateway.hook_token, STATUS)
    put(client, gateway.hook_token, {**STATUS, "status": 8, "status_name": "Dispatched"})
    old, young = IncomingRequest.objects.order_by("id")
    IncomingRequest.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(minutes=10))

    assert incoming_unapplied_reconcile(older_than_seconds=120) == 1
    assert dict(IncomingRequest.objects.values_list("pk", "outcome")) == {
        old.pk: Outcome.APPLIED,
        young.pk: Outcome.RECEIVED,
    }
    assert incoming_unapplied_reconcile(older_than_seconds=0) == 1
    assert StatusEvent.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_row_applied_by_several_workers_at_once_is_applied_once(client, gateway, sent_order, queued):
    if db.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks)")
    put(client, gateway.hook_token, STATUS)
    pk = IncomingRequest.objects.get().pk
    results, start = [], threading.Barrier(4)

    def worker():
        start.wait()
        try:
            results.append(incoming_apply_stored(pk))
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results, key=str) == [None, None, None, Outcome.APPLIED]
    assert StatusEvent.objects.count() == 1


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_with_a_real_worker_distinct_callbacks_apply_once_each_and_a_replay_once(redis_url, client, gateway):
    orders = []
    for n in range(3):
        order = FulfilmentOrderFactory(connection=gateway, external_ref=f"BO-00000{n + 1}", state="sent")
        VendorOrderFactory(fulfilment_order=order, vendor_id=str(501 + n), ref=f"CGREF{n}")
        orders.append(order)
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        for n in range(3):
            for tracking in ("T-1", "T-2"):  # two distinct Dispatched callbacks per order
                payload = {**STATUS, "id": 501 + n, "external_ref": f"BO-00000{n + 1}", "status": 8}
                assert put(client, gateway.hook_token, {**payload, "shipping_tracking": tracking}).status_code == 200
        replay = {
            **STATUS,
            "id": 501,
            "external_ref": "BO-000001",
            "status": 64,
            "status_name": "Dispatched (Retailer Notified)",
        }
        for _ in range(5):
            assert put(client, gateway.hook_token, replay).json()["outcome"] == "received"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and IncomingRequest.objects.filter(outcome=Outcome.RECEIVED).exists():
            time.sleep(0.2)

    outcomes = list(IncomingRequest.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes[:6] == [Outcome.APPLIED] * 6
    assert sorted(outcomes[6:]) == [Outcome.APPLIED] + [Outcome.DUPLICATE] * 4
    assert StatusEvent.objects.count() == 7
    assert all(FulfilmentOrder.objects.get(pk=o.pk).vendor_status_code in ("8", "64") for o in orders)
    assert FulfilmentOrder.objects.get(pk=orders[0].pk).vendor_status_code == "64"


# -- applied together: one order's callbacks in one transaction ---------------------------------


def outcomes_by_id():
    return list(IncomingRequest.objects.order_by("id").values_list("outcome", flat=True))


@pytest.mark.django_db
def test_one_orders_callbacks_are_applied_together_in_the_order_they_came(client, gateway, sent_order, queued):
    # In Production, On Hold, In Production again (the hold lifted), Dispatched, then a late
    # In Production: each decided on the order as the ones before it left it.
    for tracking, (code, name) in enumerate(
        ((4, "In Production"), (256, "On Hold"), (4, "In Production"), (8, "Dispatched"), (4, "In Production"))
    ):
        put(
            client,
            gateway.hook_token,
            {**STATUS, "status": code, "status_name": name, "shipping_tracking": f"T{tracking}"},
        )

    with CaptureQueriesContext(db) as queries:
        assert incoming_drain(tail_wait=0) == 5

    # One transaction for the five: the order found, locked and written once, the events
    # inserted together (before each read of them: the hold's "what came before it"), one
    # outcome update per distinct note (not ~10 statements a callback, each in its transaction).
    sql = [query["sql"] for query in queries.captured_queries]
    order_table = '"fulfilment_fulfilmentorder"'
    if db.features.has_select_for_update:  # PostgreSQL (SQLite locks the whole database instead)
        assert len([q for q in sql if q.startswith("SELECT") and order_table in q and "FOR UPDATE" in q]) == 1
    assert len([q for q in sql if q.startswith(f"UPDATE {order_table}")]) == 1
    assert len([q for q in sql if q.startswith('INSERT INTO "fulfilment_statusevent"')]) == 3
    assert len(sql) <= 30
    assert outcomes_by_id() == [Outcome.APPLIED] * 4 + [Outcome.LATE]
    sent_order.refresh_from_db()
    assert sent_order.vendor_status_code == "8" and sent_order.status == "shipped"
    assert list(StatusEvent.objects.order_by("id").values_list("vendor_status_code", "effect")) == [
        ("4", "apply"),
        ("256", "apply"),
        ("4", "apply"),
        ("8", "apply"),
        ("4", "late"),
    ]
    assert [row.note for row in IncomingRequest.objects.order_by("id")][2] == "applied: In Production for BO-000001"


@pytest.mark.django_db
def test_a_replay_in_the_same_batch_is_a_duplicate_of_the_first(client, gateway, sent_order, queued):
    dispatched = {**STATUS, "status": 8, "status_name": "Dispatched", "shipping_tracking": "T-1"}
    for _ in range(3):
        put(client, gateway.hook_token, dispatched)
    put(client, gateway.hook_token, {**dispatched, "shipping_tracking": "T-2"})  # a new parcel: its own event

    assert incoming_drain(tail_wait=0) == 4
    assert outcomes_by_id() == [Outcome.APPLIED, Outcome.DUPLICATE, Outcome.DUPLICATE, Outcome.APPLIED]
    assert StatusEvent.objects.count() == 2
    # Applied again (a redelivered task, the reconciler): nothing more happens.
    assert incoming_drain(tail_wait=0) == 0 and StatusEvent.objects.count() == 2


@pytest.mark.django_db
def test_callbacks_of_several_orders_interleaved_each_apply_to_their_own(client, gateway, sent_order, queued):
    other = FulfilmentOrderFactory(connection=gateway, external_ref="BO-000002", state="sent")
    VendorOrderFactory(fulfilment_order=other, vendor_id="502", ref="CGREF2")
    second = {**STATUS, "id": 502, "external_ref": "BO-000002", "ref": "CGREF2"}
    put(client, gateway.hook_token, {**STATUS, "status": 8, "status_name": "Dispatched"})
    put(client, gateway.hook_token, {**second, "status": 4})
    put(client, gateway.hook_token, {**STATUS, "status": 4})  # late for the first order
    put(client, gateway.hook_token, {**second, "status": 8, "status_name": "Dispatched"})
    put(client, gateway.hook_token, {**STATUS, "id": 999, "external_ref": "BO-404404"})  # no such order

    assert incoming_drain(tail_wait=0) == 5
    assert outcomes_by_id() == [Outcome.APPLIED, Outcome.APPLIED, Outcome.LATE, Outcome.APPLIED, Outcome.UNMATCHED]
    sent_order.refresh_from_db()
    other.refresh_from_db()
    assert (sent_order.vendor_status_code, other.vendor_status_code) == ("8", "8")
    assert StatusEvent.objects.filter(fulfilment_order=other).count() == 2


@pytest.mark.django_db
def test_a_callback_that_fails_does_not_hold_back_the_others(client, gateway, sent_order, queued, monkeypatch):
    other = FulfilmentOrderFactory(connection=gateway, external_ref="BO-000002", state="sent")
    VendorOrderFactory(fulfilment_order=other, vendor_id="502", ref="CGREF2")
    put(client, gateway.hook_token, {**STATUS, "status": 8, "status_name": "Dispatched"})
    put(client, gateway.hook_token, {**STATUS, "status": 128, "status_name": "Cancelled"})  # a conflict: breaks
    put(client, gateway.hook_token, {**STATUS, "status": 64, "status_name": "Dispatched (Retailer Notified)"})
    put(client, gateway.hook_token, {**STATUS, "id": 502, "external_ref": "BO-000002", "status": 8})

    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(incoming_services, "_flag_conflict", broken)
    assert incoming_drain(tail_wait=0) == 4

    assert outcomes_by_id() == [Outcome.APPLIED, Outcome.ERROR, Outcome.APPLIED, Outcome.APPLIED]
    failed = IncomingRequest.objects.order_by("id")[1]
    assert "RuntimeError: boom" in failed.error_traceback
    sent_order.refresh_from_db()
    other.refresh_from_db()
    assert (sent_order.vendor_status_code, other.vendor_status_code) == ("64", "8")
    assert StatusEvent.objects.count() == 3  # the failed one's event went with it


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_batches_applied_by_several_workers_at_once_apply_each_callback_once(client, gateway, sent_order, queued):
    if db.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks)")
    for n in range(30):
        put(
            client,
            gateway.hook_token,
            {**STATUS, "status": 8, "status_name": "Dispatched", "shipping_tracking": f"T{n}"},
        )
    ids = list(IncomingRequest.objects.order_by("id").values_list("pk", flat=True))
    results, start = [], threading.Barrier(4)

    def worker(chunk):
        start.wait()
        try:
            results.append(incoming_deferred.incoming_apply_many(chunk))
        finally:
            db.close()

    # Overlapping batches, as two drains that listed the rows at different moments would see them.
    threads = [threading.Thread(target=worker, args=(ids[n * 8 : n * 8 + 16],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(results) == 30 and set(outcomes_by_id()) == {Outcome.APPLIED}
    assert StatusEvent.objects.count() == 30
    assert list(StatusEvent.objects.values_list("incoming_id", flat=True).order_by("incoming_id")) == ids
