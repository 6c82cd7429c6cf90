"""Fulfilment screens in real Chromium: a Manager looks at a shipped pushed order's labels, prints
them as one PDF, edits and pushes stock, and imports stock from CSV; a Viewer sees the same
screens without the buttons that change anything. Vendor data comes from the Custom Gateway
sandbox over real HTTP (live_server)."""

import io
import json
import re
from urllib.parse import urljoin

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from pypdf import PdfReader

from fulfilment.models import (
    IncomingRequest,
    PushedOrder,
    ShippingLabel,
    StockLevel,
    StockPush,
)
from fulfilment.services.orders import order_push_url
from fulfilment.services.shipping import pushed_order_ship
from fulfilment.services.stock import stock_changed, stock_push
from integrations.custom_gateway import sandbox as cg_sandbox
from tests.browser.staff import log_in
from tests.factories import FulfilmentOrderFactory, VendorOrderFactory, staff_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def box(custom_gateway_sandbox):
    return custom_gateway_sandbox


@pytest.fixture
def gateway(custom_gateway_connection):
    return custom_gateway_connection


def pushed_and_shipped(connection) -> PushedOrder:
    """The sandbox pushes a new order to us, signed; we ship it and download its labels."""
    known = list(PushedOrder.objects.values_list("pk", flat=True))
    assert cg_sandbox.push_order(order_push_url(connection), connection.secret("push_hmac_key")) == 200
    order = PushedOrder.objects.exclude(pk__in=known).get()
    assert pushed_order_ship(order)
    return order


def ready_labels(*orders):
    return ShippingLabel.objects.filter(shipment__order__in=orders, state=ShippingLabel.State.READY)


def run_action(page, action_label: str):
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option(label=action_label)
    page.get_by_role("button", name="Go").click()


def test_manager_sees_pdf_and_png_labels_and_prints_them_as_one_pdf(page, live_server, gateway, box):
    manager = staff_in("Manager", username="manager")
    pdf_order = pushed_and_shipped(gateway)
    pdf_labels = ready_labels(pdf_order)
    assert pdf_labels.exists() and all(label.is_pdf for label in pdf_labels)

    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/admin/fulfilment/pushedorder/{pdf_order.pk}/change/")

    # PDF labels show inline as images our server rendered (no PDF viewer, no frame).
    viewers = page.locator("img.label-viewer")
    expect(viewers).to_have_count(pdf_labels.count())
    for index in range(pdf_labels.count()):
        viewer = viewers.nth(index)
        expect(viewer).to_be_visible()
        expect(viewer).to_have_js_property("complete", True)
        assert viewer.evaluate("img => img.naturalWidth") > 0 and viewer.bounding_box()["height"] > 0
        label = viewer.locator("xpath=ancestor::div[contains(@class, 'label')][1]")
        download = label.get_by_role("link", name="Download", exact=True)
        expect(download).to_have_attribute("download", "")
        served = page.request.get(urljoin(page.url, download.get_attribute("href")))
        assert served.status == 200 and served.body().startswith(b"%PDF")
        assert served.headers["content-type"] == "application/pdf"
        assert served.headers["x-content-type-options"] == "nosniff"
        # Print opens a page with the label alone, whose static script calls window.print().
        with page.context.expect_page() as opened:
            page.evaluate("window.print = () => {}")  # only the popup's print matters
            label.get_by_role("link", name="Print", exact=True).click()
        printing = opened.value
        printing.add_init_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
        printing.reload()
        printing.wait_for_function("() => window.__printed === 1")
        image = printing.locator("img.print-label-image")
        expect(image).to_be_visible()
        assert image.evaluate("img => img.naturalWidth") > 0
        printing.close()

    box.label_format = "png"
    png_order = pushed_and_shipped(gateway)
    png_labels = ready_labels(png_order)
    assert png_labels.exists() and not any(label.is_pdf for label in png_labels)

    page.goto(f"{live_server.url}/admin/fulfilment/pushedorder/{png_order.pk}/change/")

    images = page.locator("img.label-viewer")
    expect(images).to_have_count(png_labels.count())
    for index in range(png_labels.count()):
        image = images.nth(index)
        expect(image).to_be_visible()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0

    # Both orders' labels, printed as one PDF from the list.
    page.goto(f"{live_server.url}/admin/fulfilment/pushedorder/")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    # Chromium shows the PDF in its viewer, whose page replaces the body Playwright would report:
    # the answer is read on its way to the browser instead.
    answers = []

    def keep_answer(route):
        if route.request.method != "POST":
            return route.continue_()
        answer = route.fetch()
        answers.append((answer.status, answer.headers, answer.body()))
        return route.fulfill(response=answer)

    page.route(re.compile(r"/admin/fulfilment/pushedorder/$"), keep_answer)
    with page.expect_response(lambda r: r.request.method == "POST"):
        run_action(page, "Print labels (one PDF)")

    [(status, headers, pdf)] = answers
    assert status == 200 and headers["content-type"] == "application/pdf"
    assert pdf.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == ready_labels(pdf_order, png_order).count() >= 2


