"""Status callbacks stored and answered at once, applied in a worker (issue 13, goal 2).

The web request does what must happen before answering, and nothing more: the connection is
found by its token (services.incoming), the body is capped, the vendor's `Hook.verify` checks
it and `Hook.parse` reads it (pure Python, no database: an unreadable body still gets its 400
at once) *before* anything large is stored; then one INSERT (autocommit: one statement, one
commit) stores the raw request as `received`, and the apply task is queued by name once that
commits. The partner gets 200 `received`.

The worker (`incoming_apply_stored`) applies it through the same services as before
(`incoming_apply`: late, conflicting and duplicate statuses are decided exactly as they were),
in ONE transaction that first claims the row (`SELECT ... FOR UPDATE SKIP LOCKED` where it is
still `received`) and ends by recording its outcome. (A web process queues the applier,
`incoming_drain`, at most once a second, not once a callback: see WAKE_SECONDS.) So:

- exactly once: two deliveries of the task (acks_late, a worker lost, the reconciler) cannot
  both apply it: the second finds it locked or no longer `received`. A partner replaying the
  same callback stores a row per request, and the StatusEvent's unique `dedupe_key` makes
  every replay after the first a `duplicate`, as before;
- a worker that dies mid-apply rolls the whole apply back: the row is `received` again and
  `incoming_unapplied_reconcile` (beat, every minute) applies it;
- an unexpected error is recorded on the row (`error` with its traceback, for Reprocess) and
  not retried blindly.

Staff see the request in Incoming requests from the moment it is stored (`Received`), then
with its outcome."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import traceback
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from config.celery import queue_on_commit
from integrations.partners import HookInvalid, HookKind
from orders.models import VendorConnection

from ..models import IncomingRequest
from .incoming import _headers, _remote, connection_for_token, incoming_apply

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


def _stored(request, kind: str, connection: VendorConnection, body: bytes, hook: str, **fields) -> IncomingRequest:
    return IncomingRequest.objects.create(
        kind=kind,
        hook=hook[:50],
        connection=connection,
        method=request.method[:10],
        headers=_headers(request),
        body=body.decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
        size_bytes=len(body),
        remote_addr=_remote(request),
        **fields,
    )


def incoming_store_deferred(
    request, kind: str, *, connection: VendorConnection, spec_hook, body: bytes, hook: str = ""
) -> tuple[IncomingRequest, str]:
    """Verify and read a status callback, store it in one INSERT and queue its apply. Returns the
    row and its outcome: `rejected` (not verified: stored as before, never applied), `invalid`
    (unreadable: stored with the reason, never applied), or `received` (queued)."""
    if spec_hook.verify is not None:
        why = spec_hook.verify(connection.config(), body, request.headers)
        if why:
            row = _stored(request, kind, connection, body, hook, outcome=Outcome.REJECTED, note=why[:2000])
            return row, Outcome.REJECTED
    try:
        if not list(spec_hook.parse(body)):
            raise HookInvalid("the body holds nothing to apply")
    except HookInvalid as exc:
        row = _stored(
            request, kind, connection, body, hook, outcome=Outcome.INVALID, verified=True, note=f"invalid: {exc}"[:2000]
        )
        return row, Outcome.INVALID
    except Exception:  # a parser's bug: stored and queued, the worker records it with its traceback
        logger.warning("fulfilment: a %s hook's parser failed; the worker will record why", connection.spec.label)
    row = _stored(request, kind, connection, body, hook, outcome=Outcome.RECEIVED, verified=True)
    if cache.add(WAKE_KEY, 1, timeout=WAKE_SECONDS):
        queue_on_commit(INCOMING_APPLY_TASK)
    return row, Outcome.RECEIVED


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
    stream wakes another). Several can run at once: each row is claimed. Returns how many it
    applied."""
    applied, started, looked_again = 0, time.monotonic(), False
    while time.monotonic() - started < max_seconds:
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
        applied += sum(1 for pk in ids if incoming_apply_stored(pk) is not None)
    return applied


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
    applied = sum(1 for pk in ids if incoming_apply_stored(pk) is not None)
    if applied:
        logger.info("fulfilment: applied %s stored request(s) that no task had applied", applied)
    return applied
