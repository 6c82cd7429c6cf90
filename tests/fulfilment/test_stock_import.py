"""Stock CSV import, the service both the admin screen and `push_stock --file` use: encodings are
detected (never a replaced byte), separators detected, quantities bounded to the column, formula-like
SKUs refused."""

import codecs

import pytest

from fulfilment.models import StockLevel
from fulfilment.services.stock import (
    StockImportError,
    stock_changed,
    stock_csv_decode,
    stock_import_apply,
    stock_import_counts,
    stock_import_preview,
    stock_import_shown,
)

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

    rows = stock_import_preview(gateway, "SKU,quantity\nMUG-11,7\nTEE-M,3\n")
    assert stock_import_apply(gateway, rows) == 2

    assert dict(StockLevel.objects.values_list("sku", "quantity_available")) == {"MUG-11": 7, "TEE-M": 3}
    assert set(stock_changed(gateway).values_list("sku", flat=True)) == {"MUG-11", "TEE-M"}


def test_missing_header_is_a_clear_error(gateway):
    rows = stock_import_preview(gateway, "MUG-11,7\n")
    assert rows[0].error == "The first line must name the columns: sku and quantity."


# -- encodings ---------------------------------------------------------------------------------

CAFE = "sku;quantity\r\nCAFÉ-MUG;4\r\nTHÉ-NOIR;2\r\n"