def test_manager_edits_pushes_and_imports_stock(page, live_server, gateway, box, tmp_path, tasks_inline):
    manager = staff_in("Manager", username="manager")
    for sku, quantity in [("MUG-11OZ-WHT", 5), ("TEE-CLASSIC-M", 7), ("CUSH-40-SQ", 9)]:
        StockLevel.objects.create(connection=gateway, sku=sku, quantity_available=quantity)
    stock_push(gateway, stock_changed(gateway))  # the vendor already has these levels
    assert box.stock == {"MUG-11OZ-WHT": 5, "TEE-CLASSIC-M": 7, "CUSH-40-SQ": 9}

    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/admin/fulfilment/stocklevel/")
    row = page.locator("#result_list tbody tr", has=page.get_by_role("link", name="TEE-CLASSIC-M", exact=True))
    row.locator("input[name$='-quantity_available']").fill("42")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator("ul.messagelist li.success")).to_contain_text("changed successfully")
    assert StockLevel.objects.get(sku="TEE-CLASSIC-M").quantity_available == 42

    run_action(page, "Push all changed levels (of the selected connections)")

    # Queued, not sent inside the request; the outcome is in the push history (the task runs
    # here, in the live server's thread, as a worker would).
    expect(page.locator("ul.messagelist li.success")).to_have_text(
        f"Stock push of every changed level queued for {gateway.name}: what was sent and the vendor's answer "
        "appear under Stock pushes when it is done."
    )
    page.locator("ul.messagelist li.success").get_by_role("link", name="Stock pushes").click()
    expect(page.locator("#result_list tbody tr").first.locator("td.field-count")).to_have_text("1")
    page.goto(f"{live_server.url}/admin/fulfilment/stocklevel/")
    assert box.stock == {"MUG-11OZ-WHT": 5, "TEE-CLASSIC-M": 42, "CUSH-40-SQ": 9}
    record = StockPush.objects.get(user=manager)
    assert record.status == StockPush.Status.SUCCEEDED and record.count == 1
    assert not stock_changed(gateway).exists()

    # Import from CSV: a file with a bad row is previewed with the error and cannot be imported.
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,quantity\nPHN-CASE-IP15,12\nMUG-11OZ-WHT,lots\n")
    page.locator("#import-stock").click()
    page.get_by_label("Connection").select_option(label=str(gateway))
    page.get_by_label("File").set_input_files(bad)
    page.get_by_role("button", name="Preview").click()

    preview = page.locator("#import-preview")
    expect(preview).to_be_visible()
    error_row = preview.locator("tbody tr", has_text="MUG-11OZ-WHT")
    expect(error_row).to_have_class("row-error")
    expect(error_row.locator("td.error")).to_have_text("'lots' is not a whole number.")
    expect(page.locator("p.errornote")).to_contain_text("Nothing was imported")
    expect(page.get_by_role("button", name=re.compile(r"^Import"))).to_have_count(0)
    assert not StockLevel.objects.filter(sku="PHN-CASE-IP15").exists()

    # The corrected file, uploaded again from the same screen, previews clean and imports.
    clean = tmp_path / "clean.csv"
    clean.write_text("sku,quantity\nPHN-CASE-IP15,12\nMUG-11OZ-WHT,3\n")
    page.get_by_label("File").set_input_files(clean)
    page.get_by_role("button", name="Preview").click()

    expect(preview.locator("tbody tr")).to_have_count(2)
    expect(preview.locator("tbody tr td.error")).to_have_text(["", ""])
    expect(preview.locator("tbody tr", has_text="PHN-CASE-IP15")).to_have_class("row-new")
    expect(preview.locator("tbody tr", has_text="MUG-11OZ-WHT")).to_have_class("row-changed")
    page.get_by_role("button", name="Import 2 rows").click()

    expect(page).to_have_url(f"{live_server.url}/admin/fulfilment/stocklevel/")
    expect(page.locator("ul.messagelist li.success")).to_have_text("Imported 2 stock levels.")
    for sku, quantity in [("PHN-CASE-IP15", "12"), ("MUG-11OZ-WHT", "3")]:
        row = page.locator("#result_list tbody tr", has=page.get_by_role("link", name=sku, exact=True))
        expect(row.locator("input[name$='-quantity_available']")).to_have_value(quantity)
    assert dict(StockLevel.objects.values_list("sku", "quantity_available")) == {
        "CUSH-40-SQ": 9,
        "MUG-11OZ-WHT": 3,
        "PHN-CASE-IP15": 12,
        "TEE-CLASSIC-M": 42,
    }


