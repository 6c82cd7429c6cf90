"""Races on PostgreSQL: sending vs the first callback, two staff creating one order, a burst of
callbacks against the threaded live server. Real connections, real locks, no mocks of our database."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import connection, connections

from fulfilment.models import FulfilmentItem, FulfilmentOrder, IncomingRequest, StatusEvent, VendorOrder
from fulfilment.services import orders as order_services
from fulfilment.services.incoming import incoming_apply
from fulfilment.services.orders import FulfilmentInvalid, fulfilment_order_create, status_callback_url
from integrations.custom_gateway.wire import created_orders
from integrations.partners import SendResult
from tests.factories import FulfilmentOrderFactory, VendorOrderFactory
from tests.fulfilment.test_flows import ADDRESS, approved_with_artwork

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def wait_for_a_lock_waiter(limit=15.0) -> bool:
    """Until another connection is blocked on a lock (bounded: the test's outcome is asserted
    below, never a time)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if lock_waiters():
            return True
        time.sleep(0.02)
    return False


def run_in_thread(target, errors):
    def run():
        try:
            target()
        except Exception as exc:  # the assertion below names it
            errors.append(repr(exc))
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_send_and_a_callback_before_the_post_answers_do_not_deadlock(gateway, require_postgres, monkeypatch):
    """The vendor calls back while we are still recording its answer. Before the fix the callback
    locked the order then waited on the vendor order we had inserted, while we waited on the
    order: PostgreSQL killed one ("deadlock detected") and the order stayed in "sending"."""
    order = FulfilmentOrderFactory(connection=gateway, external_ref="BO-000001", state=FulfilmentOrder.State.SENDING)
    created = SendResult(
        created=created_orders(
            [{"id": 501, "ref": "CGREF1", "external_ref": "BO-000001", "has_error": False, "items": []}]
        )
    )
    body = {"id": 501, "external_ref": "BO-000001", "ref": "CGREF1", "status": 1, "status_name": "Received"}
    incoming = IncomingRequest.objects.create(
        kind=IncomingRequest.Kind.STATUS_CALLBACK, connection=gateway, method="PUT", body=json.dumps(body)
    )
    written, errors = threading.Event(), []
    sender_ident = []
    original = VendorOrder.objects.update_or_create

    def update_or_create_then_pause(*args, **kwargs):
        result = original(*args, **kwargs)
        if threading.get_ident() in sender_ident:
            written.set()
            wait_for_a_lock_waiter()  # the callback is now blocked on one of our locks
        return result

    monkeypatch.setattr(VendorOrder.objects, "update_or_create", update_or_create_then_pause)

    def send():
        sender_ident.append(threading.get_ident())
        order_services._apply_created(order, created)

    sender = run_in_thread(send, errors)
    assert written.wait(30)
    callback = run_in_thread(lambda: incoming_apply(IncomingRequest.objects.get(pk=incoming.pk)), errors)
    sender.join(60)
    callback.join(60)

    assert errors == []
    order.refresh_from_db()
    incoming.refresh_from_db()
    assert order.state == FulfilmentOrder.State.SENT
    assert (incoming.outcome, order.vendor_status_name) == ("applied", "Received")
    assert VendorOrder.objects.get().vendor_status_code == "1" and StatusEvent.objects.count() == 1


def test_two_staff_creating_an_order_of_one_design_at_once_get_one_order(gateway, require_postgres, monkeypatch):
    """Both pass the "already in an order?" check before either inserts: the partial unique
    constraint decides, and the loser gets a sentence, not a 500 or a second print."""
    customization = approved_with_artwork()
    both_checked = threading.Barrier(2, timeout=30)
    original = order_services._live_elsewhere

    def check_then_wait(*args):
        answer = original(*args)
        both_checked.wait()
        return answer

    monkeypatch.setattr(order_services, "_live_elsewhere", check_then_wait)
    results, errors, refusals = [], [], []

    def create():
        try:
            results.append(
                fulfilment_order_create(connection=gateway, customizations=[customization], shipping=ADDRESS)
            )
        except FulfilmentInvalid as exc:
            refusals.append(exc.errors["items"])

    threads = [run_in_thread(create, errors) for _ in range(2)]
    for thread in threads:
        thread.join(60)

    assert errors == [] and len(results) == 1 and len(refusals) == 1
    assert refusals[0] == f"{customization} is already in order {results[0].external_ref}."
    assert FulfilmentOrder.objects.count() == 1 and FulfilmentItem.objects.filter(live=True).count() == 1


def test_a_burst_of_callbacks_is_answered_and_recorded_within_the_pool(gateway, live_server, require_postgres):
    """About 450 callbacks within seconds (a vendor catching up), 64 clients at once, at the
    threaded live server: every one answered 200 and recorded, each event once, and PostgreSQL
    never sees more connections from us than the pool allows."""
    pool = settings.DATABASES["default"]["OPTIONS"]["pool"]
    orders = []
    for n in range(150):
        order = FulfilmentOrderFactory(connection=gateway, external_ref=f"BO-{n:06d}", state=FulfilmentOrder.State.SENT)
        VendorOrderFactory(fulfilment_order=order, vendor_id=str(9000 + n))
        orders.append(order)
    url = status_callback_url(gateway).replace(settings.PUBLIC_BASE_URL.rstrip("/"), live_server.url)
    bodies = [
        {"id": 9000 + n, "external_ref": f"BO-{n:06d}", "ref": "", "status": code, "status_name": ""}
        for code in (1, 512, 4)
        for n in range(150)
    ]
    dsn = {key: value for key, value in connection.get_connection_params().items() if key != "pool"}
    dsn.pop("context", None)
    dsn.pop("cursor_factory", None)
    peak, done, ready = [0], threading.Event(), threading.Event()

    def sample():
        # Connections idle since before the burst are left out: they did none of its work (an
        # earlier test's worker thread may still hold one for a moment; counted, it made this
        # flaky in CI). Every connection the burst uses is counted.
        with psycopg.connect(**dsn, autocommit=True) as watcher:
            started = watcher.execute("SELECT clock_timestamp()").fetchone()[0]
            ready.set()
            while not done.is_set():
                count = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND NOT (state = 'idle' AND state_change < %s)",
                    [started],
                ).fetchone()[0]
                peak[0] = max(peak[0], count)
                time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    ready.wait(30)
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=64, pool_maxsize=64))
    try:
        with ThreadPoolExecutor(max_workers=64) as clients:
            answers = list(clients.map(lambda body: session.put(url, json=body, timeout=60).status_code, bodies))
    finally:
        done.set()
        sampler.join(30)

    assert answers.count(200) == len(bodies) == 450
    assert IncomingRequest.objects.count() == 450
    assert IncomingRequest.objects.filter(outcome__in=["applied", "late"]).count() == 450
    assert StatusEvent.objects.count() == 450  # one event per (order, status): exactly once
    # Every connection the burst used comes from the pool.
    assert 0 < peak[0] <= pool["max_size"], f"{peak[0]} connections for a pool of {pool['max_size']}"
    print(f"burst: 450 callbacks, 64 clients, at most {peak[0]} PostgreSQL connections (pool {pool['max_size']})")
