"""What the orders app announces (django.dispatch signals), for apps built on it (operations:
alerts, rules, the activity feed) to act on without orders importing them. Sent by the services,
after the change is committed (transaction.on_commit), with keyword arguments as documented on
each signal."""

from django.dispatch import Signal

# A sync run ended, whatever the outcome. run: orders.models.SyncRun (its status and error say how).
sync_run_finished = Signal()

# A sync created or changed customizations. connection: VendorConnection; customization_ids: list[int].
customizations_synced = Signal()

# A design was approved or rejected (by staff or by a rule). decision: orders.models.ReviewDecision.
design_decided = Signal()
