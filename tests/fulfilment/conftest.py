import pytest

from tests.factories import FulfilmentOrderFactory, VendorOrderFactory
from tests.fulfilment.route_partner import route_print_connection


@pytest.fixture
def sent_order(gateway):
    """Order BO-000001, sent, with its vendor order 501 (ref CGREF1): what status callbacks find."""
    order = FulfilmentOrderFactory(connection=gateway, external_ref="BO-000001", state="sent")
    VendorOrderFactory(fulfilment_order=order, vendor_id="501", ref="CGREF1")
    return order


@pytest.fixture
def route_print(settings):
    """A connection to a partner whose send is not idempotent (tests.fulfilment.route_partner)."""
    return route_print_connection(settings)
