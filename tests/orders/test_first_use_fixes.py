"""What a first use found (issue 12, item 8), below the browser."""

import re

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


def test_the_print_file_list_shows_each_side_s_preview_linked_to_its_design(client):
    from orders.models import SideArtwork
    from tests.factories import SideArtworkFactory, SideFactory, staff_in

    side = SideFactory(name="Front", preview_url="https://cdn.example.com/previews/front.png")
    SideArtworkFactory(side=side, state=SideArtwork.State.READY, size_bytes=28_900)
    client.force_login(staff_in("Viewer"))

    page = client.get("/admin/orders/sideartwork/").content.decode()

    design = f"/admin/orders/customization/{side.customization_id}/change/"
    named = f'aria-label="Design {side.customization.external_id}, side Front"'
    assert f'<a href="{design}" {named}><img class="list-thumb" src="/admin/orders/reviewitem/image/' in page
    assert f'<a href="{design}">{side.customization}</a>' in page
    assert "28.2\xa0KB" in page
    # Updated as the date over the time, so the column fits at 1400 px.
    assert re.search(r'<td class="field-updated_shown">[^<]+<br>[^<]+</td>', page)
    assert "cdn.example.com" not in page  # the browser loads it from our own origin, never the vendor's


def test_vendor_codes_read_as_labels_and_iso_timestamps_as_dates(settings):
    from orders.readable import code_label, code_shown, json_table, readable_datetime

    settings.TIME_ZONE = "UTC"
    assert [code_label(c) for c in ("inProduction", "partially_refunded", "canceled", "Awaiting payment", "")] == [
        "In production",
        "Partially refunded",
        "Canceled",
        "Awaiting payment",
        "",
    ]
    assert code_shown("inProduction") == '<span title="inProduction">In production</span>'
    assert code_shown("<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"  # not a code: shown as it is, escaped
    assert readable_datetime("2026-08-31T19:06:58.087Z") == "2026-08-31 19:06"
    assert readable_datetime("not a date") == "not a date"
    table = json_table([{"id": 5007004, "quantity": 2, "note": "<script>"}])
    assert "<th>Id</th><th>Quantity</th><th>Note</th>" in table and "&lt;script&gt;" in table
    batches = json_table([[{"sku": "MUG-1", "data": {"quantity_available": 3}}]])
    assert "<caption>Batch 1</caption>" in batches and "<th>Quantity available</th>" in batches
    assert json_table([]) == "—"


def test_a_kickflip_store_order_shows_its_status_in_words_and_product_names(client):
    from tests.factories import OrderLineFactory, staff_in

    line = OrderLineFactory(product_id="7722334455", variant_id="4433221100")
    line.customization.product_title, line.customization.variant_title = "Ceramic Mug 11oz", "White"
    line.customization.save()
    order = line.store_order
    order.status = "inProduction"
    order.status_history = [{"status": "inProduction", "date": "2026-08-31T19:06:58.087Z"}]
    order.save()
    client.force_login(staff_in("Viewer"))

    listed = client.get("/admin/orders/storeorder/").content.decode()
    page = client.get(f"/admin/orders/storeorder/{order.pk}/change/").content.decode()
    design = client.get(f"/admin/orders/customization/{line.customization_id}/change/").content.decode()

    assert '<span title="inProduction">In production</span>' in listed
    assert "2026-08-31 19:06" in page and "2026-08-31T19:06:58" not in page.split("Raw vendor payload")[0]
    assert 'Ceramic Mug 11oz <span class="quiet">7722334455</span>' in page
    assert 'White <span class="quiet">4433221100</span>' in page
    assert 'Ceramic Mug 11oz <span class="quiet">7722334455</span>' in design
    assert '<span title="inProduction">In production</span>' in design
