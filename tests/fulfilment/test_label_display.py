"""Labels on the pushed-order page: PDF pages rendered to PNG, ZPL/EPL offered as a download,
and "Print labels (one PDF)" naming every label it cannot print while printing the rest."""

import io

import pytest
from django.contrib import admin
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from fulfilment.admin.pushed_orders import ShipmentInline
from fulfilment.models import ShippingLabel
from fulfilment.services.shipping import NothingToPrint, labels_pdf
from tests.factories import StaffFactory
from tests.hostile import corpus, pdf, png, stored_label

pytestmark = pytest.mark.django_db

ZPL = b"^XA^FO50,50^ADN,36,20^FDRM1^FS^XZ"


@pytest.fixture
def staff(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_a_pdf_label_is_shown_as_a_png_our_server_rendered(staff):
    label = stored_label(pdf(), "application/pdf")

    response = staff.get(reverse("admin:fulfilment_pushedorder_label_preview", args=[label.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.width > 0 and image.height > 0
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_inline_viewer_has_no_script_and_zpl_is_a_download():
    pdf_label = stored_label(pdf(), "application/pdf")
    zpl_label = stored_label(ZPL, "application/x-zpl", name="label.zpl")
    inline = ShipmentInline(ShippingLabel, admin_site=admin.site)

    shown = inline.label_viewer(pdf_label.shipment)
    thermal = inline.label_viewer(zpl_label.shipment)

    assert 'img class="label-viewer"' in shown and "onclick" not in shown and "<embed" not in shown
    assert reverse("admin:fulfilment_pushedorder_label_print", args=[pdf_label.pk]) in shown
    assert "ZPL label for thermal printers" in thermal and "?download=1" in thermal and "<img" not in thermal


def test_printing_many_names_the_labels_it_cannot_print_and_prints_the_rest():
    good = [stored_label(pdf(), "application/pdf"), stored_label(png(), "image/png", name="l.png")]
    zpl = stored_label(ZPL, "application/x-zpl", name="label.zpl")
    html, claimed = corpus()["html-as-png"]
    hostile = stored_label(html, claimed)  # stored before files were sniffed
    labels = ShippingLabel.objects.filter(pk__in=[label.pk for label in [*good, zpl, hostile]])

    printing = labels_pdf(labels)

    assert printing.printed == 2 and len(PdfReader(io.BytesIO(printing.pdf)).pages) == 2
    assert printing.skipped == [
        f"{zpl.shipment.order}: its label is a ZPL label file, printed separately on a thermal printer.",
        f"{hostile.shipment.order}: its label is an HTML page, not a shipping label, so it was not printed.",
    ]


def test_nothing_printable_says_so():
    labels = ShippingLabel.objects.filter(pk=stored_label(ZPL, "application/x-zpl", name="z.zpl").pk)
    with pytest.raises(NothingToPrint) as nothing:
        labels_pdf(labels)
    assert "thermal printer" in nothing.value.skipped[0]


def test_the_print_labels_action_shows_the_warnings_and_links_the_rest(staff):
    good = stored_label(pdf(), "application/pdf")
    zpl = stored_label(ZPL, "application/x-zpl", name="label.zpl")
    changelist = reverse("admin:fulfilment_pushedorder_changelist")

    page = staff.post(
        changelist,
        {"action": "print_labels", "_selected_action": [good.shipment.order_id, zpl.shipment.order_id]},
    )

    text = page.content.decode()
    assert page.status_code == 200 and "printed separately on a thermal printer" in text
    pdf_url = reverse("admin:fulfilment_pushedorder_labels_pdf")
    assert pdf_url in text
    response = staff.get(pdf_url, {"orders": f"{good.shipment.order_id},{zpl.shipment.order_id}"})
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


def test_label_views_need_view_permission_and_the_pdf_needs_ship(client):
    label = stored_label(pdf(), "application/pdf")
    client.force_login(StaffFactory())
    for name in ("label", "label_preview", "label_print"):
        assert client.get(reverse(f"admin:fulfilment_pushedorder_{name}", args=[label.pk])).status_code == 403
    assert client.get(reverse("admin:fulfilment_pushedorder_labels_pdf")).status_code == 403
