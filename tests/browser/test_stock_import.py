"""The stock import in real Chromium: a Windows Excel user's UTF-8-with-BOM, semicolon-separated
file with accented SKUs previews (counts, every error) and imports exactly what was previewed."""

import codecs
import re

import pytest
from playwright.sync_api import expect

from fulfilment.models import StockImport, StockLevel
from tests.browser.staff import log_in, shoot
from tests.factories import staff_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gateway(custom_gateway_connection):
    return custom_gateway_connection


def test_a_bom_semicolon_file_with_accents_previews_and_imports(page, live_server, gateway, tmp_path):
    StockLevel.objects.create(connection=gateway, sku="MUG-11OZ-WHT", quantity_available=5)
    bad = tmp_path / "stock-bad.csv"
    bad.write_bytes(
        codecs.BOM_UTF8
        + 'sku;quantity\r\nCAFÉ-MUG;12\r\n=HYPERLINK("http://x");1\r\nMUG-11OZ-WHT;99999999999\r\n'.encode()
    )
    good = tmp_path / "stock.csv"
    good.write_bytes(codecs.BOM_UTF8 + "sku;quantity\r\nCAFÉ-MUG;12\r\nTHÉ-NOIR-250G;0\r\nMUG-11OZ-WHT;5\r\n".encode())

    log_in(page, live_server, staff_in("Manager", username="manager"))
    page.goto(f"{live_server.url}/admin/fulfilment/stocklevel/import/")
    page.get_by_label("Connection").select_option(label=str(gateway))
    page.get_by_label("File").set_input_files(bad)
    page.get_by_role("button", name="Preview").click()

    preview = page.locator("#import-preview")
    expect(page.locator("#import-summary")).to_contain_text("1 new, 0 changed, 0 unchanged, 2 with errors")
    expect(preview.locator("tbody tr", has_text="HYPERLINK").locator("td.error")).to_contain_text(
        "a spreadsheet would run it as a formula"
    )
    expect(preview.locator("tbody tr", has_text="MUG-11OZ-WHT").locator("td.error")).to_have_text(
        "99999999999 is more than the largest stock level, 2147483647."
    )
    expect(page.get_by_role("button", name=re.compile(r"^Import"))).to_have_count(0)
    shoot(page, "stock-import-errors.png")

    page.get_by_label("File").set_input_files(good)
    page.get_by_role("button", name="Preview").click()

    expect(page.locator("#import-summary")).to_contain_text("Read as UTF-8: 3 rows")
    expect(page.locator("#import-summary")).to_contain_text("2 new, 0 changed, 1 unchanged, 0 with errors")
    expect(preview.locator("tbody tr td:nth-child(2)")).to_have_text(["CAFÉ-MUG", "THÉ-NOIR-250G", "MUG-11OZ-WHT"])
    expect(preview.locator("tbody tr", has_text="MUG-11OZ-WHT")).to_have_class("row-unchanged")
    # The page carries the staged upload's id, not the file.
    staged = StockImport.objects.latest("created_at")
    expect(page.locator("input[name=staged]")).to_have_value(str(staged.pk))
    assert "CAFÉ" not in (page.locator("input[type=hidden]").evaluate_all("els => els.map(e => e.value).join()"))
    shoot(page, "stock-import-preview.png")

    page.get_by_role("button", name="Import 3 rows").click()

    expect(page).to_have_url(f"{live_server.url}/admin/fulfilment/stocklevel/")
    expect(page.locator("ul.messagelist li.success")).to_have_text("Imported 3 stock levels.")
    expect(page.get_by_role("link", name="CAFÉ-MUG", exact=True)).to_be_visible()
    shoot(page, "stock-import-done.png")
    assert dict(StockLevel.objects.values_list("sku", "quantity_available")) == {
        "CAFÉ-MUG": 12,
        "THÉ-NOIR-250G": 0,
        "MUG-11OZ-WHT": 5,
    }
    assert not StockImport.objects.exists()
