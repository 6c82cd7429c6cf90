"""The operations app's admin, one module per screen; importing the package registers them all."""

from . import search  # noqa: E402,F401  (the header search's results page)
