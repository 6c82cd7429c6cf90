"""The header's one search box: what staff type (an order name, a vendor id, a tracking number, a
customer, a SKU, a personalised text), found across the back office and grouped by kind.

A read-only selector. Each kind is a list of *sources*, one column of one table each, so that every
query PostgreSQL runs can use one index: an exact match on an indexed id column, or a substring
match (``icontains``, i.e. ``UPPER(col::text) LIKE UPPER('%q%')``) that the ``gin_trgm_ops``
indexes on ``UPPER(col::text)`` serve (migrations ``orders.search_indexes`` and
``fulfilment.search_indexes``). Each source gives at most ``COUNT_CAP + 1`` ids of the kind's
model; their union is the group's count ("1000+" past the cap) and its first ``SHOWN`` rows are
shown, newest first. SQLite runs the same queries without the indexes (a plain scan).

Django's ``icontains`` escapes ``%``, ``_`` and ``\\`` in what was typed, and every value is a
bound parameter: hostile input is searched for literally.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet

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
COUNT_CAP = 1000  # past this, the count says "1000+"

EXACT, SUBSTRING = "exact", "substring"


@dataclass(frozen=True)
class Source:
    """One column searched: `ids(value)` gives a queryset of the kind's model's pks (flat)."""

    label: str  # what matched, in words: "tracking number"
    match: str  # EXACT or SUBSTRING
    ids: Callable[[str], QuerySet]


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


def _pks(model: type[Model], lookup: str, column: str = "pk") -> Callable[[str], QuerySet]:
    return lambda value: model._default_manager.filter(**{lookup: value}).values_list(column, flat=True)


def _exact(label: str, model: type[Model], name: str, column: str = "pk") -> Source:
    return Source(label, EXACT, _pks(model, name, column))


def _substring(label: str, model: type[Model], name: str, column: str = "pk") -> Source:
    return Source(label, SUBSTRING, _pks(model, f"{name}__icontains", column))


def _customer(order) -> str:
    return " · ".join(part for part in (order.customer_name, getattr(order, "customer_email", None)) if part)


KINDS = [
    Kind(
        "store_orders",
        "Store orders",
        StoreOrder,
        [
            _substring("order name", StoreOrder, "name"),
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
            _substring("SKU", Customization, "sku"),
            _substring("personalised text", DesignNode, "text", "side__customization_id"),
            _substring("store order", OrderLine, "store_order__name", "customization_id"),
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
            _substring("our reference", FulfilmentOrder, "external_ref"),
            _exact("partner's order id", VendorOrder, "vendor_id", "fulfilment_order_id"),
            _exact("partner's reference", VendorOrder, "ref", "fulfilment_order_id"),
            _exact("partner's reference", VendorOrder, "external_ref", "fulfilment_order_id"),
            _substring("tracking number", VendorOrder, "shipping_tracking", "fulfilment_order_id"),
            _substring("tracking number", StatusEvent, "shipping_tracking", "fulfilment_order_id"),
            _substring("customer", FulfilmentOrder, "customer_name"),
            _substring("customer e-mail", FulfilmentOrder, "customer_email"),
            _substring("SKU", FulfilmentItem, "sku", "order_id"),
            _substring("store order", FulfilmentOrder, "store_order__name"),
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
            _substring("reference", PushedOrder, "ref"),
            _substring("store reference", PushedOrder, "external_ref"),
            _substring("tracking number", Shipment, "tracking", "order_id"),
            _substring("customer", PushedOrder, "customer_name"),
            _substring("SKU", PushedOrderItem, "sku", "order_id"),
            _substring("supplier SKU", PushedOrderItem, "mapped_sku", "order_id"),
        ],
        describe=lambda o: " · ".join(part for part in (o.ref or o.vendor_id, o.external_ref) if part),
        detail=lambda o: " · ".join(part for part in (o.connection.name, o.get_state_display(), _customer(o)) if part),
        related=("connection",),
    ),
    Kind(
        "stock_levels",
        "Stock levels",
        StockLevel,
        [_substring("SKU", StockLevel, "sku")],
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

    @property
    def count_text(self) -> str:
        return f"{COUNT_CAP}+" if self.capped else str(self.count)


@dataclass
class Results:
    query: str
    problem: str = ""  # why nothing was searched (empty, too long), in words
    note: str = ""  # searched, with a caveat (too short for a partial match)
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


def search(raw: str | None, *, user, url_for: Callable[[str, Model | None], str]) -> Results:
    """Everything `user` may view that matches `raw`, grouped by kind. `url_for(name, obj)` gives an
    admin URL (the change page of obj, or the changelist when obj is None)."""
    query, problem = query_clean(raw)
    results = Results(query=query, problem=problem)
    if problem:
        return results
    substring = len(query) >= MIN_SUBSTRING
    if not substring:
        results.note = (
            f"Only exact ids are matched for fewer than {MIN_SUBSTRING} characters; type more for a partial match."
        )
    for kind in KINDS:
        if not user.has_perm(kind.permission):
            continue
        group = _group(kind, query, substring=substring, url_for=url_for)
        if group.count:
            results.groups.append(group)
    return results


def _group(kind: Kind, query: str, *, substring: bool, url_for) -> Group:
    matched: dict[int, list[str]] = {}
    capped = False
    for source in kind.sources:
        if source.match == SUBSTRING and not substring:
            continue
        # No DISTINCT (it would read every match before the LIMIT): duplicates are merged here.
        ids = [pk for pk in source.ids(query).order_by()[: COUNT_CAP + 1] if pk is not None]
        capped = capped or len(ids) > COUNT_CAP
        for pk in ids:
            labels = matched.setdefault(pk, [])
            if source.label not in labels:
                labels.append(source.label)
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
    )