@pytest.mark.parametrize(
    "data, encoding",
    [
        (CAFE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + CAFE.encode("utf-8"), "utf-8"),
        (CAFE.encode("utf-16"), "utf-16"),  # with its BOM, as Excel's "Unicode text" writes it
        (codecs.BOM_UTF16_BE + CAFE.encode("utf-16-be"), "utf-16"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom"],
)
def test_unicode_files_are_detected_and_keep_their_accents(gateway, data, encoding):
    text, used = stock_csv_decode(data)

    assert used == encoding
    rows = stock_import_preview(gateway, text)
    assert [(row.sku, row.quantity, row.error) for row in rows] == [("CAFÉ-MUG", 4, ""), ("THÉ-NOIR", 2, "")]
    stock_import_apply(gateway, rows)
    assert StockLevel.objects.filter(sku="CAFÉ-MUG", quantity_available=4).exists()


def test_a_windows_1252_file_is_refused_with_the_choice_to_make_never_mangled(gateway):
    data = CAFE.encode("cp1252")

    with pytest.raises(StockImportError) as refused:
        stock_csv_decode(data)

    assert str(refused.value) == (
        "The file is not valid UTF-8: byte 0xC9 on line 2 cannot be read. If it was saved by Excel or another "
        "Windows program, choose Windows-1252 (or Latin-1) as the encoding."
    )
    for choice in ("cp1252", "latin-1"):
        text, used = stock_csv_decode(data, choice)
        assert used == choice and "\ufffd" not in text
        assert [row.sku for row in stock_import_preview(gateway, text)] == ["CAFÉ-MUG", "THÉ-NOIR"]


def test_bytes_invalid_in_the_chosen_encoding_are_an_error_not_a_replacement():
    # 0x81 is undefined in Windows-1252; UTF-8 chosen explicitly for a Latin-1 file.
    with pytest.raises(StockImportError, match="not valid Windows-1252 .*: byte 0x81 on line 2"):
        stock_csv_decode(b"sku,quantity\nA\x81,1\n", "cp1252")
    with pytest.raises(StockImportError, match="not valid UTF-8: byte 0xE9 on line 2"):
        stock_csv_decode("sku,quantity\ncafé,1\n".encode("latin-1"), "utf-8")


def test_a_binary_file_is_refused_in_words():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
    with pytest.raises(StockImportError, match="not a text file"):
        stock_csv_decode(png)


# -- separators, quantities and SKUs ---------------------------------------------------------


@pytest.mark.parametrize("sep", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_the_separator_is_read_from_the_header_line(gateway, sep):
    other = "," if sep != "," else ";"  # the other separators, inside a cell, are just characters
    text = f'sku{sep}quantity{sep}note\nMUG-11{sep}7{sep}a{other}b{other}c\n"TEE-M"{sep}3{sep}\n'

    rows = stock_import_preview(gateway, text)

    assert [(row.sku, row.quantity, row.error) for row in rows] == [("MUG-11", 7, ""), ("TEE-M", 3, "")]


@pytest.mark.parametrize(
    "raw, quantity, error",
    [
        ("0", 0, ""),
        ("2147483647", 2147483647, ""),
        (" 12 ", 12, ""),
        ("99999999999", None, "99999999999 is more than the largest stock level, 2147483647."),
        ("2147483648", None, "2147483648 is more than the largest stock level, 2147483647."),
        ("-1", None, "The quantity cannot be negative."),
        ("1,000", None, "'1,000' is not a whole number: write it with digits only, no separators or decimals."),
        ("12.0", None, "'12.0' is not a whole number: write it with digits only, no separators or decimals."),
        ("1e3", None, "'1e3' is not a whole number."),
        ("١٢", None, "'١٢' is not a whole number."),  # Arabic-Indic digits: int() would take them
        ("1_000", None, "'1_000' is not a whole number."),  # and this too
        ("", None, "No quantity."),
    ],
)
def test_quantities_are_whole_numbers_the_column_can_hold(gateway, raw, quantity, error):
    [row] = stock_import_preview(gateway, f'sku;quantity\nMUG-11;"{raw}"\n')

    assert (row.quantity, row.error) == (quantity, error)


FORMULA = "so a spreadsheet would run it as a formula: SKUs cannot start with = + - @, a tab or a carriage return."


@pytest.mark.parametrize(
    "cell, shown",
    [
        ('"=HYPERLINK(""http://evil.example"",""x"")"', "'='"),
        ("+SUM(A1:A9)", "'+'"),
        ("-2+3", "'-'"),
        ("@SUM(A1)", "'@'"),
        ('"\t=1+1"', "a tab"),
        ('"\rMUG"', "a carriage return"),
        ("  =1+1", "'='"),  # trimmed first
    ],
)
def test_skus_that_look_like_formulas_are_errors(gateway, cell, shown):
    [row] = stock_import_preview(gateway, f"sku,quantity\n{cell},1\n")

    assert row.error == f"The SKU starts with {shown}, {FORMULA}"
    with pytest.raises(ValueError):
        stock_import_apply(gateway, [row])
    assert not StockLevel.objects.exists()


def test_skus_are_trimmed_and_bounded_to_the_column(gateway):
    longest, too_long = "A" * 255, "B" * 256
    text = f'sku,quantity\n  MUG-11  ,1\n{longest},2\n{too_long},3\n"MUG\n12",4\n'

    rows = stock_import_preview(gateway, text)

    assert [(row.line, row.sku, row.error) for row in rows] == [
        (2, "MUG-11", ""),
        (3, longest, ""),
        (4, "B" * 255 + "…", "The SKU is longer than 255 characters."),
        (5, "MUG\n12", "The SKU contains a control character (a line break, tab or similar)."),
    ]
    assert stock_import_apply(gateway, rows[:2]) == 2
    assert set(StockLevel.objects.values_list("sku", flat=True)) == {"MUG-11", longest}


def test_a_large_preview_shows_the_first_rows_and_every_error_and_counts_them_all(gateway):
    StockLevel.objects.create(connection=gateway, sku="SKU-000001", quantity_available=1)
    StockLevel.objects.create(connection=gateway, sku="SKU-000002", quantity_available=5)
    lines = [f"SKU-{n:06d},{'x' if n % 1000 == 0 else 1}" for n in range(1, 5001)]

    rows = stock_import_preview(gateway, "sku,quantity\n" + "\n".join(lines) + "\n")

    assert stock_import_counts(rows) == {"new": 4993, "changed": 1, "unchanged": 1, "error": 5}
    shown = stock_import_shown(rows)
    assert len(shown) == 200 + 5
    assert [row.line for row in shown[200:]] == [1001, 2001, 3001, 4001, 5001]
