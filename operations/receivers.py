"""Signal receivers: what the operations app does when orders or fulfilment announce an event.
Each part (alerts, rules, the activity feed, the dashboard's totals) connects its own receivers
in its own module, imported here."""

from . import (
    alerts,  # noqa: E402, F401  (alerts: incidents opened and resolved as things change)
    feed_sources,  # noqa: E402, F401  (the activity feed's sources)
    rules,  # noqa: F401  (holds and automation rules)
    totals,  # noqa: F401  (the dashboard's kept daily totals)
)
from .audit import audit_register  # noqa: E402

audit_register()
