"""Status callbacks stored and answered at once, applied in a worker (issue 13, goal 2).

The web request does what must happen before answering, and nothing more: the connection is
found by its token (services.incoming), the body is capped, the vendor's `Hook.verify` checks
it and `Hook.parse` reads it (pure Python, no database: an unreadable body still gets its 400
at once) *before* anything large is stored; then one INSERT (autocommit: one statement, one
commit, written out rather than through the ORM's create) stores the raw request as
`received`, and the apply task is queued by name once that commits. The partner gets 200
`received` only once that commit is durable (synchronous_commit as PostgreSQL's default: an
answered callback survives a crash; Custom Gateway does not retry a 200). The request skips the
staff pages' middleware (fulfilment.middleware).

The worker (`incoming_drain`) takes the oldest stored rows, up to DRAIN_BATCH at a time, and
applies the status callbacks among them that name one order together (`incoming_apply_many`):
ONE transaction claims them (`SELECT ... FOR UPDATE SKIP LOCKED` where they are still
`received`), applies them in the order they came through the same services as before
(`status_updates_apply`: late, conflicting and duplicate statuses are decided exactly as they
were, each on the order as the ones before it left it; the order is found, locked and written
once) and records their outcomes. Should one of them fail, that transaction is rolled back and
each is applied alone (`incoming_apply_stored`: its own transaction, the failing one recorded
as an error). (A web process queues the applier at most once a second, not once a callback: see
WAKE_SECONDS.) So:

- exactly once: two appliers (acks_late, a worker lost, the reconciler, two drains whose
  batches overlap) cannot both apply a row: the second finds it locked or no longer
  `received`. A partner replaying the same callback stores a row per request, and the
  StatusEvent's unique `dedupe_key` makes every replay after the first a `duplicate`, as before;
- a worker that dies mid-apply rolls the whole apply back: the row is `received` again and
  `incoming_unapplied_reconcile` (beat, every minute) applies it;
- an unexpected error is recorded on the row (`error` with its traceback, for Reprocess) and
  not retried blindly.

Staff see the request in Incoming requests from the moment it is stored (`Received`), then
with its outcome."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import time
import traceback
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction
from django.utils import timezone

from config.celery import queue_on_commit
from integrations.partners import HookInvalid, HookKind, StatusReport
from orders.models import VendorConnection

from ..models import IncomingRequest
from .incoming import (
    _headers,
    _remote,
    connection_for_token,
    hook_of,
    incoming_apply,
    status_order_key,
    status_updates_apply,
)

logger = logging.getLogger(__name__)
Outcome = IncomingRequest.Outcome
INCOMING_APPLY_TASK = "fulfilment.tasks.incoming_apply_task"
# A web process wakes the applier at most once a WAKE_SECONDS (a key in Django's cache), so a
# burst of callbacks costs a broker message a second, not one each; the applier, once its queue
# is empty, looks once more after longer than that, so a callback stored while the key stood is
# never left waiting for the reconciler.
WAKE_KEY, WAKE_SECONDS, TAIL_WAIT_SECONDS = "fulfilment:incoming-apply-wake", 1, 1.5
DRAIN_BATCH, DRAIN_MAX_SECONDS = 200, 60.0
INCOMING_RECONCILE_TASK = "fulfilment.tasks.incoming_unapplied_reconcile_task"
# The reconciler takes at most this many rows a run (the next run takes the rest).
RECONCILE_BATCH = 500


# The connection of a hook token, kept this long in the web process (a connection deactivated or
# given a new token is refused this much later at most): a callback then costs one statement.
CONNECTION_CACHE_SECONDS = 5.0
_connections: dict[str, tuple[float, VendorConnection | None]] = {}


def connection_for_token_cached(token: str) -> VendorConnection | None:
    """services.incoming.connection_for_token, remembered for CONNECTION_CACHE_SECONDS per token
    in this process (unknown tokens are not remembered: their rate limit is what bounds them).
    The token is still compared in constant time with the connection's on every request."""
    now = time.monotonic()
    digest = hashlib.sha256(token.encode()).hexdigest() if token and len(token) <= 200 else ""
    cached = _connections.get(digest)
    if cached is not None and now - cached[0] < CONNECTION_CACHE_SECONDS and cached[1] is not None:
        remembered = cached[1]
        if hmac.compare_digest(remembered.hook_token.encode(), token.encode()):
            return remembered
    found = connection_for_token(token)
    if found is not None:
        if len(_connections) > 1000:
            _connections.clear()
        _connections[digest] = (now, found)
    return found


def deferred_for(spec_hook) -> bool:
    """Whether requests to this hook are stored and applied in a worker: status callbacks, when
    HOOK_STATUS_CALLBACKS_DEFERRED is on (the default; off, they are applied in the request)."""
    return (
        settings.HOOK_STATUS_CALLBACKS_DEFERRED
        and getattr(spec_hook, "kind", HookKind.STATUS_CALLBACK) == HookKind.STATUS_CALLBACK
        and spec_hook.parse is not None
    )


