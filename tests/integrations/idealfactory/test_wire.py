"""Ideal Factory's wire format: our neutral records as its bodies, its answers as neutral
records, bounded and checked (no HTTP, no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import pytest

from integrations.idealfactory.types import store_ids_parse, store_ids_problem
from integrations.idealfactory.wire import (
    WireInvalid,
    batch_record,
    catalogue_answer,
    catalogue_body,
    created_order,
    order_body,
    order_problems,
    print_file_report,
    status_of,
    status_report,
    template_config_decode,
    template_config_encode,
    update_body,
    update_problems,
)
from integrations.partners import (
    Address,
    CatalogueKind,
    Customer,
    FulfilmentStatus,
    LineToSend,
    OrderChanges,
    OrderToSend,
    PrintFile,
    PrintFileState,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "idealfactory"
SHIP_TO = Address(
    name="Ada Lovelace",
    email="ada@example.com",
    telephone="+44 20 0000",
    line_1="12 St James's Square",
    line_2="Floor 2",
    town="London",
    region="Greater London",
    postcode="SW1Y 4JH",
    country_code="gb",
)
DESIGN = {"text": "Héllo & <world>", "colour": "#ff0000", "layers": [1, 2, {"a": "b/c?d=e"}]}


def a_line(reference="L1", **fields) -> LineToSend:
    values = {
        "reference": reference,
        "quantity": 2,
        "sku": "TEE-M",
        "description": "Tee",
        "files": (PrintFile("https://files.test/front.png", "Front"),),
        "store_item_id": f"BO-1-{reference}",
        "variant_id": "VAR-9",
        "price": Decimal("19.99"),
        "design": DESIGN,
        "thumbnails": ("https://files.test/thumb.png",),
        "properties": {"size": "M"},
    }
    values.update(fields)
    return LineToSend(**values)


def an_order(**fields) -> OrderToSend:
    values = {
        "reference": "BO-1",
        "sold_at": datetime(2026, 1, 2, tzinfo=UTC),
        "address": SHIP_TO,
        "lines": (a_line(),),
        "shipping_method": "STANDARD",
        "shipping_price": Decimal("9.99"),
        "store_order_id": "SHOP-1001",
        "store_order_number": "#1001",
        "total_price": Decimal("49.97"),
        "subtotal_price": Decimal("39.98"),
        "currency": "GBP",
        "note": "Gift",
        "customer": Customer(email="ada@example.com", store_customer_id="C7", first_name="Ada", last_name="Lovelace"),
    }
    values.update(fields)
    return OrderToSend(**values)


def test_template_config_is_compact_json_url_encoded_and_round_trips():
    encoded = template_config_encode(DESIGN)
    assert json.loads(unquote(encoded)) == DESIGN
    assert template_config_decode(encoded) == DESIGN
    assert unquote(encoded) == json.dumps(DESIGN, separators=(",", ":"), ensure_ascii=False)
    assert not set(encoded) & set(' "{}&/?<>#=é')  # every special character is encoded
    assert template_config_encode({}) == "%7B%7D"


def test_the_order_body_has_every_documented_field():
    body = order_body(an_order(), store_ids=["S1", "S2"])
    assert body["store_id"] == "S1"
    assert body["ecommerce_order_id"] == "SHOP-1001" and body["ecommerce_order_number"] == "#1001"
    assert body["total_price"] == 49.97 and body["subtotal_price"] == 39.98 and body["currency_code"] == "GBP"
    assert body["customer"] == {
        "email": "ada@example.com",
        "ecommerce_customer_id": "C7",
        "name": "Ada",
        "surname": "Lovelace",
        "phone": "",
    }
    assert [a["type_id"] for a in body["addresses"]] == ["billing", "shipping"]
    assert body["addresses"][1] == {
        "type_id": "shipping",
        "address_1": "12 St James's Square",
        "address_2": "Floor 2",
        "post_code": "SW1Y 4JH",
        "city": "London",
        "county": "Greater London",
        "country_code": "GB",
    }
    assert body["shippings"] == [{"code": "STANDARD", "shipping_price": 9.99}]
    (item,) = body["items"]
    assert item["ecommerce_order_item_id"] == "BO-1-L1" and item["ecommerce_variant_id"] == "VAR-9"
    assert item["quantity"] == 2 and item["price"] == 19.99 and item["properties"] == {"size": "M"}
    assert template_config_decode(item["template_config"]) == DESIGN
    assert item["thumbnails"] == ["https://files.test/thumb.png"]
    assert body["create_print_files"] is True
    assert order_body(an_order(), store_ids=["S1"], create_print_files=False)["create_print_files"] is False
    json.dumps(body)  # JSON as it is


def test_the_order_s_own_store_wins_and_the_customer_falls_back_to_the_address():
    body = order_body(an_order(partner_store="S2", customer=None, store_order_id=""), store_ids=["S1", "S2"])
    assert body["store_id"] == "S2"
    assert body["ecommerce_order_id"] == "BO-1"
    assert body["customer"]["name"] == "Ada" and body["customer"]["surname"] == "Lovelace"
    assert body["customer"]["email"] == "ada@example.com"


def test_a_line_without_store_item_id_or_thumbnails_gets_the_documented_fallbacks():
    body = order_body(an_order(lines=(a_line(store_item_id="", thumbnails=()),)), store_ids=["S1"])
    assert body["items"][0]["ecommerce_order_item_id"] == "BO-1-L1"
    assert body["items"][0]["thumbnails"] == ["https://files.test/front.png"]


def test_order_problems_refuse_what_the_oms_requires_in_words():
    assert order_problems(an_order(), store_ids=["S1"]) == []
    problems = " ".join(order_problems(an_order(lines=(a_line(variant_id=""),)), store_ids=["S1"]))
    assert "no Ideal Factory variant" in problems and "L1" in problems
    assert "no store id" in " ".join(order_problems(an_order(), store_ids=[]))
    assert "not one of the connection's" in " ".join(order_problems(an_order(partner_store="X"), store_ids=["S1"]))
    assert "no items" in " ".join(order_problems(an_order(lines=()), store_ids=["S1"]))
    twice = an_order(lines=(a_line("A", store_item_id="same"), a_line("B", store_item_id="same")))
    assert "appears twice" in " ".join(order_problems(twice, store_ids=["S1"]))
    no_city = an_order(address=Address(line_1="x", postcode="1", country_code="GB"))
    assert "no city" in " ".join(order_problems(no_city, store_ids=["S1"]))


def test_update_body_sends_only_what_changes():
    assert update_body(OrderChanges()) == {}
    body = update_body(
        OrderChanges(
            note="Updated shipping instructions",
            total_price=Decimal("69.98"),
            shipping_method="STANDARD",
            shipping_price=Decimal("9.99"),
        )
    )
    assert body == json.loads((FIXTURES / "order_update_request.json").read_text())
    with_address = update_body(OrderChanges(address=SHIP_TO))
    assert [a["type_id"] for a in with_address["addresses"]] == ["shipping"]
    lines = update_body(OrderChanges(lines=(a_line(),)))
    assert lines["items"][0]["ecommerce_order_item_id"] == "BO-1-L1"
    assert "both the shipping code and its price" in " ".join(update_problems(OrderChanges(shipping_method="X")))
    assert "no store item id" in " ".join(update_problems(OrderChanges(lines=(a_line(store_item_id=""),))))


def test_category_ids_all_digits_go_as_integers_uids_as_strings():
    body = catalogue_body(CatalogueKind.PRODUCT, {"category_id": "1", "name": "Tee", "team_id": "5"})
    assert body == {"category_id": 1, "name": "Tee", "team_id": 5}
    uid = "aef6d9d6-4cc6-4b45-bccf-aab97e886440"
    assert catalogue_body(CatalogueKind.PRODUCT, {"category_id": uid})["category_id"] == uid
    assert catalogue_body(CatalogueKind.VARIANT, {"product_id": "12", "country_id": 1}) == {
        "product_id": 12,
        "country_id": 1,
    }
    # A category's own parent_id is a UID: left alone, even when digits.
    assert catalogue_body(CatalogueKind.CATEGORY, {"parent_id": "7"}) == {"parent_id": "7"}


def test_catalogue_answers_keep_every_id_as_a_string():
    assert catalogue_answer(CatalogueKind.CATEGORY, {"uid": "u-1"}).vendor_id == "u-1"
    assert catalogue_answer(CatalogueKind.PRODUCT, {"id": 5, "uuid": "x"}).vendor_id == "5"
    deleted = json.loads((FIXTURES / "category_deleted.json").read_text())
    assert catalogue_answer(CatalogueKind.CATEGORY, deleted).vendor_id == "1"
    assert catalogue_answer(CatalogueKind.VARIANT, {"message": "ok"}, known_id="3").vendor_id == "3"
    with pytest.raises(WireInvalid, match="has no id"):
        catalogue_answer(CatalogueKind.PRODUCT, {"name": "x"})
    with pytest.raises(WireInvalid, match="not an id"):
        catalogue_answer(CatalogueKind.PRODUCT, {"id": "x" * 65})
    with pytest.raises(WireInvalid, match="not a JSON object"):
        catalogue_answer(CatalogueKind.PRODUCT, [1])


def test_created_order_matches_lines_by_store_item_id():
    order = an_order(lines=(a_line("L1", store_item_id="ORD_ITEM-001"),))
    created = created_order(json.loads((FIXTURES / "order_created.json").read_text()), order)
    assert created.vendor_id == "ORDER_UID" and created.reference == "BO-1" and created.ref == "ORD-001"
    (line,) = created.lines
    assert (line.reference, line.vendor_id, line.vendor_ref) == ("L1", "ORDER_ITEM_UID", "ORD_ITEM-001")
    stranger = created_order({"uid": "U", "items": [{"uid": "I", "ecommerce_order_item_id": "other"}]}, order)
    assert stranger.lines == ()
    for bad in ({"items": []}, {"uid": True}, {"uid": "U", "items": "x"}, {"uid": "U", "items": [1]}, "text"):
        with pytest.raises(WireInvalid):
            created_order(bad, order)


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("print_ready.json", PrintFileState.READY),
        ("print_processing.json", PrintFileState.PROCESSING),
        ("print_failed.json", PrintFileState.FAILED),
    ],
)
def test_print_file_report_from_the_doc_examples(name, state):
    body = json.loads((FIXTURES / name).read_text())
    report = print_file_report(body, body["ecommerce_order_item_id"])
    assert report.state == state and report.code == body["status"]
    assert report.url == (body["url"] or "")


def test_print_file_report_bounds_and_refusals():
    received = print_file_report({"status": "received", "url": None}, "I")
    assert received.state == PrintFileState.RECEIVED
    unknown = print_file_report({"status": "queued-elsewhere"}, "I")
    assert unknown.state is None and unknown.code == "queued-elsewhere"
    for url in ("javascript:alert(1)", "ftp://x/y.pdf", None, "", "https://x/" + "a" * 3000):
        report = print_file_report({"status": "ready", "url": url}, "I")
        assert report.state is None and report.url == ""
        assert "no http(s) URL" in report.raw["why_not_ready"]
    with pytest.raises(WireInvalid, match="not 'I'"):
        print_file_report({"ecommerce_order_item_id": "J", "status": "ready"}, "I")
    with pytest.raises(WireInvalid, match="not text"):
        print_file_report({"status": {"x": 1}}, "I")
    assert len(print_file_report({"status": "x" * 500}, "I").code) == 32


def test_status_report_without_status_is_accepted_received():
    report = status_report({"uid": "U", "ecommerce_order_id": "ORD-001", "items": []}, "U")
    assert report.status.status == FulfilmentStatus.ACCEPTED and report.status.code == "received"
    assert report.vendor_id == "U" and report.reference == "ORD-001"
    shipped = status_report({"uid": "U", "status": "Shipped"}, "U")
    assert shipped.status.status == FulfilmentStatus.SHIPPED and shipped.status.code == "Shipped"
    odd = status_report({"uid": "U", "status": "Teleported"}, "U")
    assert odd.status.status is None and odd.status.code == odd.status.name == "Teleported"
    assert status_of("cancelled").status == FulfilmentStatus.CANCELLED


def test_batch_record_keeps_the_status_verbatim():
    record = batch_record(json.loads((FIXTURES / "batch_created.json").read_text()))
    assert (record.vendor_id, record.status_code) == ("BATCH_ORDER_UID", "Batching")
    assert batch_record({"uid": 7, "status": "Something New"}).status_code == "Something New"
    with pytest.raises(WireInvalid):
        batch_record({"status": "Batching"})


def test_store_ids_are_parsed_and_validated():
    assert store_ids_parse("a, b c,a") == ["a", "b", "c"]
    assert store_ids_problem("a, b c") == ""
    assert "at least one" in store_ids_problem("  ")
    assert "empty" in store_ids_problem("a,,b")
    assert "longer than 64" in store_ids_problem("x" * 65)
    assert "control character" in store_ids_problem("a\x00b")
