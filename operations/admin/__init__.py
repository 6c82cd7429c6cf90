"""The operations app's admin, one module per screen; importing the package registers them all."""

from . import notes  # noqa: E402, F401