def _stored(request, kind: str, connection: VendorConnection, body: bytes, hook: str, **values) -> None:
    """One INSERT of the raw request, written out (the ORM's create costs as much Python again:
    a model instance, its signals, the compiler): every concrete column, at its model default
    unless given, each prepared by its own field for this database."""
    values.update(
        kind=kind,
        hook=hook[:50],
        connection=connection.pk,
        method=request.method[:10],
        headers=_headers(request),
        # PostgreSQL text holds no NUL: one in a body (garbage, or an attack) is kept as U+FFFD.
        body=body.decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
        size_bytes=len(body),
        remote_addr=_remote(request),
        received_at=timezone.now(),
    )
    fields = _insert_fields()
    db = connections[IncomingRequest.objects.db]
    params = [
        field.get_db_prep_save(values[field.name] if field.name in values else field.get_default(), db)
        for field in fields
    ]
    with db.cursor() as cursor:
        cursor.execute(_insert_sql(db.alias), params)


@functools.cache
def _insert_fields() -> tuple:
    return tuple(field for field in IncomingRequest._meta.concrete_fields if not field.primary_key)


@functools.cache
def _insert_sql(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(field.column) for field in _insert_fields())
    marks = ", ".join(["%s"] * len(_insert_fields()))
    # The model's own table and column names; every value is a bound parameter.
    return f"INSERT INTO {quote(IncomingRequest._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608


def incoming_store_deferred(
    request, kind: str, *, connection: VendorConnection, spec_hook, body: bytes, hook: str = ""
) -> str:
    """Verify and read a status callback, store it in one INSERT and queue its apply. Returns its
    outcome: `rejected` (not verified: stored as before, never applied), `invalid` (unreadable:
    stored with the reason, never applied), or `received` (queued)."""
    if spec_hook.verify is not None:
        why = spec_hook.verify(connection.config(), body, request.headers)
        if why:
            _stored(request, kind, connection, body, hook, outcome=Outcome.REJECTED, note=why[:2000])
            return Outcome.REJECTED
    try:
        if not list(spec_hook.parse(body)):
            raise HookInvalid("the body holds nothing to apply")
    except HookInvalid as exc:
        _stored(
            request, kind, connection, body, hook, outcome=Outcome.INVALID, verified=True, note=f"invalid: {exc}"[:2000]
        )
        return Outcome.INVALID
    except Exception:  # a parser's bug: stored and queued, the worker records it with its traceback
        logger.warning("fulfilment: a %s hook's parser failed; the worker will record why", connection.spec.label)
    _stored(request, kind, connection, body, hook, outcome=Outcome.RECEIVED, verified=True)
    _wake()
    return Outcome.RECEIVED


_woken_at = float("-inf")  # this process's last wake-up (time.monotonic())


def _wake() -> None:
    """Queue the applier unless it was queued less than WAKE_SECONDS ago: by this process (no
    round trip to the cache) or by any (the key in Django's cache)."""
    global _woken_at
    now = time.monotonic()
    if now - _woken_at < WAKE_SECONDS:
        return
    _woken_at = now
    if cache.add(WAKE_KEY, 1, timeout=WAKE_SECONDS):
        queue_on_commit(INCOMING_APPLY_TASK)


def incoming_apply_stored(incoming_id: int) -> str | None:
    """The worker's half: claim the stored request and apply it, in one transaction. None when
    there is nothing to do (already applied, or being applied by another worker right now)."""
    with transaction.atomic():
        incoming = (
            IncomingRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("connection")
            .filter(pk=incoming_id, outcome=Outcome.RECEIVED, verified=True)
            .first()
        )
        if incoming is None:
            return None
        try:
            with transaction.atomic():  # a savepoint: a failed apply leaves no half of itself
                return incoming_apply(incoming)
        except Exception:
            # incoming_apply logged it; its record of the error went with the savepoint.
            IncomingRequest.objects.filter(pk=incoming.pk).update(
                outcome=Outcome.ERROR,
                note="error: applying it failed unexpectedly; fix the cause, then Reprocess it.",
                error_traceback=traceback.format_exc()[-8000:],
            )
            return Outcome.ERROR


