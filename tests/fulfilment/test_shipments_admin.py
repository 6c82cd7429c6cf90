"""Shipping screens: the shipments list (carriers' tracking pages), packing slips, Ship and print,
reprinting and fetching a label again."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from pypdf import PdfReader, PdfWriter

from fulfilment.carriers import carrier_name, tracking_url
from fulfilment.models import PushedOrder, PushedOrderItem, Shipment, ShippingLabel
from fulfilment.services import queue as fulfilment_queue
from fulfilment.services.orders import order_push_url
from integrations.custom_gateway import sandbox as cg_sandbox
from tests.factories import (
    FulfilmentOrderFactory,
    PushedOrderFactory,
    ShipmentFactory,
    ShippingLabelFactory,
    VendorOrderFactory,
    staff_in,
)

SHIPMENTS = "/admin/fulfilment/shipment/"
PUSHED = "/admin/fulfilment/pushedorder/"


def _pdf() -> bytes:
    writer, buffer = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=288, height=432)
    writer.write(buffer)
    return buffer.getvalue()


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


@pytest.fixture
def viewer(client, db):
    client.force_login(staff_in("Viewer"))
    return client


@pytest.fixture
def manager(client, db):
    client.force_login(staff_in("Manager"))
    return client


# -- carriers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "carrier, tracking, url",
    [
        (
            "Royal Mail Tracked 24",
            "AB123456789GB",
            "https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB",
        ),
        ("RM48", "AB1", "https://www.royalmail.com/track-your-item#/tracking-results/AB1"),
        ("hermes", "H 12/3?x=<b>", "https://www.evri.com/track/parcel/H%2012%2F3%3Fx%3D%3Cb%3E"),
        ("Evri", "E1", "https://www.evri.com/track/parcel/E1"),
        ("DPD UK", "1550", "https://track.dpd.co.uk/parcels/1550"),
        ("dhl", "JD01", "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id=JD01"),
        ("UPS", "1Z999", "https://www.ups.com/track?tracknum=1Z999"),
        ("FedEx", "7700", "https://www.fedex.com/fedextrack/?trknbr=7700"),
        ("USPS", "9400", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400"),
        ("Pigeon Post", "P1", ""),
        ("rmx", "P1", ""),
        ("", "P1", ""),
        ("UPS", "", ""),
    ],
)
def test_a_tracking_number_links_to_its_carriers_page_url_encoded(carrier, tracking, url):
    assert tracking_url(carrier, tracking) == url


def test_carriers_are_named_as_people_know_them():
    assert carrier_name("hermes") == "Evri (Hermes)"
    assert carrier_name("royalmail") == "Royal Mail"
    assert carrier_name("Pigeon Post") == "Pigeon Post"


# -- the shipments list -------------------------------------------------------------------------


def test_the_shipments_list_links_tracking_filters_by_carrier_and_date_and_searches(viewer, gateway):
    royal = ShipmentFactory(order__connection=gateway, order__ref="R-1", carrier="Royal Mail", tracking="RM1GB")
    ShipmentFactory(order__connection=gateway, order__ref="H-1", carrier="hermes", tracking="H<script>")
    ShipmentFactory(order__connection=gateway, order__ref="P-1", carrier="Pigeon Post", tracking="PIGEON7")
    ShippingLabelFactory(shipment=royal, state="ready", content_type="application/pdf").file.save(
        "l.pdf", ContentFile(_pdf()), save=True
    )

    page = viewer.get(SHIPMENTS).content.decode()
    assert 'href="https://www.royalmail.com/track-your-item#/tracking-results/RM1GB"' in page
    assert 'href="https://www.evri.com/track/parcel/H%3Cscript%3E"' in page
    assert "H&lt;script&gt;" in page and "H<script>" not in page
    assert "PIGEON7" in page and "tracking-results/PIGEON7" not in page  # unknown carrier: plain text
    assert "Evri (Hermes)" in page
    assert f'href="/admin/fulfilment/pushedorder/label/{royal.label.pk}/print/"' in page  # Reprint

    filtered = viewer.get(SHIPMENTS, {"carrier": "Evri (Hermes)"}).content.decode()
    assert "H&lt;script&gt;" in filtered and "RM1GB" not in filtered
    searched = viewer.get(SHIPMENTS, {"q": "PIGEON7"}).content.decode()
    assert "PIGEON7" in searched and "RM1GB" not in searched
    this_year = viewer.get(SHIPMENTS, {"created_at__year": str(royal.created_at.year)}).content.decode()
    assert "RM1GB" in this_year
    long_ago = viewer.get(SHIPMENTS, {"created_at__year": "1999"}).content.decode()
    assert "RM1GB" not in long_ago and "0 shipments" in long_ago


def test_fulfilment_orders_link_the_tracking_their_partner_reports(viewer, gateway):
    order = FulfilmentOrderFactory(connection=gateway, external_ref="BO-7")
    VendorOrderFactory(fulfilment_order=order, shipping_carrier="UPS", shipping_tracking="1Z42")
    page = viewer.get("/admin/fulfilment/fulfilmentorder/").content.decode()
    assert 'href="https://www.ups.com/track?tracknum=1Z42"' in page


# -- packing slips ------------------------------------------------------------------------------


def _pushed(gateway, ref, **kwargs):
    order = PushedOrderFactory(
        connection=gateway,
        ref=ref,
        customer_name="Ada Lovelace",
        shipping_address_1="1 Analytical Way",
        shipping_postcode="SK10 2XR",
        shipping_country_code="GB",
        **kwargs,
    )
    PushedOrderItem.objects.create(
        order=order, vendor_id="1", mapped_sku="MUG-W", sku="R-MUG", description="Mug", quantity=2
    )
    return order


def test_a_pushed_order_has_a_packing_slip_on_its_page(viewer, gateway):
    order = _pushed(gateway, "CG-100")
    page = viewer.get(f"{PUSHED}{order.pk}/change/").content.decode()
    assert f'href="/admin/fulfilment/pushedorder/{order.pk}/packing-slip.pdf"' in page
    assert "Ship and print" not in page  # a Viewer cannot ship

    response = viewer.get(f"{PUSHED}{order.pk}/packing-slip.pdf")
    assert response["Content-Type"] == "application/pdf"
    (text,) = pdf_text(response.content)
    assert "Packing slip: order CG-100" in text
    assert "Ada Lovelace" in text and "1 Analytical Way" in text
    assert "2 x Mug (MUG-W, R-MUG)" in text


def test_packing_slips_of_many_orders_print_as_one_pdf_a_page_each(viewer, gateway):
    orders = [_pushed(gateway, f"CG-{n}") for n in range(3)]
    response = viewer.post(
        PUSHED, {"action": "packing_slips", "_selected_action": [o.pk for o in orders], "index": "0"}
    )
    assert response["Content-Type"] == "application/pdf"
    pages = pdf_text(response.content)
    assert len(pages) == 3
    assert [next(line for line in page.splitlines() if "Packing slip" in line) for page in pages] == [
        "Packing slip: order CG-0",
        "Packing slip: order CG-1",
        "Packing slip: order CG-2",
    ]


def test_fulfilment_orders_have_packing_slips_too(viewer, gateway):
    first = FulfilmentOrderFactory(connection=gateway, external_ref="BO-1", customer_name="Grace Hopper")
    second = FulfilmentOrderFactory(connection=gateway, external_ref="BO-2")
    page = viewer.get(f"/admin/fulfilment/fulfilmentorder/{first.pk}/change/").content.decode()
    assert f'href="/admin/fulfilment/fulfilmentorder/{first.pk}/packing-slip.pdf"' in page
    assert (
        "Grace Hopper"
        in pdf_text(viewer.get(f"/admin/fulfilment/fulfilmentorder/{first.pk}/packing-slip.pdf").content)[0]
    )

    response = viewer.post(
        "/admin/fulfilment/fulfilmentorder/",
        {"action": "packing_slips", "_selected_action": [first.pk, second.pk], "index": "0"},
    )
    pages = pdf_text(response.content)
    assert len(pages) == 2 and "BO-1" in pages[0] and "BO-2" in pages[1]


def test_a_missing_order_has_no_packing_slip(viewer, db):
    assert viewer.get(f"{PUSHED}999999/packing-slip.pdf").status_code == 404


# -- Ship and print -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ship_and_print_ships_once_however_often_it_is_clicked_then_opens_the_label(
    client, custom_gateway_connection, custom_gateway_sandbox, tasks_inline
):
    gateway = custom_gateway_connection
    assert cg_sandbox.push_order(order_push_url(gateway), gateway.secret("push_hmac_key")) == 200
    pushed = PushedOrder.objects.get()
    tasks_inline.clear()
    client.force_login(staff_in("Manager", username="manager"))
    url = f"{PUSHED}{pushed.pk}/ship-and-print/"
    assert 'id="ship-and-print"' in client.get(f"{PUSHED}{pushed.pk}/change/").content.decode()

    first = client.post(url)
    second = client.post(url)  # a double click

    assert first.status_code == second.status_code == 302 and first["Location"] == url
    assert [name for name, _, _ in tasks_inline] == [fulfilment_queue.PUSHED_ORDER_SHIP_TASK]
    pushed.refresh_from_db()
    assert pushed.state == PushedOrder.State.SHIPPED
    labels = list(ShippingLabel.objects.filter(shipment__order=pushed))
    assert labels and all(label.state == ShippingLabel.State.READY for label in labels)

    ready = client.get(url)
    if len(labels) == 1:
        assert ready.status_code == 302
        assert ready["Location"] == f"/admin/fulfilment/pushedorder/label/{labels[0].pk}/print/"
        ready = client.get(ready["Location"])
    page = ready.content.decode()
    assert "data-print-on-load" in page
    for label in labels:
        assert f"/admin/fulfilment/pushedorder/label/{label.pk}/preview/" in page
    # Shipped: the page offers printing again, not shipping.
    page = client.get(f"{PUSHED}{pushed.pk}/change/").content.decode()
    assert 'id="print-labels-again"' in page and 'id="ship-and-print"' not in page


def test_ship_and_print_waits_while_shipping_and_says_why_when_it_failed(
    manager, gateway, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    from config.celery import app

    monkeypatch.setattr(app, "send_task", lambda name, args=(), kwargs=None, **options: sent.append((name, args)))
    order = _pushed(gateway, "CG-9")
    url = f"{PUSHED}{order.pk}/ship-and-print/"

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(url)
        manager.post(url)
    assert response.status_code == 302
    assert sent == [(fulfilment_queue.PUSHED_ORDER_SHIP_TASK, (order.pk,))]
    order.refresh_from_db()
    assert order.state == PushedOrder.State.SHIPPING
    waiting = manager.get(url).content.decode()
    assert 'http-equiv="refresh"' in waiting and "waiting for the partner" in waiting

    PushedOrder.objects.filter(pk=order.pk).update(
        state=PushedOrder.State.SHIP_FAILED, last_error="Custom Gateway: 8001 no stock"
    )
    failed = manager.get(url).content.decode()
    assert "Custom Gateway: 8001 no stock" in failed and 'http-equiv="refresh"' not in failed
    assert "Ship and print again" in failed


def test_the_ship_action_does_not_ship_an_order_ship_and_print_is_shipping(
    manager, gateway, monkeypatch, django_capture_on_commit_callbacks
):
    from config.celery import app

    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args=(), kwargs=None, **options: sent.append((name, args)))
    order = _pushed(gateway, "CG-8", state=PushedOrder.State.SHIPPING)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(PUSHED, {"action": "ship_selected", "_selected_action": [order.pk], "index": "0"})
    messages = [str(m) for m in manager.get(response["Location"]).context["messages"]]
    assert messages == [f"{order} is being shipped already: its labels appear on its page."]
    assert sent == []


def test_ship_and_print_needs_the_ship_permission(viewer, gateway):
    order = _pushed(gateway, "CG-5")
    assert viewer.post(f"{PUSHED}{order.pk}/ship-and-print/").status_code == 403
    order.refresh_from_db()
    assert order.state == PushedOrder.State.RECEIVED


# -- a label again ------------------------------------------------------------------------------


def test_a_failed_label_is_fetched_again_from_the_partners_link(
    manager, gateway, tasks_inline, monkeypatch, django_capture_on_commit_callbacks
):
    from fulfilment.services import ship_and_print

    shipment = ShipmentFactory(
        order__connection=gateway, tracking="T1", raw={"label_url": "https://labels.example/1.pdf"}
    )
    label = ShippingLabelFactory(shipment=shipment, state="failed", error="timed out")
    fetched = []

    def fake_fetch(shipment):
        fetched.append(shipment.pk)
        ShippingLabel.objects.filter(shipment=shipment).update(state="ready")
        return ShippingLabel.objects.get(shipment=shipment)

    monkeypatch.setattr(ship_and_print, "label_fetch", fake_fetch)

    page = manager.get(f"{PUSHED}{shipment.order_id}/change/").content.decode()
    assert "timed out" in page and "Fetch label again" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(f"{PUSHED}shipment/{shipment.pk}/fetch-label/")

    assert response.status_code == 302 and response["Location"] == f"{PUSHED}{shipment.order_id}/change/"
    assert tasks_inline == [(fulfilment_queue.SHIPPING_LABEL_FETCH_TASK, (shipment.pk,), {})]
    assert fetched == [shipment.pk]
    label.refresh_from_db()
    assert label.state == "ready"


def test_a_stored_label_is_reprinted_from_storage_not_fetched(
    manager, gateway, tasks_inline, django_capture_on_commit_callbacks
):
    shipment = ShipmentFactory(order__connection=gateway, raw={"label_url": "https://labels.example/1.pdf"})
    label = ShippingLabelFactory(shipment=shipment, state="ready", content_type="application/pdf")
    label.file.save("l.pdf", ContentFile(_pdf()), save=True)
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(f"{PUSHED}shipment/{shipment.pk}/fetch-label/")
    assert tasks_inline == []
    assert "data-print-on-load" in manager.get(f"{PUSHED}label/{label.pk}/print/").content.decode()


def test_a_label_fetch_that_breaks_says_so_on_the_label(db, gateway):
    from fulfilment.services.ship_and_print import shipping_label_fetch_failed

    label = ShippingLabelFactory(shipment=ShipmentFactory(order__connection=gateway), state="pending")
    shipping_label_fetch_failed(label.shipment_id, exc=RuntimeError("bug"))
    label.refresh_from_db()
    assert label.state == "failed" and "RuntimeError" in label.error
    assert Shipment.objects.count() == 1
