"""The dashboard's kept daily totals' receivers (imported from operations.receivers): each event
recomputes the days it touches (operations.services.dashboard_totals), after the sender's
transaction committed (the senders use transaction.on_commit). A receiver that fails is logged
by the sender (orders.signals.send_logged); `manage.py dashboard_totals_rebuild` repairs."""

from __future__ import annotations

from django.dispatch import receiver

from fulfilment.signals import fulfilment_order_changed
from orders.signals import customizations_synced, design_decided

from .services import dashboard_totals


@receiver(fulfilment_order_changed, dispatch_uid="operations.totals.order")
def on_fulfilment_order_changed(sender, *, order, **kwargs):
    dashboard_totals.order_changed(order)


@receiver(design_decided, dispatch_uid="operations.totals.design")
def on_design_decided(sender, *, decision, **kwargs):
    dashboard_totals.design_decided(decision.customization_id)


@receiver(customizations_synced, dispatch_uid="operations.totals.designs")
def on_customizations_synced(sender, *, customization_ids, **kwargs):
    if customization_ids:
        dashboard_totals.designs_synced(list(customization_ids))
