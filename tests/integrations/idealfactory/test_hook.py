"""The print-files notification: its doc promises one with no format, so any body is only a
trigger to poll; store item ids found in JSON are hints, bounded. It never raises."""

from __future__ import annotations

import json

import pytest

from integrations.idealfactory.spec import SPEC
from integrations.partners import HookKind, PrintFilesNotice


def parse(body: bytes):
    return SPEC.hooks["print-files"].parse(body)


def test_the_hook_is_declared_as_a_trigger():
    hook = SPEC.hooks["print-files"]
    assert hook.kind == HookKind.PRINT_FILES_READY and hook.verify is None
    assert set(hook.methods) == {"POST", "GET", "PUT"} and hook.invalid_status == 200


@pytest.mark.parametrize(
    ("body", "ids"),
    [
        ({"ecommerce_order_item_id": "BO-1-L1", "status": "ready"}, ("BO-1-L1",)),
        ({"ecommerce_order_item_id": ["A", "B", "A"]}, ("A", "B")),
        ({"ecommerce_order_item_id": 42}, ("42",)),
        ([{"ecommerce_order_item_id": "A"}, {"ecommerce_order_item_id": "B"}], ("A", "B")),
        ({"items": [{"ecommerce_order_item_id": "C"}]}, ("C",)),
        ({"data": {"ecommerce_order_item_id": "D"}}, ("D",)),
        ({"something": "else"}, ()),
        ({"ecommerce_order_item_id": None}, ()),
        ({"ecommerce_order_item_id": {"nested": "x"}}, ()),
        ({"ecommerce_order_item_id": ["ok", "x" * 65, "bad\nline", "", True, 3.5]}, ("ok",)),
    ],
)
def test_json_variants(body, ids):
    assert parse(json.dumps(body).encode()) == [PrintFilesNotice(store_item_ids=ids)]


@pytest.mark.parametrize(
    "body",
    [b"", b"garbage", b"\xff\xfe\x00", b"<xml/>", b"null", b"[1,2", b"ecommerce_order_item_id=A", b"[" * 100000],
)
def test_garbage_is_a_trigger_to_poll_everything(body):
    assert parse(body) == [PrintFilesNotice(store_item_ids=())]


def test_huge_bodies_are_bounded():
    many = json.dumps({"ecommerce_order_item_id": [f"I{n}" for n in range(5000)]}).encode()
    (notice,) = parse(many)
    assert len(notice.store_item_ids) == 100 and notice.store_item_ids[0] == "I0"
    giant = b'{"ecommerce_order_item_id": "A", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert parse(giant) == [PrintFilesNotice(store_item_ids=())]
    deep = b'{"items": ' * 50 + b'{"ecommerce_order_item_id": "Z"}' + b"}" * 50
    assert parse(deep) == [PrintFilesNotice(store_item_ids=())]
