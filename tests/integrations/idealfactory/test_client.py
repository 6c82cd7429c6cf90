"""IdealFactoryClient against vendor HTTP faked at the boundary with `responses`. Payloads come
from the vendor doc's examples (tests/fixtures/idealfactory/; the doc's category example has its
UIDs unquoted, which is not JSON: the fixture quotes them)."""

from __future__ import annotations

import json
import re
import traceback
from pathlib import Path

import pytest
import requests
import responses

from integrations.http import VendorBadResponse, VendorRejected, VendorRetryable
from integrations.idealfactory.client import (
    BatchReadNotSupported,
    IdealFactoryClient,
    IdealFactoryServerError,
    NotFoundAtVendor,
    RequestRejected,
    TokenRefused,
    error_details,
)
from integrations.partners import NotSupported

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "idealfactory"
ROOT = "https://oms.test/api/v1"
TOKEN = "if-SECRET-token-0123456789abcdef"


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def make_client(**kwargs) -> IdealFactoryClient:
    return IdealFactoryClient(base_url=ROOT, api_token=TOKEN, backoff=0, retries=2, **kwargs)


@pytest.fixture
def oms():
    with make_client() as client:
        yield client


def sent_json(call) -> dict:
    return json.loads(call.request.body)


@responses.activate
def test_create_order_posts_the_body_with_the_bearer_token_and_reads_the_doc_answer(oms):
    responses.post(f"{ROOT}/orders", json=fixture("order_created.json"))
    answer = oms.create_order({"store_id": "S1", "ecommerce_order_id": "ORD-001", "items": []})
    assert answer["uid"] == "ORDER_UID"
    assert answer["items"][0]["ecommerce_order_item_id"] == "ORD_ITEM-001"
    call = responses.calls[0]
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent_json(call)["ecommerce_order_id"] == "ORD-001"


@responses.activate
def test_order_get_update_delete_use_get_put_delete_on_the_uid(oms):
    responses.get(f"{ROOT}/orders/ORDER_UID", json=fixture("order_created.json"))
    responses.put(f"{ROOT}/orders/ORDER_UID", json=fixture("order_created.json"))
    responses.delete(f"{ROOT}/orders/ORDER_UID", json=fixture("order_deleted.json"))
    assert oms.order("ORDER_UID")["uid"] == "ORDER_UID"
    assert oms.update_order("ORDER_UID", fixture("order_update_request.json"))["uid"] == "ORDER_UID"
    assert oms.delete_order("ORDER_UID")["message"] == "Order successfully deleted"
    assert [c.request.method for c in responses.calls] == ["GET", "PUT", "DELETE"]
    assert sent_json(responses.calls[1])["shippings"] == [{"code": "STANDARD", "shipping_price": 9.99}]


@responses.activate
def test_an_id_cannot_reach_another_path(oms):
    responses.get(f"{ROOT}/orders/a%2F..%2Fproducts", json={"uid": "x"})
    oms.order("a/../products")
    assert responses.calls[0].request.url == f"{ROOT}/orders/a%2F..%2Fproducts"
    with pytest.raises(ValueError, match="empty"):
        oms.order("  ")
    with pytest.raises(ValueError, match="at most 64"):
        oms.print_status("x" * 65)


@responses.activate
@pytest.mark.parametrize("name", ["print_ready.json", "print_processing.json", "print_failed.json"])
def test_print_status_reads_each_doc_example(oms, name):
    body = fixture(name)
    responses.get(f"{ROOT}/order-items/{body['ecommerce_order_item_id']}/print", json=body)
    assert oms.print_status(body["ecommerce_order_item_id"]) == body


@responses.activate
@pytest.mark.parametrize(
    ("kind", "collection", "create", "deleted", "record_id"),
    [
        ("category", "product-categories", "category_create_request.json", "category_deleted.json", "1"),
        ("product", "products", "product_create_request.json", "product_deleted.json", "1"),
        ("variant", "product-variants", "variant_create_request.json", "variant_deleted.json", "1"),
    ],
)
def test_catalogue_crud_per_kind(oms, kind, collection, create, deleted, record_id):
    responses.post(f"{ROOT}/{collection}", json={"id": 1, **fixture(create)})
    responses.get(f"{ROOT}/{collection}/{record_id}", json={"id": 1})
    responses.put(f"{ROOT}/{collection}/{record_id}", json={"id": 1, "name": "New"})
    responses.delete(f"{ROOT}/{collection}/{record_id}", json=fixture(deleted))
    assert oms.catalogue_create(kind, fixture(create))["id"] == 1
    assert sent_json(responses.calls[0]) == fixture(create)
    assert oms.catalogue_get(kind, record_id) == {"id": 1}
    assert oms.catalogue_update(kind, record_id, {"name": "New"})["name"] == "New"
    assert "successfully deleted" in oms.catalogue_delete(kind, record_id)["message"]
    assert [c.request.method for c in responses.calls] == ["POST", "GET", "PUT", "DELETE"]
    with pytest.raises(ValueError, match="unknown catalogue kind"):
        oms.catalogue_get("colour", "1")


@responses.activate
def test_batch_create_and_the_undocumented_get(oms):
    responses.post(f"{ROOT}/batch-orders", json=fixture("batch_created.json"))
    responses.get(f"{ROOT}/batch-orders/BATCH_ORDER_UID", json={"uid": "BATCH_ORDER_UID", "status": "Printed"})
    request = fixture("batch_request.json")
    assert oms.create_batch(request["order_items"], request["print_templates"]) == fixture("batch_created.json")
    assert sent_json(responses.calls[0]) == request
    assert oms.batch("BATCH_ORDER_UID")["status"] == "Printed"
    with pytest.raises(ValueError, match="at least one"):
        oms.create_batch([], ["T"])


