"""The operations app's admin, one module per screen; importing the package registers them all."""

from . import (
    alerts,  # noqa: E402, F401
    notes,  # noqa: E402, F401
    rules,  # noqa: F401  (automation rules and what they did)
    search,  # noqa: E402,F401  (the header search's results page)
)
