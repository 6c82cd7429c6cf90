"""Ideal Factory's OMS through the real, vendor-neutral services, against its sandbox over real
HTTP (the session's `sandbox_server`): routing (mugs to the OMS, shirts to Custom Gateway), the
body the OMS gets (variant through the catalogue, thumbnails fetchable without a login), a create
whose answer is lost (never a second order), print files through every state with the
notification, Retry, update / cancel / get, catalogue pushes with an error answer, batch orders.

Tests in which the sandbox or a partner calls back into the app (the print-files hook, Custom
Gateway, the thumbnails fetched over HTTP) use `live_server` and a transactional database; the
others roll back."""

from __future__ import annotations

import io
import time
from decimal import Decimal

import pypdf
import pytest
import requests
from django.core.files.base import ContentFile
from PIL import Image

from fulfilment.catalogue_models import (
    BatchOrder,
    CatalogueCategory,
    CatalogueProduct,
    CataloguePush,
    CatalogueVariant,
    PrintTemplate,
    PushState,
    VariantMapping,
)
from fulfilment.models import FulfilmentOrder, IncomingRequest, OrderAction, PartnerPrintFile, RoutingRule
from fulfilment.selectors import fulfilment_orders_needing_attention
from fulfilment.services.actions import (
    fulfilment_order_cancel,
    fulfilment_order_confirm_sent,
    fulfilment_order_probe,
    fulfilment_order_refresh,
    fulfilment_order_update,
)
from fulfilment.services.batches import batch_order_create, batch_order_refresh
from fulfilment.services.catalogue import catalogue_delete, catalogue_push
from fulfilment.services.orders import (
    FulfilmentInvalid,
    design_config,
    fulfilment_order_create,
    fulfilment_order_send,
    fulfilment_orders_create_routed,
    hook_url_for,
)
from fulfilment.services.print_files import partner_print_files_poll
from fulfilment.services.print_files_remake import partner_print_file_remake
from fulfilment.services.queue import PRINT_FILES_POLL_TASK
from fulfilment.services.routing import customizations_route, routes_by_partner
from integrations.idealfactory import sandbox as if_sandbox
from integrations.idealfactory.wire import template_config_decode
from integrations.partners import HookKind, OrderChanges
from operations.services import dashboard_totals
from orders.models import ProxiedImage, VendorConnection
from orders.services.image_proxy import url_key
from tests.factories import NodeFactory, OrderLineFactory, StoreOrderFactory, staff_in
from tests.fulfilment.test_flows import ADDRESS, approved_with_artwork
from tests.hostile import png

pytestmark = pytest.mark.django_db
State = FulfilmentOrder.State
PF = PartnerPrintFile.State
SHIPPING = {
    **ADDRESS,
    "shipping_address_4": "Macclesfield",
    "customer_email": "ada@example.com",
    "customer_telephone": "+44 1625 000000",
    "shipping_price": Decimal("4.95"),
}


@pytest.fixture
def box():
    if_sandbox.reset()
    yield if_sandbox.sandbox()
    if_sandbox.reset()


@pytest.fixture
def oms(sandbox_server, box, settings):
    return VendorConnection.objects.create(
        name="IF sandbox",
        kind="idealfactory",
        settings={"base_url": if_sandbox.base_url(sandbox_server.url), "store_ids": "demo-store"},
        secrets={"api_token": settings.SANDBOX_API_KEY},
        sync_every_minutes=None,
    )


