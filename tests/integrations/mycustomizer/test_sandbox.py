"""The built-in MyCustomizer / Kickflip sandbox: its views through Django's test client, and the
real clients against it over HTTP (the session's sandbox server)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from integrations.http import VendorRejected
from integrations.mycustomizer import sandbox as mycustomizer_sandbox
from integrations.mycustomizer.client import KickflipClient, MyCustomizerClient
from integrations.mycustomizer.types import parse_date

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kickflip"
COMPANY = "demo-brand"


@pytest.fixture
def box(settings):
    """A fresh sandbox (added records, faults and the wordfilter reset)."""
    mycustomizer_sandbox.reset()
    yield mycustomizer_sandbox.sandbox()
    mycustomizer_sandbox.reset()


@pytest.fixture
def auth(settings):
    return {"HTTP_AUTHORIZATION": f"Bearer {settings.SANDBOX_API_KEY}"}


def url(kind: str, tail: str, company: str = COMPANY) -> str:
    return f"/sandbox/{kind}/brands/{company}/{tail}"


def walk(client, auth, kind: str, collection: str, **params) -> list[dict]:
    """Follow lastIndex as the doc says, with the sandbox's default ("count") reading."""
    records, last_index = [], None
    for _ in range(100):
        query = dict(params, **({"lastIndex": last_index} if last_index is not None else {}))
        answer = client.get(url(kind, collection), query, **auth).json()
        records += answer["results"]
        pagination = answer["pagination"]
        if pagination["resultSize"] == 0 or pagination["lastIndex"] == pagination["collectionSize"]:
            return records
        last_index = pagination["lastIndex"]
    raise AssertionError("the walk does not end")


