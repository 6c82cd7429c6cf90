"""What the orders app announces (django.dispatch signals), for apps built on it (operations:
alerts, rules, the activity feed) to act on without orders importing them. Sent by the services,
after the change is committed (transaction.on_commit), with keyword arguments as documented on
each signal."""

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)


def send_logged(signal: Signal, **kwargs) -> None:
    """Send now; a receiver that fails is logged and never fails the service that announced."""
    for receiver, answer in signal.send_robust(**kwargs):
        if isinstance(answer, Exception):
            logger.error("a receiver of a signal failed: %s (%s)", receiver, type(answer).__name__)


def announce(signal: Signal, **kwargs) -> None:
    """Send once the change is committed (send_logged)."""
    transaction.on_commit(lambda: send_logged(signal, **kwargs))


# A sync run ended, whatever the outcome. run: orders.models.SyncRun (its status and error say how).
sync_run_finished = Signal()

# A sync created or changed customizations. connection: VendorConnection; customization_ids: list[int].
customizations_synced = Signal()

# A design was approved or rejected (by staff or by a rule). decision: orders.models.ReviewDecision.
design_decided = Signal()
