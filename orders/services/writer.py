"""Batched, compare-before-write upserts of the neutral records every vendor's source yields
(integrations.sources), keyed by (connection, the vendor's id). Vendor-neutral."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection as db_connection
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from integrations.sources import CustomizationRecord, NodeRecord, SideRecord, StoreOrderRecord

from ..models import Customization, CustomizationSide, DesignNode, OrderLine, StoreOrder, VendorConnection
from .payloads import payload_digest, payload_json
from .review_flag import awaiting_review_refresh
from .thumbnails import thumbnails_queue

CUSTOMIZATION_FIELDS = [
    "status",
    "vendor_status",
    "customized_at",
    "status_changed_at",
    "product_title",
    "template_id",
    "hex_color",
    "variant_title",
    "sku",
    "price",
    "options",
    "production_data",
    "summary",
    "user_notes",
    "comments",
    "user_agent",
    "listing",
    "payload",
    "payload_hash",
    "fetched_at",
    "has_bad_words",
    "bad_words",
    "screened_version",
]
NODE_FIELDS = [
    "node_id",
    "kind",
    "label",
    "value",
    "text",
    "font_family",
    "font_size",
    "fill",
    "stroke",
    "image_url",
    "raw",
]
SCREENING_FIELDS = ("has_bad_words", "bad_words", "screened_version")
STORE_ORDER_FIELDS = [
    "name",
    "store_order_id",
    "status",
    "payment_status",
    "status_history",
    "total_price",
    "currency",
    "ordered_at",
    "payload",
    "payload_hash",
]
SIDE_FIELDS = ["position", "name", "preview_url", "design_url", "design_hd_url", "generator_tool_url", "raw"]


@dataclass
class Known:
    pk: int
    listing: list
    payload_hash: str


@dataclass(frozen=True)
class Changed:
    """A record to write: its payload's fingerprint and the canonical JSON it was taken from."""

    record: CustomizationRecord
    digest: str
    canonical: str


@dataclass
class WriteOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # The vendor ids of the customizations created or changed (not those whose list rows only moved).
    written: list[str] = field(default_factory=list)
    # Their primary keys, once written.
    written_pks: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Screened:
    """What the bad-words screening found in a customization's texts (see bad_words.records_screen)."""

    has_bad_words: bool
    bad_words: list[str]
    screened_version: int


def existing_state(connection: VendorConnection, external_ids: Iterable[str]) -> dict[str, Known]:
    """What we hold for these ids: enough to tell new, changed and unchanged apart (one query)."""
    rows = Customization.objects.filter(connection=connection, external_id__in=list(external_ids)).values_list(
        "external_id", "pk", "listing", "payload_hash"
    )
    return {external_id: Known(pk, listing, digest) for external_id, pk, listing, digest in rows}


def _customization_fields(record: CustomizationRecord, digest: str, screened: Screened | None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "status": str(record.status),
        "vendor_status": record.vendor_status,
        "customized_at": record.customized_at,
        "status_changed_at": record.status_changed_at,
        "product_title": record.product_title,
        "template_id": record.template_id,
        "hex_color": record.hex_color,
        "variant_title": record.variant_title,
        "sku": record.sku,
        "price": record.price,
        "options": record.options,
        "production_data": record.production_data,
        "summary": record.summary,
        "user_notes": record.user_notes,
        "comments": record.comments,
        "user_agent": record.user_agent,
        "listing": list(record.listing),
        "payload": record.raw,
        "payload_hash": digest,
    }
    if screened is not None:
        fields.update(
            has_bad_words=screened.has_bad_words,
            bad_words=screened.bad_words,
            screened_version=screened.screened_version,
        )
    return fields


def _side_fields(side: SideRecord) -> dict:
    return {
        "external_id": side.external_id,
        "position": side.position,
        "name": side.name,
        "preview_url": side.preview_url,
        "design_url": side.design_url,
        "design_hd_url": side.print_file_url,
        "generator_tool_url": side.generator_tool_url,
        "raw": side.raw,
    }


def _node_fields(node: NodeRecord) -> dict:
    return {
        "position": node.position,
        "node_id": node.node_id,
        "kind": str(node.kind),
        "label": node.label,
        "value": node.value,
        "text": node.text,
        "font_family": node.font_family,
        "font_size": node.font_size,
        "fill": node.fill,
        "stroke": node.stroke,
        "image_url": node.image_url,
        "raw": node.raw,
    }


