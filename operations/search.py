"""The header's one search box: what staff type (an order name, a vendor id, a tracking number, a
customer, a SKU, a personalised text), found across the back office and grouped by kind.

A read-only selector. Each kind is a list of *sources*, one column of one table each, so that every
query PostgreSQL runs can use one index:

- EXACT: an exact match on an indexed id column;
- STARTS_FIRST (codes: SKUs, references, names, tracking numbers): the values starting with what
  was typed (``istartswith``, a range of the b-tree on ``UPPER(col::text) text_pattern_ops`` of
  migrations ``orders.header_search`` and ``fulfilment.header_search``), and anywhere in them
  (``icontains``, i.e. ``UPPER(col::text) LIKE UPPER('%q%')``, served by the ``gin_trgm_ops``
  indexes of ``orders.search_indexes`` and ``fulfilment.search_indexes``) only when no value
  starts so: a trigram index intersecting the long posting lists of common trigrams,
  ``SKU-0000…``, is what made a search slow at a million rows;
- WORDS_FIRST (personalised text: words, whose start is not the value's): the texts holding each
  word typed, the last one as a word's start (a GIN index on ``to_tsvector('simple', text)``,
  migration ``orders.design_text_words``; a case-blind ``strpos`` still decides, so each row found
  holds what was typed), and anywhere only if none does: a trigram index cannot serve "birthday
  Barbara 333334" at a million texts, half of which share its trigrams, while one word of it is rare;
- SUBSTRING: anywhere only.

The results page says when a column was read by its start or its words only, and ``anywhere``
reads every column anywhere. Every query of every group is one UNION ALL, each part reading at
most ``COUNT_CAP + 1`` ids of the kind's model; per kind their union is the group's count ("100+"
past the cap: a term that matches a tenth of the orders reads ten times the cap's rows, so the
cap is what such a search costs; the group's list counts further) and its first ``SHOWN`` rows
are shown, newest first (one more query per group found). SQLite runs the same queries without
the indexes (a plain scan), and reads WORDS_FIRST columns anywhere.

Django's ``icontains`` escapes ``%``, ``_`` and ``\\`` in what was typed, and every value is a
bound parameter: hostile input is searched for literally.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BooleanField, Exists, F, Func, Model, QuerySet, Value
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan

from fulfilment.models import (
    FulfilmentItem,
    FulfilmentOrder,
    PushedOrder,
    PushedOrderItem,
    Shipment,
    StatusEvent,
    StockLevel,
    VendorOrder,
)
from orders.models import Customization, DesignNode, OrderLine, StoreOrder

MAX_LENGTH = 100  # longer than any reference, name or e-mail staff would paste
MIN_SUBSTRING = 3  # below this, only exact matches on ids (a trigram needs three characters)
SHOWN = 20  # rows shown per kind; "more" leads to the admin list
COUNT_CAP = 100  # past this, the count says "100+" (the group's list counts to 1,000)

EXACT, STARTS_FIRST, WORDS_FIRST, SUBSTRING = "exact", "starts first", "words first", "substring"


class WordsMatch(Func):
    """`to_tsvector('simple', column) @@ to_tsquery('simple', query)`: the column's words hold the
    tsquery's (PostgreSQL), the expression of migration orders.design_text_words' index. A Func,
    so that Django names the column by the alias of its query (in a subquery too)."""

    template = "to_tsvector('simple'::regconfig, %(expressions)s)"
    arg_joiner = ") @@ to_tsquery('simple'::regconfig, "
    output_field = BooleanField()


@dataclass(frozen=True)
class Source:
    """One column searched: `field` of `model` (a lookup path), giving the kind's model's pk as `column`."""

    label: str  # what matched, in words: "tracking number"
    match: str  # EXACT, STARTS_FIRST, WORDS_FIRST or SUBSTRING
    model: type[Model]
    field: str
    column: str = "pk"

    def ids(self, lookup: str, value: str) -> QuerySet:
        manager = self.model._default_manager
        return manager.filter(**{f"{self.field}__{lookup}": value}).order_by().values_list(self.column, flat=True)

    def words_ids(self, query: str, value: str) -> QuerySet:
        """Rows whose column's words hold the tsquery `query` (PostgreSQL; the expression of
        migration orders.design_text_words' index) and whose column holds `value`, case aside,
        which decides. That second test is strpos(), not LIKE: PostgreSQL would serve a LIKE with
        the trigram index too and AND the two bitmaps, paying for the trigrams all the same."""
        words = WordsMatch(F(self.field), Value(query))
        holds = GreaterThan(StrIndex(Upper(F(self.field)), Upper(Value(value))), 0)
        return self.model._default_manager.filter(words, holds).order_by().values_list(self.column, flat=True)


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    model: type[Model]
    sources: list[Source]
    describe: Callable[[Any], str]  # the row's title
    detail: Callable[[Any], str] = lambda obj: ""  # a second line (customer, connection...)
    related: tuple[str, ...] = ()  # select_related for the rows shown

    @property
    def permission(self) -> str:
        return f"{self.model._meta.app_label}.view_{self.model._meta.model_name}"

    @property
    def admin_prefix(self) -> str:
        return f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}"


def _exact(label: str, model: type[Model], name: str, column: str = "pk") -> Source:
    return Source(label, EXACT, model, name, column)


def _starts(label: str, model: type[Model], name: str, column: str = "pk") -> Source:
    return Source(label, STARTS_FIRST, model, name, column)


def _words(label: str, model: type[Model], name: str, column: str = "pk") -> Source:
    return Source(label, WORDS_FIRST, model, name, column)


def _customer(order) -> str:
    return " · ".join(part for part in (order.customer_name, getattr(order, "customer_email", None)) if part)


KINDS = [
    Kind(
        "store_orders",
        "Store orders",
        StoreOrder,
        [
            _starts("order name", StoreOrder, "name"),
            _exact("vendor id", StoreOrder, "external_id"),
            _exact("store's order id", StoreOrder, "store_order_id"),
        ],
        describe=lambda o: o.name or o.external_id,
        detail=lambda o: o.connection.name,
        related=("connection",),
    ),
    Kind(
        "customizations",
        "Customizations",
        Customization,
        [
            _exact("vendor id", Customization, "external_id"),
            _starts("SKU", Customization, "sku"),
            _words("personalised text", DesignNode, "text", "side__customization_id"),
            _starts("store order", OrderLine, "store_order__name", "customization_id"),
        ],
        describe=lambda c: f"{c.external_id} · {c.product_title}" if c.product_title else c.external_id,
        detail=lambda c: " · ".join(part for part in (c.connection.name, c.sku, c.get_status_display()) if part),
        related=("connection",),
    ),
    Kind(
        "fulfilment_orders",
        "Fulfilment orders",
        FulfilmentOrder,
        [
            _starts("our reference", FulfilmentOrder, "external_ref"),
            _exact("partner's order id", VendorOrder, "vendor_id", "fulfilment_order_id"),
            _exact("partner's reference", VendorOrder, "ref", "fulfilment_order_id"),
            _exact("partner's reference", VendorOrder, "external_ref", "fulfilment_order_id"),
            _starts("tracking number", VendorOrder, "shipping_tracking", "fulfilment_order_id"),
            _starts("tracking number", StatusEvent, "shipping_tracking", "fulfilment_order_id"),
            _starts("customer", FulfilmentOrder, "customer_name"),
            _starts("customer e-mail", FulfilmentOrder, "customer_email"),
            _starts("SKU", FulfilmentItem, "sku", "order_id"),
            _starts("store order", FulfilmentOrder, "store_order__name"),
        ],
        describe=lambda o: o.external_ref,
        detail=lambda o: " · ".join(
            part for part in (o.connection.name, o.get_state_display(), _customer(o), str(o.store_order or "")) if part
        ),
        related=("connection", "store_order"),
    ),
    Kind(
        "pushed_orders",
        "Pushed orders",
        PushedOrder,
        [
            _exact("vendor id", PushedOrder, "vendor_id"),
            _starts("reference", PushedOrder, "ref"),
            _starts("store reference", PushedOrder, "external_ref"),
            _starts("tracking number", Shipment, "tracking", "order_id"),
            _starts("customer", PushedOrder, "customer_name"),
            _starts("SKU", PushedOrderItem, "sku", "order_id"),
            _starts("supplier SKU", PushedOrderItem, "mapped_sku", "order_id"),
        ],
        describe=lambda o: " · ".join(part for part in (o.ref or o.vendor_id, o.external_ref) if part),
        detail=lambda o: " · ".join(part for part in (o.connection.name, o.get_state_display(), _customer(o)) if part),
        related=("connection",),
    ),
    Kind(
        "stock_levels",
        "Stock levels",
        StockLevel,
        [_starts("SKU", StockLevel, "sku")],
        describe=lambda s: s.sku,
        detail=lambda s: f"{s.connection.name} · {s.quantity_available} available",
        related=("connection",),
    ),
]


@dataclass
class Row:
    title: str
    detail: str
    matched: str  # which column(s) found it
    url: str


@dataclass
class Group:
    key: str
    label: str
    count: int
    capped: bool  # more than COUNT_CAP: the count is a floor
    rows: list[Row] = field(default_factory=list)
    more_url: str = ""
    starts_only: list[str] = field(default_factory=list)  # columns where only values starting so were read
    words_only: list[str] = field(default_factory=list)  # columns where only texts with the words were read

    @property
    def count_text(self) -> str:
        return f"{COUNT_CAP}+" if self.capped else str(self.count)


@dataclass
class Results:
    query: str
    problem: str = ""  # why nothing was searched (empty, too long), in words
    note: str = ""  # searched, with a caveat (too short for a partial match)
    anywhere: bool = False  # asked for partial matches anywhere in every column
    groups: list[Group] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(group.count for group in self.groups)


def query_clean(raw: str | None) -> tuple[str, str]:
    """(the query, a problem in words or "")."""
    query = " ".join((raw or "").split())  # no control characters or runs of spaces survive
    if not query:
        return "", "Type something to search for: an order name, a tracking number, a customer, a SKU..."
    if len(query) > MAX_LENGTH:
        return "", f"That is {len(query)} characters; search for at most {MAX_LENGTH}."
    return query, ""


def search(raw: str | None, *, user, url_for: Callable[[str, Model | None], str], anywhere: bool = False) -> Results:
    """Everything `user` may view that matches `raw`, grouped by kind. `url_for(name, obj)` gives an
    admin URL (the change page of obj, or the changelist when obj is None). `anywhere`: every
    STARTS_FIRST column is searched anywhere in it, even where values start with `raw`."""
    query, problem = query_clean(raw)
    results = Results(query=query, problem=problem, anywhere=anywhere)
    if problem:
        return results
    substring = len(query) >= MIN_SUBSTRING
    if not substring:
        results.note = (
            f"Only exact ids are matched for fewer than {MIN_SUBSTRING} characters; type more for a partial match."
        )
    kinds = [kind for kind in KINDS if user.has_perm(kind.permission)]
    branches = [
        (kind, source, plan)
        for kind in kinds
        for source in kind.sources
        for plan in _plans(source, substring=substring, anywhere=anywhere)
    ]
    found = _union([(source, plan) for _kind, source, plan in branches], query)
    # A words column that found nothing by its words is read anywhere, in a second query (within
    # the first, as a NOT EXISTS, PostgreSQL planned the words' test as a scan that stops at the
    # first row, which for a term no text holds is every row).
    unmatched = [n for n, (_kind, _source, plan) in enumerate(branches) if plan == WORDS and not found[n]]
    for n, pks in zip(unmatched, _union([(branches[n][1], SUBSTRING) for n in unmatched], query), strict=True):
        found[n] = pks
        branches[n] = (branches[n][0], branches[n][1], SUBSTRING)
    for kind in kinds:
        matched: dict[int, list[str]] = {}
        capped, starts_only, words_only = False, [], []
        only = {STARTS: starts_only, WORDS: words_only}  # columns found by their start / words only
        for (branch_kind, source, plan), pks in zip(branches, found, strict=True):
            if branch_kind is not kind:
                continue
            capped = capped or len(pks) > COUNT_CAP
            if pks and plan in only and source.label not in only[plan]:
                only[plan].append(source.label)
            for pk in pks:
                labels = matched.setdefault(pk, [])
                if source.label not in labels:
                    labels.append(source.label)
        if matched:
            results.groups.append(
                _group(kind, matched, capped=capped, starts_only=starts_only, words_only=words_only, url_for=url_for)
            )
    return results


STARTS, UNLESS_STARTS = "starts", "unless starts"  # the two queries of a STARTS_FIRST column
WORDS = "words"  # the first query of a WORDS_FIRST column (then SUBSTRING if it found nothing)


def _plans(source: Source, *, substring: bool, anywhere: bool) -> list[str]:
    """The queries of `source`: the exact value; or, for a partial match, the values starting with
    it (a b-tree range), then anywhere in them (trigrams) only if none does (the NOT EXISTS is a
    one-time filter, so PostgreSQL reads the trigram index only then); or, for words, the texts
    holding them (search() reads anywhere, in a second query, the words columns that found
    nothing); or anywhere only."""
    if source.match == EXACT:
        return [EXACT]
    if not substring:
        return []
    if source.match == SUBSTRING or anywhere:
        return [SUBSTRING]
    if source.match == WORDS_FIRST:
        # SQLite has no text search: anywhere, by a scan, as every other partial match there.
        return [WORDS] if connections[DEFAULT_DB_ALIAS].vendor == "postgresql" else [SUBSTRING]
    return [STARTS, UNLESS_STARTS]


WORD = re.compile(r"\w+")


def words_query(value: str) -> str:
    """The tsquery of a WORDS query: each word typed as a whole word, the last as a word's start
    (it may be being typed): 'happy' & 'birthday' & 'bar':*. Only the last is a prefix because a
    prefix makes GIN collect every row of every word it starts (all of `birthday`'s million),
    where whole words are intersected from the rarest. Words are \\w runs, so no quote or operator
    of the tsquery syntax reaches it; no word gives a query that matches nothing (the LIKE beside
    it decides anyway)."""
    words = WORD.findall(value.lower())
    if not words:
        return "''"
    return " & ".join([*(f"'{word}'" for word in words[:-1]), f"'{words[-1]}':*"])


MARK = "\ue000"  # stands for what was typed in the SQL compiled once per query shape
WORDS_MARK = "\ue001"  # stands for its tsquery (words_query)
RAW_MARK = "\ue002"  # stands for what was typed, as typed (not escaped for LIKE)


@functools.cache
def _sql(source: Source, plan: str, cap: int, alias: str) -> tuple[str, tuple]:
    """The SQL of one query of `source` and its parameters, MARK standing for the value: compiling
    forty querysets per search cost more than running them."""
    if plan == EXACT:
        ids = source.ids("exact", MARK)
    elif plan == STARTS:
        ids = source.ids("istartswith", MARK)
    elif plan == WORDS:
        ids = source.words_ids(WORDS_MARK, RAW_MARK)
    else:
        ids = source.ids("icontains", MARK)
        if plan == UNLESS_STARTS:
            ids = ids.filter(~Exists(source.ids("istartswith", MARK)))
    sql, params = ids[: cap + 1].query.get_compiler(using=alias).as_sql()
    return sql, tuple(params)


def _union(queries: list[tuple[Source, str]], value: str) -> list[list[int]]:
    """The first COUNT_CAP + 1 pks of each query, in one query: UNION ALL of each one's own LIMIT
    (no DISTINCT, which would read every match first: duplicates are merged by the caller).
    Django's union() refuses a sliced part on SQLite, hence each part is a subquery in FROM."""
    found: list[list[int]] = [[] for _ in queries]
    if not queries:
        return found
    connection = connections[DEFAULT_DB_ALIAS]
    like = connection.ops.prep_for_like_query(value)  # what Django's LIKE lookups bind
    tsquery = words_query(value)
    parts, params = [], []
    for n, (source, plan) in enumerate(queries):
        sql, part_params = _sql(source, plan, COUNT_CAP, DEFAULT_DB_ALIAS)
        parts.append(f"SELECT {n}, b{n}.* FROM ({sql}) b{n}")  # noqa: S608 (the ORM's SQL, bound values)
        bound = value if plan == EXACT else like
        params.extend(
            p.replace(MARK, bound).replace(WORDS_MARK, tsquery).replace(RAW_MARK, value) if isinstance(p, str) else p
            for p in part_params
        )
    with connection.cursor() as cursor:
        # Built from the ORM's own SQL, what was typed being a bound parameter in it.
        cursor.execute(" UNION ALL ".join(parts), params)
        for n, pk in cursor.fetchall():
            if pk is not None:
                found[n].append(pk)
    return found


def _group(
    kind: Kind, matched: dict[int, list[str]], *, capped: bool, starts_only: list[str], words_only: list[str], url_for
) -> Group:
    shown = sorted(matched, reverse=True)[:SHOWN]
    objects = kind.model._default_manager.select_related(*kind.related).in_bulk(shown)
    rows = [
        Row(
            title=kind.describe(objects[pk]),
            detail=kind.detail(objects[pk]),
            matched=", ".join(matched[pk]),
            url=url_for(f"{kind.admin_prefix}_change", objects[pk]),
        )
        for pk in shown
        if pk in objects
    ]
    return Group(
        key=kind.key,
        label=kind.label,
        count=len(matched),
        capped=capped,
        rows=rows,
        more_url=url_for(f"{kind.admin_prefix}_changelist", None),
        starts_only=starts_only,
        words_only=words_only,
    )
