import pytest

from fulfilment.models import StockLevel
from fulfilment.services.stock import stock_changed, stock_import_apply, stock_import_preview

pytestmark = pytest.mark.django_db


def test_preview_shows_changes_and_row_errors_and_applies_nothing(gateway):
    StockLevel.objects.create(connection=gateway, sku="MUG-11", quantity_available=5)
    text = "sku,quantity\nMUG-11,7\nTEE-M,3\n,4\nCAP,-1\nHAT,lots\nTEE-M,9\n"

    rows = stock_import_preview(gateway, text)

    assert [(r.line, r.change, r.error) for r in rows] == [
        (2, "changed", ""),
        (3, "new", ""),
        (4, "error", "No SKU."),
        (5, "error", "The quantity cannot be negative."),
        (6, "error", "'lots' is not a whole number."),
        (7, "error", "The SKU is already on line 3."),
    ]
    with pytest.raises(ValueError):
        stock_import_apply(gateway, rows)
    assert StockLevel.objects.get(sku="MUG-11").quantity_available == 5


def test_clean_import_upserts_and_marks_changed(gateway):
    StockLevel.objects.create(connection=gateway, sku="MUG-11", quantity_available=5, pushed_quantity=5)

    rows = stock_import_preview(gateway, "SKU;quantity\n".replace(";", ",") + "MUG-11,7\nTEE-M,3\n")
    assert stock_import_apply(gateway, rows) == 2

    assert dict(StockLevel.objects.values_list("sku", "quantity_available")) == {"MUG-11": 7, "TEE-M": 3}
    assert set(stock_changed(gateway).values_list("sku", flat=True)) == {"MUG-11", "TEE-M"}


def test_missing_header_is_a_clear_error(gateway):
    rows = stock_import_preview(gateway, "MUG-11,7\n")
    assert rows[0].error == "The first line must name the columns: sku and quantity."
