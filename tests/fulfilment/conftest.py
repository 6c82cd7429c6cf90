import pytest

from orders.models import VendorConnection


@pytest.fixture
def gateway(db):
    connection = VendorConnection(
        name="Custom Gateway",
        kind=VendorConnection.Kind.CUSTOM_GATEWAY,
        company="99999",
        api_key="cg-api-key-secret",
        push_hmac_key="push-hmac-key-secret",
        sync_every_minutes=None,
    )
    connection.save()
    return connection
