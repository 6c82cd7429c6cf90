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


def approved_design_whose_file_needs_attention():
    from orders.models import Customization, SideArtwork
    from tests.factories import CustomizationFactory, SideArtworkFactory, SideFactory

    customization = CustomizationFactory(decision=Customization.Decision.APPROVED)
    artwork = SideArtworkFactory(
        side=SideFactory(customization=customization, name="Front"),
        state=SideArtwork.State.NEEDS_ATTENTION,
        error="1200×1200 px, below the 3000×3000 px this template needs",
    )
    return customization, artwork


def test_ordering_a_design_whose_file_needs_attention_says_what_is_wrong_and_what_to_do():
    from fulfilment.services.orders import _artwork_problem

    customization, _ = approved_design_whose_file_needs_attention()

    problem = _artwork_problem(customization)

    assert "not ready yet" not in problem
    assert "Front needs attention (1200×1200 px, below the 3000×3000 px" in problem
    assert "a Manager can accept it anyway" in problem


def test_a_manager_accepts_it_anyway_and_it_can_be_ordered_with_who_and_when_kept(client):
    from fulfilment.services.orders import _artwork_problem
    from orders.models import SideArtwork

    customization, artwork = approved_design_whose_file_needs_attention()
    manager = staff_in("Manager")
    client.force_login(manager)

    answer = client.post(f"/admin/orders/reviewitem/artwork/{artwork.pk}/accept/", headers={"HX-Request": "true"})

    assert answer.status_code == 200
    assert "Accepted anyway by" in answer.content.decode() and str(manager) in answer.content.decode()
    artwork.refresh_from_db()
    assert artwork.state == SideArtwork.State.READY and artwork.accepted_by == manager and artwork.accepted_at
    assert artwork.error.startswith("1200×1200")  # the problem it had stays beside the acceptance
    assert _artwork_problem(customization) == ""

    again = client.post(f"/admin/orders/reviewitem/artwork/{artwork.pk}/accept/", headers={"HX-Request": "true"})
    assert again.status_code == 409  # only a file that needs attention can be accepted


def test_a_reviewer_may_not_accept_it_and_sees_no_button(client):
    customization, artwork = approved_design_whose_file_needs_attention()
    client.force_login(staff_in("Reviewer"))

    page = client.get(f"/admin/orders/customization/{customization.pk}/change/").content.decode()
    refused = client.post(f"/admin/orders/reviewitem/artwork/{artwork.pk}/accept/")

    assert "Accept anyway" not in page and "Retry" in page
    assert refused.status_code == 403


def test_the_partner_print_file_list_links_each_file_to_its_design(client, gateway):
    from fulfilment.models import FulfilmentItem, PartnerPrintFile
    from orders.models import Customization
    from tests.factories import CustomizationFactory

    order = FulfilmentOrderFactory(connection=gateway, state="sent")
    customization = CustomizationFactory(decision=Customization.Decision.APPROVED)
    item = FulfilmentItem.objects.create(order=order, customization=customization, external_ref="C1", quantity=1)
    PartnerPrintFile.objects.create(order=order, item=item, store_item_id=f"{order.external_ref}-C1")
    client.force_login(staff_in("Viewer"))

    page = client.get("/admin/fulfilment/partnerprintfile/").content.decode()

    assert f'<a href="/admin/orders/customization/{customization.pk}/change/">{customization}</a>' in page


def test_shipment_items_and_stock_push_answers_are_small_tables(client, gateway):
    from fulfilment.models import StockPush
    from tests.factories import PushedOrderFactory, ShipmentFactory

    order = PushedOrderFactory(connection=gateway)
    ShipmentFactory(order=order, items=[{"id": 5007004, "order_id": 1007004, "quantity": 2, "quantity_shipped": 2}])
    push = StockPush.objects.create(
        connection=gateway,
        status=StockPush.Status.SUCCEEDED,
        count=1,
        sent=[[{"sku": "MUG-1", "data": {"quantity_available": 3}}]],
        answers=[{"updated": 1, "failed": 0}],
    )
    client.force_login(staff_in("Viewer"))

    shipped = client.get(f"/admin/fulfilment/pushedorder/{order.pk}/change/").content.decode()
    pushed = client.get(f"/admin/fulfilment/stockpush/{push.pk}/change/").content.decode()

    assert "<th>Quantity shipped</th>" in shipped and "<td>5007004</td>" in shipped
    assert '"quantity_shipped"' not in shipped
    assert "<th>Quantity available</th>" in pushed and "<td>MUG-1</td>" in pushed
    assert "<th>Updated</th>" in pushed and "<th>Failed</th>" in pushed  # jsonb keeps keys in its own order
