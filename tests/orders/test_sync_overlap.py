"""The sync fetches the next batches' details while it writes the current one, holds at most
IN_FLIGHT + 1 batches, and a batch that could not be written never lets later ones move the
resume watermark past it."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

from orders.models import Customization, SyncRun
from orders.services import sync as sync_service
from orders.services.sync import IN_FLIGHT, customizations_sync

pytestmark = pytest.mark.django_db(transaction=True)

BATCH = 10


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(sync_service, "BATCH_SIZE", BATCH)


def test_details_of_later_batches_are_fetched_before_the_first_is_written(
    qstomizer_connection, sandbox, small_batches, monkeypatch
):
    original = sync_service.customizations_write
    seen: list[tuple[int, int]] = []  # (records written so far, detail calls asked for by then)
    asked = []
    detail = sync_service.CustomizationsSync._detail

    def counting_detail(self, item):
        asked.append(item.external_id)
        return detail(self, item)

    def recording_write(connection, records, state, screened=None):
        seen.append((len(records), len(asked)))
        return original(connection, records, state, screened)

    monkeypatch.setattr(sync_service.CustomizationsSync, "_detail", counting_detail)
    monkeypatch.setattr(sync_service, "customizations_write", recording_write)

    run = customizations_sync(connection=qstomizer_connection, page_limit=25)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert Customization.objects.count() == len(sandbox.items)
    # When the first batch was written, the next ones' details had been asked for already...
    assert seen[0][1] > BATCH
    # ...but never more than the batches the queue holds: memory stays bounded.
    assert all(asked_by_then <= (IN_FLIGHT + 1) * BATCH * (i + 1) for i, (_, asked_by_then) in enumerate(seen))
    assert sum(written for written, _ in seen) == len(sandbox.items)


def test_a_failed_write_keeps_the_watermark_before_it_and_the_next_sync_completes(
    qstomizer_connection, sandbox, small_batches, monkeypatch
):
    original = sync_service.customizations_write
    calls = []

    def failing_third(connection, records, state, screened=None):
        calls.append(len(records))
        if len(calls) == 3:
            raise DatabaseError("the database went away")
        return original(connection, records, state, screened)

    monkeypatch.setattr(sync_service, "customizations_write", failing_third)
    with pytest.raises(DatabaseError):
        customizations_sync(connection=qstomizer_connection, page_limit=25)

    failed = SyncRun.objects.get()
    qstomizer_connection.refresh_from_db()
    assert failed.status == SyncRun.Status.FAILED
    stored = set(Customization.objects.values_list("external_id", flat=True))
    assert len(stored) == calls[0] + calls[1] > 0
    # Everything before the watermark is stored: the failed batch held it back.
    if qstomizer_connection.synced_until is not None:
        before = {str(i.order_id) for i in sandbox.items if i.created < qstomizer_connection.synced_until}
        assert before <= stored

    monkeypatch.setattr(sync_service, "customizations_write", original)
    again = customizations_sync(connection=qstomizer_connection, page_limit=25)
    assert again.status == SyncRun.Status.SUCCEEDED
    ids = list(Customization.objects.values_list("external_id", flat=True))
    assert sorted(ids) == sorted(str(item.order_id) for item in sandbox.items)