def incoming_drain(*, tail_wait: float = TAIL_WAIT_SECONDS, max_seconds: float = DRAIN_MAX_SECONDS) -> int:
    """The applier (the task a web process queues): apply stored callbacks, oldest first, until
    none is left and none came during one more `tail_wait`; at most `max_seconds` (a steady
    stream wakes another, and one that stops with rows left queues the next itself: without
    that, a backlog left when a burst ended waited for the reconciler). Several can run at once:
    each row is claimed. Returns how many it applied."""
    applied, started, looked_again = 0, time.monotonic(), False
    while True:
        if time.monotonic() - started >= max_seconds:
            if not looked_again:  # it stopped with rows (maybe) left: the next applier takes them
                queue_on_commit(INCOMING_APPLY_TASK)
            break
        ids = list(
            IncomingRequest.objects.filter(outcome=Outcome.RECEIVED, verified=True)
            .order_by("id")
            .values_list("pk", flat=True)[:DRAIN_BATCH]
        )
        if not ids:
            if looked_again:
                break
            looked_again = True
            time.sleep(tail_wait)
            continue
        looked_again = False
        applied += incoming_apply_many(ids)
    return applied


def incoming_apply_many(ids: list[int]) -> int:
    """Apply these stored requests, oldest first, exactly as incoming_apply_stored would one by
    one, but a status callback with the others that name the same order: one transaction claims
    them (FOR UPDATE SKIP LOCKED), applies them in order (services.incoming.status_updates_apply:
    the order found and locked once, written once) and records their outcomes. Should one of them
    fail, that transaction is rolled back and each is applied alone (the failing one recorded as
    an error, the others applied). Any other request is applied alone. Returns how many it
    applied."""
    applied = 0
    for connection, items in _together(ids):
        if connection is None:
            applied += sum(1 for pk in items if incoming_apply_stored(pk) is not None)
        else:
            applied += _apply_together(connection, items)
    return applied


def _together(ids: list[int]) -> list[tuple[VendorConnection | None, list]]:
    """The requests `ids` (still `received`) in groups, in order of their oldest: (connection,
    [(id, report), ...]) for status callbacks naming one order the same way, (None, [id]) for
    each other request (several records, unreadable, another kind of hook)."""
    rows = list(
        IncomingRequest.objects.filter(pk__in=ids, outcome=Outcome.RECEIVED, verified=True)
        .order_by("id")
        .values_list("pk", "connection_id", "hook", "kind", "body")
    )
    connections = VendorConnection.objects.in_bulk({row[1] for row in rows if row[1] is not None})
    groups: dict[tuple, tuple[VendorConnection | None, list]] = {}
    for pk, connection_id, hook, kind, body in rows:
        connection, records = connections.get(connection_id), []
        try:
            spec_hook = hook_of(connection, hook, kind) if connection is not None else None
            if spec_hook is not None and spec_hook.parse is not None and deferred_for(spec_hook):
                records = list(spec_hook.parse(body.encode()))
        except Exception:  # noqa: S110 (applied alone, which records why)
            pass
        if connection is not None and len(records) == 1 and isinstance(records[0], StatusReport):
            key: tuple = (connection.pk, *status_order_key(records[0]))
            groups.setdefault(key, (connection, []))[1].append((pk, records[0]))
        else:
            groups[("alone", pk)] = (None, [pk])
    return list(groups.values())


def _apply_together(connection: VendorConnection, items: list[tuple[int, StatusReport]]) -> int:
    try:
        with transaction.atomic():
            claimed = {
                row.pk: row
                for row in IncomingRequest.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk__in=[pk for pk, _ in items], outcome=Outcome.RECEIVED, verified=True)
                .only("pk", "connection_id")
            }
            todo = [(claimed[pk], report) for pk, report in items if pk in claimed]
            if not todo:
                return 0
            results = status_updates_apply(connection, todo)
            by_outcome: dict[tuple[str, str], list[int]] = {}
            for (row, _), (outcome, note) in zip(todo, results, strict=True):
                by_outcome.setdefault((outcome, note[:2000]), []).append(row.pk)
            for (outcome, note), pks in by_outcome.items():
                IncomingRequest.objects.filter(pk__in=pks).update(
                    outcome=outcome, note=note, verified=True, error_traceback=""
                )
        return len(todo)
    except Exception:
        logger.warning("fulfilment: %s callbacks applied together failed; applying each alone", len(items))
        return sum(1 for pk, _ in items if incoming_apply_stored(pk) is not None)


def incoming_unapplied_reconcile(*, older_than_seconds: int | None = None, now=None) -> int:
    """Beat: apply verified requests stored but never applied (the task was lost with its broker
    message, or its worker died mid-apply), oldest first, up to RECONCILE_BATCH a run. Rows
    younger than INCOMING_RECONCILE_AFTER_SECONDS are left to their task. Returns how many it
    applied."""
    after = settings.INCOMING_RECONCILE_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    cutoff = (now or timezone.now()) - timedelta(seconds=after)
    ids = list(
        IncomingRequest.objects.filter(outcome=Outcome.RECEIVED, verified=True, received_at__lt=cutoff)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:RECONCILE_BATCH]
    )
    applied = incoming_apply_many(ids)
    if applied:
        logger.info("fulfilment: applied %s stored request(s) that no task had applied", applied)
    return applied
