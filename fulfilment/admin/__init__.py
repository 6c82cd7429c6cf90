"""The fulfilment app's admin, one module per screen; importing the package registers them all."""

from . import catalogue, incoming, orders, pushed_orders, stock  # noqa: F401
