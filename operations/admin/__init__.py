"""The operations app's admin, one module per screen; importing the package registers them all."""

from . import rules  # noqa: F401  (automation rules and what they did)
