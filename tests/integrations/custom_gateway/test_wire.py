"""Parsing what Custom Gateway sends: every number bounded to its column, objects where the doc
has objects, strings capped; anything else a WireInvalid that says why."""

import json
import re

import pytest

from integrations.custom_gateway.wire import WireInvalid, order_push_parse, status_update_parse, whole_number

CALLBACK = {"id": 501, "external_ref": "BO-000001", "ref": "R1", "status": 8, "status_name": "Dispatched"}


def test_a_documented_callback_parses_into_a_status_update():
    update = status_update_parse(json.dumps({**CALLBACK, "shipping_tracking": "RM1", "shipments": []}).encode())

    assert (update.vendor_id, update.external_ref, update.status, update.shipping_tracking) == (
        "501",
        "BO-000001",
        8,
        "RM1",
    )
    assert update.extra == {"shipments": []}


@pytest.mark.parametrize(
    "value, expected",
    [(8, 8), ("8", 8), (" 512 ", 512), (8.0, 8), (0, 0), (2**31 - 1, 2**31 - 1)],
)
def test_whole_numbers_php_may_send(value, expected):
    assert whole_number(value, "status") == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        (1e20, "status 1e+20 is not a whole number in range (0 to 2147483647)"),
        ("2.5", "status '2.5' is not a whole number"),
        (2.5, "status 2.5 is not a whole number in range (0 to 2147483647)"),
        (True, "status true is not a whole number"),
        (-1, "status -1 is out of range (0 to 2147483647)"),
        (2**31, "status 2147483648 is out of range (0 to 2147483647)"),
        (2**63, "status 9223372036854775808 is out of range (0 to 2147483647)"),
        ("9" * 40, "is out of range"),
        (None, "status null is not a whole number"),
        ([8], "status [8] is not a whole number"),
        ("٣", "status '٣' is not a whole number"),  # a digit, but not an ASCII one
    ],
)
def test_numbers_beyond_the_column_are_refused_in_words(value, reason):
    with pytest.raises(WireInvalid, match=re.escape(reason)):
        whole_number(value, "status")


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"", "the callback body is empty"),
        (b"[1]", "the callback body is a JSON list, not an object"),
        (b"\xff{}", "the callback body is not UTF-8 text"),
        (b"{", "the callback body is not JSON"),
        (b"[" * 100_000, "the callback body is not JSON"),
        (b'{"id": 1}', "the callback has no status"),
        (b'{"status": 8}', "names no order"),
        (json.dumps({**CALLBACK, "ref": {"a": 1}}).encode(), 'ref {"a": 1} is not text'),
    ],
)
def test_unusable_callbacks_say_why(body, reason):
    with pytest.raises(WireInvalid, match=reason):
        status_update_parse(body)


def test_strings_are_capped_to_their_columns_and_nul_bytes_dropped():
    update = status_update_parse(json.dumps({**CALLBACK, "status_name": "x" * 500, "ref": "a\u0000b"}))

    assert len(update.status_name) == 64 and update.ref == "ab"


def test_a_push_parses_items_and_refuses_what_its_columns_cannot_hold():
    push = {"id": 7, "items": [{"id": 1, "type": 1, "quantity": "2", "assets": [{"url": "https://x/1.png"}]}]}
    parsed = order_push_parse(json.dumps(push))
    assert parsed.items[0].quantity == 2 and parsed.items[0].assets[0]["url"] == "https://x/1.png"

    with pytest.raises(WireInvalid, match="two items share one id"):
        order_push_parse(json.dumps({"id": 7, "items": [{"id": 1}, {"id": 1}]}))
    with pytest.raises(WireInvalid, match="the push has no order id"):
        order_push_parse(json.dumps({"items": []}))


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<script>x</script>", "//evil.example/a.png"]
)
def test_a_pushed_assets_url_is_kept_only_when_it_is_http(url):
    push = {
        "id": 7,
        "items": [{"id": 1, "assets": [{"url": url, "name": "Front"}, {"url": "https://cdn.example/1.png"}]}],
    }
    assets = order_push_parse(json.dumps(push)).items[0].assets
    assert [asset["url"] for asset in assets] == ["", "https://cdn.example/1.png"]
    assert assets[0]["name"] == "Front"
