"""The fulfilment app, unchanged, with an Ideal Factory connection to the sandbox over HTTP: the
body is built offline, and an order whose lines have no Ideal Factory variant yet (the catalogue
mapping comes with the fulfilment side's work) is refused in words before anything is sent."""

from __future__ import annotations

import pytest

from fulfilment.models import FulfilmentOrder
from fulfilment.services.orders import fulfilment_order_create, fulfilment_order_send, fulfilment_payload
from integrations.idealfactory import sandbox as if_sandbox
from integrations.idealfactory.wire import template_config_decode
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


def test_an_order_without_variants_is_refused_in_words_and_never_sent(oms):
    order = fulfilment_order_create(
        connection=oms,
        customizations=[approved_with_artwork(1)],
        shipping={**ADDRESS, "shipping_address_4": "Macclesfield"},
    )
    payload = fulfilment_payload(order)
    assert payload["store_id"] == "demo-store" and payload["ecommerce_order_id"] == order.external_ref
    assert payload["create_print_files"] is True
    assert template_config_decode(payload["items"][0]["template_config"]) == {}

    sent = fulfilment_order_send(order)

    assert sent.state == FulfilmentOrder.State.FAILED
    assert "no Ideal Factory variant" in sent.last_error
    assert "orders" not in if_sandbox.sandbox().calls  # nothing reached the OMS
