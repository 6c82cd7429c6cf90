"""Celery entry points for fulfilment: thin, each calls one service.

At-least-once (Celery's guidance for acks_late tasks): every task here may run twice, and the
services make that harmless (a send claims its order; a second POST answers 8001)."""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from integrations.http import VendorRetryable

# Worth trying again soon: the vendor or the network, and a database that is briefly gone
# ("too many clients already", a restart, a failover).
TRANSIENT = (VendorRetryable, OperationalError, InterfaceError)


def _countdown(retries: int) -> int:
    """Exponential backoff, capped well under the broker's visibility timeout (<= 30 min)."""
    return min(30 * 2**retries, settings.FULFILMENT_RETRY_MAX_COUNTDOWN)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5)
def fulfilment_order_send_task(self, order_id: int) -> str:
    from .models import FulfilmentOrder
    from .services.orders import fulfilment_order_send

    try:
        order = FulfilmentOrder.objects.filter(pk=order_id).first()
        if order is None:
            return "gone"
        # A rate limit is not an error: the service records `next_attempt_at` and returns; the
        # reconciler queues it again when it is due, however long the limit lasts.
        return fulfilment_order_send(order).state
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            # Not "gave up": the order stays queued (or sending) and the reconciler, which
            # counts its own attempts, queues it again or fails it with the reason in words.
            return "left to the reconciler"
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from None


@shared_task(bind=True, acks_late=True, max_retries=3)
def fulfilment_orders_reconcile_task(self) -> dict:
    """Beat, every minute: queue due and stuck orders again, or fail them after a bound."""
    from .services.reconcile import fulfilment_orders_reconcile

    try:
        return fulfilment_orders_reconcile()
    except (OperationalError, InterfaceError) as exc:
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from None


@shared_task(bind=True, acks_late=True, max_retries=3)
def incoming_prune_task(self) -> int:
    """Beat, daily: raw requests older than INCOMING_RETENTION_DAYS go."""
    from .services.incoming import incoming_prune

    try:
        return incoming_prune()
    except (OperationalError, InterfaceError) as exc:
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from None


@shared_task
def stock_imports_prune_task() -> int:
    """Delete stock CSV uploads whose preview was never confirmed (beat, hourly)."""
    from .services.stock import stock_imports_prune

    return stock_imports_prune()
