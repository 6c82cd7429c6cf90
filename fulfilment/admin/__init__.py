"""The fulfilment app's admin, one module per screen; importing the package registers them all."""

from . import (  # noqa: F401
    catalogue,
    incoming,
    orders,
    print_files,
    pushed_orders,
    routing,
    shipments,
    stock,
    virtual_products,
    vpc,
)
