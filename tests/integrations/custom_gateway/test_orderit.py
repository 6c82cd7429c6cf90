"""The rest of Order-iT (vendor doc: "Order Object", "Item Object", "Item Type Codes"): billing,
coupon, payment id, the shipping note, item colour / size / description, and item types 3, 4
and 5, each checked by the doc's rules before sending. Neutral records in, its body out."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from integrations.custom_gateway.orderit import order_problems
from integrations.custom_gateway.partner import CustomGatewayPartner
from integrations.partners import Address, LineKind, LineToSend, OrderToSend, PrintFile
from integrations.registry import ConnectionConfig

CONFIG = ConnectionConfig(id=1, name="CG", kind="custom_gateway", settings={"company": "99999"}, secrets={})
SHIPPING = Address(
    name="Ada", company="AE Ltd", line_1="Pinewood Court", town="Macclesfield", postcode="SK10 2XR", country_code="GB"
)
ARTWORK = LineToSend("C1", 1, "MUG-11", "Mug", (PrintFile("https://bo.test/f/front.png", "Front"),))


def order(*lines: LineToSend, **more) -> OrderToSend:
    return OrderToSend(
        reference="BO-000001",
        sold_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        address=SHIPPING,
        lines=lines or (ARTWORK,),
        **more,
    )


def line(kind: LineKind, **more) -> LineToSend:
    return dataclasses.replace(ARTWORK, files=(), kind=kind.value, **more)


@pytest.fixture
def partner():
    return CustomGatewayPartner(CONFIG)


def body(partner, to_send):
    assert partner.problems(to_send) == []  # what is sent passed the rules
    return partner.request_body(to_send)


def test_billing_coupon_payment_and_shipping_note_are_in_the_body(partner):
    billing = Address(
        name="Bob Billing",
        company="Bills Co",
        line_1="1 Ledger Lane",
        line_2="Floor 2",
        line_3="Wing B",
        town="Leeds",
        region="West Yorkshire",
        postcode="LS1 1AA",
        country_code="GB",
    )
    sent = body(
        partner,
        order(
            billing=billing,
            coupon_code="SPRING10",
            payment_trans_id="pi_3Ab",
            packing_slip_url="https://bo.test/fulfilment/files/packing-slip/tok/",
        ),
    )

    assert {k: v for k, v in sent.items() if k.startswith("billing_")} == {
        "billing_customer_name": "Bob Billing",
        "billing_company": "Bills Co",
        "billing_address_1": "1 Ledger Lane",
        "billing_address_2": "Floor 2",
        "billing_address_3": "Wing B",
        "billing_address_4": "Leeds",
        "billing_address_5": "West Yorkshire",
        "billing_postcode": "LS1 1AA",
    }
    assert sent["coupon_code"] == "SPRING10" and sent["payment_trans_id"] == "pi_3Ab"
    assert sent["shipping_note_url"] == "https://bo.test/fulfilment/files/packing-slip/tok/"


def test_no_billing_address_of_its_own_is_billed_to_the_shipping_address(partner):
    sent = body(partner, order())

    assert sent["billing_customer_name"] == "Ada" and sent["billing_address_1"] == "Pinewood Court"
    assert sent["billing_postcode"] == "SK10 2XR" and "billing_address_2" not in sent  # empty: left out
    assert "coupon_code" not in sent and "payment_trans_id" not in sent and "shipping_note_url" not in sent


def test_item_colour_size_and_description(partner):
    sent = body(partner, order(dataclasses.replace(ARTWORK, colour="Navy", size="XL", description="Tee, navy")))
    (item,) = sent["items"]
    assert (item["colour"], item["size"], item["description"]) == ("Navy", "XL", "Tee, navy")
    assert item["type"] == 1 and item["external_url"] == "https://bo.test/f/front.png"


def test_type_3_print_on_demand_sends_its_ref_and_no_artwork(partner):
    sent = body(partner, order(line(LineKind.PRINT_ON_DEMAND, print_on_demand_ref="POD-778")))
    (item,) = sent["items"]
    assert item["type"] == 3 and item["print_on_demand_ref"] == "POD-778"
    assert "external_url" not in item and "external_urls" not in item


def test_type_3_without_its_ref_is_refused_in_words():
    (problem,) = order_problems(order(line(LineKind.PRINT_ON_DEMAND, print_on_demand_ref="  ")))
    assert problem == "Item C1: a print-on-demand item needs the print-on-demand ref of its sample."


def test_type_4_stock_item_sends_its_sku_and_no_artwork(partner):
    sent = body(partner, order(line(LineKind.STOCK, sku="BAG-TOTE")))
    (item,) = sent["items"]
    assert item["type"] == 4 and item["sku"] == "BAG-TOTE"
    assert not {"external_url", "external_urls", "print_on_demand_ref", "textual_product_id"} & set(item)


def test_type_4_without_a_sku_is_refused_in_words():
    (problem,) = order_problems(order(line(LineKind.STOCK, sku="")))
    assert "a stock item needs its SKU" in problem


def test_type_5_textual_item_sends_its_textual_product_id(partner):
    sent = body(partner, order(line(LineKind.TEXTUAL, textual_product_id=1007644)))
    (item,) = sent["items"]
    assert item["type"] == 5 and item["textual_product_id"] == 1007644 and "external_url" not in item


@pytest.mark.parametrize(
    ("textual_product_id", "words"),
    [
        (None, "a textual item needs its textual product id (8052 Item textual_product_id not specified)."),
        (0, "the textual product id must be a whole number from 1 to 2147483647."),
        (2**31, "the textual product id must be a whole number from 1 to 2147483647."),
    ],
)
def test_type_5_without_a_good_textual_product_id_is_refused_in_words(textual_product_id, words):
    problems = order_problems(order(line(LineKind.TEXTUAL, textual_product_id=textual_product_id)))
    assert problems == [f"Item C1: {words}"]


def test_an_artwork_item_may_name_its_textual_product(partner):
    # "can be used for either textual items or external URL items"
    (item,) = body(partner, order(dataclasses.replace(ARTWORK, textual_product_id=55)))["items"]
    assert item["type"] == 1 and item["textual_product_id"] == 55


def test_artwork_without_a_print_file_and_bad_lines_are_refused_in_words():
    problems = order_problems(
        order(
            dataclasses.replace(ARTWORK, files=()),
            dataclasses.replace(ARTWORK, reference="C2", quantity=0),
            dataclasses.replace(ARTWORK, reference="", files=(PrintFile("ftp://x/y.png"),)),
            dataclasses.replace(ARTWORK, reference="C4", kind="hologram"),
        )
    )
    assert problems == [
        "Item C1: an artwork item needs its print file (8053 Item external_url not specified).",
        "Item C2: the quantity must be greater than 0 (8041 Invalid item quantity).",
        "Item (no reference): it has no reference (8050 Item external_ref not specified).",
        "Item (no reference): the print file link must begin with http:// or https://.",
        "Item C4: Custom Gateway takes no item of type 'hologram' (8040 Invalid item type).",
    ]


def test_the_shipping_note_must_be_an_http_link():
    problems = order_problems(order(packing_slip_url="/fulfilment/files/packing-slip/tok/"))
    assert problems == [
        "The packing slip link must begin with http:// or https:// (set PUBLIC_BASE_URL to this back office's "
        "public address)."
    ]


def test_one_order_of_every_type_passes(partner):
    sent = body(
        partner,
        order(
            ARTWORK,
            dataclasses.replace(
                ARTWORK,
                reference="C2",
                files=(PrintFile("https://x/f.png", "Front"), PrintFile("https://x/b.png", "Back")),
            ),
            dataclasses.replace(line(LineKind.PRINT_ON_DEMAND, print_on_demand_ref="P1"), reference="C3"),
            dataclasses.replace(line(LineKind.STOCK), reference="C4"),
            dataclasses.replace(line(LineKind.TEXTUAL, textual_product_id=9), reference="C5"),
        ),
    )
    assert [item["type"] for item in sent["items"]] == [1, 7, 3, 4, 5]
