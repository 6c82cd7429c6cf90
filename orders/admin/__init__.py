"""The orders app's admin, one module per screen; importing the package registers them all."""

from . import bad_words, connections, customizations, libraries, review, smartlinks, store_orders, sync_runs  # noqa: F401
