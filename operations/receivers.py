"""Signal receivers: what the operations app does when orders or fulfilment announce an event.
Each part (alerts, rules, the activity feed) connects its own receivers in its own module,
imported here."""

from . import rules  # noqa: F401  (holds and automation rules)
