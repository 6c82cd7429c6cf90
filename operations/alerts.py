"""Alerts' signal receivers: a sync that ended, a fulfilment order or a partner's print file that
changed opens or resolves its incident at once (operations.services.alerts). Connected when the
app is ready (imported from operations/receivers.py). A receiver never raises into the service
that announced the change: what it could not do now, the periodic sweep does."""

from __future__ import annotations

import logging

from django.dispatch import receiver

from fulfilment.signals import fulfilment_order_changed, print_file_changed
from orders.signals import sync_run_finished

from .services import alerts as alert_services

logger = logging.getLogger(__name__)


@receiver(sync_run_finished, dispatch_uid="alerts.sync_run_finished")
def on_sync_run_finished(sender, run, **kwargs):
    _safely(
        lambda: alert_services.incident_apply(
            alert_services.sync_key(run.connection_id), alert_services.sync_check(run)
        )
    )


@receiver(fulfilment_order_changed, dispatch_uid="alerts.fulfilment_order_changed")
def on_fulfilment_order_changed(sender, order, **kwargs):
    _safely(
        lambda: alert_services.incident_apply(alert_services.order_key(order.pk), alert_services.order_check(order))
    )


@receiver(print_file_changed, dispatch_uid="alerts.print_file_changed")
def on_print_file_changed(sender, print_file, **kwargs):
    _safely(
        lambda: alert_services.incident_apply(
            alert_services.partner_file_key(print_file.pk), alert_services.partner_file_check(print_file)
        )
    )


def _safely(apply) -> None:
    try:
        apply()
    except Exception:
        logger.exception("alerts: could not act on a signal (the sweep will)")