@responses.activate
@pytest.mark.parametrize("status", [404, 405])
def test_batch_get_answered_404_or_405_is_not_supported_in_words(oms, status):
    responses.get(f"{ROOT}/batch-orders/B1", json={"message": "Not found"}, status=status)
    with pytest.raises(BatchReadNotSupported) as caught:
        oms.batch("B1")
    assert isinstance(caught.value, NotSupported) and isinstance(caught.value, VendorRejected)
    assert "documents no call to read a batch order" in str(caught.value)


@responses.activate
def test_a_400_shows_the_vendor_s_details_in_words(oms):
    responses.post(
        f"{ROOT}/orders",
        json={"message": "The given data was invalid.", "errors": {"store_id": ["The store id field is required."]}},
        status=400,
    )
    with pytest.raises(RequestRejected) as caught:
        oms.create_order({})
    message = str(caught.value)
    assert "The given data was invalid." in message and "store_id: The store id field is required." in message
    assert "HTTP 400" in message


@responses.activate
@pytest.mark.parametrize("status", [401, 403])
def test_401_403_are_token_refused_and_never_show_the_token(oms, status):
    responses.get(f"{ROOT}/orders/U1", json={"message": f"Bad token {TOKEN}"}, status=status)
    with pytest.raises(TokenRefused) as caught:
        oms.order("U1")
    shown = (
        str(caught.value)
        + caught.value.excerpt
        + caught.value.details
        + "".join(traceback.format_exception(caught.value))
    )
    assert TOKEN not in shown and "***" in str(caught.value)


@responses.activate
def test_404_is_not_found(oms):
    responses.get(f"{ROOT}/order-items/X/print", json={"message": "Order item not found."}, status=404)
    with pytest.raises(NotFoundAtVendor, match="Order item not found"):
        oms.print_status("X")


@responses.activate
def test_500_on_a_get_is_retried_then_retryable(oms):
    responses.get(f"{ROOT}/orders/U1", json={"message": "Server Error"}, status=500)
    with pytest.raises(IdealFactoryServerError) as caught:
        oms.order("U1")
    assert isinstance(caught.value, VendorRetryable)
    assert len(responses.calls) == 3  # retries=2


@responses.activate
def test_500_on_create_is_retryable_and_never_retried(oms):
    responses.post(f"{ROOT}/orders", body="<html>500</html>", status=500)
    with pytest.raises(VendorRetryable):
        oms.create_order({"store_id": "S"})
    assert len(responses.calls) == 1


@responses.activate
def test_a_timeout_on_create_is_retryable_and_never_retried(oms):
    responses.post(f"{ROOT}/orders", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(VendorRetryable, match="did not answer in time"):
        oms.create_order({"store_id": "S"})
    assert len(responses.calls) == 1


@responses.activate
def test_an_answer_without_uid_or_not_json_is_a_bad_response(oms):
    responses.post(f"{ROOT}/orders", json={"ok": True})
    responses.post(f"{ROOT}/batch-orders", body="<html>hi</html>")
    with pytest.raises(VendorBadResponse, match="has no uid"):
        oms.create_order({})
    with pytest.raises(VendorBadResponse, match="not valid JSON"):
        oms.create_batch(["I"], ["T"])


def test_error_details_reads_the_usual_shapes():
    assert error_details({"message": "Nope"}) == "Nope"
    assert error_details({"error": {"message": "Bad"}}) == "Bad"
    assert error_details({"errors": [{"field": "items", "message": "required"}, "other"]}) == "items: required other"
    assert error_details({"errors": {"a": "b", "c": ["d", "e"]}}) == "a: b c: d; e"
    assert error_details([1, 2]) == "" and error_details(None) == ""
    assert len(error_details({"message": "x" * 5000})) == 500


@responses.activate
def test_check_404_means_connected(oms):
    responses.add(responses.GET, url=re.compile(rf"{ROOT}/order-items/bo-check-[0-9a-f]+/print"), status=404)
    said = oms.check()
    assert said.startswith("Connected to Ideal Factory") and "token was accepted" in said
    assert TOKEN not in said


@responses.activate
@pytest.mark.parametrize("status", [401, 403])
def test_check_refused_token(oms, status):
    responses.add(responses.GET, url=re.compile(rf"{ROOT}/order-items/.+/print"), status=status)
    with pytest.raises(TokenRefused, match="refused the API token"):
        oms.check()


@responses.activate
def test_check_unreachable_is_retryable(oms):
    responses.add(responses.GET, url=re.compile(rf"{ROOT}/.*"), body=requests.exceptions.ConnectionError("down"))
    with pytest.raises(VendorRetryable, match="could not connect"):
        oms.check()


def test_the_client_needs_a_root_and_a_token():
    with pytest.raises(ValueError, match="API root"):
        IdealFactoryClient(base_url="", api_token=TOKEN)
    with pytest.raises(ValueError, match="API token"):
        IdealFactoryClient(base_url=ROOT, api_token="")


@responses.activate
def test_an_empty_answer_to_an_update_or_delete_is_done(oms):
    responses.delete(f"{ROOT}/orders/U1", status=204)
    responses.put(f"{ROOT}/products/1", body="")
    assert oms.delete_order("U1") == {}
    assert oms.catalogue_update("product", "1", {"name": "x"}) == {}
