"""The stock import screen and `push_stock --file` through their real entry points: the upload is
kept on the server between preview and confirm (a 3 MB file imports), tied to its user and
connection, and both give the same messages."""

import codecs
import os
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from fulfilment.models import StockImport, StockLevel
from fulfilment.services.stock import stock_imports_prune
from tests.factories import staff_in

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/fulfilment/stocklevel/import/"


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def manager(client):
    user = staff_in("Manager", username="manager")
    client.force_login(user)
    return user


def test_a_3_mb_file_of_100000_rows_previews_capped_and_imports_every_row(client, manager, gateway):
    StockLevel.objects.create(connection=gateway, sku="CUSTOM-PRODUCT-000001-WHT", quantity_available=1)
    StockLevel.objects.create(connection=gateway, sku="CUSTOM-PRODUCT-000002-WHT", quantity_available=9)
    rows = "".join(f"CUSTOM-PRODUCT-{n:06d}-WHT;{n % 5000}\r\n" for n in range(1, 100_001))
    big = ("sku;quantity\r\n" + rows).encode()
    assert len(big) > 3_000_000

    preview = client.post(IMPORT_URL, {"connection": gateway.pk, "file": upload("stock.csv", big)})

    assert preview.status_code == 200
    total = preview.context["total"]
    assert total == 100_000
    assert preview.context["counts"] == {"new": total - 2, "changed": 1, "unchanged": 1, "error": 0}
    assert len(preview.context["rows"]) == 200  # the page stays small
    body = preview.content.decode()
    assert "CUSTOM-PRODUCT-000201-WHT" not in body and len(preview.content) < 200_000  # the file is not in the page
    assert f"Import {total} rows" in body
    assert "Showing the first rows and every error: 200 of 100000 rows. All 100000 are imported." in body
    staged = StockImport.objects.get()
    assert f'name="staged" value="{staged.pk}"' in body

    done = client.post(IMPORT_URL, {"connection": gateway.pk, "staged": staged.pk, "confirm": "Import"})

    assert done.status_code == 302
    assert StockLevel.objects.filter(connection=gateway).count() == total
    assert StockLevel.objects.get(sku="CUSTOM-PRODUCT-000002-WHT").quantity_available == 2
    assert StockLevel.objects.get(sku="CUSTOM-PRODUCT-100000-WHT").quantity_available == 0
    assert not StockImport.objects.exists()  # used once


def test_confirming_imports_what_was_previewed_for_its_user_and_connection_only(client, manager, gateway):
    preview = client.post(IMPORT_URL, {"connection": gateway.pk, "file": upload("a.csv", b"sku,quantity\nA,1\n")})
    staged = preview.context["staged"]

    # Another manager cannot confirm it, nor can it be confirmed for another connection.
    other_connection = type(gateway).objects.create(
        name="Second CG",
        kind=gateway.kind,
        settings={"company": "1"},
        secrets={"api_key": "k"},
        sync_every_minutes=None,
    )
    client.force_login(staff_in("Manager", username="other"))
    for connection in (gateway, other_connection):
        answer = client.post(IMPORT_URL, {"connection": connection.pk, "staged": staged.pk, "confirm": "Import"})
        assert answer.status_code == 200
        assert answer.context["form"].errors["file"] == [
            "This preview has expired, or was made by someone else or for another connection: upload the file again."
        ]
    client.force_login(manager)
    answer = client.post(IMPORT_URL, {"connection": gateway.pk, "staged": "not-a-uuid", "confirm": "Import"})
    assert answer.status_code == 200 and "staged" in answer.context["form"].errors
    assert not StockLevel.objects.exists()

    # Expired: refused, and pruned.
    StockImport.objects.filter(pk=staged.pk).update(created_at=timezone.now() - timedelta(hours=2))
    answer = client.post(IMPORT_URL, {"connection": gateway.pk, "staged": staged.pk, "confirm": "Import"})
    assert "This preview has expired" in answer.context["form"].errors["file"][0]
    assert stock_imports_prune() == 1
    assert not StockLevel.objects.exists()


