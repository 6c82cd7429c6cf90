"""MyCustomizer / Kickflip API client (vendor docs: mycustomizer-api.txt, kickflip-api.txt).

One API under two names. `MyCustomizerClient` reads orders and designs; `KickflipClient` adds
the bad-words list ("wordfilter"), which only Kickflip's doc describes.

Pagination, as both docs put it: "To fetch the first result, do not include or set lastIndex
parameter to 0. To fetch the subsequent results, use the lastIndex number from your previous
request, in the pagination section. You will reach the last result page when the collectionSize
is equal as the lastIndex, or when the resultSize is 0." The parameter "will return the
remaining results after result #<lastIndex>" and "cannot be 0 or exceed collectionSize".

What the `lastIndex` of a response means is not settled by the docs, and their two examples
disagree with each other:

- "count": how many records have been served so far, i.e. where the next page starts. This is
  the only reading under which the doc's stop rule (lastIndex == collectionSize) ever holds.
- "index": the 0-based index of the last record served. The orders example fits it (first page,
  one record, lastIndex 0); the next page starts after it, and the walk ends at
  collectionSize - 1, so the stop rule never fires and only an empty page would end it.
- "echo": the lastIndex of the request, repeated. Both examples fit it (orders: none sent, 0
  shown; designs: `lastIndex=1` sent, 1 shown). Sending it back as the doc says would ask for
  the same page forever.

`_walk` reads the first page, keeps the readings that fit what it saw, and sends each next
lastIndex so that, under the reading that fits, the next page starts right after the last
record read. Every later page must fit the same reading and must move lastIndex forward: a
lastIndex that stands still, or that fits no reading, raises VendorBadResponse instead of
looping or guessing. Under the "count" reading, the one the stop rule describes, this is the
doc to the letter: the next request carries the previous response's lastIndex.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

import requests

from integrations.http import EXCERPT_CHARS, VendorClient, VendorError, VendorRejected

from .types import DEFAULT_BASE_URL, INVALID_CREDENTIALS, INVALID_SORT, INVALID_TENANT

logger = logging.getLogger(__name__)

# Statuses the transport (urllib3 Retry, idempotent methods only) retries with backoff. The base
# also retries 500; here it does not, because the only 500 the doc describes, "Invalid sort
# value", is our own bug and no retry will fix it. Any other 5xx, 500 included, still raises
# VendorRetryable, so the caller (the sync task) tries again later.
TRANSPORT_RETRY_STATUSES = (502, 503, 504)

# Given where a page starts (`start` records already read) and how many records it holds,
# the lastIndex each reading expects in its pagination. See the module docstring.
READINGS: dict[str, Callable[[int, int], int]] = {
    "count": lambda start, n: start + n,
    "index": lambda start, n: start + n - 1,
    "echo": lambda start, n: start,
}


class MyCustomizerClient(VendorClient):
    vendor = "MyCustomizer"

    def __init__(self, *, token: str, company: str, base_url: str = DEFAULT_BASE_URL, **kwargs: Any):
        if not token:
            raise ValueError(f"{self.vendor} needs an API token")
        if not company or not company.strip():
            raise ValueError(f"{self.vendor} needs the company (brand) name")
        super().__init__(base_url=base_url or DEFAULT_BASE_URL, secrets=[token], **kwargs)
        self.company = company.strip()
        # The designs list calls this header "Authentication" in its table, but its own text and
        # every other endpoint say "Authorization: Bearer <token>"; that is the one we send.
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})

    # A 429 is a rate limit: retried by the session on GETs (Retry-After honoured, capped), and
    # "retry later" if it is still there.
    session_retries_429 = True
    retry_on_429 = True
    retry_statuses = TRANSPORT_RETRY_STATUSES

    def brand_path(self, *parts: object) -> str:
        """brands/{companyname}/... with every segment quoted."""
        segments = [self.company, *(str(part) for part in parts)]
        return "/".join(["brands", *(quote(segment, safe="") for segment in segments)])

    # -- errors -------------------------------------------------------------------------

    def error_for(self, response: requests.Response, message: str | None = None) -> VendorError:
        status = response.status_code
        text = _error_text(response)
        lowered = text.lower()
        if status == 401:
            detail = f" ({text})" if text else ""
            return self._error(
                VendorRejected, response, f"the token was refused{detail}; check the connection's API token"
            )
        if status == 404 and ("invalid tenant" in lowered or "company name" in lowered):
            return self._error(
                VendorRejected,
                response,
                f"the vendor knows no company {self.company!r} ({text}); check the connection's company name",
            )
        if status >= 500 and INVALID_SORT.lower() in lowered:
            # The base maps every 5xx to "retry later"; this one is a request the vendor will
            # refuse every time, so it is reported as a bug in this client instead.
            return self._error(
                VendorRejected,
                response,
                f"the vendor refused our sort parameters ({text}); this is a bug in the client, retrying won't help",
            )
        if status == 404 and message is None:
            path = getattr(response.request, "path_url", "") if response.request is not None else ""
            message = f"not found: {path.split('?')[0]}" if path else "not found"
        return super().error_for(response, message)

    def describe_error(self, response: requests.Response) -> str:
        return _error_text(response)

    def _error(self, cls: type[VendorError], response: requests.Response, message: str) -> VendorError:
        return cls(
            self.scrub(message),
            vendor=self.vendor,
            status=response.status_code,
            excerpt=self.scrub(response.text[:EXCERPT_CHARS]),
        )

    def _raise_if_error_body(self, payload: Any, response: requests.Response) -> None:
        """An HTTP 200 whose body is one of the documented error texts raises as that error."""
        if isinstance(payload, dict):
            payload = payload.get("message") or payload.get("error")
        if not isinstance(payload, str):
            return
        for marker, status in ((INVALID_CREDENTIALS, 401), (INVALID_TENANT, 404), (INVALID_SORT, 500)):
            if marker.lower() in payload.lower():
                raise self.error_in_body(response, status=status)

    # -- orders and designs -------------------------------------------------------------

    def iter_orders(self, *, page_size: int = 100) -> Iterator[dict]:
        """Every order of the brand, once each, as the API shows it (see the doc's order shape).

        Sorted ascending by orderId: offset paging is only safe when records that arrive during
        the walk land after the offset we have reached. orderId is the vendor's sequential,
        creation-ordered number, so new orders append at the end of an ascending listing and
        are read on a later page of the same walk. The API's default (descending) puts them at
        the front instead, shifting every offset: the walk would re-read a record at each page
        boundary and miss the new orders until the next sync. `date` is the shop's order date,
        which need not follow creation (imported orders), so it is not used as the key."""
        yield from self._walk(
            "orders", {"sortOrder": "ascending", "sortKey": "orderId"}, page_size=page_size, expected_order="ascending"
        )

    def iter_designs(self, *, page_size: int = 100) -> Iterator[dict]:
        """Every design of the brand the listing shows, once each (see the doc's design shape).

        Designs have no sortOrder; their `backwards` flag sorts "in ascending order (false) or
        in descending order (true)". We send backwards=false, ascending for the same reason as
        orders, even though the doc names it the default: its own example answer says
        "descending". Its sortKey is documented as "Whether the cake should be gluten-free or
        not" (typed boolean in the MyCustomizer doc), so its values are unknown: on the least
        convenient reading any value we guess is refused with "Invalid sort value" (HTTP 500),
        so we send none and take the default key, which the example names "designId", the
        sequential, creation-ordered design number.

        A design an order refers to may be missing from this listing: read it with design()."""
        yield from self._walk("designs", {"backwards": "false"}, page_size=page_size, expected_order="ascending")

    def check(self) -> str:
        """One design of GET /brands/<brand>/designs (count=1): the token, the brand and the URL in
        one read; its pagination says how many designs the brand has."""
        response, payload = self.get_json(
            self.brand_path("designs"), params={"count": 1}, parse=lambda r: (r, self.parse_json(r))
        )
        _results, pagination = self._page(payload, response, "designs")
        total = _number(pagination, "collectionSize")
        found = f"{total} designs" if total is not None else "the designs list was read"
        return f"Connected to {self.vendor} ({self.company}): {found}."

    def order(self, order_id: str) -> dict:
        """One order by its `id` (the 24-character `_id`, as in the MyCustomizer doc's example
        GET .../orders/5e69254b714841168b8d9825, not the numeric `orderId`)."""
        return self._record("orders", order_id)

    def design(self, design_id: str) -> dict:
        """One design by its `id`, the value an order's `items[].design` holds."""
        return self._record("designs", design_id)

    def _record(self, collection: str, record_id: str) -> dict:
        if not str(record_id).strip():
            raise ValueError(f"no {collection} id given")
        response, payload = self.get_json(
            self.brand_path(collection, str(record_id).strip()), parse=lambda r: (r, self.parse_json(r))
        )
        if not isinstance(payload, dict) or not _record_id(payload):
            self._raise_if_error_body(payload, response)
            raise self.bad_response(response, f"{collection} {record_id}: the answer is not a record with an id")
        return payload

    def _walk(self, collection: str, sort: dict[str, str], *, page_size: int, expected_order: str) -> Iterator[dict]:
        """Every record of a listing, once each, paging by lastIndex (see the module docstring).

        Each page either moves lastIndex forward and brings at least one record not read yet,
        or raises VendorBadResponse, so the walk always ends. Records are also de-duplicated by
        id within the walk, in case the vendor ignores our sort order and offsets shift.
        Deleting a record already read shifts the later ones back by one, which offset paging
        cannot see; the next sync reads the record it skips."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1 (the doc: count cannot be 0)")
        path = self.brand_path(collection)
        seen: set[str] = set()
        readings = set(READINGS)
        start = 0  # records of the listing read so far: where the next page starts
        last_index: int | None = None  # what to send as lastIndex; none on the first page
        previous: int | None = None  # the previous page's lastIndex
        probing = False  # the lastIndex sent is a guess the next answer must confirm
        warned = False
        while True:
            params: dict[str, Any] = {"count": page_size, **sort}
            if last_index is not None:
                params["lastIndex"] = last_index
            response, payload = self.get_json(path, params=params, parse=lambda r: (r, self.parse_json(r)))
            results, pagination = self._page(payload, response, collection)
            reported = _number(pagination, "lastIndex")
            total = _number(pagination, "collectionSize")
            where = f"lastIndex={last_index}" if last_index is not None else "the first page"
            if not results:
                if probing and total is not None and start < total:
                    raise self.bad_response(
                        response,
                        f"{collection}: nothing after {where} although collectionSize is {total}: the vendor "
                        f"may have skipped record #{start + 1}; stopped rather than miss it",
                    )
                return  # "when the resultSize is 0": the end, whatever collectionSize says
            if reported is None or total is None:
                raise self.bad_response(response, f"the {collection} page has no numeric lastIndex and collectionSize")
            n = len(results)
            if previous is not None and reported <= previous:
                raise self.bad_response(
                    response,
                    f"{collection}: lastIndex did not advance ({reported} after {previous}, "
                    f"asking for {where}); stopped rather than loop",
                )
            fits = {name for name, expected in READINGS.items() if reported == expected(start, n)}
            if not fits & readings:
                raise self.bad_response(
                    response,
                    f"{collection}: lastIndex {reported} for {n} records from {where} fits no reading "
                    f"of the doc's pagination (already read: {start}); stopped rather than skip records",
                )
            readings &= fits
            fresh = []
            for record in results:
                record_id = _record_id(record)
                if record_id not in seen:
                    seen.add(record_id)
                    fresh.append(record)
            if not fresh:
                raise self.bad_response(
                    response,
                    f"{collection}: the page for {where} held only records already read; stopped rather than loop",
                )
            order = pagination.get("sortOrder")
            if isinstance(order, str) and order != expected_order and not warned:
                warned = True
                logger.warning(
                    "%s %s: asked for %s order, the answer says %r; records created during this walk may "
                    "be read on the next sync only",
                    self.vendor,
                    collection,
                    expected_order,
                    order,
                )
            yield from fresh
            start += n
            previous = reported
            if start >= total:
                return  # "when the collectionSize is equal as the lastIndex"
            # Under "index", ask for "the remaining results after result #<index of the last read>";
            # under "count" that is the answer's own lastIndex, under "echo" the answer's plus the
            # records it held. Both "index" and "echo" fit only a first page of one record with
            # lastIndex 0 (the doc's own orders example): "index" would then send 0, which the doc
            # keeps for the first page, so we send what "echo" would (the only reading that fits
            # both of the doc's examples) and let the next answer confirm it: an answer that fits
            # neither reading, or an empty page short of collectionSize, raises.
            last_index = start - 1 if readings == {"index"} else start
            probing = len(readings) > 1

    def _page(self, payload: Any, response: requests.Response, collection: str) -> tuple[list[dict], dict]:
        if not isinstance(payload, dict) or not isinstance(payload.get("pagination"), dict):
            self._raise_if_error_body(payload, response)
            raise self.bad_response(response, f"the {collection} page has no pagination")
        pagination = payload["pagination"]
        results = payload.get("results")
        if results is None and _number(pagination, "resultSize") == 0:
            results = []
        if not isinstance(results, list):
            raise self.bad_response(response, f"the {collection} page's results are not a list")
        for record in results:
            if not isinstance(record, dict) or not _record_id(record):
                raise self.bad_response(response, f"a record of the {collection} page has no id")
        size = _number(pagination, "resultSize")
        if size is not None and size != len(results):
            logger.warning(
                "%s %s: resultSize %s but %s results; the results are read", self.vendor, collection, size, len(results)
            )
        return results, pagination


class KickflipClient(MyCustomizerClient):
    """MyCustomizer's API under the Kickflip name, plus the bad-words list."""

    vendor = "Kickflip"

    def wordfilter(self) -> dict:
        """The brand's bad-words list: {"words": [...], "active": bool | None, "raw": <answer>}.

        The doc shows `{isActive: true, words: [...]}` (a JavaScript literal, keys unquoted);
        we read it as JSON or as that literal, and take the flag from isActive (or active /
        enabled). `active` is None when the answer does not say."""
        response = self.request("GET", self.brand_path("wordfilter"))
        return self._wordfilter(self._lenient_json(response), response, sent_active=None)

    def wordfilter_replace(self, words: Iterable[str], active: bool) -> dict:
        """POST the whole list: it replaces the vendor's list (and sets whether it is active).

        Both body fields are optional in the doc; we always send both, so the call sets the
        complete state. It is never retried here (a POST is not, see integrations.http); a
        failure raises, and since the call replaces rather than adds, the caller may safely send
        it again. The doc's answer is the bare list of words: `active` is then what we sent.
        Returns the same shape as wordfilter()."""
        if isinstance(words, str):
            raise TypeError("words must be a list of strings, not one string")
        words = list(words)
        if not all(isinstance(word, str) for word in words):
            raise TypeError("every bad word must be a string")
        body = {"isActive": bool(active), "words": words}
        response = self.request("POST", self.brand_path("wordfilter"), json=body)
        if not response.content.strip():
            return {"words": words, "active": bool(active), "raw": None}
        return self._wordfilter(self._lenient_json(response), response, sent_active=bool(active))

    # The word filter's neutral names (Capability.WORD_FILTER), as orders.services.bad_words calls them.

    def bad_words(self) -> dict:
        """The vendor's bad-words list: {"words": [...], "active": bool | None, "raw": <answer>}."""
        return self.wordfilter()

    def bad_words_replace(self, words: Iterable[str], active: bool) -> dict:
        """Replace the vendor's whole bad-words list; the same answer as bad_words()."""
        return self.wordfilter_replace(words, active)

    def _lenient_json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            pass
        try:
            return json.loads(_quote_bare_keys(response.text))
        except ValueError:
            raise self.bad_response(response, "the vendor's answer is not valid JSON") from None

    def _wordfilter(self, payload: Any, response: requests.Response, *, sent_active: bool | None) -> dict:
        raw = payload
        active: Any = None
        if isinstance(payload, dict):
            if not _has_any(payload, WORDS_KEYS):
                self._raise_if_error_body(payload, response)
            nested = next((payload[key] for key in WORDS_KEYS if key in payload), None)
            if isinstance(nested, dict):  # {"wordfilter": {"isActive": ..., "words": [...]}}
                payload = nested
            words = next((payload[key] for key in WORDS_KEYS if key in payload), None)
            active = next((payload[key] for key in ACTIVE_KEYS if key in payload), None)
        elif isinstance(payload, list):
            words = payload
        else:
            self._raise_if_error_body(payload, response)
            raise self.bad_response(response, "the wordfilter answer is neither an object nor a list")
        if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
            raise self.bad_response(response, "the wordfilter answer has no list of words")
        if active is None:
            active = sent_active
        elif not isinstance(active, bool):
            raise self.bad_response(response, f"the wordfilter's active flag is not a boolean: {active!r}")
        return {"words": words, "active": active, "raw": raw}


WORDS_KEYS = ("words", "wordfilter", "wordFilter", "badWords")
ACTIVE_KEYS = ("isActive", "active", "enabled", "isEnabled")
_BARE_KEY = re.compile(r"([A-Za-z_$][A-Za-z0-9_$]*)(\s*:)")


def _has_any(payload: dict, keys: tuple[str, ...]) -> bool:
    return any(key in payload for key in keys)


def _record_id(record: dict) -> str:
    value = record.get("id") or record.get("_id")
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and value != "" else ""


def _number(pagination: dict, key: str) -> int | None:
    value = pagination.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _error_text(response: requests.Response) -> str:
    """The vendor's error message: the docs show bare text ("Invalid credentials"); a JSON
    string or a {message | error} object is read too. One line, at most 200 characters."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, str):
        text = payload
    elif isinstance(payload, dict) and isinstance(said := payload.get("message") or payload.get("error"), str):
        text = said
    else:
        text = response.text or ""
    return " ".join(text.split())[:200]


def _quote_bare_keys(text: str) -> str:
    """`{isActive: true, words: ["a: b"]}` -> `{"isActive": true, "words": ["a: b"]}`: object
    keys written without quotes (as in the doc) are quoted; strings are left as they are."""
    out: list[str] = []
    position = 0
    significant = ""  # the last character outside a string that is not whitespace
    while position < len(text):
        char = text[position]
        if char == '"':
            end = position + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[position : end + 1])
            position = end + 1
            significant = '"'
            continue
        match = _BARE_KEY.match(text, position) if significant in ("{", ",") else None
        if match:
            out.append(f'"{match.group(1)}"{match.group(2)}')
            position = match.end()
            significant = ":"
            continue
        out.append(char)
        if not char.isspace():
            significant = char
        position += 1
    return "".join(out)
