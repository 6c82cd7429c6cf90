"""What the fulfilment app announces (django.dispatch signals), for apps built on it (operations:
alerts, rules, the activity feed, the dashboard's totals) to act on without fulfilment importing
them. Sent by the services, after the change is committed (transaction.on_commit), with keyword
arguments as documented on each signal."""

from django.dispatch import Signal

# A fulfilment order was created, or its state (ours) or status (the partner's) changed.
# order: FulfilmentOrder; previous_state and previous_status: what they were before ("" when new).
fulfilment_order_changed = Signal()

# A print file (a partner's PartnerPrintFile) changed state. print_file; previous_state.
print_file_changed = Signal()
