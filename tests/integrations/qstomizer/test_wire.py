"""Qstomizer payloads (the doc's own examples) -> neutral records (integrations.qstomizer.wire)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

from integrations.qstomizer.wire import customization_record, listed
from integrations.sources import OrderLineRecord

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "qstomizer"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


# -- mapping ------------------------------------------------------------------------------


def test_map_customization_maps_the_docs_detail_example():
    listed_rows = fixture("orders_list.json")["body"]["data"]
    data = copy.deepcopy(fixture("order_detail.json")["body"]["data"])

    mapped = customization_record(listed(1789921, listed_rows), data)

    assert mapped.external_id == "1789921"
    assert mapped.status == "pending"
    assert mapped.customized_at == datetime(2022, 9, 1, 15, 9, tzinfo=UTC)
    assert mapped.variant_title == "Small / White"
    assert mapped.user_notes == "Please, contact us before proceed."
    assert [side.name for side in mapped.sides] == ["Front", "Back"]
    image, text = mapped.sides[0].nodes
    assert text.kind == "text"
    assert (text.text, text.font_family, text.font_size, text.fill) == (
        "BASKETBALL",
        "Carter One",
        40.0,
        "#ffe599",
    )
    assert image.kind == "image"
    assert image.image_url == "https://cdn.bigvanet.com/clipart/people/00-png/basketball-player.png"
    assert mapped.sides[1].nodes == ()
    assert mapped.order_lines == (
        OrderLineRecord(
            store_order_id="4889333336255",
            store_order_name="#3891",
            product_id="7504436314495",
            variant_id="42618944895551",
            quantity=1,
        ),
    )
