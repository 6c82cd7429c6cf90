"""A Qstomizer sync through a vendor that fails one call in ten, over real HTTP (the session's sandbox server)."""

from __future__ import annotations

import time

import pytest

from integrations.http import VendorError
from integrations.qstomizer import sandbox as qstomizer_sandbox
from orders.models import Customization, SyncRun, VendorConnection
from orders.services.sync import customizations_sync

pytestmark = pytest.mark.django_db

SIZE = 635
# A stall is longer than the read timeout: it is a timeout, which the session retries. (The
# timeout is short so that each stall costs the sync half a second, not the second it did.)
READ_TIMEOUT = 0.5
STALL_SECONDS = 0.7
# Retry-After on the sandbox's 429s: 0, so the session retries at once (with the tests' zero
# backoff). Waiting as told is tests/integrations/test_http_retry.py's subject; at 1 s the
# ~15 rate limits per run slept about 6 of the ~11 s each run took.
RETRY_AFTER = 0


@pytest.fixture
def faulty_connection(sandbox_server, settings):
    settings.SANDBOX_QSTOMIZER_SIZE = SIZE
    settings.VENDOR_HTTP_READ_TIMEOUT = READ_TIMEOUT
    qstomizer_sandbox.reset()
    box = qstomizer_sandbox.sandbox()
    connection = VendorConnection.objects.create(
        name="Faulty Qstomizer",
        kind="qstomizer",
        settings={
            "shop_domain": settings.SANDBOX_QSTOMIZER_SHOP,
            "base_url": qstomizer_sandbox.base_url(sandbox_server.url),
        },
        secrets={"api_key": settings.SANDBOX_API_KEY},
        sync_every_minutes=None,
    )
    yield connection, box
    # A stalled request the session gave up on is still sleeping in a server thread for up to
    # STALL_SECONDS - READ_TIMEOUT; when it wakes it builds the sandbox afresh if reset() has
    # cleared it, and could replace the next test's (faults set on a box no view reads). Let it end.
    time.sleep(STALL_SECONDS - READ_TIMEOUT + 0.1)
    qstomizer_sandbox.reset()


def sync_until_complete(connection, runs: int) -> list[SyncRun]:
    done = []
    for _ in range(runs):
        try:
            done.append(customizations_sync(connection=connection))
        except VendorError:
            done.append(SyncRun.objects.filter(connection=connection).first())
        connection.refresh_from_db()
        if done[-1].status == SyncRun.Status.SUCCEEDED:
            break
    return done


@pytest.mark.parametrize("seed", [1, 2])
def test_with_one_call_in_ten_failing_two_runs_store_every_customization_once(faulty_connection, seed):
    connection, box = faulty_connection
    faults = box.set_faults(0.1, seed=seed, stall_seconds=STALL_SECONDS, retry_after=RETRY_AFTER)

    runs = sync_until_complete(connection, runs=2)

    ids = list(Customization.objects.filter(connection=connection).values_list("external_id", flat=True))
    assert len(ids) == len(set(ids)) == SIZE
    assert set(ids) == {str(item.order_id) for item in box.items}
    assert runs[-1].status == SyncRun.Status.SUCCEEDED, runs[-1].errors
    # Every kind of fault was met, on both the list and the detail calls.
    assert {"500", "503", "429", "stall", "cut-length", "cut-json"} <= set(faults.injected)
    assert box.calls["orders"] > 20 and box.calls["order"] >= SIZE
