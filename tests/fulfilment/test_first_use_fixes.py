"""What a first use found (issue 12, item 8) on the fulfilment screens."""

import pytest

from fulfilment.models import StockLevel
from tests.factories import FulfilmentOrderFactory, VendorOrderFactory, staff_in

pytestmark = pytest.mark.django_db


def test_an_order_without_an_error_shows_no_red_cross(client, gateway):
    order = FulfilmentOrderFactory(connection=gateway, state="sent")
    VendorOrderFactory(fulfilment_order=order)
    client.force_login(staff_in("Viewer"))

    page = client.get(f"/admin/fulfilment/fulfilmentorder/{order.pk}/change/").content.decode()

    assert "icon-no" not in page
    assert page.count('class="flag-off"') >= 3  # has error, reconciled, the vendor order's has error


def test_an_order_with_an_error_says_so_in_words(client, gateway):
    order = FulfilmentOrderFactory(connection=gateway, state="sent", has_error=True)
    client.force_login(staff_in("Viewer"))

    page = client.get(f"/admin/fulfilment/fulfilmentorder/{order.pk}/change/").content.decode()

    assert "⚠ Yes: created by the partner in an error state" in page


def test_stock_pushed_as_it_is_shows_a_dash_and_a_change_says_changed(client, gateway):
    StockLevel.objects.create(connection=gateway, sku="MUG-1", quantity_available=5, pushed_quantity=5)
    StockLevel.objects.create(connection=gateway, sku="MUG-2", quantity_available=7, pushed_quantity=5)
    client.force_login(staff_in("Viewer"))

    page = client.get("/admin/fulfilment/stocklevel/").content.decode()

    assert "icon-no" not in page and "icon-yes" not in page
    assert page.count('<span class="flag-on">changed</span>') == 1
    assert page.count('<span class="flag-off" title="No">—</span>') == 1


def test_names_staff_read_are_plural_and_worded_like_the_billing_ones():
    from fulfilment.models import CataloguePush, FulfilmentOrder, PushedOrder, StockPush
    from orders.models import SideArtwork
    from orders.text import counted

    assert StockPush._meta.verbose_name_plural == "stock pushes"
    assert CataloguePush._meta.verbose_name_plural == "catalogue pushes"
    assert SideArtwork._meta.verbose_name_plural == "print files"
    for model in (FulfilmentOrder, PushedOrder):
        assert model._meta.get_field("shipping_address_4").verbose_name == "city or town"
    assert FulfilmentOrder._meta.get_field("billing_address_4").verbose_name == "billing city or town"
    assert (counted(1, "order"), counted(2, "order"), counted(0, "design")) == ("1 order", "2 orders", "0 designs")
