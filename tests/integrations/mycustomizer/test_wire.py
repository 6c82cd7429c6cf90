"""Kickflip / MyCustomizer payloads (the doc's own examples) -> neutral records."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.mycustomizer.wire import design_record, store_order_record
from integrations.sources import OrderLineRecord
from orders.models import Customization, DesignNode

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kickflip"


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


def test_design_maps_product_price_images_and_every_choice():
    mapped = design_record(fixture("design.json"))

    assert mapped.external_id == "5e74283608310f001714de63"
    assert mapped.product_title == "Custom Guitar"
    assert mapped.price == "123"
    assert mapped.status == Customization.Status.DESIGN
    assert mapped.order_lines is None  # lines come from the orders pass
    assert [side.preview_url for side in mapped.sides] == [
        "https://cdnv2.mycustomizer.com/companyname/5e74283608310f001714de62.png"
    ]
    nodes = {node.label: node for node in mapped.sides[0].nodes}
    assert nodes["Body material"].kind == DesignNode.Kind.MATERIAL and nodes["Body material"].value == "Bright Red"
    assert nodes["Name color"].kind == DesignNode.Kind.COLOUR and nodes["Name color"].value == "Red"
    assert nodes["Logo logo"].kind == DesignNode.Kind.IMAGE
    assert nodes["Logo logo"].image_url == "https://cdn1.mczr.co/companyname/5ba28ac92f99bd001016621c.png"
    # The text choice appears only in `configuration`: it is still a text node, so it is screened.
    assert nodes["Default text"].kind == DesignNode.Kind.TEXT and nodes["Default text"].text == "Your text"
    assert mapped.production_data[0] == fixture("design.json")["productionData"][0]
    assert mapped.summary[-1] == {"key": "Sticker", "value": "Red heart"}


def test_order_maps_status_payment_history_total_and_items():
    mapped = store_order_record(fixture("order.json"))

    assert mapped.external_id == "5e69254b714841168b8d9825"
    assert (mapped.name, mapped.store_order_id) == ("#1001", "1014154653754")
    assert (mapped.status, mapped.payment_status, mapped.currency) == ("pending", "paid", "CAD")
    assert mapped.total_price == Decimal("234")
    assert mapped.status_history == [{"status": "pending", "date": "2019-02-23T17:52:35.202Z"}]
    assert mapped.lines == (OrderLineRecord(customization_id="5e692525714841158b8d9825", quantity=1),)


def test_unreadable_records_raise_value_error():
    with pytest.raises(ValueError, match="no id"):
        design_record({"productName": "x"})
    with pytest.raises(ValueError, match="has no design"):
        store_order_record({"id": "o1", "items": [{"quantity": 1}]})
    with pytest.raises(ValueError, match="not a number"):
        store_order_record({"id": "o1", "items": [], "totalPrice": "lots"})