def customizations_write(
    connection: VendorConnection,
    records: list[CustomizationRecord],
    state: dict[str, Known],
    screened: Mapping[str, Screened] | None = None,
) -> WriteOutcome:
    """Write what is new or changed of `records` (compared with `state`, from existing_state),
    with the screening flags found for them. A record whose payload is unchanged but whose list
    rows changed only has its list rows written."""
    screened = screened or {}
    outcome = WriteOutcome()
    changed: list[Changed] = []
    listing_only: list[CustomizationRecord] = []
    for record in records:
        canonical = payload_json(record.raw)
        digest = payload_digest(canonical)
        known = state.get(record.external_id)
        if known is None:
            outcome.created += 1
            changed.append(Changed(record, digest, canonical))
            outcome.written.append(record.external_id)
        elif known.payload_hash != digest:
            outcome.updated += 1
            changed.append(Changed(record, digest, canonical))
            outcome.written.append(record.external_id)
        elif known.listing != list(record.listing):
            outcome.updated += 1
            listing_only.append(record)
        else:
            outcome.unchanged += 1
    if not changed and not listing_only:
        return outcome
    now = timezone.now()
    with transaction.atomic(), _bound_on_the_server():
        for record in listing_only:
            Customization.objects.filter(pk=state[record.external_id].pk).update(
                listing=list(record.listing), updated_at=now
            )
        if changed:
            existed = {state[item.record.external_id].pk for item in changed if item.record.external_id in state}
            by_external = _write_changed(connection, changed, screened, now, existed)
            outcome.written_pks = [by_external[external_id] for external_id in outcome.written]
    return outcome


@contextlib.contextmanager
def _bound_on_the_server() -> Iterator[None]:
    """On PostgreSQL, the batch's statements bind their parameters on the server (psycopg's
    Cursor) instead of quoting them into the SQL text (Django's default ClientCursor). Django's
    bulk_create sends each column as one array (INSERT ... SELECT FROM UNNEST); quoted on the
    client, every element of a JSON array (payloads, sides' and nodes' raw data) goes through a
    regex escape in Python: that was ~40% of a sync's time spent writing. Bound on the server,
    the arrays are sent as they are, and the same statement each batch is prepared once. The same
    connection and transaction; the connection's own cursor class is restored afterwards."""
    if db_connection.vendor != "postgresql":
        yield
        return
    db_connection.ensure_connection()
    raw = db_connection.connection
    previous = raw.cursor_factory
    raw.cursor_factory = _binary_binding_cursor()
    try:
        yield
    finally:
        raw.cursor_factory = previous


_PLACEHOLDER = re.compile(r"(?<!%)%s")


@functools.cache
def _binary_binding_cursor():
    """Django's server-binding cursor, its parameters sent in binary (%b): in text, psycopg
    escapes every array element with a regex in Python; in binary, each goes as its length and
    bytes. Only for the writer's own statements (INSERT ... UNNEST, UPDATE, DELETE by id), whose
    SQL holds no literal percent sign."""
    from django.db.backends.postgresql.base import ServerBindingCursor  # psycopg 3 only

    class BinaryBindingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *args, **kwargs):
            if params and isinstance(query, str):
                query = _PLACEHOLDER.sub("%b", query)
            return super().execute(query, params, *args, **kwargs)  # type: ignore[misc]

    return BinaryBindingCursor


