"""Development only: the demo's task. Registered by workers of the local and test settings only
(this app is not installed in production)."""

from celery import shared_task


@shared_task(bind=True, max_retries=30)
def demo_fulfilment_task(self, connection_id: int, sandbox_origin: str) -> str:
    """bootstrap_demo queues it: waits for the first sync, then builds the fulfilment demo."""
    from orders.models import VendorConnection

    from .demo import NotReady, demo_fulfilment_run

    try:
        return demo_fulfilment_run(VendorConnection.objects.get(pk=connection_id), sandbox_origin=sandbox_origin)
    except NotReady as exc:
        raise self.retry(exc=exc, countdown=5) from None
