"""Ideal Factory as a fulfilment partner: neutral records in, the OMS's HTTP (faked with
`responses`) out, and its answers back as neutral records; the probe after a lost answer."""

from __future__ import annotations

import io
import json
import re

import pytest
import requests
import responses

from integrations.http import VendorBadResponse, VendorRejected, VendorRetryable
from integrations.idealfactory.client import IdealFactoryClient
from integrations.idealfactory.partner import IdealFactoryPartner
from integrations.partners import (
    CatalogueKind,
    FulfilmentPartner,
    FulfilmentStatus,
    NotSupported,
    OrderChanges,
    PrintFileState,
    ProbeOutcome,
    SendError,
    StockLine,
)
from integrations.registry import ConnectionConfig, spec_for

from .test_wire import a_line, an_order

ROOT = "https://oms.test/api/v1"
TOKEN = "if-token-abcdef0123456789"


def config(**settings) -> ConnectionConfig:
    return ConnectionConfig(
        id=1,
        name="IF",
        kind="idealfactory",
        settings={"base_url": ROOT, "store_ids": "S1, S2", "create_print_files": True, **settings},
        secrets={"api_token": TOKEN},
    )


@pytest.fixture
def partner():
    with IdealFactoryClient(base_url=ROOT, api_token=TOKEN, backoff=0, retries=1) as client:
        yield IdealFactoryPartner(config(), client)


def print_url(item: str) -> str:
    return f"{ROOT}/order-items/{item}/print"


def test_it_implements_the_whole_protocol():
    protocol = {name for name in dir(FulfilmentPartner) if not name.startswith("_")}
    assert protocol <= set(dir(IdealFactoryPartner))
    assert IdealFactoryPartner.idempotent_send is False
    assert spec_for("idealfactory").partner is IdealFactoryPartner


@responses.activate
def test_send_creates_the_order_and_maps_its_items(partner):
    responses.post(
        f"{ROOT}/orders",
        json={
            "uid": "U1",
            "ecommerce_order_id": "SHOP-1001",
            "items": [{"uid": "IU1", "ecommerce_order_item_id": "BO-1-L1"}],
        },
    )
    result = partner.send(an_order())
    assert result.error is None
    (created,) = result.created
    assert created.vendor_id == "U1" and created.lines[0].vendor_id == "IU1" and created.lines[0].reference == "L1"
    assert json.loads(responses.calls[0].request.body)["store_id"] == "S1"


@responses.activate
def test_send_refuses_a_line_without_variant_before_sending(partner):
    result = partner.send(an_order(lines=(a_line(variant_id=""),)))
    assert result.error == SendError.REJECTED and "no Ideal Factory variant" in result.message
    assert len(responses.calls) == 0
    body = partner.request_body(an_order(lines=(a_line(variant_id=""),)))  # still shown, never raises
    assert body["items"][0]["ecommerce_variant_id"] == ""


@responses.activate
@pytest.mark.parametrize("status", [400, 401, 403, 422])
def test_send_4xx_is_rejected_in_words(partner, status):
    responses.post(
        f"{ROOT}/orders", json={"message": "The given data was invalid.", "errors": {"x": ["bad"]}}, status=status
    )
    result = partner.send(an_order())
    assert result.error == SendError.REJECTED and "x: bad" in result.message


@responses.activate
def test_send_5xx_or_timeout_raises_retryable(partner):
    responses.post(f"{ROOT}/orders", status=502)
    with pytest.raises(VendorRetryable):
        partner.send(an_order())
    responses.replace(responses.POST, f"{ROOT}/orders", body=requests.exceptions.ReadTimeout())
    with pytest.raises(VendorRetryable):
        partner.send(an_order())
    assert len(responses.calls) == 2


@responses.activate
def test_send_answer_without_items_array_is_a_bad_response(partner):
    responses.post(f"{ROOT}/orders", json={"uid": "U1", "items": "nope"})
    with pytest.raises(VendorBadResponse, match="cannot be read"):
        partner.send(an_order())


@responses.activate
def test_probe_all_404_is_not_received(partner):
    order = an_order(lines=(a_line("A"), a_line("B")))
    responses.add(responses.GET, re.compile(rf"{ROOT}/order-items/.+/print"), status=404, json={"message": "nf"})
    result = partner.probe(order)
    assert result.outcome == ProbeOutcome.NOT_RECEIVED and result.created is None
    assert len(responses.calls) == 2


@responses.activate
def test_probe_any_200_is_received(partner):
    order = an_order(lines=(a_line("A"), a_line("B")))
    responses.get(print_url("BO-1-A"), status=404)
    responses.get(print_url("BO-1-B"), json={"ecommerce_order_item_id": "BO-1-B", "status": "received", "url": None})
    result = partner.probe(order)
    assert result.outcome == ProbeOutcome.RECEIVED and "BO-1-B" in result.message and result.created is None


