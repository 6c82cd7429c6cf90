"""No fulfilment order stays in a transient state forever.

Every minute (beat): an order waiting for a rate limit is queued again once it is due (however
long the limit lasts: no task holds an ETA longer than the broker's visibility timeout); an
order queued or sending whose record has not moved for FULFILMENT_STUCK_AFTER_MINUTES has no
live attempt (a worker died, a task was lost, the database refused a connection) and is queued
again: sending is idempotent (a second send is answered "duplicate" and reconciled as sent); one
stuck sending to a partner whose send is not idempotent goes to Check instead. After
FULFILMENT_RECONCILE_MAX such rescues it is failed with the reason in words, so staff can act
(the Send action accepts it again)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.celery import queue_on_commit

from ..models import FulfilmentOrder
from .announce import fulfilment_order_announce
from .orders import fulfilment_order_to_check, resending_is_safe, stuck_before
from .queue import SEND_TASK

State = FulfilmentOrder.State


def fulfilment_orders_reconcile(*, now=None) -> dict:
    now = now or timezone.now()
    summary = {"due": 0, "requeued": 0, "failed": 0, "check": 0}
    queue: list[int] = []
    with transaction.atomic():
        due = FulfilmentOrder.objects.select_for_update(skip_locked=True).filter(
            state=State.QUEUED, next_attempt_at__lte=now
        )
        for order in due:
            # Waiting is not failing: it does not count as a rescue.
            FulfilmentOrder.objects.filter(pk=order.pk).update(next_attempt_at=None, updated_at=now)
            queue.append(order.pk)
            summary["due"] += 1
        stuck = FulfilmentOrder.objects.select_for_update(skip_locked=True).filter(
            state__in=[State.QUEUED, State.SENDING], next_attempt_at__isnull=True, updated_at__lt=stuck_before(now)
        )
        for order in stuck:
            was, cause = order.state, _cause(order.last_error)
            if was == State.SENDING and not resending_is_safe(order.connection):
                # The worker died while sending to a partner that would make a second order of a
                # second send: whether the first reached it is asked, not assumed.
                fulfilment_order_to_check(order, "Found stuck sending with no attempt running", now=now)
                summary["check"] += 1
                continue
            if order.reconciliations >= settings.FULFILMENT_RECONCILE_MAX:
                FulfilmentOrder.objects.filter(pk=order.pk).update(
                    state=State.FAILED,
                    updated_at=now,
                    last_error=(
                        f"Not sent: it was stuck {was} {order.reconciliations + 1} times with no attempt running. "
                        f"Last error: {cause or 'none'}. Check the connection, then Send it again."
                    )[:2000],
                )
                fulfilment_order_announce(order.pk, previous_state=was, previous_status=order.status)
                summary["failed"] += 1
                continue
            FulfilmentOrder.objects.filter(pk=order.pk).update(
                state=State.QUEUED,
                reconciliations=order.reconciliations + 1,
                updated_at=now,
                last_error=(
                    f"Found stuck {was} with no attempt running: queued again "
                    f"({order.reconciliations + 1} of {settings.FULFILMENT_RECONCILE_MAX}). Last error: {cause or 'none'}"
                )[:2000],
            )
            queue.append(order.pk)
            summary["requeued"] += 1
        for pk in queue:
            queue_on_commit(SEND_TASK, pk)
    return summary


def _cause(last_error: str) -> str:
    """The error behind a rescue, without the reconciler's own earlier words."""
    return last_error.rsplit("Last error: ", 1)[-1].strip()
