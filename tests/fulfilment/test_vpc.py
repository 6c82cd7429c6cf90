"""The product creator page and its endpoint (Capability.PRODUCT_CREATOR): products recorded from
PRODUCTS_CREATED (once, whatever the replays), their snapshots downloaded and checked by content,
the mapping to the connection's stock SKUs, and bad input answered in words."""

import json
from io import BytesIO
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from django.test import Client
from django.urls import reverse
from PIL import Image

from fulfilment.admin.vpc import CreatorProductForm
from fulfilment.models import CreatorProduct, FileState, StockLevel
from fulfilment.services.vendor_files import creator_products_record
from integrations.custom_gateway import sandbox_vpc
from orders.models import VendorConnection
from tests.factories import staff_in
from tests.hostile import REASONS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def vpc_gateway(custom_gateway_connection, live_server):
    sandbox_vpc.reset()
    custom_gateway_connection.settings = {
        **custom_gateway_connection.settings,
        **sandbox_vpc.vpc_settings(live_server.url),
    }
    custom_gateway_connection.save()
    return custom_gateway_connection


def message(live_server, *ids, snapshot=None):
    return {
        "type": "PRODUCTS_CREATED",
        "body": [
            {
                "id": product_id,
                "name": f"Design {product_id}",
                "description": "Made in the VPC",
                "retail_sku": f"MUG-11OZ-V{product_id}",
                "snapshots": {
                    "small": snapshot or f"{live_server.url}/sandbox/custom-gateway/vpc/snapshots/{product_id}.png"
                },
                "base_product": {"productCode": "MUG-11OZ"},
            }
            for product_id in ids
        ],
    }


def manager_client():
    client = Client()
    client.force_login(staff_in("Manager"))
    return client


def post(client, connection, body):
    return client.post(
        reverse("admin:fulfilment_creatorproduct_created", args=[connection.pk]),
        json.dumps(body),
        content_type="application/json",
    )


def test_products_created_are_recorded_with_their_snapshots(vpc_gateway, live_server, tasks_inline):
    client = manager_client()
    response = post(client, vpc_gateway, {"message": message(live_server, 50001, 50002)})

    assert response.status_code == 200
    shown = response.json()["products"]
    assert [p["id"] for p in shown] == ["50001", "50002"]
    product = CreatorProduct.objects.get(vendor_id="50001")
    assert (product.name, product.retail_sku, product.base_product_code) == (
        "Design 50001",
        "MUG-11OZ-V50001",
        "MUG-11OZ",
    )
    assert product.description == "Made in the VPC" and product.raw["id"] == 50001
    assert product.snapshot_state == FileState.READY, product.snapshot_error
    assert product.snapshot_content_type == "image/png" and product.snapshot.name.endswith(".png")
    # Served from our storage, checked again on the way out.
    snapshot = client.get(shown[0]["snapshot"])
    assert snapshot.status_code == 200 and snapshot["Content-Type"] == "image/png"
    assert Image.open(
        BytesIO(b"".join(snapshot.streaming_content) if snapshot.streaming else snapshot.content)
    ).size == (
        600,
        600,
    )
    assert product.snapshot_url.startswith(live_server.url)  # the vendor's link kept beside the copy
    page = client.get(reverse("admin:fulfilment_creatorproduct_changelist"))
    assert reverse("admin:fulfilment_creatorproduct_snapshot", args=[product.pk]) in page.content.decode()


def test_a_replay_creates_nothing_twice(vpc_gateway, live_server, tasks_inline):
    client = manager_client()
    assert post(client, vpc_gateway, {"message": message(live_server, 50001)}).status_code == 200
    renamed = message(live_server, 50001)
    renamed["body"][0]["name"] = "Renamed"
    assert post(client, vpc_gateway, {"message": renamed}).status_code == 200

    assert CreatorProduct.objects.count() == 1
    assert CreatorProduct.objects.get().name == "Renamed"
    snapshot_downloads = [name for name, _, _ in tasks_inline if name.endswith("creator_product_snapshot_task")]
    assert len(snapshot_downloads) == 1  # the stored snapshot is not fetched again


@pytest.mark.parametrize("name", ["html-as-png", "svg-with-script", "decompression-bomb"])
def test_a_hostile_snapshot_is_refused_in_words(vpc_gateway, live_server, hostile_host, tasks_inline, name):
    post(manager_client(), vpc_gateway, {"message": message(live_server, 7, snapshot=hostile_host + name)})

    product = CreatorProduct.objects.get()
    assert product.snapshot_state == FileState.FAILED and not product.snapshot
    assert REASONS[name] in product.snapshot_error
    # The page shows the reason where the snapshot would be, never the vendor's bytes.
    response = manager_client().get(reverse("admin:fulfilment_creatorproduct_snapshot", args=[product.pk]))
    assert response["Content-Type"] == "image/png" and response["X-Image-Refused"]


