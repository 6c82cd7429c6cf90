"""Staff see where a failed sync got to ("read up to"), in the sync run list and on its page."""

import pytest
from playwright.sync_api import expect

from integrations.http import VendorRejected
from orders.models import SyncRun
from orders.services import sync as sync_service
from orders.services.sync import customizations_sync
from tests.browser.staff import log_in
from tests.factories import staff_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_failed_run_shows_where_it_got_to_and_the_next_resumes_there(
    page, live_server, qstomizer_connection, sandbox, monkeypatch
):
    monkeypatch.setattr(sync_service, "BATCH_SIZE", 10)
    stopped = []

    def refuse_the_next_list_call(run):
        if not stopped and run.fetched >= 40:
            stopped.append(run.pk)
            sandbox.fail_next("orders", 401)

    with pytest.raises(VendorRejected):
        customizations_sync(connection=qstomizer_connection, progress=refuse_the_next_list_call, page_limit=25)
    failed = SyncRun.objects.get()
    resumed = customizations_sync(connection=qstomizer_connection, page_limit=25)
    shown = f"read up to {failed.read_until:%Y-%m-%d %H:%M:%S}"  # TIME_ZONE is UTC

    log_in(page, live_server, staff_in("Viewer"))
    page.goto(f"{live_server.url}/admin/orders/syncrun/")
    failed_row = page.locator("#result_list tbody tr", has_text=f"#{failed.pk}")
    expect(failed_row).to_contain_text("Failed")
    expect(failed_row).to_contain_text(shown)
    expect(page.locator("#result_list tbody tr", has_text=f"#{resumed.pk}")).to_contain_text("Succeeded")

    page.goto(f"{live_server.url}/admin/orders/syncrun/{failed.pk}/change/")
    expect(page.locator(".field-read_up_to")).to_contain_text(shown)
    expect(page.locator(".field-error_list")).to_contain_text("Stopped")
