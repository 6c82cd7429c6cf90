"""The built-in Ideal Factory sandbox over real HTTP (the session's sandbox server), driven through
the real client and partner: print files moving through every state, a failing item, a lost
answer probed, the ready notification, catalogue CRUD with an error answer, batch orders."""

from __future__ import annotations

import io
import time

import pypdf
import pytest
import requests

from integrations.http import HttpOptions, VendorRetryable
from integrations.idealfactory import sandbox as if_sandbox
from integrations.idealfactory.client import BatchReadNotSupported, NotFoundAtVendor, RequestRejected, TokenRefused
from integrations.idealfactory.partner import IdealFactoryPartner, print_files_hook_parse
from integrations.idealfactory.spec import SPEC
from integrations.partners import CatalogueKind, OrderChanges, PrintFilesNotice, PrintFileState, ProbeOutcome
from integrations.registry import ConnectionConfig

from .test_wire import a_line, an_order


@pytest.fixture
def box():
    if_sandbox.reset()
    yield if_sandbox.sandbox()
    if_sandbox.reset()


def make_config(origin: str, token: str) -> ConnectionConfig:
    demo = if_sandbox.demo_connection(origin, "idealfactory")
    return ConnectionConfig(
        id=1, name="IF sandbox", kind="idealfactory", settings=demo["settings"], secrets={"api_token": token}
    )


@pytest.fixture
def partner(sandbox_server, box, settings):
    config = make_config(sandbox_server.url, settings.SANDBOX_API_KEY)
    with SPEC.client(config, HttpOptions(read_timeout=1.0, retries=0, backoff=0)) as client:
        yield IdealFactoryPartner(config, client)


def an_if_order(reference="BO-1", **line_fields):
    return an_order(
        reference=reference, partner_store="", lines=(a_line("L1", store_item_id=f"{reference}-L1", **line_fields),)
    )


def test_check_connects_and_a_wrong_token_is_refused(sandbox_server, box, partner):
    assert partner.client.check().startswith("Connected to Ideal Factory")
    config = make_config(sandbox_server.url, "wrong-token")
    with SPEC.client(config, HttpOptions(retries=0)) as client, pytest.raises(TokenRefused):
        client.check()


def test_a_print_file_moves_through_every_state_and_downloads_as_a_pdf(partner, box):
    result = partner.send(an_if_order())
    assert result.error is None and result.created[0].lines[0].vendor_ref == "BO-1-L1"
    states = [partner.print_file_status("BO-1-L1").state for _ in range(4)]
    assert states == [PrintFileState.RECEIVED, PrintFileState.PROCESSING, PrintFileState.READY, PrintFileState.READY]
    report = partner.print_file_status("BO-1-L1")
    buffer = io.BytesIO()
    partner.download(report.url, buffer)
    buffer.seek(0)
    assert "BO-1-L1" in pypdf.PdfReader(buffer).pages[0].extract_text()


@pytest.mark.parametrize("fields", [{"store_item_id": "BO-2-L1F"}, {"design": {"note": "please FAIL"}}])
def test_a_failing_item_ends_processingfailed(partner, box, fields):
    order = an_order(reference="BO-2", lines=(a_line("L1", **{"store_item_id": "BO-2-L1", **fields}),))
    assert partner.send(order).error is None
    item = order.lines[0].store_item_id
    states = [partner.print_file_status(item).state for _ in range(3)]
    assert states == [PrintFileState.RECEIVED, PrintFileState.PROCESSING, PrintFileState.FAILED]
    assert partner.print_file_status(item).code == "processingfailed"


def test_a_lost_answer_is_retryable_and_the_probe_finds_the_order(partner, box):
    box.slow_seconds = 2.0
    box.lose_next_create()
    with pytest.raises(VendorRetryable, match="did not answer in time"):
        partner.send(an_if_order("BO-3"))
    assert [o.payload["ecommerce_order_id"] for o in box.orders.values()] == ["SHOP-1001"]  # it exists
    assert box.calls["orders"] == 1  # sent once, never retried
    probe = partner.probe(an_if_order("BO-3"))
    assert probe.outcome == ProbeOutcome.RECEIVED
    assert partner.probe(an_if_order("BO-4")).outcome == ProbeOutcome.NOT_RECEIVED
    box.fail_next("print", 500)
    assert partner.probe(an_if_order("BO-4")).outcome == ProbeOutcome.UNKNOWN


def test_the_lost_marker_in_the_order_id_stalls_too(partner, box):
    box.slow_seconds = 2.0
    with pytest.raises(VendorRetryable):
        partner.send(
            an_order(reference="BO-LOST", store_order_id="SHOP-LOST", lines=(a_line("L1", store_item_id="BO-LOST-L1"),))
        )
    assert len(box.orders) == 1


