"""Hostile label files from a vendor's file host, over real HTTP: a label never goes ready (so
never printed) with one, and the reason is recorded in words."""

import pytest

from fulfilment.models import Shipment, ShippingLabel
from fulfilment.services.shipping import label_fetch
from tests.factories import PushedOrderFactory, ShipmentFactory, ShippingLabelFactory
from tests.hostile import REASONS, corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipment(gateway):
    order = PushedOrderFactory(connection=gateway, vendor_id="777", raw={})

    def make(url):
        made = ShipmentFactory(order=order, vendor_id=str(Shipment.objects.count() + 1), raw={"label_url": url})
        ShippingLabelFactory(shipment=made, source_url=url)
        return made

    return make


@pytest.mark.parametrize("name", sorted(corpus()))
def test_a_hostile_label_fails_with_the_reason(hostile_host, shipment, name):
    label = label_fetch(shipment(hostile_host + name))

    assert label.state == ShippingLabel.State.FAILED
    assert label.error.startswith("The label file is ") and REASONS[name] in label.error
    assert not label.file


@pytest.mark.parametrize(
    ("name", "content_type"), [("good.pdf", "application/pdf"), ("label.zpl", "application/x-zpl")]
)
def test_real_labels_are_stored_with_their_sniffed_type(hostile_host, shipment, name, content_type):
    label = label_fetch(shipment(hostile_host + name))  # the host calls both text/html

    assert label.state == ShippingLabel.State.READY, label.error
    assert label.content_type == content_type
    assert label.file.name.endswith("." + name.rsplit(".", 1)[1])
