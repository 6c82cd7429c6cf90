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
