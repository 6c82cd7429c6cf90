"""The sandboxes' pictures: the personalised text drawn in its colour on the product's shape, at
print sizes for print files, the same bytes every time."""

import io

import pytest
from PIL import Image

from integrations.qstomizer import sandbox as qstomizer
from integrations.sandbox import pictures

BACKGROUND = (246, 246, 243)


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _count(image: Image.Image, rgb: tuple, tolerance: int = 40) -> int:
    return sum(
        1
        for pixel in image.convert("RGB").get_flattened_data()
        if sum(abs(a - b) for a, b in zip(pixel, rgb, strict=True)) < tolerance
    )


@pytest.mark.parametrize("product", ["Ceramic Mug 11oz", "Classic T-Shirt", "Rubber Stamp", "Custom Guitar", "Poster"])
def test_preview_draws_the_text_in_its_colour_on_the_product(product):
    red = pictures.Text("Best Dad Ever", "#ff0000")
    image = _image(pictures.preview_png(product, (red,), size=400))
    assert image.size == (400, 400)
    assert _count(image, (255, 0, 0)) > 200  # the text, in red
    blank = _image(pictures.preview_png(product, (), size=400))
    assert _count(blank, (255, 0, 0)) == 0
    # the product's shape is drawn: not just the background
    assert _count(blank, BACKGROUND, tolerance=6) < 400 * 400 * 0.9


def test_shapes_differ_by_product():
    text = (pictures.Text("Mia & Leo", "#1155cc"),)
    drawn = {pictures.preview_png(p, text) for p in ("Mug", "T-Shirt", "Stamp", "Guitar", "Skateboard", "Sneakers")}
    assert len(drawn) == 6


def test_a_fill_the_same_as_the_surface_still_shows():
    white = _image(pictures.preview_png("Classic T-Shirt", (pictures.Text("Hello World", "#ffffff"),)))
    assert _count(white, (30, 30, 30), tolerance=60) > 100  # outlined in a dark colour


def test_print_file_is_print_sized_transparent_and_has_the_text():
    text = (
        pictures.Text("Team Rocket 2026", "#6aa84f", font="Pacifico"),
        pictures.Text("Sam", "#000000", font="Impact"),
    )
    image = _image(pictures.print_png(text, width=2400, height=2400))
    assert image.size == (2400, 2400)
    assert image.mode == "RGBA"
    assert image.getpixel((5, 5))[3] == 0  # transparent margin
    small = image.resize((240, 240))
    assert _count(small, (0x6A, 0xA8, 0x4F), tolerance=60) > 50


def test_pictures_are_deterministic_and_unknown_colours_fall_back():
    text = (pictures.Text("Grandma's Kitchen", "not-a-colour", "#zzzzzz", "Lobster"),)
    first = pictures.preview_png("Mug", text, size=300)
    pictures.preview_png.cache_clear()
    assert pictures.preview_png("Mug", text, size=300) == first
    assert pictures.print_png(text, width=800, height=600) == pictures.print_png(text, width=800, height=600)


def test_qstomizer_previews_and_hd_files_show_the_sides_texts(client, settings):
    settings.SANDBOX_ENABLED = True
    box = qstomizer.sandbox()
    item, side_id, texts = next(
        (item, side_id, texts)
        for item in box.items
        for side_id in box.side_ids(item)
        if (texts := box.side_texts(item, side_id))
    )
    preview = client.get(f"/sandbox/qstomizer/cdn/{box.shop}/orderimages/{item.order_id}-{side_id}.png")
    assert preview.status_code == 200
    image = _image(preview.content)
    assert image.size == (400, 400)
    fill = pictures.colour(texts[0].fill)
    assert _count(image, fill, tolerance=30) > 20
    hd = _image(box.hd_png(item, side_id))
    assert hd.size == box.hd_size(item)
    assert box.hd_png(item, side_id) == box.hd_png(item, side_id)