@pytest.mark.parametrize(
    "body, said",
    [
        (b"not json", "not JSON"),
        (b'{"nomessage": 1}', "not JSON"),
        (json.dumps({"message": {"type": "PRODUCTS_CREATED", "body": [{"name": "x"}]}}).encode(), "has no id"),
        (json.dumps({"message": {"type": "OTHER", "body": []}}).encode(), "not PRODUCTS_CREATED"),
    ],
)
def test_bad_input_gets_a_400_in_words(vpc_gateway, body, said):
    response = manager_client().post(
        reverse("admin:fulfilment_creatorproduct_created", args=[vpc_gateway.pk]), body, content_type="application/json"
    )
    assert response.status_code == 400 and said in response.json()["error"]
    assert not CreatorProduct.objects.exists()


def test_the_endpoint_needs_csrf_and_the_permission(vpc_gateway, live_server):
    body = json.dumps({"message": message(live_server, 1)})
    url = reverse("admin:fulfilment_creatorproduct_created", args=[vpc_gateway.pk])
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(staff_in("Manager"))
    assert guarded.post(url, body, content_type="application/json").status_code == 403
    viewer = Client()
    viewer.force_login(staff_in("Viewer"))
    assert viewer.post(url, body, content_type="application/json").status_code == 403
    assert manager_client().get(url).status_code == 405
    assert not CreatorProduct.objects.exists()


def test_the_creator_page_is_signed_on_each_load_and_allows_only_the_vpc_frame(vpc_gateway, live_server):
    client = manager_client()
    url = reverse("admin:fulfilment_creatorproduct_creator", args=[vpc_gateway.pk])
    first, second = client.get(url), client.get(url)

    assert first.status_code == 200 and "no-store" in first["Cache-Control"]
    frame_src = [part for part in first["Content-Security-Policy"].split(";") if "frame-src" in part][0]
    assert live_server.url in frame_src
    nonces = [dict(parse_qsl(urlsplit(r.context["frame_url"]).query))["nonce"] for r in (first, second)]
    assert nonces[0] != nonces[1]
    assert dict(parse_qsl(urlsplit(first.context["frame_url"]).query))["origin"] == "http://testserver"
    assert 'src="/static/backoffice/vpc.js"' in first.content.decode() or "backoffice/vpc.js" in first.content.decode()
    # Other admin pages keep frame-src 'self' only.
    other = client.get(reverse("admin:fulfilment_creatorproduct_changelist"))
    assert live_server.url not in other["Content-Security-Policy"]


def test_an_unconfigured_creator_says_what_is_missing(gateway):
    response = manager_client().get(reverse("admin:fulfilment_creatorproduct_creator", args=[gateway.pk]))
    assert response.status_code == 200
    assert "needs the VPC URL" in response.content.decode()
    assert "frame-src 'self';" in response["Content-Security-Policy"] + ";"


def test_a_connection_without_a_creator_has_no_page(db):
    kickflip = VendorConnection.objects.create(
        name="KF", kind="kickflip", settings={"company": "b"}, secrets={"api_key": "k"}, sync_every_minutes=None
    )
    response = manager_client().get(reverse("admin:fulfilment_creatorproduct_creator", args=[kickflip.pk]))
    assert response.status_code == 404


@responses.activate
def test_products_map_to_the_connections_own_stock_skus(gateway):
    responses.add(responses.GET, "https://cdn.example/1.png", status=404)
    other = VendorConnection.objects.create(
        name="CG 2", kind="custom_gateway", settings={"company": "1"}, secrets={"api_key": "k"}, sync_every_minutes=None
    )
    mine = StockLevel.objects.create(connection=gateway, sku="MUG-STOCK", quantity_available=4)
    theirs = StockLevel.objects.create(connection=other, sku="NOT-MINE", quantity_available=1)
    (product,) = creator_products_record(gateway, [{"id": 1, "snapshots": {"small": "https://cdn.example/1.png"}}])

    form = CreatorProductForm(instance=product)
    assert list(form.fields["stock_level"].queryset) == [mine]
    assert not CreatorProductForm({"stock_level": theirs.pk}, instance=product).is_valid()
    changed = manager_client().post(
        reverse("admin:fulfilment_creatorproduct_change", args=[product.pk]), {"stock_level": mine.pk}
    )
    assert changed.status_code == 302
    product.refresh_from_db()
    assert product.stock_level == mine
