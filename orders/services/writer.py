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
from .payloads import payload_hash
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


@dataclass
class WriteOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # The vendor ids of the customizations created or changed (not those whose list rows only moved).
    written: list[str] = field(default_factory=list)


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
    changed: list[tuple[CustomizationRecord, str]] = []
    listing_only: list[CustomizationRecord] = []
    for record in records:
        digest = payload_hash(record.raw)
        known = state.get(record.external_id)
        if known is None:
            outcome.created += 1
            changed.append((record, digest))
            outcome.written.append(record.external_id)
        elif known.payload_hash != digest:
            outcome.updated += 1
            changed.append((record, digest))
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
            existed = {state[record.external_id].pk for record, _ in changed if record.external_id in state}
            _write_changed(connection, changed, screened, now, existed)
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
    changed: list[tuple[CustomizationRecord, str]],
    screened: Mapping[str, Screened],
    now,
    existed: set[int],
) -> None:
    """Upsert changed customizations and their sides; replace their nodes and order lines. Only
    customizations that `existed` before can have children to remove: new ones skip the deletes."""
    objects = [
        Customization(
            connection=connection,
            external_id=record.external_id,
            **_customization_fields(record, digest, screened.get(record.external_id)),
            fetched_at=now,
            updated_at=now,
        )
        for record, digest in changed
    ]
    update_fields = [*CUSTOMIZATION_FIELDS, "updated_at"]
    if not screened:
        update_fields = [name for name in update_fields if name not in SCREENING_FIELDS]
    saved = Customization.objects.bulk_create(
        objects,
        update_conflicts=True,
        unique_fields=["connection", "external_id"],
        update_fields=update_fields,
    )
    by_external = {obj.external_id: obj.pk for obj in saved}
    awaiting_review_refresh(by_external.values())  # status and screening may have changed
    records = [record for record, _ in changed]

    # Sides are upserted, not replaced: later work (artwork, review) hangs off them.
    sides = [
        CustomizationSide(customization_id=by_external[record.external_id], **_side_fields(side))
        for record in records
        for side in record.sides
    ]
    saved_sides = CustomizationSide.objects.bulk_create(
        sides, update_conflicts=True, unique_fields=["customization", "external_id"], update_fields=SIDE_FIELDS
    )
    if existed:
        CustomizationSide.objects.filter(customization_id__in=existed).exclude(
            pk__in=[side.pk for side in saved_sides]
        ).delete()

    # Nodes carry nothing of ours: upserted by position (two workers writing the same batch agree),
    # and a changed customization's surplus nodes removed.
    side_pk = {(side.customization_id, side.external_id): side.pk for side in saved_sides}
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
    thumbnails_queue(side.pk for side in saved_sides if side.preview_url)


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
    from psycopg.types.json import Jsonb

    names = ["side", "position", *NODE_FIELDS]
    columns: list[list[Any]] = [[] for _ in names]
    for side_id, node in nodes:
        values = _node_fields(node)
        values["side"] = side_id
        values["raw"] = Jsonb(values["raw"])
        for column, name in zip(columns, names, strict=True):
            column.append(values[name])
    quote = db_connection.ops.quote_name
    db_columns, db_types = [], []
    for name in names:
        field = DesignNode._meta.get_field(name)
        assert isinstance(field, models.Field)
        db_columns.append(quote(str(field.column)))
        db_types.append(str(field.db_type(db_connection)).split("(")[0])
    targets = ", ".join(db_columns)
    arrays = ", ".join(f"%s::{db_type}[]" for db_type in db_types)
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in db_columns[2:])
    # Identifiers from the model's meta, quoted; every value is a bound parameter.
    table = quote(DesignNode._meta.db_table)
    sql = f"INSERT INTO {table} ({targets}) SELECT * FROM UNNEST({arrays}) "  # noqa: S608
    sql += f"ON CONFLICT ({db_columns[0]}, {db_columns[1]}) DO UPDATE SET {updates}"
    with db_connection.cursor() as cursor:
        cursor.execute(sql, columns)


def _write_order_lines(
    connection, changed: list[CustomizationRecord], by_external: dict[str, int], existed: set[int]
) -> None:
    """A customization that lists the store orders it is in: replace its lines."""
    if not changed:
        return
    orders = {
        line.store_order_id: StoreOrder(
            connection=connection,
            external_id=line.store_order_id,
            store_order_id=line.store_order_id,
            name=line.store_order_name,
        )
        for record in changed
        for line in record.order_lines or ()
    }
    saved_orders = StoreOrder.objects.bulk_create(
        list(orders.values()),
        update_conflicts=True,
        unique_fields=["connection", "external_id"],
        update_fields=["name", "store_order_id"],
    )
    order_pk = {order.external_id: order.pk for order in saved_orders}
    lines: dict[tuple[int, int, str], OrderLine] = {}
    for record in changed:
        for line in record.order_lines or ():
            key = (by_external[record.external_id], order_pk[line.store_order_id], line.variant_id)
            if key in lines:  # the same order listed twice: add the quantities
                lines[key].quantity += line.quantity
                continue
            lines[key] = OrderLine(
                customization_id=key[0],
                store_order_id=key[1],
                product_id=line.product_id,
                variant_id=line.variant_id,
                quantity=line.quantity,
            )
    saved_lines = OrderLine.objects.bulk_create(
        lines.values(),
        update_conflicts=True,
        unique_fields=["customization", "store_order", "variant_id"],
        update_fields=["product_id", "quantity"],
    )
    stale = [by_external[record.external_id] for record in changed if by_external[record.external_id] in existed]
    if stale:
        OrderLine.objects.filter(customization_id__in=stale).exclude(pk__in=[line.pk for line in saved_lines]).delete()


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