def _write_changed(
    connection: VendorConnection,
    changed: list[Changed],
    screened: Mapping[str, Screened],
    now,
    existed: set[int],
) -> dict[str, int]:
    """Upsert changed customizations and their sides; replace their nodes and order lines. Only
    customizations that `existed` before can have children to remove: new ones skip the deletes.
    Returns external_id -> pk of the customizations written."""
    columnar = db_connection.vendor == "postgresql"
    if columnar:
        by_external = _customizations_upsert(connection, changed, screened, now)
    else:
        by_external = _customizations_bulk_create(connection, changed, screened, now)
    records = [item.record for item in changed]

    # Sides are upserted, not replaced: later work (artwork, review) hangs off them.
    sides = [(by_external[record.external_id], side) for record in records for side in record.sides]
    saved_sides = _sides_upsert(sides) if columnar else _sides_bulk_create(sides)
    if existed:
        CustomizationSide.objects.filter(customization_id__in=existed).exclude(
            pk__in=[pk for pk, _, _, _ in saved_sides]
        ).delete()

    # Nodes carry nothing of ours: upserted by position (two workers writing the same batch agree),
    # and a changed customization's surplus nodes removed.
    side_pk = {(customization_id, external_id): pk for pk, customization_id, external_id, _ in saved_sides}
    nodes = [
        (side_pk[(by_external[record.external_id], side.external_id)], node)
        for record in records
        for side in record.sides
        for node in side.nodes
    ]
    _nodes_upsert(nodes)
    if existed:
        keep = Q(pk__in=[])
        for record in records:
            for side in record.sides:
                side_id = side_pk[(by_external[record.external_id], side.external_id)]
                keep |= Q(side_id=side_id, position__lt=len(side.nodes))
        DesignNode.objects.filter(side__customization_id__in=existed).exclude(keep).delete()

    with_lines = [record for record in records if record.order_lines is not None]
    _write_order_lines(connection, with_lines, by_external, existed)
    # Their vendor previews are mirrored into our storage in the background (services/thumbnails.py).
    thumbnails_queue(pk for pk, _, _, preview_url in saved_sides if preview_url)
    return by_external


def _customization_update_fields(screened: Mapping[str, Screened]) -> list[str]:
    update_fields = [*CUSTOMIZATION_FIELDS, "updated_at"]
    if not screened:
        update_fields = [name for name in update_fields if name not in SCREENING_FIELDS]
    return update_fields


def _customizations_bulk_create(
    connection: VendorConnection, changed: list[Changed], screened: Mapping[str, Screened], now
) -> dict[str, int]:
    objects = [
        Customization(
            connection=connection,
            external_id=item.record.external_id,
            **_customization_fields(item.record, item.digest, screened.get(item.record.external_id)),
            fetched_at=now,
            updated_at=now,
        )
        for item in changed
    ]
    saved = Customization.objects.bulk_create(
        objects,
        update_conflicts=True,
        unique_fields=["connection", "external_id"],
        update_fields=_customization_update_fields(screened),
    )
    by_external = {obj.external_id: obj.pk for obj in saved}
    awaiting_review_refresh(by_external.values())  # status and screening may have changed
    return by_external


_UNSCREENED = Screened(has_bad_words=False, bad_words=[], screened_version=0)


def _customizations_upsert(
    connection: VendorConnection, changed: list[Changed], screened: Mapping[str, Screened], now
) -> dict[str, int]:
    """PostgreSQL: the batch's customizations in one INSERT ... SELECT FROM UNNEST of column
    arrays (as _nodes_upsert), the payload sent as the canonical JSON its fingerprint was taken
    from (encoded once), every other field the model's default, and the review queue's flag
    (review_flag.awaiting_review_condition) set by the same statement: no second pass of
    UPDATEs rewriting the rows just written."""
    from psycopg.types.json import Jsonb

    names = ["external_id", *(name for name in CUSTOMIZATION_FIELDS if name != "fetched_at")]
    columns: dict[str, list[Any]] = {name: [] for name in names}
    for item in changed:
        record = item.record
        values = _customization_fields(record, item.digest, screened.get(record.external_id) or _UNSCREENED)
        values["external_id"] = record.external_id
        values["payload"] = item.canonical
        for name in ("options", "production_data", "summary", "listing", "bad_words"):
            values[name] = Jsonb(values[name])
        for name in names:
            columns[name].append(values[name])
    table = _quote(Customization._meta.db_table)
    column = _column_names(Customization)
    undecided = str(Customization.Decision.UNDECIDED)
    review_everything = (
        f"(SELECT {_quote('review_everything')} FROM {_quote(VendorConnection._meta.db_table)} "  # noqa: S608
        f"WHERE {_quote('id')} = %s)"
    )
    # New rows are undecided; a decided row keeps its decision, and its flag follows it.
    inserted = f"(u.{column['status']} = %s OR u.{column['has_bad_words']} OR {review_everything})"
    has_bad_words = "" if screened else f" OR {table}.{column['has_bad_words']}"  # unscreened: kept as it was
    updated = f"({table}.{column['decision']} = %s AND (EXCLUDED.{column['awaiting_review']}{has_bad_words}))"
    rows = _upsert_arrays(
        Customization,
        columns,
        constants={"connection": connection.pk, "fetched_at": now, "updated_at": now, "created_at": now},
        computed={"awaiting_review": (inserted, [str(Customization.Status.ARTWORK_APPROVAL_PENDING), connection.pk])},
        conflict=["connection", "external_id"],
        update=_customization_update_fields(screened),
        update_computed={"awaiting_review": (updated, [undecided])},
        returning=["external_id", "id"],
    )
    return dict(rows)