def test_the_screen_says_why_a_file_cannot_be_read_and_offers_the_encoding(client, manager, gateway):
    latin = "sku;quantity\nCAFÉ-MUG;4\n".encode("cp1252")

    refused = client.post(IMPORT_URL, {"connection": gateway.pk, "file": upload("excel.csv", latin)})

    assert refused.status_code == 200
    assert refused.context["form"].errors["file"] == [
        "The file is not valid UTF-8: byte 0xC9 on line 2 cannot be read. If it was saved by Excel or another "
        "Windows program, choose Windows-1252 (or Latin-1) as the encoding."
    ]
    assert not StockImport.objects.exists()

    chosen = client.post(
        IMPORT_URL, {"connection": gateway.pk, "encoding": "cp1252", "file": upload("excel.csv", latin)}
    )
    assert [(row.sku, row.quantity) for row in chosen.context["rows"]] == [("CAFÉ-MUG", 4)]
    assert "CAFÉ-MUG" in chosen.content.decode() and "\ufffd" not in chosen.content.decode()

    binary = client.post(IMPORT_URL, {"connection": gateway.pk, "file": upload("logo.csv", b"\x89PNG\r\n\x00\x00")})
    assert "This is not a text file" in binary.context["form"].errors["file"][0]


def test_a_file_over_the_size_limit_is_refused_in_words(client, manager, gateway, settings):
    settings.STOCK_IMPORT_MAX_BYTES = 1_000

    answer = client.post(
        IMPORT_URL, {"connection": gateway.pk, "file": upload("big.csv", b"sku,qty\n" + b"A,1\n" * 500)}
    )

    assert answer.status_code == 200
    assert answer.context["form"].errors["file"] == [
        "The file is larger than 1,000 bytes, the most a stock import takes: split it."
    ]
    assert not StockImport.objects.exists()


def test_the_import_screen_needs_the_change_permission(client, gateway):
    client.force_login(staff_in("Viewer", username="viewer"))
    assert client.get(IMPORT_URL).status_code == 403
    assert (
        client.post(IMPORT_URL, {"connection": gateway.pk, "file": upload("a.csv", b"sku,qty\nA,1\n")}).status_code
        == 403
    )
    assert not StockImport.objects.exists()
    client.logout()
    assert client.get(IMPORT_URL).status_code == 302  # to the login page


# -- push_stock --file --------------------------------------------------------------------------


def run(*args):
    """call_command as the shell runs it: a CommandError is a message and an exit code, anything
    else would be a traceback."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("push_stock", *args, "--no-progress", stdout=out, stderr=err)
    except CommandError as exc:
        return 1, out.getvalue(), err.getvalue() + f"CommandError: {exc}\n"
    return 0, out.getvalue(), err.getvalue()


def test_the_command_gives_the_same_row_messages_and_imports_nothing(gateway, tmp_path):
    path = tmp_path / "stock.csv"
    path.write_bytes(codecs.BOM_UTF8 + "sku;quantity\nCAFÉ-MUG;4\n=cmd|'/c calc'!A0;1\nTEE;99999999999\n".encode())

    code, _out, err = run("--file", str(path))

    assert code == 1
    assert err.splitlines() == [
        "  line 3: The SKU starts with '=', so a spreadsheet would run it as a formula: SKUs cannot start with "
        "= + - @, a tab or a carriage return.",
        "  line 4: 99999999999 is more than the largest stock level, 2147483647.",
        f"CommandError: 2 rows of {path} with errors; nothing was imported or pushed",
    ]
    assert not StockLevel.objects.exists()


def test_the_command_reads_the_encoding_it_is_told(gateway, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("sku\tquantity\nCAFÉ-MUG\t4\n".encode("cp1252"))

    code, _out, err = run("--file", str(path))
    assert code == 1 and "choose Windows-1252 (or Latin-1) as the encoding" in err and "--encoding cp1252" in err
    assert not StockLevel.objects.exists()

    StockLevel.objects.create(connection=gateway, sku="CAFÉ-MUG", quantity_available=4, pushed_quantity=4)
    code, out, err = run("--file", str(path), "--encoding", "cp1252")
    assert code == 0, err
    assert out.startswith(f"Imported 1 stock level from {path}.")
    assert StockLevel.objects.get().sku == "CAFÉ-MUG"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: str(tmp / "missing.csv"), "cannot read {path}: No such file or directory"),
        (lambda tmp: str(tmp), "cannot read {path}: Is a directory"),
        (lambda tmp: write(tmp / "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "This is not a text file"),
        (lambda tmp: write(tmp / "empty.csv", b""), "The first line must name the columns"),
    ],
    ids=["missing", "directory", "binary", "empty"],
)
def test_the_command_explains_a_file_it_cannot_read(gateway, tmp_path, make, message):
    path = make(tmp_path)

    code, _out, err = run("--file", path)

    assert code == 1 and message.format(path=path) in err
    assert "Traceback" not in err


def write(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("name", ["Nope", "99999999999999999999999", "0"])
def test_the_command_names_an_unknown_connection(gateway, name):
    code, _out, err = run("--connection", name, "--file", os.devnull)

    assert code == 1
    assert err.strip() == f"CommandError: no active Custom Gateway connection {name!r}"
