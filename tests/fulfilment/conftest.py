import pytest

from fulfilment.models import FulfilmentOrder, VendorOrder


@pytest.fixture
def sent_order(gateway):
    """Order BO-000001, sent, with its vendor order 501 (ref CGREF1): what status callbacks find."""
    order = FulfilmentOrder.objects.create(
        connection=gateway,
        external_ref="BO-000001",
        state="sent",
        shipping_address_1="1 Road",
        shipping_postcode="SK10 2XR",
        shipping_country_code="GB",
    )
    VendorOrder.objects.create(
        connection=gateway, fulfilment_order=order, vendor_id="501", ref="CGREF1", external_ref="BO-000001"
    )
    return order
