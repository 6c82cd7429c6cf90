"""The fulfilment app, unchanged, with an Ideal Factory connection to the sandbox over HTTP: the
order whose lines have no Ideal Factory variant (no catalogue mapping, no store variant) is refused
in words when it is created, before anything is saved or sent."""

from __future__ import annotations

import pytest

from fulfilment.models import FulfilmentOrder
from fulfilment.services.orders import FulfilmentInvalid, fulfilment_order_create
from integrations.idealfactory import sandbox as if_sandbox
from orders.models import VendorConnection
from tests.fulfilment.test_flows import ADDRESS, approved_with_artwork

pytestmark = pytest.mark.django_db


@pytest.fixture
def oms(sandbox_server, settings):
    if_sandbox.reset()
    connection = VendorConnection.objects.create(
        name="IF sandbox",
        kind="idealfactory",
        settings={"base_url": if_sandbox.base_url(sandbox_server.url), "store_ids": "demo-store"},
        secrets={"api_token": settings.SANDBOX_API_KEY},
        sync_every_minutes=None,
    )
    yield connection
    if_sandbox.reset()


def test_an_order_without_variants_is_refused_in_words_when_created_and_never_sent(oms):
    with pytest.raises(FulfilmentInvalid) as refused:
        fulfilment_order_create(
            connection=oms,
            customizations=[approved_with_artwork(1)],
            shipping={**ADDRESS, "shipping_address_4": "Macclesfield"},
        )

    assert "no Ideal Factory variant" in refused.value.errors["partner"]
    assert not FulfilmentOrder.objects.exists()  # nothing saved
    assert "orders" not in if_sandbox.sandbox().calls  # nothing reached the OMS
