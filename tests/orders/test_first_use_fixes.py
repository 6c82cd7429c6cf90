"""What a first use found (issue 12, item 8), below the browser."""

import pytest

from orders.models import SyncRun
from orders.services.sync import customizations_sync

pytestmark = pytest.mark.django_db


def test_a_kickflip_run_that_skipped_a_design_still_ends_at_100_percent(kickflip_connection, kickflip_sandbox):
    kickflip_sandbox.fail_next("design", 404)

    run = customizations_sync(connection=kickflip_connection)

    assert run.status == SyncRun.Status.PARTIAL
    run.refresh_from_db()
    assert run.progress == 1.0


def test_a_failed_run_keeps_where_it_got_to(kickflip_connection, kickflip_sandbox):
    kickflip_connection.secrets["api_key"] = "not-the-token"
    kickflip_connection.save()

    with pytest.raises(Exception):  # noqa: B017, PT011 - the refusal itself is test_kickflip_sync's subject
        customizations_sync(connection=kickflip_connection)

    assert SyncRun.objects.get().progress < 1.0
