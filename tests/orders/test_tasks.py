"""The sync task on a real Celery worker consuming from Redis."""

import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.worker import state as worker_state

from config.celery import app
from orders.models import Customization, SyncRun
from orders.tasks import sync_connection_task

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def module_worker(redis_url):
    """One worker for this module's tests: stopping one waits out its ~1 s poll of Redis, which
    each test paid before."""
    assert app.conf.broker_url == redis_url, "config.settings.test reads TEST_REDIS_URL"
    app.control.purge()  # nothing left over from an earlier test run
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as running:
        yield running


@pytest.fixture
def worker(module_worker, redis_url):
    """The module's worker; after the test it has run everything the test queued (nothing runs
    while the next test's database is being reset)."""
    yield module_worker
    queue = redis.Redis.from_url(redis_url)

    def idle():
        return not worker_state.active_requests and not worker_state.reserved_requests and not queue.llen("celery")

    assert wait_for(idle), "the worker was still busy after the test"


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_sync_task_runs_on_a_worker_and_records_its_run(worker, qstomizer_connection, sandbox):
    sync_connection_task.delay(qstomizer_connection.pk, trigger=SyncRun.Trigger.SCHEDULE)

    assert wait_for(lambda: SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).exists())
    run = SyncRun.objects.get()
    assert run.trigger == SyncRun.Trigger.SCHEDULE
    assert run.created == len(sandbox.items)
    assert Customization.objects.count() == len(sandbox.items)


def test_task_for_a_missing_connection_is_dropped_and_the_worker_goes_on(worker, qstomizer_connection, sandbox):
    sync_connection_task.delay(999_999)
    sync_connection_task.delay(qstomizer_connection.pk)

    # The solo worker takes tasks in order: once the second has run, the first was consumed
    # without recording a run or raising into a retry loop.
    assert wait_for(lambda: SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).exists())
    assert SyncRun.objects.count() == 1


def test_changing_the_bad_words_list_rescreens_on_the_worker(worker):
    from orders.models import Customization, DesignNode
    from orders.services.bad_words import bad_words_save
    from tests.factories import CustomizationFactory, NodeFactory, SideFactory

    side = SideFactory(customization=CustomizationFactory())
    NodeFactory(side=side, kind=DesignNode.Kind.TEXT, text="Happy B-i-r-t-h-d-a-y")
    innocent = CustomizationFactory()

    bad_words_save(words=["birthday"], is_active=True)  # queues the re-screen when it commits

    assert wait_for(lambda: Customization.objects.filter(has_bad_words=True).exists())
    assert Customization.objects.get(pk=side.customization_id).bad_words == ["birthday"]
    assert wait_for(lambda: Customization.objects.get(pk=innocent.pk).screened_version > 0)
    assert not Customization.objects.get(pk=innocent.pk).has_bad_words