@responses.activate
@pytest.mark.parametrize("status", [500, 401])
def test_probe_anything_else_is_unknown(partner, status):
    responses.add(responses.GET, re.compile(rf"{ROOT}/order-items/.+/print"), status=status)
    result = partner.probe(an_order())
    assert result.outcome == ProbeOutcome.UNKNOWN and "Cannot tell" in result.message


@responses.activate
def test_probe_all_404_without_print_files_proves_nothing():
    with IdealFactoryClient(base_url=ROOT, api_token=TOKEN, backoff=0, retries=0) as client:
        partner = IdealFactoryPartner(config(create_print_files=False), client)
        responses.add(responses.GET, re.compile(rf"{ROOT}/order-items/.+/print"), status=404)
        assert partner.probe(an_order()).outcome == ProbeOutcome.UNKNOWN


@responses.activate
def test_cancel_update_poll(partner):
    responses.delete(f"{ROOT}/orders/U1", json={"message": "Order successfully deleted", "order_uid": "U1"})
    responses.put(f"{ROOT}/orders/U1", json={"uid": "U1"})
    responses.get(f"{ROOT}/orders/U1", json={"uid": "U1", "ecommerce_order_id": "SHOP-1001"})
    assert partner.cancel("U1")["order_uid"] == "U1"
    assert partner.update("U1", OrderChanges(note="Hi"))["uid"] == "U1"
    assert json.loads(responses.calls[1].request.body) == {"note": "Hi"}
    report = partner.poll_status("U1")
    assert report.status.status == FulfilmentStatus.ACCEPTED and report.status.code == "received"
    with pytest.raises(VendorRejected, match="Nothing to change"):
        partner.update("U1", OrderChanges())
    with pytest.raises(VendorRejected, match="both the shipping code"):
        partner.update("U1", OrderChanges(shipping_price=1))
    assert len(responses.calls) == 3


@responses.activate
def test_print_file_status_and_download(partner):
    responses.get(
        print_url("I1"), json={"ecommerce_order_item_id": "I1", "status": "ready", "url": "https://cdn.test/I1.pdf"}
    )
    responses.get(print_url("I2"), status=404, json={"message": "Order item not found."})
    responses.get("https://cdn.test/I1.pdf", body=b"%PDF-1.4 hi")
    report = partner.print_file_status("I1")
    assert report.state == PrintFileState.READY and report.url == "https://cdn.test/I1.pdf"
    missing = partner.print_file_status("I2")
    assert missing.state is None and missing.code == "not_found"
    buffer = io.BytesIO()
    partner.download(report.url, buffer)
    assert buffer.getvalue() == b"%PDF-1.4 hi"
    assert "Authorization" not in responses.calls[-1].request.headers  # no token to the file host


@responses.activate
def test_catalogue_save_and_delete_per_kind(partner):
    responses.post(f"{ROOT}/product-categories", json={"uid": "cat-uid", "name": "T-Shirts"})
    responses.put(f"{ROOT}/products/4", json={"id": 4})
    responses.post(f"{ROOT}/product-variants", json={"id": 12})
    responses.delete(f"{ROOT}/products/4", json={"message": "Product successfully deleted", "product_id": 4})
    assert partner.catalogue_save(CatalogueKind.CATEGORY, "", {"name": "T-Shirts"}).vendor_id == "cat-uid"
    assert partner.catalogue_save(CatalogueKind.PRODUCT, "4", {"category_id": "1"}).vendor_id == "4"
    assert json.loads(responses.calls[1].request.body) == {"category_id": 1}
    assert (
        partner.catalogue_save(CatalogueKind.VARIANT, "", {"product_id": "4", "name": "L", "country_id": 1}).vendor_id
        == "12"
    )
    assert partner.catalogue_delete(CatalogueKind.PRODUCT, "4").vendor_id == "4"


@responses.activate
def test_batch_create(partner):
    responses.post(f"{ROOT}/batch-orders", json={"uid": "B1", "status": "Batching"})
    record = partner.batch_create(["IU1", "IU2"], ["T1"])
    assert (record.vendor_id, record.status_code) == ("B1", "Batching")


def test_what_the_oms_cannot_do_is_not_supported():
    partner = IdealFactoryPartner(config())
    with pytest.raises(NotSupported):
        partner.ship("U1")
    with pytest.raises(NotSupported):
        partner.push_stock([StockLine("X", 1)])
    with pytest.raises(NotSupported):
        partner.stock_body([StockLine("X", 1)])
    titles = [table.title for table in IdealFactoryPartner.reference_tables()]
    assert "Print file statuses" in titles and "HTTP codes" in titles
    assert partner.request_body(an_order())["store_id"] == "S1"  # offline: no client needed
