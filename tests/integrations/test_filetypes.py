"""Files are identified by their bytes: every hostile file in the corpus is refused, in words."""

import pytest

from integrations.filetypes import LABEL, PDF, PNG, PREVIEW_IMAGE, PRINT_FILE, ZPL, FileRefused, sniff_bytes
from tests.hostile import REASONS, corpus, pdf, png


@pytest.mark.parametrize("name", sorted(corpus()))
@pytest.mark.parametrize("allowed", [PRINT_FILE, LABEL, PREVIEW_IMAGE], ids=["print", "label", "preview"])
def test_every_hostile_file_is_refused_with_what_it_is(name, allowed):
    content, claimed = corpus()[name]

    with pytest.raises(FileRefused) as refused:
        sniff_bytes(content, allowed, what="print file")

    reason = str(refused.value)
    assert REASONS[name] in reason or (allowed is PREVIEW_IMAGE and reason == "a PDF, not a print file")


def test_the_corpus_is_the_one_the_reasons_describe():
    assert set(REASONS) == set(corpus())


def test_real_files_are_identified_whatever_they_are_called():
    image = sniff_bytes(png(40, 30), PRINT_FILE)
    assert (image.content_type, image.extension, image.width, image.height) == (PNG, "png", 40, 30)
    assert sniff_bytes(pdf(), PRINT_FILE).content_type == PDF


def test_zpl_is_a_label_but_not_a_print_file():
    zpl = b"^XA^FO50,50^ADN,36,20^FDRM123456789GB^FS^XZ"
    assert sniff_bytes(zpl, LABEL).content_type == ZPL
    with pytest.raises(FileRefused, match="a ZPL label, not a print file"):
        sniff_bytes(zpl, PRINT_FILE, what="print file")


def test_gif_is_a_preview_but_not_a_print_file():
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("P", (8, 8)).save(buffer, "GIF")
    assert sniff_bytes(buffer.getvalue(), PREVIEW_IMAGE).extension == "gif"
    with pytest.raises(FileRefused, match="a GIF image, not a print file"):
        sniff_bytes(buffer.getvalue(), PRINT_FILE, what="print file")
