"""customizations_sync against the built-in sandbox over real HTTP (the session's sandbox server)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.db import connections
from django.utils import timezone

from integrations.http import VendorRejected
from integrations.qstomizer.sandbox import ANCHOR
from orders.models import Customization, CustomizationSide, DesignNode, OrderLine, StoreOrder, SyncRun
from orders.services.sync import customizations_sync, sync_run_start

pytestmark = pytest.mark.django_db


def table_counts():
    return {
        model.__name__: model.objects.count()
        for model in (Customization, CustomizationSide, DesignNode, StoreOrder, OrderLine)
    }


def test_first_sync_brings_every_customization_once(qstomizer_connection, sandbox):
    run = customizations_sync(connection=qstomizer_connection)

    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert run.created == len(sandbox.items)
    assert Customization.objects.count() == len(sandbox.items)
    assert set(Customization.objects.values_list("external_id", flat=True)) == {str(i.order_id) for i in sandbox.items}
    assert run.finished_at and run.progress == 1.0
    # Sides, nodes and store orders land as the vendor described them.
    item = sandbox.items[5]
    detail = sandbox.detail(item, "http://x/")
    stored = Customization.objects.get(external_id=str(item.order_id))
    assert stored.sides.count() == len(detail["sides"])
    assert DesignNode.objects.filter(side__customization=stored).count() == sum(
        len(s["nodes"]) for s in detail["sides"]
    )
    assert stored.store_orders.count() == len({o["shopify_order_id"] for o in detail["orders"]})
    assert stored.payload["status_id"] == item.status_id


def test_second_sync_without_vendor_change_writes_nothing(qstomizer_connection, sandbox):
    customizations_sync(connection=qstomizer_connection, since=ANCHOR - timedelta(days=400))
    before = table_counts()
    stamps = dict(Customization.objects.values_list("pk", "updated_at"))

    again = customizations_sync(connection=qstomizer_connection, since=ANCHOR - timedelta(days=400))

    assert again.status == SyncRun.Status.SUCCEEDED
    assert again.fetched == len(sandbox.items)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert again.unchanged == len(sandbox.items)
    assert table_counts() == before
    assert dict(Customization.objects.values_list("pk", "updated_at")) == stamps
    # Unchanged list rows mean no detail call at all: only list calls were made.
    assert again.requests_made < 20


def test_status_change_inside_lookback_is_picked_up(qstomizer_connection, sandbox):
    customizations_sync(connection=qstomizer_connection)
    recent = max(sandbox.items, key=lambda item: item.created)
    old = min(sandbox.items, key=lambda item: item.created)
    # Pretend the last sync finished just after the newest customization: the 30-day look-back
    # covers `recent` but not `old`.
    qstomizer_connection.refresh_from_db()
    qstomizer_connection.synced_until = recent.created + timedelta(days=1)
    qstomizer_connection.save()
    sandbox.set_status(recent.order_id, 4)
    sandbox.set_status(old.order_id, 5)

    run = customizations_sync(connection=qstomizer_connection)

    assert run.updated == 1
    assert Customization.objects.get(external_id=str(recent.order_id)).status == Customization.Status.FINISHED
    assert run.window_start == recent.created + timedelta(days=1) - timedelta(days=30)


def test_more_customizations_in_one_minute_than_one_call_returns(qstomizer_connection, sandbox):
    in_burst = [i for i in sandbox.items if i.created.replace(second=0) == sandbox.burst_minute]
    assert len(in_burst) > 25  # the sandbox's burst minute holds more than a page

    run = customizations_sync(connection=qstomizer_connection, page_limit=25)

    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert Customization.objects.count() == len(sandbox.items)


def test_one_bad_customization_is_recorded_and_the_rest_land(qstomizer_connection, sandbox):
    sandbox.fail_next("order", 404)

    run = customizations_sync(connection=qstomizer_connection)

    assert run.status == SyncRun.Status.PARTIAL
    assert run.failed == 1
    assert Customization.objects.count() == len(sandbox.items) - 1
    assert any("was skipped" in error and "not found" in error.lower() for error in run.errors)
    # The failed one is read again by the next sync: the horizon did not move past it.
    again = customizations_sync(connection=qstomizer_connection)
    assert again.created == 1 and again.status == SyncRun.Status.SUCCEEDED
    assert Customization.objects.count() == len(sandbox.items)


def test_malformed_detail_and_5xx_are_retried_or_recorded(qstomizer_connection, sandbox):
    sandbox.fail_next("order", 503, times=2)  # retried by the session
    sandbox.fail_next("order", 200, body="<html>proxy error</html>")  # asked for again by the client

    run = customizations_sync(connection=qstomizer_connection)

    # Retried: all three faults were met, each cost one more call, and nothing was lost.
    assert not sandbox.faults
    assert sandbox.calls["order"] == len(sandbox.items) + 3
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert run.failed == 0
    assert Customization.objects.count() == len(sandbox.items)


def test_a_detail_that_stays_malformed_is_recorded_and_the_rest_land(qstomizer_connection, sandbox):
    from integrations.http import BODY_RETRIES

    qstomizer_connection.detail_concurrency = 1  # the faults all meet the first detail call
    qstomizer_connection.save()
    sandbox.fail_next("order", 200, body="<html>proxy error</html>", times=BODY_RETRIES + 1)

    run = customizations_sync(connection=qstomizer_connection)

    # Recorded: asked for again until the client gave up, then skipped in words; the rest land.
    assert not sandbox.faults
    assert run.status == SyncRun.Status.PARTIAL
    assert run.failed == 1
    assert any("not valid JSON" in error for error in run.errors), run.errors
    assert Customization.objects.count() == len(sandbox.items) - 1


def test_wrong_key_stops_the_run_with_a_clear_message_and_no_key(qstomizer_connection, sandbox):
    qstomizer_connection.secrets["api_key"] = "wrong-key-that-must-not-leak"
    qstomizer_connection.save()

    with pytest.raises(VendorRejected):
        customizations_sync(connection=qstomizer_connection)

    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.FAILED
    assert "Invalid API_KEY" in run.errors[0]
    assert "wrong-key-that-must-not-leak" not in " ".join(run.errors)
    assert Customization.objects.count() == 0
    qstomizer_connection.refresh_from_db()
    assert qstomizer_connection.synced_until is None


def test_a_running_sync_makes_the_next_one_skip_and_say_so(qstomizer_connection):
    holder = sync_run_start(qstomizer_connection, trigger=SyncRun.Trigger.SCHEDULE)

    second = customizations_sync(connection=qstomizer_connection)

    assert second.status == SyncRun.Status.SKIPPED
    assert f"#{holder.pk}" in second.note
    assert Customization.objects.count() == 0


def test_a_stale_lock_is_abandoned(qstomizer_connection, settings, sandbox):
    holder = sync_run_start(qstomizer_connection, trigger=SyncRun.Trigger.SCHEDULE)
    SyncRun.objects.filter(pk=holder.pk).update(heartbeat_at=timezone.now() - timedelta(hours=2))

    run = customizations_sync(connection=qstomizer_connection)

    assert run.status == SyncRun.Status.SUCCEEDED
    holder.refresh_from_db()
    assert holder.status == SyncRun.Status.ABANDONED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # two threads, two database connections
def test_two_syncs_at_once_make_no_duplicates(qstomizer_connection, sandbox, require_postgres):
    assert db_connection.vendor == "postgresql"
    results, errors = [], []
    barrier = threading.Barrier(2)

    def sync():
        try:
            barrier.wait()
            results.append(customizations_sync(connection=qstomizer_connection))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    statuses = sorted(run.status for run in results)
    assert statuses in (
        [SyncRun.Status.SKIPPED, SyncRun.Status.SUCCEEDED],
        [SyncRun.Status.SUCCEEDED, SyncRun.Status.SUCCEEDED],  # the second started after the first ended
    )
    assert Customization.objects.count() == len(sandbox.items)
    assert StoreOrder.objects.values("external_id").distinct().count() == StoreOrder.objects.count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # two threads, two database connections
def test_concurrent_writers_of_the_same_batch_do_not_duplicate(qstomizer_connection, sandbox, require_postgres):
    """Even without the lock (two workers on a stale lock), the unique constraints and upserts hold."""
    from orders.services.connections import connection_client
    from orders.services.sync import CustomizationsSync

    errors = []
    barrier = threading.Barrier(2)

    def sync():
        run = SyncRun.objects.create(connection=qstomizer_connection, status=SyncRun.Status.SUCCEEDED)
        client = connection_client(qstomizer_connection)
        try:
            barrier.wait()
            CustomizationsSync(qstomizer_connection, run, qstomizer_connection.spec.source(client)).run(None)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            client.close()
            connections.close_all()

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert Customization.objects.count() == len(sandbox.items)
    assert CustomizationSide.objects.values("customization", "external_id").distinct().count() == (
        CustomizationSide.objects.count()
    )
