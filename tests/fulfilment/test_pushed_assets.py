"""Pushed orders' artwork (supplier side): each asset is copied into our storage by a queued task
when the push is applied, checked by its bytes like labels, shown to staff from our storage with
the vendor's link kept, and a failed one can be retried. Over real HTTP (the sandbox pushes)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from fulfilment.models import FileState, PushedAsset, PushedOrder
from fulfilment.services.orders import order_push_url
from fulfilment.services.vendor_files import pushed_assets_fetch
from integrations.custom_gateway import sandbox as cg_sandbox
from tests.factories import staff_in
from tests.hostile import REASONS

pytestmark = pytest.mark.django_db(transaction=True)


def push(gateway, items=None):
    order = {"items": items} if items is not None else None
    assert cg_sandbox.push_order(order_push_url(gateway), gateway.secret("push_hmac_key"), order=order) == 200
    return PushedOrder.objects.get()


def item(item_id, *urls):
    return {
        "id": item_id,
        "type": 1,
        "mapped_sku": "MUG-11",
        "sku": "MUG",
        "description": "Mug",
        "quantity": 1,
        "assets": [{"name": f"output-{n}.png", "url": url, "description": "Front"} for n, url in enumerate(urls, 1)],
    }


def client_for(role):
    client = Client()
    client.force_login(staff_in(role))
    return client


def test_a_pushed_orders_artwork_is_stored_and_shown_from_our_storage(
    custom_gateway_connection, custom_gateway_sandbox, live_server, tasks_inline
):
    base = f"{live_server.url}/sandbox/custom-gateway/assets/"
    order = push(custom_gateway_connection, [item(1, base + "a-1.png", base + "a-2.png"), item(2, base + "b-1.png")])

    assert any(name.endswith("pushed_assets_task") for name, _, _ in tasks_inline)
    assets = list(PushedAsset.objects.filter(item__order=order).order_by("item__vendor_id", "position"))
    assert [(a.item.vendor_id, a.position) for a in assets] == [("1", 0), ("1", 1), ("2", 0)]
    assert all(a.state == FileState.READY and a.content_type == "image/png" for a in assets), [a.error for a in assets]
    assert assets[0].source_url == base + "a-1.png" and assets[0].name == "output-1.png"
    assert assets[0].width == 240 and len(assets[0].sha256) == 64 and assets[0].attempts == 1

    viewer = client_for("Viewer")
    page = viewer.get(reverse("admin:fulfilment_pushedorder_change", args=[order.pk])).content.decode()
    ours = reverse("admin:fulfilment_pushedasset_file", args=[assets[0].pk])
    assert f'src="{ours}"' in page
    assert f'src="{base}' not in page and "vendor_image" not in page  # not hot-linked, not proxied
    assert f'href="{base}a-1.png"' in page  # the vendor's link kept
    served = viewer.get(ours)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"

    # Nothing is downloaded again once stored.
    assert pushed_assets_fetch(order) == {"stored": 0, "failed": 0, "retry": 0}


def test_a_failed_download_is_shown_in_words_and_retried(
    custom_gateway_connection, custom_gateway_sandbox, live_server, tasks_inline
):
    custom_gateway_sandbox.fail_next("asset", 404)
    order = push(custom_gateway_connection, [item(1, f"{live_server.url}/sandbox/custom-gateway/assets/x-1.png")])

    asset = PushedAsset.objects.get(item__order=order)
    assert asset.state == FileState.FAILED and "not there" in asset.error and not asset.file
    page = client_for("Viewer").get(reverse("admin:fulfilment_pushedorder_change", args=[order.pk])).content.decode()
    assert "Failed" in page and "not there" in page

    response = client_for("Manager").post(
        reverse("admin:fulfilment_pushedasset_changelist"),
        {"action": "retry_selected", ACTION_CHECKBOX_NAME: [asset.pk], "index": 0},
    )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.state == FileState.READY and asset.error == "" and asset.attempts == 2


@pytest.mark.parametrize("name", ["html-as-png", "zip-archive", "svg-with-script"])
def test_a_hostile_asset_is_never_stored(
    custom_gateway_connection, custom_gateway_sandbox, hostile_host, tasks_inline, name
):
    order = push(custom_gateway_connection, [item(1, hostile_host + name)])

    asset = PushedAsset.objects.get(item__order=order)
    assert asset.state == FileState.FAILED and not asset.file
    assert asset.error.startswith("The artwork file is ") and REASONS[name] in asset.error
    assert client_for("Viewer").get(reverse("admin:fulfilment_pushedasset_file", args=[asset.pk])).status_code == 404


def test_an_asset_that_is_not_an_http_link_fails_without_a_request(
    custom_gateway_connection, custom_gateway_sandbox, tasks_inline
):
    order = push(custom_gateway_connection, [item(1, "file:///etc/passwd")])

    asset = PushedAsset.objects.get(item__order=order)
    assert asset.state == FileState.FAILED and "no http(s) link" in asset.error


def test_a_replayed_push_queues_nothing_more(custom_gateway_connection, custom_gateway_sandbox, tasks_inline):
    order = push(custom_gateway_connection)
    stored = PushedAsset.objects.filter(item__order=order).count()
    assert stored == sum(len(i.assets) for i in order.items.all())
    sent = len(tasks_inline)
    assert cg_sandbox.push_order(
        order_push_url(custom_gateway_connection),
        custom_gateway_connection.secret("push_hmac_key"),
        order={"id": int(order.vendor_id)},
    ) in (200, 202)
    assert PushedAsset.objects.count() == stored and len(tasks_inline) == sent


def test_outside_the_sandbox_an_asset_on_a_private_address_is_not_fetched(
    custom_gateway_connection, custom_gateway_sandbox, live_server, tasks_inline, settings
):
    order = push(custom_gateway_connection, [])
    from fulfilment.models import PushedOrderItem

    line = PushedOrderItem.objects.create(
        order=order, vendor_id="9", assets=[{"name": "x.png", "url": "http://169.254.169.254/latest/meta-data"}]
    )
    settings.SANDBOX_ENABLED = False
    pushed_assets_fetch(order)

    asset = PushedAsset.objects.get(item=line)
    assert asset.state == FileState.FAILED and "link-local address" in asset.error