def _sides_bulk_create(sides: list[tuple[int, SideRecord]]) -> list[tuple[int, int, str, str]]:
    saved = CustomizationSide.objects.bulk_create(
        [CustomizationSide(customization_id=pk, **_side_fields(side)) for pk, side in sides],
        update_conflicts=True,
        unique_fields=["customization", "external_id"],
        update_fields=SIDE_FIELDS,
    )
    return [(side.pk, side.customization_id, side.external_id, side.preview_url) for side in saved]


def _sides_upsert(sides: list[tuple[int, SideRecord]]) -> list[tuple[int, int, str, str]]:
    """PostgreSQL: sides from column arrays, as _nodes_upsert. (pk, customization pk, external
    id, preview URL) of each."""
    if not sides:
        return []
    return _upsert_arrays(
        CustomizationSide,
        _child_columns(sides, "customization", ["external_id", *SIDE_FIELDS], _side_fields),
        conflict=["customization", "external_id"],
        update=SIDE_FIELDS,
        returning=["id", "customization", "external_id", "preview_url"],
    )


def _nodes_upsert(nodes: list[tuple[int, NodeRecord]]) -> None:
    """Upsert nodes by (side, position). On PostgreSQL one INSERT ... SELECT FROM UNNEST of
    column arrays built straight from the records: no model instance and no per-field
    preparation for the most numerous rows a sync writes (what bulk_create spends most of its
    Python on). Elsewhere bulk_create does the same."""
    if not nodes:
        return
    if db_connection.vendor != "postgresql":
        DesignNode.objects.bulk_create(
            [DesignNode(side_id=side_id, **_node_fields(node)) for side_id, node in nodes],
            update_conflicts=True,
            unique_fields=["side", "position"],
            update_fields=NODE_FIELDS,
        )
        return
    columns = _child_columns(nodes, "side", ["position", *NODE_FIELDS], _node_fields)
    _upsert_arrays(DesignNode, columns, conflict=["side", "position"], update=NODE_FIELDS)


def _child_columns(items: list[tuple[int, Any]], parent: str, names: list[str], fields_of) -> dict[str, list[Any]]:
    """The column arrays of _upsert_arrays for (parent pk, record) items: `parent` and `names`,
    each record's values from `fields_of(record)`, its `raw` JSON wrapped for psycopg."""
    from psycopg.types.json import Jsonb

    columns: dict[str, list[Any]] = {name: [] for name in [parent, *names]}
    for parent_id, record in items:
        values = fields_of(record)
        values[parent] = parent_id
        values["raw"] = Jsonb(values["raw"])
        for name in columns:
            columns[name].append(values[name])
    return columns


def _quote(name: str) -> str:
    return db_connection.ops.quote_name(name)


@functools.cache
def _column_names(model: type[models.Model]) -> dict[str, str]:
    """Field name -> its quoted column, for every concrete field of `model`."""
    return {field.name: _quote(str(field.column)) for field in model._meta.concrete_fields}


def _concrete(model: type[models.Model], name: str) -> models.Field:
    concrete = model._meta.get_field(name)
    assert isinstance(concrete, models.Field)
    return concrete


def _db_type(concrete: models.Field) -> str:
    return str(concrete.db_type(db_connection)).split("(")[0]