def test_the_sandbox_notifies_when_an_item_becomes_ready(sandbox_server, partner, box):
    echo = f"{sandbox_server.url}/sandbox/idealfactory/_echo/print-files"
    assert requests.post(f"{sandbox_server.url}/sandbox/idealfactory/_notify-url", json={"url": echo}, timeout=5).ok
    partner.send(an_if_order("BO-5"))
    # Notified on the poll that answers "processing" (the item is ready from then on), before any
    # poll has answered "ready": the notification is what brings the file in.
    states = [partner.print_file_status("BO-5-L1").state for _ in range(2)]
    assert states == [PrintFileState.RECEIVED, PrintFileState.PROCESSING]
    deadline = time.monotonic() + 5
    while not (box.echo_requests and box.notifications) and time.monotonic() < deadline:
        time.sleep(0.05)
    (call,) = box.echo_requests
    assert call["method"] == "POST"
    assert print_files_hook_parse(call["body"]) == [PrintFilesNotice(store_item_ids=("BO-5-L1",))]
    assert box.notifications[0]["status"] == 200
    assert partner.print_file_status("BO-5-L1").state == PrintFileState.READY
    partner.print_file_status("BO-5-L1")
    assert len(box.notifications) == 1  # once per item


def test_orders_update_poll_delete_and_errors(partner, box):
    created = partner.send(an_if_order("BO-6")).created[0]
    partner.update(created.vendor_id, OrderChanges(note="Leave at the door"))
    assert box.orders[created.vendor_id].payload["note"] == "Leave at the door"
    assert partner.poll_status(created.vendor_id).status.code == "received"
    with pytest.raises(RequestRejected, match="shippings.0.shipping_price"):
        partner.client.update_order(created.vendor_id, {"shippings": [{"code": "X"}]})
    assert partner.cancel(created.vendor_id)["message"] == "Order successfully deleted"
    with pytest.raises(NotFoundAtVendor):
        partner.poll_status(created.vendor_id)
    with pytest.raises(RequestRejected, match="store_id: The store_id field is required"):
        partner.client.create_order({"ecommerce_order_id": "X", "items": []})
    # The same store item id in a second order: the OMS keys print files by it.
    partner.send(an_if_order("BO-7"))
    again = partner.send(an_if_order("BO-7"))
    assert again.error is not None and "already been taken" in again.message


def test_catalogue_crud_with_an_error_answer(partner, box):
    category = partner.catalogue_save(CatalogueKind.CATEGORY, "", {"name": "T-Shirts", "default_dpi": 300})
    assert len(category.vendor_id) == 36  # a UID
    with pytest.raises(RequestRejected) as caught:
        partner.catalogue_save(CatalogueKind.PRODUCT, "", {"name": "Tee"})
    assert "category_id" in str(caught.value) and "team_id" in str(caught.value)
    product = partner.catalogue_save(
        CatalogueKind.PRODUCT,
        "",
        {"category_id": category.vendor_id, "name": "Tee", "order_column": 1, "active": True, "team_id": "5"},
    )
    assert product.vendor_id == "1"
    assert box.catalogue["product"]["1"]["team_id"] == 5  # sent as an integer
    variant = partner.catalogue_save(
        CatalogueKind.VARIANT, "", {"name": "L", "product_id": product.vendor_id, "country_id": 1}
    )
    assert variant.vendor_id == "1"
    assert partner.catalogue_save(CatalogueKind.PRODUCT, "1", {"name": "Premium Tee"}).vendor_id == "1"
    assert partner.client.catalogue_get("product", "1")["name"] == "Premium Tee"
    assert partner.catalogue_delete(CatalogueKind.VARIANT, "1").vendor_id == "1"
    with pytest.raises(NotFoundAtVendor):
        partner.catalogue_delete(CatalogueKind.VARIANT, "1")
    with pytest.raises(RequestRejected, match="must be an integer"):
        partner.catalogue_save(CatalogueKind.VARIANT, "", {"name": "L", "product_id": "abc", "country_id": 1})


def test_batch_create_then_get_moves_on(partner, box):
    created = partner.send(an_if_order("BO-8")).created[0]
    record = partner.batch_create([created.lines[0].vendor_id], ["TEMPLATE_UID_1"])
    assert record.status_code == "Batching"
    assert [partner.batch_status(record.vendor_id).status_code for _ in range(3)] == ["Batched", "Printed", "Printed"]
    with pytest.raises(RequestRejected, match="Unknown order item UIDs"):
        partner.batch_create(["nope"], ["T"])
    box.batch_get_status = 405
    with pytest.raises(BatchReadNotSupported):
        partner.batch_status(record.vendor_id)


def test_the_sandbox_root_and_auth(sandbox_server, box):
    root = requests.get(f"{sandbox_server.url}/sandbox/idealfactory/", timeout=5).json()
    assert root["base_url"].endswith("/sandbox/idealfactory/api/v1")
    answer = requests.get(f"{root['base_url']}/orders/x", timeout=5)
    assert answer.status_code == 401 and answer.json() == {"message": "Unauthenticated."}