@pytest.fixture
def run_tasks(tasks_inline, django_capture_on_commit_callbacks):
    """Tasks queued on commit run here, as a worker would, when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def pushed_variant(oms: VendorConnection) -> CatalogueVariant:
    """A mug variant of the OMS catalogue, pushed (its category and product first)."""
    category = CatalogueCategory.objects.create(connection=oms, name="Mugs")
    product = CatalogueProduct.objects.create(category=category, name="Mug 11oz", order_column=1, team_id=5)
    variant = CatalogueVariant.objects.create(product=product, name="Mug 11oz white", country_id=1)
    assert catalogue_push(variant).ok
    variant.refresh_from_db()
    return variant


def a_mug(store_order=None, *, options=None, store_variant="SV-MUG-11", product="Mug 11oz"):
    """An approved mug design with artwork, a preview, a text node, on a store order line."""
    customization = approved_with_artwork(sku="MUG-11")
    customization.product_title, customization.template_id = product, "T-MUG"
    customization.options, customization.price = options or {"size": "11oz"}, "12.50"
    customization.save()
    side = customization.sides.get()
    side.preview_url = f"https://cdn.vendor.example/previews/{side.pk}.png"
    side.save()
    NodeFactory(side=side, kind="text", text="Ada")
    store_order = store_order or StoreOrderFactory(
        connection=customization.connection, store_order_id=f"SO-{customization.pk}", currency="GBP"
    )
    OrderLineFactory(customization=customization, store_order=store_order, variant_id=store_variant, quantity=2)
    return customization


def map_store_variant(oms, variant, value="SV-MUG-11"):
    return VariantMapping.objects.create(
        connection=oms, match_by=VariantMapping.MatchBy.STORE_VARIANT, match_value=value, catalogue_variant=variant
    )


def sent_order(oms, *designs) -> FulfilmentOrder:
    order = fulfilment_order_create(connection=oms, customizations=list(designs), shipping=SHIPPING)
    sent = fulfilment_order_send(order)
    assert sent.state == State.SENT, sent.last_error
    return sent


def poll_all(oms) -> dict[str, str]:
    """One poll of every unsettled print file of the connection (due or not): store item id -> state."""
    partner_print_files_poll(connection=oms, every=True)
    return {row.store_item_id: row.state for row in PartnerPrintFile.objects.filter(order__connection=oms)}


# -- routing and the body ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_routing_sends_the_mug_to_the_oms_and_the_shirt_to_custom_gateway(
    oms, box, custom_gateway_connection, custom_gateway_sandbox, live_server
):
    RoutingRule.objects.create(connection=custom_gateway_connection, priority=100)  # the default
    RoutingRule.objects.create(connection=oms, product_contains="mug", priority=10)
    variant = pushed_variant(oms)
    map_store_variant(oms, variant)
    mug = a_mug()
    shirt = approved_with_artwork(sku="TEE-1")
    shirt.product_title = "Classic T-Shirt"
    shirt.save()

    groups = routes_by_partner(customizations_route([mug, shirt]))
    assert groups == {oms: [mug], custom_gateway_connection: [shirt]}
    to_oms, to_cg = fulfilment_orders_create_routed(groups=groups, shipping=SHIPPING)
    assert (to_oms.connection, to_cg.connection) == (oms, custom_gateway_connection)
    for order in (to_oms, to_cg):
        assert fulfilment_order_send(order).state == State.SENT, order.last_error

    assert [o.external_ref for o in custom_gateway_sandbox.orders.values()] == [to_cg.external_ref]
    (at_oms,) = box.orders.values()
    body = at_oms.payload
    store_order = mug.order_lines.get().store_order
    assert body["store_id"] == "demo-store"
    assert (body["ecommerce_order_id"], body["ecommerce_order_number"]) == (
        store_order.store_order_id,
        store_order.name,
    )
    assert body["customer"]["email"] == "ada@example.com" and body["customer"]["name"] == "Ada"
    assert body["customer"]["surname"] == "Lovelace" and body["customer"]["phone"] == "+44 1625 000000"
    assert [a["type_id"] for a in body["addresses"]] == ["billing", "shipping"]
    shipping = body["addresses"][1]
    assert (shipping["address_1"], shipping["post_code"], shipping["city"], shipping["country_code"]) == (
        "Pinewood Court",
        "SK10 2XR",
        "Macclesfield",
        "GB",
    )
    assert body["shippings"] == [{"code": "Standard", "shipping_price": 4.95}]
    assert body["create_print_files"] is True and body["currency_code"] == "GBP"
    (item,) = body["items"]
    fulfilment_item = to_oms.items.get()
    assert item["ecommerce_order_item_id"] == fulfilment_item.store_item_id
    assert item["ecommerce_variant_id"] == variant.vendor_id == "1"  # the pushed catalogue variant
    assert item["quantity"] == 2 and item["price"] == 12.5
    design = template_config_decode(item["template_config"])
    assert design == design_config(mug) and design["template_id"] == "T-MUG"
    assert design["sides"][0]["nodes"] == [{"kind": "text", "text": "Ada"}]
    # The OMS's answer is kept: the order's and each item's UID.
    assert to_oms.vendor_orders.get().vendor_id == at_oms.uid
    assert fulfilment_item.vendor_id == at_oms.items[0].uid
    assert PartnerPrintFile.objects.filter(order=to_oms).count() == 1
    assert not PartnerPrintFile.objects.filter(order=to_cg).exists()  # Custom Gateway makes none

    # The thumbnail is a link the OMS can fetch without a login: it answers an image.
    (thumbnail,) = item["thumbnails"]
    assert thumbnail.startswith(live_server.url)
    side = mug.sides.get()
    image = ProxiedImage(url_hash=url_key(side.preview_url), url=side.preview_url, state="ready")
    image.file.save("preview.png", ContentFile(png(48, 32)), save=True)
    served = requests.get(thumbnail, timeout=10)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(served.content)).size == (48, 32)
    assert requests.get(thumbnail[:-6] + "forged/", timeout=10).status_code == 404


def test_a_design_without_an_oms_variant_is_refused_in_words_when_created_and_never_sent(oms, box):
    with pytest.raises(FulfilmentInvalid) as refused:
        fulfilment_order_create(
            connection=oms,
            customizations=[approved_with_artwork(1)],
            shipping={**ADDRESS, "shipping_address_4": "Leek"},
        )

    assert "no Ideal Factory variant" in refused.value.errors["partner"]
    assert not FulfilmentOrder.objects.exists()  # nothing saved
    assert "orders" not in box.calls and not box.orders  # nothing reached the OMS


# -- a create whose answer is lost ------------------------------------------------------------------


@pytest.fixture
def short_timeout(settings, box):
    """The client gives up after 0.5 s; a lost create is answered after 1.5 s."""
    settings.VENDOR_HTTP_READ_TIMEOUT = 0.5
    box.slow_seconds = 1.5


def test_a_lost_answer_the_oms_did_get_waits_in_check_until_staff_confirm_its_uid(oms, box, short_timeout):
    map_store_variant(oms, pushed_variant(oms))
    order = fulfilment_order_create(connection=oms, customizations=[a_mug()], shipping=SHIPPING)
    box.lose_next_create()

    checked = fulfilment_order_send(order)

    assert checked.state == State.CHECK, checked.last_error
    assert "answer to sending was lost" in checked.last_error
    assert len(box.orders) == 1 and box.calls["orders"] == 1  # it has it, sent once
    outcome = fulfilment_order_probe(checked)
    checked.refresh_from_db()
    assert outcome.ok and checked.state == State.CHECK  # the probe cannot read its UID
    assert "Ideal Factory has the order" in outcome.message and "Confirm sent" in checked.last_error
    assert not PartnerPrintFile.objects.filter(order=order).exists()

    (uid,) = box.orders
    staff = staff_in("Manager", username="manager")
    confirmed = fulfilment_order_confirm_sent(checked, vendor_id=uid, user=staff)

    order.refresh_from_db()
    assert confirmed.ok and order.state == State.SENT and order.reconciled
    assert order.vendor_orders.get().vendor_id == uid
    assert [a.action for a in order.actions.order_by("at", "pk")] == ["probe", "confirm_sent"]
    assert order.actions.get(action="confirm_sent").user == staff
    (row,) = PartnerPrintFile.objects.filter(order=order)  # its print files are tracked from now
    # (the probe's own read of the item moved the sandbox's print file on a step)
    assert poll_all(oms) == {row.store_item_id: PF.PROCESSING}
    assert len(box.orders) == 1 and box.calls["orders"] == 1  # never a second order


def test_a_create_the_oms_never_stored_is_probed_then_sent_again_exactly_once(oms, box, run_tasks):
    map_store_variant(oms, pushed_variant(oms))
    order = fulfilment_order_create(connection=oms, customizations=[a_mug()], shipping=SHIPPING)
    box.fail_next("orders", 500)  # refused before the sandbox stores anything

    checked = fulfilment_order_send(order)

    assert checked.state == State.CHECK and not box.orders and box.calls["orders"] == 1
    with run_tasks():
        outcome = fulfilment_order_probe(checked)
    assert outcome.ok and "does not have it" in outcome.message
    order.refresh_from_db()
    assert order.state == State.SENT, order.last_error
    (at_oms,) = box.orders.values()  # one order, from the one send after the probe
    assert box.calls["orders"] == 2
    assert order.vendor_orders.get().vendor_id == at_oms.uid
    assert PartnerPrintFile.objects.filter(order=order).count() == 1
    assert order.actions.get().action == "probe"


# -- print files ------------------------------------------------------------------------------------


def test_print_files_through_every_state_a_failed_one_retried(oms, box):
    map_store_variant(oms, pushed_variant(oms))
    good = a_mug()
    bad = a_mug(good.order_lines.get().store_order, options={"finish": "fail"})  # the sandbox fails it
    order = sent_order(oms, good, bad)
    good_id, bad_id = (order.items.get(customization=c).store_item_id for c in (good, bad))

    states = [poll_all(oms) for _ in range(3)]

    assert [s[good_id] for s in states] == [PF.RECEIVED, PF.PROCESSING, PF.READY]
    assert [s[bad_id] for s in states] == [PF.RECEIVED, PF.PROCESSING, PF.FAILED]
    ready = PartnerPrintFile.objects.get(store_item_id=good_id)
    assert ready.next_poll_at is None and ready.content_type == "application/pdf" and ready.page_count == 1
    assert ready.url.endswith(f"/print-files/{good_id}.pdf") and ready.size_bytes == ready.file.size
    with ready.file.open("rb") as stored:
        assert good_id in pypdf.PdfReader(stored).pages[0].extract_text()
    with ready.preview.open("rb") as preview:
        assert Image.open(preview).format == "PNG"
    failed = PartnerPrintFile.objects.get(store_item_id=bad_id)
    assert failed.vendor_code == "processingfailed" and "Retry" in failed.error and not failed.file
    assert list(fulfilment_orders_needing_attention(FulfilmentOrder.objects.all(), "print_file_failed")) == [order]
    assert partner_print_files_poll(connection=oms, every=True).polled == 0  # both settled

    # Staff fix the design and Retry: the line is sent again (update with its item), polled anew.
    bad.options = {"finish": "gloss"}
    bad.save()
    said = partner_print_file_remake(failed)
    assert "asked Ideal Factory to remake it" in said
    assert "fail" not in box.items[bad_id].payload["template_config"].lower()
    states = [poll_all(oms)[bad_id] for _ in range(3)]
    assert states == [PF.RECEIVED, PF.PROCESSING, PF.READY]
    failed.refresh_from_db()
    assert failed.file and failed.page_count == 1 and failed.error == ""
    assert not fulfilment_orders_needing_attention(FulfilmentOrder.objects.all(), "print_file_failed").exists()
    assert len(box.orders) == 1


@pytest.mark.django_db(transaction=True)
def test_the_ready_notification_triggers_the_poll_that_stores_the_file(
    oms, box, sandbox_server, live_server, settings, tasks_inline
):
    settings.PUBLIC_BASE_URL = live_server.url  # the hook URL the sandbox is given is the live app's
    hook = hook_url_for(oms, HookKind.PRINT_FILES_READY)
    assert oms.hook_token in hook
    registered = requests.post(f"{sandbox_server.url}/sandbox/idealfactory/_notify-url", json={"url": hook}, timeout=5)
    assert registered.ok
    map_store_variant(oms, pushed_variant(oms))
    order = sent_order(oms, a_mug())
    (row,) = PartnerPrintFile.objects.filter(order=order)

    assert poll_all(oms) == {row.store_item_id: PF.RECEIVED}
    assert poll_all(oms) == {row.store_item_id: PF.PROCESSING}  # the sandbox notifies now

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row.refresh_from_db()
        if row.file and box.notifications:  # stored, and the sandbox has the hook's answer
            break
        time.sleep(0.05)
    assert row.state == PF.READY and row.file and row.page_count == 1, row.error
    assert row.polls == 3  # the third poll was the hook's, not ours
    assert box.notifications == [
        {"url": hook, "body": {"ecommerce_order_item_id": row.store_item_id, "status": "ready"}, "status": 200}
    ]
    (incoming,) = IncomingRequest.objects.filter(connection=oms)
    assert incoming.hook == "print-files"
    # (and the dashboard's totals catching up with the order's changes)
    assert [name for name, _args, _kwargs in tasks_inline if name != dashboard_totals.REFRESH_TASK] == [
        PRINT_FILES_POLL_TASK
    ]


# -- update, cancel, get -----------------------------------------------------------------------------


def test_update_get_and_cancel_at_the_oms_each_recorded_with_its_answer(oms, box):
    map_store_variant(oms, pushed_variant(oms))
    order = sent_order(oms, a_mug())
    uid = order.vendor_orders.get().vendor_id
    staff = staff_in("Manager", username="manager")

    updated = fulfilment_order_update(
        order,
        OrderChanges(note="Leave at the door", shipping_method="Express", shipping_price=Decimal("9.99")),
        user=staff,
    )

    assert updated.ok, updated.message
    assert box.orders[uid].payload["note"] == "Leave at the door"
    assert box.orders[uid].payload["shippings"] == [{"code": "Express", "shipping_price": 9.99}]
    order.refresh_from_db()
    assert (order.note, order.shipping_price) == ("Leave at the door", Decimal("9.99"))
    update = order.actions.get(action=OrderAction.Action.UPDATE)
    assert update.ok and update.user == staff and update.sent["note"] == "Leave at the door"
    assert update.answer[0]["uid"] == uid and update.answer[0]["note"] == "Leave at the door"

    got = fulfilment_order_refresh(order, user=staff)
    assert got.ok and got.message.startswith("Ideal Factory says:"), got.message
    assert f"applied: Received (the OMS reports no order status) for {order.external_ref}" in got.message
    get = order.actions.get(action=OrderAction.Action.GET)
    assert get.ok and get.sent == {"vendor_ids": [uid]} and get.answer[0]["vendor_id"] == uid

    cancelled = fulfilment_order_cancel(order, user=staff)
    assert cancelled.ok, cancelled.message
    assert uid not in box.orders  # deleted at the OMS
    cancel = order.actions.get(action=OrderAction.Action.CANCEL)
    assert cancel.answer == [{"message": "Order successfully deleted", "order_uid": uid}]
    order.refresh_from_db()
    assert order.status == "cancelled" and not order.items.filter(live=True).exists()

    gone = fulfilment_order_refresh(order, user=staff)  # the OMS no longer has it: said, not raised
    assert not gone.ok and "not found" in gone.message.lower()
    assert not order.actions.filter(action=OrderAction.Action.GET, ok=False).get().answer


# -- the catalogue ----------------------------------------------------------------------------------


def test_catalogue_pushes_create_update_an_error_answer_and_delete(oms, box):
    category = CatalogueCategory.objects.create(connection=oms, name="T-Shirts", default_dpi=300)
    product = CatalogueProduct.objects.create(
        category=category, name="Classic Tee", code="CWT001", order_column=1, team_id=5, default_location_id=2
    )
    variant = CatalogueVariant.objects.create(
        product=product, name="Classic Tee L", country_id=1, weight=200, ecommerce_tags="tshirt,white,large"
    )

    push = catalogue_push(variant)  # its product and category first

    assert push.ok, push.error
    for record in (category, product, variant):
        record.refresh_from_db()
        assert record.push_state == PushState.PUSHED
    assert len(category.vendor_id) == 36 and category.vendor_id in box.catalogue["category"]  # a UID string
    assert (product.vendor_id, variant.vendor_id) == ("1", "1")  # integers, kept as strings
    assert box.catalogue["product"]["1"]["category_id"] == category.vendor_id
    assert box.catalogue["product"]["1"]["team_id"] == 5
    assert box.catalogue["variant"]["1"]["product_id"] == 1  # sent as the integer the doc types
    assert [p.action for p in CataloguePush.objects.order_by("pk")] == ["create"] * 3

    product.name = "Premium Tee"
    product.active = False
    product.save()
    again = catalogue_push(product)
    assert again.ok and again.action == "update" and again.vendor_id == "1"
    assert box.catalogue["product"]["1"]["name"] == "Premium Tee" and box.catalogue["product"]["1"]["active"] is False
    assert len(box.catalogue["product"]) == 1

    # A required field the sandbox does not get (a blank name is left out of the body): its 400.
    unnamed = CatalogueCategory.objects.create(connection=oms, name="")
    refused = catalogue_push(unnamed)
    unnamed.refresh_from_db()
    assert not refused.ok and unnamed.push_state == PushState.FAILED and not unnamed.vendor_id
    assert "The name field is required" in refused.error and "400" in refused.error
    assert refused.error == unnamed.last_error and len(box.catalogue["category"]) == 1

    deleted = catalogue_delete(variant)
    assert deleted is not None and deleted.ok and deleted.action == "delete"
    assert deleted.answer["message"] == "Product variant successfully deleted"
    assert "1" not in box.catalogue["variant"] and not CatalogueVariant.objects.exists()


# -- batch orders -----------------------------------------------------------------------------------


def test_a_batch_of_two_sent_orders_items_then_its_status_moves_and_an_unknown_one_is_kept(oms, box):
    map_store_variant(oms, pushed_variant(oms))
    first, second = sent_order(oms, a_mug()), sent_order(oms, a_mug())
    items = [first.items.get(), second.items.get()]
    template = PrintTemplate.objects.create(connection=oms, vendor_uid="TEMPLATE_UID_1", name="Mug wrap")

    batch = batch_order_create(connection=oms, items=items, templates=[template])

    assert batch.status_code == "Batching" and batch.raw == {"uid": batch.vendor_id, "status": "Batching"}
    at_oms = box.batches[batch.vendor_id]
    assert at_oms["order_items"] == [item.vendor_id for item in items] and all(at_oms["order_items"])
    assert at_oms["print_templates"] == ["TEMPLATE_UID_1"]
    assert set(batch.items.all()) == set(items)
    assert batch_order_refresh(batch).status_code == "Batched"
    box.fail_next("batch", 200, body={"uid": batch.vendor_id, "status": "Waiting for press"})
    refreshed = batch_order_refresh(batch)
    assert refreshed.status_code == "Waiting for press" and refreshed.error == ""
    assert BatchOrder.objects.get().status_code == "Waiting for press"