# -- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["kickflip", "mycustomizer"])
@pytest.mark.parametrize("headers", [{}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": "sandbox-key"}])
def test_a_missing_or_wrong_token_is_refused(client, box, kind, headers):
    response = client.get(url(kind, "orders"), **headers)

    assert response.status_code == 401
    assert response.content == b"Invalid credentials"


def test_an_unknown_company_is_an_invalid_tenant(client, box, auth):
    response = client.get(url("kickflip", "designs", company="someone-else"), **auth)

    assert response.status_code == 404
    assert response.content == b"Trying to launch invalid tenant."


def test_the_company_comes_from_the_setting(client, auth, settings):
    settings.SANDBOX_KICKFLIP_COMPANY = "acme"
    mycustomizer_sandbox.reset()
    try:
        assert client.get(url("kickflip", "orders", company="acme"), **auth).status_code == 200
        assert client.get(url("kickflip", "orders"), **auth).status_code == 404
    finally:
        mycustomizer_sandbox.reset()


# -- listings -----------------------------------------------------------------------------


def test_orders_default_to_25_by_descending_order_id(client, box, auth):
    answer = client.get(url("kickflip", "orders"), **auth).json()

    assert answer["pagination"] == {
        "collectionSize": 150,
        "resultSize": 25,
        "lastIndex": 25,
        "sortOrder": "descending",
        "sortKey": "orderId",
    }
    assert [o["orderId"] for o in answer["results"]] == list(range(150, 125, -1))


@pytest.mark.parametrize("kind", ["kickflip", "mycustomizer"])
def test_a_walk_by_lastindex_returns_every_order_once(client, box, auth, kind):
    orders = walk(client, auth, kind, "orders", count=40, sortOrder="ascending", sortKey="orderId")

    assert [o["orderId"] for o in orders] == list(range(1, 151))
    assert len({o["id"] for o in orders}) == 150


def test_a_walk_by_date_returns_every_order_once(client, box, auth):
    orders = walk(client, auth, "kickflip", "orders", count=33, sortKey="date", sortOrder="descending")

    assert Counter(o["orderId"] for o in orders) == Counter(range(1, 151))
    dates = [parse_date(o["date"]) for o in orders]
    assert dates == sorted(dates, reverse=True)


def test_a_walk_returns_every_listed_design_once_ascending_by_default(client, box, auth):
    designs = walk(client, auth, "kickflip", "designs", count=50)

    listed = [design for design in box.designs if design.listed]
    assert [d["designId"] for d in designs] == sorted(design.design_id for design in listed)
    backwards = client.get(url("kickflip", "designs"), {"backwards": "true", "count": 3}, **auth).json()
    assert backwards["pagination"]["sortOrder"] == "descending"
    assert [d["designId"] for d in backwards["results"]] == sorted((d.design_id for d in listed), reverse=True)[:3]


def test_an_order_added_mid_walk_is_read_by_an_ascending_walk(client, box, auth):
    first = client.get(url("kickflip", "orders"), {"count": 100, "sortOrder": "ascending"}, **auth).json()
    added = box.add_order(designs=2)
    rest = client.get(
        url("kickflip", "orders"),
        {"count": 100, "sortOrder": "ascending", "lastIndex": first["pagination"]["lastIndex"]},
        **auth,
    ).json()

    ids = [o["id"] for o in first["results"] + rest["results"]]
    assert len(ids) == len(set(ids)) == 151
    assert rest["results"][-1] == added
    assert added["orderId"] == 151
    for item in added["items"]:
        assert client.get(url("kickflip", f"designs/{item['design']}"), **auth).status_code == 200


@pytest.mark.parametrize(
    ("tail", "params", "body"),
    [
        ("orders", {"sortOrder": "dsfdsdf"}, "Invalid sort value: { orderId: dsfdsdf }"),
        ("orders", {"sortKey": "price"}, "Invalid sort value: { price: descending }"),
        ("designs", {"sortKey": "gluten-free"}, "Invalid sort value: { gluten-free: false }"),
        ("designs", {"backwards": "maybe"}, "Invalid sort value: { designId: maybe }"),
    ],
)
def test_an_invalid_sort_value_is_a_500_with_the_docs_body(client, box, auth, tail, params, body):
    response = client.get(url("kickflip", tail), params, **auth)

    assert response.status_code == 500
    assert response.content.decode() == body


@pytest.mark.parametrize("params", [{"count": 0}, {"count": "x"}, {"lastIndex": 151}])
def test_count_zero_and_lastindex_past_the_collection_are_refused(client, box, auth, params):
    assert client.get(url("kickflip", "orders"), params, **auth).status_code == 500


@pytest.mark.parametrize(("reading", "expected"), [("count", 13), ("index", 13), ("echo", 10)])
def test_the_lastindex_reading_can_be_switched_for_tests(client, box, auth, reading, expected):
    box.last_index_reading = reading

    answer = client.get(url("kickflip", "orders"), {"lastIndex": 10, "count": 3, "sortOrder": "ascending"}, **auth)

    pagination = answer.json()["pagination"]
    first = answer.json()["results"][0]["orderId"]
    assert (pagination["lastIndex"], first) == (expected, 12 if reading == "index" else 11)


# -- records ------------------------------------------------------------------------------


def test_orders_and_designs_have_the_docs_shape(client, box, auth):
    order = client.get(url("kickflip", "orders"), {"count": 1}, **auth).json()["results"][0]
    design_id = order["items"][0]["design"]
    design = client.get(url("kickflip", f"designs/{design_id}"), **auth).json()

    assert list(order) == list(json.loads((FIXTURES / "order.json").read_text()))
    assert list(design) == list(json.loads((FIXTURES / "design.json").read_text()))
    assert client.get(url("kickflip", f"orders/{order['id']}"), **auth).json() == order
    assert order["id"] == order["_id"] and len(order["id"]) == 24
    assert parse_date(order["date"]) is not None
    assert set(design["designImage"]) == set(design["designImages"][0])


def test_some_ordered_designs_are_missing_from_the_listing_but_readable_by_id(client, box, auth):
    listed = {d["id"] for d in walk(client, auth, "kickflip", "designs", count=100)}
    ordered = {item["design"] for o in walk(client, auth, "kickflip", "orders", count=100) for item in o["items"]}

    hidden = ordered - listed
    assert hidden
    for design_id in hidden:
        response = client.get(url("kickflip", f"designs/{design_id}"), **auth)
        assert response.status_code == 200
        assert response.json()["id"] == design_id
    assert listed - ordered  # and some designs were never ordered


def test_designs_carry_every_kind_of_personalised_choice(client, box, auth):
    designs = walk(client, auth, "kickflip", "designs", count=100)

    kinds = {item["key"].rsplit(" ", 1)[1] for d in designs for item in d["productionData"]}
    assert {"material", "color", "font", "image", "logo"} <= kinds
    objects = [c for d in designs for c in d["configuration"].values() if isinstance(c, dict)]
    assert {"text", "logo"} <= {c["type"] for c in objects}
    logo = next(c for c in objects if c["type"] == "logo")["views"][0]["logo"]
    assert logo["url"].endswith(f"{logo['_id']}.png")
    texts = [c["views"][0]["text"] for c in objects if c["type"] == "text"]
    assert any("damn" in text.lower() for text in texts)
    assert any("crap" in text.lower() for text in texts)
    assert "Scunthorpe United" in texts
    assert any(entry == {"key": "Your name"} for d in designs for entry in d["summary"])  # a default text


def test_design_images_are_served(client, box, auth):
    design = client.get(url("kickflip", "designs"), {"count": 1}, **auth).json()["results"][0]

    response = client.get(design["designImage"]["url"].replace("http://testserver", ""))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")


def test_unknown_ids_are_not_found(client, box, auth):
    for tail in ("orders/5e69254b714841168b8d9825", "designs/nope"):
        response = client.get(url("kickflip", tail), **auth)
        assert (response.status_code, response.content) == (404, b"Not Found")


def test_the_data_is_the_same_for_the_same_seed(box):
    again = mycustomizer_sandbox.MyCustomizerSandbox(size=box.size, seed=box.seed, company=box.company)

    assert [box.order_payload(o) for o in box.orders] == [again.order_payload(o) for o in again.orders]
    assert [box.design_payload(d, "/") for d in box.designs] == [again.design_payload(d, "/") for d in again.designs]


def test_fail_next_answers_one_call_with_the_fault(client, box, auth):
    box.fail_next("orders", 503)

    assert client.get(url("kickflip", "orders"), **auth).status_code == 503
    assert client.get(url("kickflip", "orders"), **auth).status_code == 200
    assert box.calls["orders"] == 2


# -- wordfilter ---------------------------------------------------------------------------


def test_wordfilter_get_and_post_replace_the_list_on_kickflip(client, box, auth):
    before = client.get(url("kickflip", "wordfilter"), **auth).json()
    posted = client.post(
        url("kickflip", "wordfilter"), {"isActive": False, "words": ["heck"]}, content_type="application/json", **auth
    )
    after = client.get(url("kickflip", "wordfilter"), **auth).json()

    assert before["isActive"] is True
    assert {"damn", "crap"} <= set(before["words"])
    assert posted.status_code == 200
    assert posted.json() == ["heck"]  # the doc's answer: the bare list
    assert after == {"isActive": False, "words": ["heck"]}
    mycustomizer_sandbox.reset()
    assert mycustomizer_sandbox.sandbox().wordfilter["words"] == before["words"]


def test_wordfilter_post_needs_the_token_and_a_list_of_strings(client, box, auth):
    assert client.post(url("kickflip", "wordfilter"), {"words": []}, content_type="application/json").status_code == 401
    bad = client.post(url("kickflip", "wordfilter"), {"words": "damn"}, content_type="application/json", **auth)
    assert bad.status_code == 400
    assert client.get(url("kickflip", "wordfilter"), **auth).json()["words"] == box.wordfilter["words"]


def test_wordfilter_does_not_exist_on_mycustomizer(client, box, auth):
    assert client.get(url("mycustomizer", "wordfilter"), **auth).status_code == 404
    response = client.post(url("mycustomizer", "wordfilter"), {"words": []}, content_type="application/json", **auth)
    assert (response.status_code, response.content) == (404, b"Not Found")
    assert box.wordfilter["words"] != []


def test_base_url_points_at_each_mount():
    assert (
        mycustomizer_sandbox.base_url("http://localhost:8000/", "kickflip") == "http://localhost:8000/sandbox/kickflip"
    )
    with pytest.raises(ValueError):
        mycustomizer_sandbox.base_url("http://localhost:8000", "qstomizer")


# -- the clients against the sandbox over HTTP --------------------------------------------


@pytest.mark.parametrize("reading", ["count", "index", "echo"])
def test_the_kickflip_client_reads_everything_once_under_each_reading(sandbox_server, box, settings, reading):
    box.last_index_reading = reading
    base = mycustomizer_sandbox.base_url(sandbox_server.url, "kickflip")

    with KickflipClient(token=settings.SANDBOX_API_KEY, company=COMPANY, base_url=base, backoff=0) as client:
        orders = list(client.iter_orders(page_size=40))
        designs = list(client.iter_designs(page_size=64))
        listed = {d["id"] for d in designs}
        hidden = next(i["design"] for o in orders for i in o["items"] if i["design"] not in listed)
        design = client.design(hidden)
        order = client.order(orders[0]["id"])

    assert [o["orderId"] for o in orders] == list(range(1, 151))
    assert [d["designId"] for d in designs] == sorted(d.design_id for d in box.designs if d.listed)
    assert design["id"] == hidden
    assert order == orders[0]


def test_the_kickflip_client_replaces_and_reads_the_wordfilter(sandbox_server, box, settings):
    base = mycustomizer_sandbox.base_url(sandbox_server.url, "kickflip")

    with KickflipClient(token=settings.SANDBOX_API_KEY, company=COMPANY, base_url=base, backoff=0) as client:
        replaced = client.wordfilter_replace(["damn", "scunthorpe"], active=True)
        current = client.wordfilter()

    assert replaced["words"] == current["words"] == ["damn", "scunthorpe"]
    assert current["active"] is True


def test_the_mycustomizer_client_is_told_about_a_wrong_company_and_token(sandbox_server, box, settings):
    base = mycustomizer_sandbox.base_url(sandbox_server.url, "mycustomizer")

    nobody = MyCustomizerClient(token=settings.SANDBOX_API_KEY, company="nobody", base_url=base, backoff=0)
    with nobody, pytest.raises(VendorRejected, match="no company 'nobody'"):
        list(nobody.iter_orders())
    wrong_token = MyCustomizerClient(token="wrong-token", company=COMPANY, base_url=base, backoff=0)
    with wrong_token, pytest.raises(VendorRejected, match="the token was refused"):
        list(wrong_token.iter_designs())
    assert box.calls == {"orders": 1, "designs": 1}
