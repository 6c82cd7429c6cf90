"""MyCustomizerClient / KickflipClient against vendor HTTP faked at the boundary with `responses`.

The payloads come from the vendor docs' examples (tests/fixtures/kickflip/). Pagination is
checked against a fake listing that serves lastIndex under each reading the docs allow (see
integrations.mycustomizer.client), and against fakes that misbehave.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from integrations.http import VendorBadResponse, VendorError, VendorRejected, VendorRetryable
from integrations.mycustomizer.client import KickflipClient, MyCustomizerClient, _quote_bare_keys
from integrations.mycustomizer.types import DEFAULT_BASE_URL, format_date, parse_date

BASE_URL = "https://api.test"
COMPANY = "myamazingbrand"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.secret-token-123.sig"
ORDERS_URL = f"{BASE_URL}/brands/{COMPANY}/orders"
DESIGNS_URL = f"{BASE_URL}/brands/{COMPANY}/designs"
WORDFILTER_URL = f"{BASE_URL}/brands/{COMPANY}/wordfilter"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kickflip"


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def client():
    with KickflipClient(token=TOKEN, company=COMPANY, base_url=BASE_URL, backoff=0, retries=2) as client:
        yield client


@pytest.fixture
def vendor():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def query(call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(call.request.url).query).items()}


def assert_no_token(exc: VendorError) -> None:
    for text in (str(exc), exc.excerpt, exc.message, repr(exc), "".join(traceback.format_exception(exc))):
        assert TOKEN not in text


def order(number: int) -> dict:
    oid = f"{number:024x}"
    return {"_id": oid, "orderId": number, "items": [], "id": oid}


class FakeListing:
    """GET .../orders as the docs describe it, with `lastIndex` served under one `reading`:
    "count" (records served so far), "index" (0-based index of the last one served; a request's
    lastIndex then means "after that record") or "echo" (the request's lastIndex repeated).
    Sorted by orderId, ascending when asked (or always descending when `descending`), with at
    most `cap` records a page whatever `count` says. `on_call(fake)` runs before each answer."""

    MAX_CALLS = 500  # a walk that loops fails loudly instead of hanging the suite

    def __init__(self, records, *, reading="count", descending=False, cap=None, on_call=None):
        self.records = list(records)
        self.reading = reading
        self.descending = descending
        self.cap = cap
        self.on_call = on_call
        self.queries: list[dict[str, str]] = []

    @property
    def calls(self) -> int:
        return len(self.queries)

    def __call__(self, request):
        params = {key: values[0] for key, values in parse_qs(urlsplit(request.url).query).items()}
        self.queries.append(params)
        assert self.calls <= self.MAX_CALLS, "the walk does not end"
        if self.on_call:
            self.on_call(self)
        descending = self.descending or params.get("sortOrder", "descending") == "descending"
        records = sorted(self.records, key=lambda record: record["orderId"], reverse=descending)
        last_index = int(params.get("lastIndex", 0))
        count = min(int(params.get("count", 25)), self.cap or 10**6)
        start = last_index + 1 if self.reading == "index" and last_index else last_index
        chunk = records[start : start + count]
        answer = {"count": start + len(chunk), "index": max(start + len(chunk) - 1, 0), "echo": last_index}
        pagination = {
            "collectionSize": len(records),
            "resultSize": len(chunk),
            "lastIndex": answer[self.reading],
            "sortOrder": "descending" if descending else "ascending",
            "sortKey": "orderId",
        }
        return 200, {"Content-Type": "application/json"}, json.dumps({"pagination": pagination, "results": chunk})


def serve(vendor, fake: FakeListing, url: str = ORDERS_URL) -> FakeListing:
    vendor.add_callback(responses.GET, url, callback=fake)
    return fake


def page(results, *, last_index, total, result_size=None) -> dict:
    size = len(results) if result_size is None else result_size
    pagination = {"collectionSize": total, "resultSize": size, "lastIndex": last_index, "sortOrder": "ascending"}
    return {"pagination": pagination, "results": results}


# -- the docs' examples -------------------------------------------------------------------


def test_orders_doc_example_first_page_has_no_lastindex_and_the_walk_reads_both_orders(client, vendor):
    first = fixture("orders_list.json")  # collectionSize 2, resultSize 1, lastIndex 0
    second = {"_id": "5e69254b714841168b8d9826", "orderId": 3, "id": "5e69254b714841168b8d9826"}
    vendor.get(ORDERS_URL, json=first)
    vendor.get(ORDERS_URL, json=page([second], last_index=1, total=2))

    orders = list(client.iter_orders())

    assert [o["id"] for o in orders] == ["5e69254b714841168b8d9825", "5e69254b714841168b8d9826"]
    assert orders[0] == first["results"][0]  # the raw payload, untouched
    assert orders[0]["items"] == [{"quantity": 1, "design": "5e692525714841158b8d9825"}]
    assert query(vendor.calls[0]) == {"count": "100", "sortOrder": "ascending", "sortKey": "orderId"}
    # lastIndex 0 after one record of two: "index" would send 0 (the first page again), "echo" 1.
    assert query(vendor.calls[1])["lastIndex"] == "1"
    assert len(vendor.calls) == 2


def test_designs_doc_example_sends_backwards_false_and_no_sort_key(client, vendor):
    first = fixture("designs_list.json")  # collectionSize 2, resultSize 1, lastIndex 1
    second = dict(first["results"][0], _id="5e74283608310f001714de64", id="5e74283608310f001714de64", designId=3)
    vendor.get(DESIGNS_URL, json=first)
    vendor.get(DESIGNS_URL, json=page([second], last_index=2, total=2))

    designs = list(client.iter_designs(page_size=1))

    assert [d["designId"] for d in designs] == [2, 3]
    design = designs[0]
    assert design["productName"] == "Custom Guitar"
    assert design["price"] == 123
    assert design["configuration"]["OPTION-1xy6ba"]["views"] == [{"type": "text", "text": "Your text"}]
    assert design["configuration"]["OPTION-3zepsg"]["type"] == "logo"
    assert {"key": "Your name"} in design["summary"]
    assert query(vendor.calls[0]) == {"count": "1", "backwards": "false"}
    assert query(vendor.calls[1]) == {"count": "1", "backwards": "false", "lastIndex": "1"}


def test_order_and_design_by_id_return_the_docs_records(client, vendor):
    vendor.get(f"{ORDERS_URL}/5e69254b714841168b8d9825", json=fixture("order.json"))
    vendor.get(f"{DESIGNS_URL}/5e74283608310f001714de63", json=fixture("design.json"))

    found = client.order("5e69254b714841168b8d9825")
    design = client.design("5e74283608310f001714de63")

    assert found == fixture("order.json")
    assert found["orderId"] == 2
    assert parse_date(found["date"]) == datetime(2019, 2, 11, 17, 52, 11, 776000, tzinfo=UTC)
    assert design["designImage"]["url"] == "https://cdnv2.Kickflip.com/companyname/5e74283608310f001714de62.png"
    assert [item["key"] for item in design["productionData"]][:2] == ["Body material", "Pickguard material"]


def test_sends_the_bearer_token_in_the_header_only(client, vendor):
    vendor.get(f"{ORDERS_URL}/abc", json=fixture("order.json"))

    client.order("abc")

    request = vendor.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in request.url


def test_company_and_ids_are_quoted_into_the_path(vendor):
    url = f"{BASE_URL}/brands/my%20brand%2Fx/orders/a%2Fb"
    vendor.get(url, json=fixture("order.json"))

    with MyCustomizerClient(token=TOKEN, company="my brand/x", base_url=BASE_URL) as client:
        client.order("a/b")

    assert vendor.calls[0].request.url == url


def test_defaults_to_the_docs_production_url():
    with MyCustomizerClient(token=TOKEN, company=COMPANY) as client:
        assert client.url(client.brand_path("orders")) == "https://api.mycustomizer.com/brands/myamazingbrand/orders"
    assert DEFAULT_BASE_URL == "https://api.mycustomizer.com"


@pytest.mark.parametrize("kwargs", [{"token": "", "company": COMPANY}, {"token": TOKEN, "company": "  "}])
def test_a_missing_token_or_company_is_refused_up_front(kwargs):
    with pytest.raises(ValueError):
        MyCustomizerClient(**kwargs)


# -- pagination ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reading", "sent"),
    [("count", [None, "3", "6"]), ("index", [None, "2", "5"]), ("echo", [None, "3", "6"])],
)
def test_walk_reads_every_order_once_under_each_reading_of_lastindex(client, vendor, reading, sent):
    fake = serve(vendor, FakeListing([order(n) for n in range(1, 8)], reading=reading))

    orders = list(client.iter_orders(page_size=3))

    assert [o["orderId"] for o in orders] == list(range(1, 8))
    assert [q.get("lastIndex") for q in fake.queries] == sent
    assert "lastIndex" not in fake.queries[0]  # the first page: no lastIndex at all


def test_walk_stops_when_lastindex_reaches_collection_size_without_an_extra_call(client, vendor):
    fake = serve(vendor, FakeListing([order(n) for n in range(1, 7)]))

    orders = list(client.iter_orders(page_size=3))

    assert len(orders) == 6
    assert fake.calls == 2


def test_walk_stops_at_an_empty_page(client, vendor):
    vendor.get(ORDERS_URL, json=page([order(1), order(2)], last_index=2, total=50))
    vendor.get(ORDERS_URL, json=page([], last_index=2, total=50))

    orders = list(client.iter_orders(page_size=2))

    assert [o["orderId"] for o in orders] == [1, 2]
    assert len(vendor.calls) == 2


def test_walk_stops_at_result_size_zero_without_results(client, vendor):
    vendor.get(ORDERS_URL, json={"pagination": {"collectionSize": 0, "resultSize": 0, "lastIndex": 0}})

    assert list(client.iter_orders()) == []
    assert len(vendor.calls) == 1


def test_lastindex_that_does_not_advance_raises_after_two_calls(client, vendor):
    vendor.get(ORDERS_URL, json=page([order(1), order(2), order(3)], last_index=3, total=10))

    with pytest.raises(VendorBadResponse) as caught:
        list(client.iter_orders(page_size=3))

    assert "did not advance" in str(caught.value)
    assert len(vendor.calls) == 2


def test_lastindex_stuck_at_zero_raises_instead_of_looping(client, vendor):
    # A vendor that always answers with the first page and lastIndex 0.
    vendor.get(ORDERS_URL, json=page([order(1), order(2), order(3)], last_index=0, total=9))

    with pytest.raises(VendorBadResponse) as caught:
        list(client.iter_orders(page_size=3))

    assert "did not advance" in str(caught.value)
    assert len(vendor.calls) == 2


def test_a_vendor_ignoring_lastindex_is_caught_by_the_repeated_records(client, vendor):
    first = [order(1), order(2), order(3)]
    vendor.get(ORDERS_URL, json=page(first, last_index=3, total=9))
    vendor.get(ORDERS_URL, json=page(first, last_index=6, total=9))

    with pytest.raises(VendorBadResponse) as caught:
        list(client.iter_orders(page_size=3))

    assert "only records already read" in str(caught.value)
    assert len(vendor.calls) == 2


def test_a_lastindex_that_jumps_ahead_raises_rather_than_skip(client, vendor):
    vendor.get(ORDERS_URL, json=page([order(1), order(2), order(3)], last_index=3, total=20))
    vendor.get(ORDERS_URL, json=page([order(4), order(5), order(6)], last_index=10, total=20))

    with pytest.raises(VendorBadResponse) as caught:
        list(client.iter_orders(page_size=3))

    assert "fits no reading" in str(caught.value)


def test_index_reading_with_one_record_first_pages_fails_loudly_instead_of_skipping(client, vendor):
    # A vendor on the "index" reading capping pages at one record cannot be asked for record #1
    # (lastIndex 0 is the first page); the client's guess (1) is caught by the next answer.
    fake = serve(vendor, FakeListing([order(1), order(2)], reading="index", cap=1))

    with pytest.raises(VendorBadResponse) as caught:
        list(client.iter_orders())

    assert "skipped record #2" in str(caught.value)
    assert fake.calls == 2


def test_an_order_created_while_paging_is_read_once_and_nothing_is_skipped(client, vendor):
    records = [order(n) for n in range(1, 11)]

    def new_order_arrives(fake):
        if fake.calls == 2:
            fake.records.append(order(11))

    fake = serve(vendor, FakeListing(records, on_call=new_order_arrives))

    orders = list(client.iter_orders(page_size=4))

    assert [o["orderId"] for o in orders] == list(range(1, 12))
    assert fake.queries[0]["sortOrder"] == "ascending"
    assert fake.queries[0]["sortKey"] == "orderId"


def test_a_vendor_ignoring_the_sort_order_yields_no_duplicates_and_warns(client, vendor, caplog):
    records = [order(n) for n in range(1, 11)]

    def new_order_arrives(fake):
        if fake.calls == 2:
            fake.records.append(order(11))

    fake = serve(vendor, FakeListing(records, descending=True, on_call=new_order_arrives))

    with caplog.at_level(logging.WARNING, logger="integrations.mycustomizer.client"):
        orders = list(client.iter_orders(page_size=4))

    served = [o["orderId"] for call in vendor.calls for o in json.loads(call.response.text)["results"]]
    assert Counter(served)[7] == 2  # the new order shifted the offsets: 7 came on two pages
    # ...and was read once; nothing that existed at the start was skipped. The new order sits
    # before the offset reached, so this walk cannot see it: the next sync reads it.
    assert [o["orderId"] for o in orders] == [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    assert fake.calls == 3
    assert "descending" in caplog.text


def test_a_vendor_returning_fewer_records_than_asked_is_paged_to_the_end(client, vendor):
    fake = serve(vendor, FakeListing([order(n) for n in range(1, 251)], cap=25))

    orders = list(client.iter_orders(page_size=100))

    assert len({o["id"] for o in orders}) == 250
    assert fake.calls == 10


def test_page_size_zero_is_refused(client):
    with pytest.raises(ValueError):
        list(client.iter_orders(page_size=0))


@pytest.mark.parametrize(
    "body",
    [[], {"results": []}, {"pagination": {"collectionSize": 1, "lastIndex": 1}, "results": [{"x": 1}]}],
    ids=["list", "no-pagination", "record-without-id"],
)
def test_a_malformed_page_is_a_bad_response(client, vendor, body):
    vendor.get(ORDERS_URL, json=body)

    with pytest.raises(VendorBadResponse):
        list(client.iter_orders())


# -- errors -------------------------------------------------------------------------------


def test_401_is_rejected_as_a_refused_token_and_never_shows_it(client, vendor):
    vendor.get(ORDERS_URL, status=401, body=f"Invalid credentials for Bearer {TOKEN}")

    with pytest.raises(VendorRejected) as caught:
        list(client.iter_orders())

    assert caught.value.status == 401
    assert "the token was refused" in str(caught.value)
    assert "***" in caught.value.excerpt
    assert_no_token(caught.value)
    assert len(vendor.calls) == 1


@pytest.mark.parametrize("url", [ORDERS_URL, DESIGNS_URL])
def test_404_invalid_tenant_names_the_company(client, vendor, url):
    vendor.get(url, status=404, body="Trying to launch invalid tenant.")

    with pytest.raises(VendorRejected) as caught:
        list(client.iter_orders() if url == ORDERS_URL else client.iter_designs())

    assert caught.value.status == 404
    assert "no company 'myamazingbrand'" in str(caught.value)
    assert "company name" in str(caught.value)
    assert len(vendor.calls) == 1


def test_404_for_one_order_is_rejected_as_not_found(client, vendor):
    vendor.get(f"{ORDERS_URL}/nope", status=404, body="Not Found")

    with pytest.raises(VendorRejected) as caught:
        client.order("nope")

    assert "not found: /brands/myamazingbrand/orders/nope" in str(caught.value)


def test_500_invalid_sort_value_is_a_bug_report_not_a_retry(client, vendor):
    vendor.get(ORDERS_URL, status=500, body="Invalid sort value: { orderId: dsfdsdf }")

    with pytest.raises(VendorRejected) as caught:
        list(client.iter_orders())

    assert not isinstance(caught.value, VendorRetryable)
    assert "Invalid sort value: { orderId: dsfdsdf }" in str(caught.value)
    assert "bug" in str(caught.value)
    assert len(vendor.calls) == 1


def test_http_200_carrying_the_invalid_sort_text_is_rejected_too(client, vendor):
    vendor.get(ORDERS_URL, json="Invalid sort value: { orderId: dsfdsdf }")

    with pytest.raises(VendorRejected):
        list(client.iter_orders())


def test_another_500_is_retryable_for_the_caller(client, vendor):
    vendor.get(ORDERS_URL, status=500, body="Internal Server Error")

    with pytest.raises(VendorRetryable) as caught:
        list(client.iter_orders())

    assert caught.value.status == 500
    assert len(vendor.calls) == 1  # not retried by the transport: the task retries later


def test_503_then_200_succeeds_through_the_session_retry(client, vendor):
    vendor.get(ORDERS_URL, status=503, body="Service Unavailable")
    vendor.get(ORDERS_URL, json=page([order(1)], last_index=1, total=1))

    assert [o["orderId"] for o in client.iter_orders()] == [1]
    assert len(vendor.calls) == 2


def test_persistent_503_is_retryable_after_the_session_retries(client, vendor):
    vendor.get(ORDERS_URL, status=503, body="Service Unavailable")

    with pytest.raises(VendorRetryable) as caught:
        list(client.iter_orders())

    assert caught.value.status == 503
    assert len(vendor.calls) == 3  # the first try and retries=2


def test_timeout_is_retryable_and_shows_no_token(client, vendor):
    vendor.get(ORDERS_URL, body=requests.exceptions.ReadTimeout(f"Bearer {TOKEN}"))

    with pytest.raises(VendorRetryable) as caught:
        list(client.iter_orders())

    assert_no_token(caught.value)


# -- wordfilter (Kickflip only) -----------------------------------------------------------


def test_wordfilter_reads_the_list_and_its_flag(client, vendor):
    vendor.get(WORDFILTER_URL, json=fixture("wordfilter.json"))

    wordfilter = client.wordfilter()

    assert wordfilter == {
        "words": ["bad-word-1", "bad word 2", "badWord3"],
        "active": True,
        "raw": fixture("wordfilter.json"),
    }


def test_wordfilter_reads_the_docs_literal_with_unquoted_keys(client, vendor):
    literal = '{\nisActive: true,\nwords: ["bad-word-1", "bad word 2", "badWord3"]\n}'  # as the doc prints it
    vendor.get(WORDFILTER_URL, body=literal, content_type="application/json")

    wordfilter = client.wordfilter()

    assert wordfilter["words"] == ["bad-word-1", "bad word 2", "badWord3"]
    assert wordfilter["active"] is True


def test_wordfilter_accepts_other_names_for_the_fields(client, vendor):
    vendor.get(WORDFILTER_URL, json={"wordfilter": {"active": False, "words": ["damn"]}})

    assert client.wordfilter()["words"] == ["damn"]
    assert client.wordfilter()["active"] is False


def test_wordfilter_replace_posts_the_whole_list_and_reads_the_docs_answer(client, vendor):
    vendor.post(WORDFILTER_URL, json=fixture("wordfilter_post.json"))

    result = client.wordfilter_replace(["bad-word-1", "bad word 2", "badWord3"], active=False)

    assert json.loads(vendor.calls[0].request.body) == {
        "isActive": False,
        "words": ["bad-word-1", "bad word 2", "badWord3"],
    }
    assert result["words"] == ["bad-word-1", "bad word 2", "badWord3"]
    assert result["active"] is False  # the answer is the bare list: the flag is what we sent


def test_wordfilter_replace_is_not_retried_on_503(client, vendor):
    vendor.post(WORDFILTER_URL, status=503, body="Service Unavailable")
    vendor.post(WORDFILTER_URL, json=["damn"])

    with pytest.raises(VendorRetryable):
        client.wordfilter_replace(["damn"], active=True)

    assert len(vendor.calls) == 1


def test_wordfilter_replace_refuses_a_string_for_the_list(client, vendor):
    with pytest.raises(TypeError):
        client.wordfilter_replace("damn", active=True)
    assert len(vendor.calls) == 0


def test_wordfilter_not_found_is_rejected(client, vendor):
    vendor.get(WORDFILTER_URL, status=404, body="Not Found")

    with pytest.raises(VendorRejected):
        client.wordfilter()


def test_only_the_kickflip_client_has_the_wordfilter():
    assert not hasattr(MyCustomizerClient, "wordfilter")
    assert KickflipClient.vendor == "Kickflip"
    assert MyCustomizerClient.vendor == "MyCustomizer"


def test_the_word_filter_goes_by_its_neutral_names_on_kickflip_only(client, vendor):
    vendor.get(WORDFILTER_URL, json=fixture("wordfilter.json"))
    vendor.post(WORDFILTER_URL, json=fixture("wordfilter_post.json"))

    assert client.bad_words()["words"] == ["bad-word-1", "bad word 2", "badWord3"]
    assert client.bad_words_replace(["bad-word-1"], active=False)["active"] is False
    assert json.loads(vendor.calls[1].request.body) == {"isActive": False, "words": ["bad-word-1"]}
    assert not hasattr(MyCustomizerClient, "bad_words") and not hasattr(MyCustomizerClient, "bad_words_replace")


def test_quote_bare_keys_leaves_strings_alone():
    text = '{isActive: false, words: ["a: b", "x, y: z", "{q: 1}"], $n: 2}'

    assert json.loads(_quote_bare_keys(text)) == {"isActive": False, "words": ["a: b", "x, y: z", "{q: 1}"], "$n": 2}


# -- transport and dates ------------------------------------------------------------------


def test_the_transport_does_not_retry_a_500(client):
    retry = client.session.get_adapter(BASE_URL).max_retries
    assert 500 not in retry.status_forcelist
    assert {502, 503, 504} <= set(retry.status_forcelist)
    assert "POST" not in retry.allowed_methods


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-02-11T17:52:11.776Z", datetime(2019, 2, 11, 17, 52, 11, 776000, tzinfo=UTC)),
        ("2019-02-11T18:52:11.776+01:00", datetime(2019, 2, 11, 17, 52, 11, 776000, tzinfo=UTC)),
        ("2019-02-11T17:52:11", datetime(2019, 2, 11, 17, 52, 11, tzinfo=UTC)),
    ],
)
def test_parse_date_reads_iso_as_aware_utc(value, expected):
    parsed = parse_date(value)

    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_parse_date_rejects_junk_and_passes_empty():
    assert parse_date("") is None
    assert parse_date(None) is None
    with pytest.raises(ValueError, match="unreadable date"):
        parse_date("11/02/2019")


def test_format_date_round_trips():
    moment = datetime(2019, 2, 11, 17, 52, 11, 776000, tzinfo=UTC)
    assert format_date(moment) == "2019-02-11T17:52:11.776Z"
    assert parse_date(format_date(moment)) == moment
