"""The fulfilment app's admin, one module per screen; importing the package registers them all."""

from . import catalogue, incoming, orders, print_files, pushed_orders, routing, stock  # noqa: F401
