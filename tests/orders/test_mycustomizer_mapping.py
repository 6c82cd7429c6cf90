"""Kickflip / MyCustomizer payloads (the doc's own examples) -> our fields."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from orders.models import Customization, DesignNode
from orders.services.mycustomizer_mapping import map_design, map_order

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "kickflip"


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


def test_design_maps_product_price_images_and_every_choice():
    mapped = map_design(fixture("design.json"))

    assert mapped.external_id == "5e74283608310f001714de63"
    assert mapped.fields["product_title"] == "Custom Guitar"
    assert mapped.fields["price"] == "123"
    assert mapped.fields["status"] == Customization.Status.DESIGN
    assert mapped.order_lines is None  # lines come from the orders pass
    assert [side.fields["preview_url"] for side in mapped.sides] == [
        "https://cdnv2.mycustomizer.com/companyname/5e74283608310f001714de62.png"
    ]
    nodes = {node["label"]: node for node in mapped.sides[0].nodes}
    assert (
        nodes["Body material"]["kind"] == DesignNode.Kind.MATERIAL and nodes["Body material"]["value"] == "Bright Red"
    )
    assert nodes["Name color"]["kind"] == DesignNode.Kind.COLOUR and nodes["Name color"]["value"] == "Red"
    assert nodes["Logo logo"]["kind"] == DesignNode.Kind.IMAGE
    assert nodes["Logo logo"]["image_url"] == "https://cdn1.mczr.co/companyname/5ba28ac92f99bd001016621c.png"
    # The text choice appears only in `configuration`: it is still a text node, so it is screened.
    assert nodes["Default text"]["kind"] == DesignNode.Kind.TEXT and nodes["Default text"]["text"] == "Your text"
    assert mapped.fields["production_data"][0] == fixture("design.json")["productionData"][0]
    assert mapped.fields["summary"][-1] == {"key": "Sticker", "value": "Red heart"}


def test_order_maps_status_payment_history_total_and_items():
    mapped = map_order(fixture("order.json"))

    assert mapped["external_id"] == "5e69254b714841168b8d9825"
    fields = mapped["fields"]
    assert (fields["name"], fields["store_order_id"]) == ("#1001", "1014154653754")
    assert (fields["status"], fields["payment_status"], fields["currency"]) == ("pending", "paid", "CAD")
    assert fields["total_price"] == Decimal("234")
    assert fields["status_history"] == [{"status": "pending", "date": "2019-02-23T17:52:35.202Z"}]
    assert mapped["items"] == [("5e692525714841158b8d9825", 1)]


def test_unreadable_records_raise_value_error():
    with pytest.raises(ValueError, match="no id"):
        map_design({"productName": "x"})
    with pytest.raises(ValueError, match="has no design"):
        map_order({"id": "o1", "items": [{"quantity": 1}]})
    with pytest.raises(ValueError, match="not a number"):
        map_order({"id": "o1", "items": [], "totalPrice": "lots"})
