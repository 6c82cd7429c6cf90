from celery import shared_task

from integrations.http import VendorRetryable

from .services.ratelimit import RateLimited


@shared_task(bind=True, acks_late=True, max_retries=12)
def fulfilment_order_send_task(self, order_id: int) -> str:
    from .models import FulfilmentOrder
    from .services.orders import fulfilment_order_send

    order = FulfilmentOrder.objects.filter(pk=order_id).first()
    if order is None:
        return "gone"
    try:
        return fulfilment_order_send(order).state
    except RateLimited as exc:
        raise self.retry(exc=exc, countdown=min(exc.retry_after_seconds, 3600)) from None
    except VendorRetryable as exc:
        if self.request.retries >= self.max_retries:
            FulfilmentOrder.objects.filter(pk=order_id).update(
                state=FulfilmentOrder.State.FAILED,
                last_error=f"Gave up after {self.request.retries + 1} attempts: {exc}",
            )
            return "failed"
        raise self.retry(exc=exc, countdown=min(60 * 2**self.request.retries, 3600)) from None


@shared_task(bind=True, max_retries=30)
def demo_fulfilment_task(self, connection_id: int, sandbox_origin: str) -> str:
    """Development only (bootstrap_demo queues it): waits for the first sync, then builds the demo."""
    from orders.models import VendorConnection

    from .demo import NotReady, demo_fulfilment_run

    try:
        return demo_fulfilment_run(VendorConnection.objects.get(pk=connection_id), sandbox_origin=sandbox_origin)
    except NotReady as exc:
        raise self.retry(exc=exc, countdown=5) from None


@shared_task
def stock_imports_prune_task() -> int:
    """Delete stock CSV uploads whose preview was never confirmed (beat, hourly)."""
    from .services.stock import stock_imports_prune

    return stock_imports_prune()
