"""The fulfilment admin's reads, in one place: attention filters, what can be fulfilled, the
timeline, what Reprocess may apply again."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fulfilment.models import FulfilmentItem, FulfilmentOrder, IncomingRequest, StatusEvent
from fulfilment.selectors import (
    customizations_to_fulfil,
    fulfilment_orders_listed,
    fulfilment_orders_needing_attention,
    fulfilment_timeline,
    incoming_reprocessable,
)
from integrations.registry import Capability
from orders.models import Customization, VendorConnection
from tests.factories import CustomizationFactory

pytestmark = pytest.mark.django_db
State = FulfilmentOrder.State


def order(gateway, ref, **fields):
    made = FulfilmentOrder.objects.create(
        connection=gateway,
        external_ref=ref,
        shipping_address_1="1 Road",
        shipping_postcode="X",
        shipping_country_code="GB",
    )
    FulfilmentOrder.objects.filter(pk=made.pk).update(**fields)
    return made


def test_attention(gateway):
    conflict = order(gateway, "A", state=State.SENT, status_conflict="Cancelled after Dispatched")
    stuck = order(gateway, "B", state=State.SENDING, updated_at=timezone.now() - timedelta(days=1))
    waiting = order(gateway, "C", state=State.QUEUED, next_attempt_at=timezone.now() + timedelta(hours=1))
    order(gateway, "D", state=State.SENT)
    every = FulfilmentOrder.objects.all()

    assert list(fulfilment_orders_needing_attention(every, "conflict")) == [conflict]
    assert list(fulfilment_orders_needing_attention(every, "stuck")) == [stuck]
    assert list(fulfilment_orders_needing_attention(every, "waiting")) == [waiting]
    assert fulfilment_orders_needing_attention(every, None).count() == 4
    assert list(VendorConnection.objects.with_capability(Capability.FULFILMENT_SEND)) == [gateway]


def test_what_can_be_fulfilled_and_the_timeline(gateway, django_assert_num_queries):
    free = CustomizationFactory(decision=Customization.Decision.APPROVED)
    taken = CustomizationFactory(decision=Customization.Decision.APPROVED)
    CustomizationFactory()  # not approved
    sent = order(gateway, "A", state=State.SENT)
    FulfilmentItem.objects.create(order=sent, customization=taken, external_ref="C1")
    StatusEvent.objects.create(fulfilment_order=sent, vendor_status_code="4", dedupe_key="2")
    StatusEvent.objects.create(fulfilment_order=sent, vendor_status_code="1", dedupe_key="1")

    assert customizations_to_fulfil() == {"No store order": [free]}
    assert customizations_to_fulfil([taken.pk]) == {}
    assert list(fulfilment_timeline(sent).values_list("vendor_status_code", flat=True)) == ["4", "1"]
    with django_assert_num_queries(3):  # the orders, then their vendor orders and partner print files
        listed = fulfilment_orders_listed()
        assert [(list(o.vendor_orders.all()), list(o.partner_print_files.all())) for o in listed] == [([], [])]


def test_reprocessable(gateway):
    ok = IncomingRequest.objects.create(
        kind="status_callback", connection=gateway, method="PUT", body="{}", verified=True
    )
    IncomingRequest.objects.create(kind="status_callback", connection=gateway, method="PUT", body="{}")
    IncomingRequest.objects.create(kind="status_callback", connection=gateway, method="PUT", verified=True)
    assert list(incoming_reprocessable()) == [ok]