def _upsert_arrays(
    model: type[models.Model],
    columns: Mapping[str, list[Any]],
    *,
    conflict: list[str],
    update: list[str],
    constants: Mapping[str, Any] | None = None,
    computed: Mapping[str, tuple[str, list[Any]]] | None = None,
    update_computed: Mapping[str, tuple[str, list[Any]]] | None = None,
    returning: list[str] | None = None,
) -> list[tuple]:
    """PostgreSQL: INSERT ... SELECT FROM UNNEST(column arrays) ON CONFLICT (conflict) DO UPDATE
    SET (update, from EXCLUDED; update_computed: SQL expressions) RETURNING (returning).
    `columns`: field name -> one value per row, ready for the database (JSON as psycopg's Jsonb or
    as JSON text); `constants`: field name -> one value for every row; `computed`: field name ->
    an SQL expression over the row's columns (`u.<column>`) with its parameters. Every other
    concrete field gets what the model would give an instance: its default, or now for an
    auto_now(_add) date. Identifiers come from the model's meta, quoted; values are bound."""
    constants, computed, update_computed = constants or {}, computed or {}, update_computed or {}
    column = _column_names(model)
    now = timezone.now()
    scalars: dict[str, Any] = dict(constants)
    for model_field in model._meta.concrete_fields:
        if (
            model_field.primary_key
            or model_field.name in columns
            or model_field.name in scalars
            or model_field.name in computed
        ):
            continue
        auto = getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False)
        scalars[model_field.name] = now if auto else model_field.get_default()
    targets = [column[name] for name in (*columns, *scalars, *computed)]
    selected, params = ["u.*"], []
    for name, value in scalars.items():
        concrete = _concrete(model, name)
        selected.append(f"%s::{_db_type(concrete)}")
        params.append(concrete.get_db_prep_save(value, connection=db_connection))
    for expression, expression_params in computed.values():
        selected.append(expression)
        params.extend(expression_params)
    arrays = []
    for name, values in columns.items():
        arrays.append(f"%s::{_db_type(_concrete(model, name))}[]")
        params.append(values)
    sets = [f"{column[name]} = EXCLUDED.{column[name]}" for name in update]
    for name, (expression, expression_params) in update_computed.items():
        sets.append(f"{column[name]} = {expression}")
        params.extend(expression_params)
    sql = (
        f"INSERT INTO {_quote(model._meta.db_table)} ({', '.join(targets)}) "  # noqa: S608
        f"SELECT {', '.join(selected)} FROM UNNEST({', '.join(arrays)}) AS u({', '.join(column[n] for n in columns)}) "
        f"ON CONFLICT ({', '.join(column[name] for name in conflict)}) DO UPDATE SET {', '.join(sets)}"
    )
    if returning:
        sql += f" RETURNING {', '.join(column[name] for name in returning)}"
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if returning else []


def _write_order_lines(
    connection, changed: list[CustomizationRecord], by_external: dict[str, int], existed: set[int]
) -> None:
    """A customization that lists the store orders it is in: replace its lines."""
    if not changed:
        return
    names = {line.store_order_id: line.store_order_name for record in changed for line in record.order_lines or ()}
    order_pk = _store_orders_upsert(connection, names)
    # (customization, store order, variant) -> [product, quantity]; the same order listed twice: add the quantities
    lines: dict[tuple[int, int, str], list] = {}
    for record in changed:
        for line in record.order_lines or ():
            key = (by_external[record.external_id], order_pk[line.store_order_id], line.variant_id)
            if key in lines:
                lines[key][1] += line.quantity
            else:
                lines[key] = [line.product_id, line.quantity]
    saved_lines = _order_lines_upsert(lines)
    stale = [by_external[record.external_id] for record in changed if by_external[record.external_id] in existed]
    if stale:
        OrderLine.objects.filter(customization_id__in=stale).exclude(pk__in=saved_lines).delete()


def _store_orders_upsert(connection: VendorConnection, names: dict[str, str]) -> dict[str, int]:
    """The store orders these lines name (store order id -> name), upserted: external id -> pk."""
    if not names:
        return {}
    if db_connection.vendor == "postgresql":
        columns = {"external_id": list(names), "store_order_id": list(names), "name": list(names.values())}
        rows = _upsert_arrays(
            StoreOrder,
            columns,
            constants={"connection": connection.pk},
            conflict=["connection", "external_id"],
            update=["name", "store_order_id"],
            returning=["external_id", "id"],
        )
        return dict(rows)
    saved = StoreOrder.objects.bulk_create(
        [
            StoreOrder(connection=connection, external_id=order_id, store_order_id=order_id, name=name)
            for order_id, name in names.items()
        ],
        update_conflicts=True,
        unique_fields=["connection", "external_id"],
        update_fields=["name", "store_order_id"],
    )
    return {order.external_id: order.pk for order in saved}