def test_viewer_cannot_ship_or_edit_stock(page, live_server, gateway, box):
    viewer = staff_in("Viewer", username="viewer")
    order = pushed_and_shipped(gateway)
    StockLevel.objects.create(connection=gateway, sku="MUG-11OZ-WHT", quantity_available=5)

    log_in(page, live_server, viewer)
    page.goto(f"{live_server.url}/admin/fulfilment/pushedorder/")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("select[name=action] option", has_text="Ship")).to_have_count(0)
    expect(page.locator("select[name=action] option", has_text="Print labels")).to_have_count(0)

    page.goto(f"{live_server.url}/admin/fulfilment/pushedorder/{order.pk}/change/")
    expect(page.locator("img.label-viewer").first).to_be_visible()  # looking is allowed
    expect(page.locator("select[name=action]")).to_have_count(0)
    expect(page.locator("input[type=submit][name^=_save]")).to_have_count(0)

    page.goto(f"{live_server.url}/admin/fulfilment/stocklevel/")
    row = page.locator("#result_list tbody tr", has_text="MUG-11OZ-WHT")
    expect(row.locator("td.field-quantity_available")).to_have_text("5")
    expect(page.locator("#result_list input[name$='quantity_available']")).to_have_count(0)
    expect(page.locator("select[name=action] option", has_text="Push")).to_have_count(0)
    expect(page.locator("#import-stock")).to_have_count(0)


def test_a_manager_sees_status_conflicts_late_callbacks_and_reprocesses_a_request(page, live_server, gateway, client):
    """Callbacks 4, 1 (late), 8, 128 (conflict): the list filters the conflict, the order page and
    its timeline say what each callback did, and Reprocess of the late one changes nothing."""
    order = FulfilmentOrderFactory(connection=gateway, external_ref="BO-000012", state="sent")
    VendorOrderFactory(fulfilment_order=order, vendor_id="501")
    url = reverse("fulfilment:hook", args=["custom-gateway", gateway.hook_token, "status"])
    for code in (4, 1, 8, 128):
        body = {"id": 501, "external_ref": "BO-000012", "ref": "R", "status": code, "status_name": ""}
        client.put(url, data=json.dumps(body), content_type="application/json")
    log_in(page, live_server, staff_in("Manager", username="manager"))
    page.goto(f"{live_server.url}/admin/fulfilment/fulfilmentorder/?attention=conflict")
    expect(page.locator("#result_list")).to_contain_text("Dispatched (conflict)")

    page.goto(f"{live_server.url}/admin/fulfilment/fulfilmentorder/{order.pk}/change/")
    expect(page.get_by_text("conflict: Cancelled after Dispatched, not applied").first).to_be_visible()
    expect(page.get_by_text("ignored: older than current (In Production)").first).to_be_visible()

    page.goto(f"{live_server.url}/admin/fulfilment/incomingrequest/")
    expect(page.locator("#result_list")).to_contain_text("Ignored: older than current")
    late = IncomingRequest.objects.get(outcome="late")
    page.locator(f"input[name=_selected_action][value='{late.pk}']").check()
    page.locator("select[name=action]").select_option(
        label="Reprocess (parse and apply again; a replay changes nothing)"
    )
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("Reprocessed: 1 duplicate.")