def _order_lines_upsert(lines: dict[tuple[int, int, str], list]) -> list[int]:
    """Upsert order lines ((customization, store order, variant) -> [product, quantity]); their pks."""
    if not lines:
        return []
    if db_connection.vendor == "postgresql":
        columns: dict[str, list[Any]] = {
            "customization": [customization for customization, _, _ in lines],
            "store_order": [store_order for _, store_order, _ in lines],
            "variant_id": [variant for _, _, variant in lines],
            "product_id": [product for product, _ in lines.values()],
            "quantity": [quantity for _, quantity in lines.values()],
        }
        rows = _upsert_arrays(
            OrderLine,
            columns,
            conflict=["customization", "store_order", "variant_id"],
            update=["product_id", "quantity"],
            returning=["id"],
        )
        return [pk for (pk,) in rows]
    saved = OrderLine.objects.bulk_create(
        [
            OrderLine(
                customization_id=customization,
                store_order_id=store_order,
                variant_id=variant,
                product_id=product,
                quantity=quantity,
            )
            for (customization, store_order, variant), (product, quantity) in lines.items()
        ],
        update_conflicts=True,
        unique_fields=["customization", "store_order", "variant_id"],
        update_fields=["product_id", "quantity"],
    )
    return [line.pk for line in saved]


# -- store orders (sources whose store orders have a listing of their own) ----------------------


def store_orders_known(connection: VendorConnection, external_ids: Iterable[str]) -> dict[str, str]:
    """external_id -> the payload fingerprint we hold."""
    return dict(
        StoreOrder.objects.filter(connection=connection, external_id__in=list(external_ids)).values_list(
            "external_id", "payload_hash"
        )
    )


def customization_pks(connection: VendorConnection, external_ids: Iterable[str]) -> dict[str, int]:
    return dict(
        Customization.objects.filter(connection=connection, external_id__in=list(external_ids)).values_list(
            "external_id", "pk"
        )
    )


def store_orders_write(
    connection: VendorConnection,
    orders: list[tuple[StoreOrderRecord, str]],
    designs: Mapping[str, int],
) -> list[str]:
    """Upsert changed store orders (each with the fingerprint to store: "" to have the next sync
    read it again) and replace their lines. `designs`: vendor id -> customization pk. Returns
    the errors in words: lines naming a customization we do not hold."""
    errors: list[str] = []
    if not orders:
        return errors
    with transaction.atomic():
        saved = StoreOrder.objects.bulk_create(
            [
                StoreOrder(
                    connection=connection,
                    external_id=order.external_id,
                    name=order.name,
                    store_order_id=order.store_order_id,
                    status=order.status,
                    payment_status=order.payment_status,
                    status_history=order.status_history,
                    total_price=order.total_price,
                    currency=order.currency,
                    ordered_at=order.ordered_at,
                    payload=order.raw,
                    payload_hash=digest,
                )
                for order, digest in orders
            ],
            update_conflicts=True,
            unique_fields=["connection", "external_id"],
            update_fields=STORE_ORDER_FIELDS,
        )
        order_pk = {order.external_id: order.pk for order in saved}
        OrderLine.objects.filter(store_order_id__in=order_pk.values()).delete()
        lines: dict[tuple[int, int], OrderLine] = {}
        for order, _ in orders:
            for line in order.lines:
                if line.customization_id not in designs:
                    errors.append(f"Order {order.name}: design {line.customization_id} could not be read.")
                    continue
                key = (designs[line.customization_id], order_pk[order.external_id])
                if key in lines:
                    lines[key].quantity += line.quantity
                else:
                    lines[key] = OrderLine(customization_id=key[0], store_order_id=key[1], quantity=line.quantity)
        OrderLine.objects.bulk_create(lines.values())
    return errors
