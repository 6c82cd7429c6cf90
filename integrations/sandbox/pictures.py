"""Pictures the vendor simulators serve: each design drawn as staff would see it from the vendor,
the personalised text in its colours (and a font's look: script fonts slanted, display fonts
heavy) on the product's shape (a mug, a shirt, a stamp, a guitar, ...), drawn with Pillow.

Previews and thumbnails (`preview_png`) show the product with the artwork on it; print files
(`print_png`) show the artwork alone on a transparent canvas at print sizes (2000+ px). The same
design always gives the same bytes, and each picture is made once per process (lru_cache), so a
test suite that fetches the same preview many times pays for it once. Dev and test only: nothing
in production imports a sandbox.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageColor, ImageDraw, ImageFont

SCRIPT_FONTS = ("pacifico", "lobster", "dancing", "script", "brush", "bodoni")
HEAVY_FONTS = ("carter", "impact", "bebas", "anton", "black", "bold")
# Colour names vendors send that Pillow does not know.
NAMED = {"neon green": "#39ff14", "gum": "#c58b4e", "clear": "#dddddd", "sunburst": "#c8641e"}
CACHED = 512  # pictures kept per process (previews are a few KB; print files some tens of KB)


@dataclass(frozen=True)
class Text:
    """One line of personalised text: what the customer typed, its fill and outline colours as
    the vendor names them (#rrggbb or a word) and its font family's name."""

    text: str
    fill: str = "#000000"
    stroke: str = ""
    font: str = ""


def colour(value: str, default: tuple[int, int, int] = (0, 0, 0)) -> tuple[int, int, int]:
    value = (value or "").strip()
    value = NAMED.get(value.lower(), value)
    try:
        rgb = ImageColor.getrgb(value)
    except ValueError:
        return default
    return rgb[:3]


def shape_for(product: str) -> str:
    """The outline a product is drawn as, from words in its name."""
    name = (product or "").lower()
    for shape, words in (
        ("mug", ("mug", "cup", "tumbler")),
        ("shirt", ("shirt", "tee", "hoodie", "sweat", "top")),
        ("stamp", ("stamp",)),
        ("guitar", ("guitar", "pickguard")),
        ("board", ("skate", "board", "deck")),
        ("shoe", ("sneaker", "shoe", "trainer")),
        ("phone", ("phone", "case")),
        ("bag", ("bag", "tote")),
    ):
        if any(word in name for word in words):
            return shape
    return "card"


# -- shapes: each draws the product on `draw` and returns the print area (left, top, right, bottom)


def _mug(draw: ImageDraw.ImageDraw, w: int, h: int, body: tuple) -> tuple:
    left, top, right, bottom = w * 0.16, h * 0.2, w * 0.72, h * 0.86
    line = max(2, w // 100)
    draw.ellipse([right - w * 0.08, h * 0.34, w * 0.9, h * 0.7], outline=_darker(body), width=int(w * 0.045))
    draw.rounded_rectangle([left, top, right, bottom], radius=w * 0.05, fill=body, outline=_darker(body), width=line)
    draw.ellipse(
        [left, top - h * 0.04, right, top + h * 0.04], fill=_darker(body, 0.8), outline=_darker(body), width=line
    )
    return (left + w * 0.05, top + h * 0.1, right - w * 0.05, bottom - h * 0.08)


def _shirt(draw: ImageDraw.ImageDraw, w: int, h: int, body: tuple) -> tuple:
    points = [
        (0.36, 0.1), (0.44, 0.14), (0.56, 0.14), (0.64, 0.1), (0.9, 0.22), (0.82, 0.4), (0.74, 0.36),
        (0.74, 0.92), (0.26, 0.92), (0.26, 0.36), (0.18, 0.4), (0.1, 0.22),
    ]  # fmt: skip
    draw.polygon([(x * w, y * h) for x, y in points], fill=body, outline=_darker(body), width=max(2, w // 120))
    draw.arc([0.42 * w, 0.06 * h, 0.58 * w, 0.2 * h], 0, 180, fill=_darker(body), width=max(2, w // 120))
    return (0.28 * w, 0.26 * h, 0.72 * w, 0.66 * h)


def _stamp(draw: ImageDraw.ImageDraw, w: int, h: int, body: tuple) -> tuple:
    draw.rounded_rectangle([0.3 * w, 0.04 * h, 0.7 * w, 0.2 * h], radius=w * 0.04, fill=(150, 105, 60))
    draw.rectangle([0.12 * w, 0.2 * h, 0.88 * w, 0.3 * h], fill=(190, 150, 100))
    draw.rounded_rectangle(
        [0.1 * w, 0.3 * h, 0.9 * w, 0.94 * h], radius=w * 0.03, fill=body, outline=(60, 60, 60), width=max(2, w // 80)
    )
    return (0.16 * w, 0.36 * h, 0.84 * w, 0.88 * h)


def _guitar(draw: ImageDraw.ImageDraw, w: int, h: int, body: tuple) -> tuple:
    dark = _darker(body)
    draw.rectangle([0.46 * w, 0.02 * h, 0.54 * w, 0.5 * h], fill=(120, 80, 40))
    draw.rounded_rectangle([0.43 * w, 0.0, 0.57 * w, 0.1 * h], radius=w * 0.02, fill=(90, 60, 30))
    draw.ellipse([0.3 * w, 0.34 * h, 0.7 * w, 0.66 * h], fill=body, outline=dark, width=max(2, w // 120))
    draw.ellipse([0.2 * w, 0.52 * h, 0.8 * w, 0.98 * h], fill=body, outline=dark, width=max(2, w // 120))
    draw.rectangle([0.38 * w, 0.56 * h, 0.62 * w, 0.62 * h], fill=dark)
    return (0.26 * w, 0.66 * h, 0.74 * w, 0.9 * h)


def _board(draw: ImageDraw.ImageDraw, w: int, h: int, body: tuple) -> tuple:
    draw.rounded_rectangle(
        [0.04 * w, 0.3 * h, 0.96 * w, 0.7 * h], radius=h * 0.2, fill=body, outline=_darker(body), width=max(2, w // 120)
    )
    for x in (0.2, 0.8):
        draw.ellipse([(x - 0.04) * w, 0.46 * h, (x + 0.04) * w, 0.54 * h], fill=_darker(body))
    return (0.28 * w, 0.34 * h, 0.72 * w, 0.66 * h)


def _shoe(draw: ImageDraw.ImageDraw, w: int, h: int, body: tuple) -> tuple:
    upper = [(0.1, 0.7), (0.12, 0.4), (0.3, 0.3), (0.45, 0.45), (0.7, 0.52), (0.92, 0.62), (0.94, 0.74)]
    draw.polygon([(x * w, y * h) for x, y in upper], fill=body, outline=_darker(body), width=max(2, w // 120))
    draw.rounded_rectangle(
        [0.08 * w, 0.72 * h, 0.96 * w, 0.82 * h], radius=h * 0.04, fill=(245, 245, 245), outline=(80, 80, 80)
    )
    return (0.12 * w, 0.5 * h, 0.6 * w, 0.7 * h)


def _card(draw: ImageDraw.ImageDraw, w: int, h: int, body: tuple) -> tuple:
    draw.rounded_rectangle(
        [0.1 * w, 0.1 * h, 0.9 * w, 0.9 * h], radius=w * 0.04, fill=body, outline=_darker(body), width=max(2, w // 120)
    )
    return (0.16 * w, 0.2 * h, 0.84 * w, 0.8 * h)


SHAPES = {
    "mug": _mug, "shirt": _shirt, "stamp": _stamp, "guitar": _guitar, "board": _board,
    "shoe": _shoe, "card": _card, "phone": _card, "bag": _card,
}  # fmt: skip


def _darker(rgb: tuple, factor: float = 0.6) -> tuple:
    return tuple(int(c * factor) for c in rgb[:3])


def _contrasting(rgb: tuple) -> tuple:
    return (30, 30, 30) if sum(rgb[:3]) > 382 else (240, 240, 240)


# -- the artwork ---------------------------------------------------------------------------------


def _draw_texts(canvas: Image.Image, area: tuple, texts: tuple[Text, ...], surface: tuple | None) -> None:
    """Each text on its own line, as large as fits the area's width, centred; a fill the same as
    the surface under it gets an outline so it still shows."""
    left, top, right, bottom = (int(v) for v in area)
    width, height = max(1, right - left), max(1, bottom - top)
    lines = [t for t in texts if t.text.strip()][:6]
    if not lines:
        return
    slot = height // len(lines)
    for index, line in enumerate(lines):
        text = line.text.strip()[:60]
        font_name = line.font.lower()
        # As large as the slot allows, then shrunk to fill the area's width (with room for a slant).
        size = max(8, int(slot * 0.6))
        length = ImageFont.load_default(size=size).getlength(text)
        if length > width * 0.9:
            size = max(8, int(size * width * 0.9 / length))
        font = ImageFont.load_default(size=size)
        heavy = any(word in font_name for word in HEAVY_FONTS)
        fill = colour(line.fill)
        stroke = colour(line.stroke, default=fill) if line.stroke else None
        stroke_width = max(1, size // 14) if heavy else (max(1, size // 30) if stroke else 0)
        if surface is not None and stroke is None and sum(abs(a - b) for a, b in zip(fill, surface, strict=False)) < 60:
            stroke, stroke_width = _contrasting(fill), max(1, size // 25)
        box = [int(v) for v in font.getbbox(text, stroke_width=stroke_width)]
        layer = Image.new("RGBA", (box[2] - box[0] + 4, box[3] - box[1] + 4), (0, 0, 0, 0))
        ImageDraw.Draw(layer).text(
            (2 - box[0], 2 - box[1]), text, font=font, fill=fill, stroke_width=stroke_width, stroke_fill=stroke or fill
        )
        if any(word in font_name for word in SCRIPT_FONTS):  # a script face leans
            shear = 0.25
            layer = layer.transform(
                (layer.width + int(layer.height * shear), layer.height),
                Image.Transform.AFFINE,
                (1, shear, -layer.height * shear, 0, 1, 0),
                resample=Image.Resampling.BICUBIC,
            )
        if layer.width > width:
            ratio = width / layer.width
            layer = layer.resize((width, max(1, int(layer.height * ratio))), Image.Resampling.LANCZOS)
        x = left + (width - layer.width) // 2
        y = top + slot * index + (slot - layer.height) // 2
        canvas.alpha_composite(layer, (max(0, x), max(0, y)))


def _png(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


@lru_cache(maxsize=CACHED)
def preview_png(
    product: str, texts: tuple[Text, ...], *, size: int = 400, body: str = "#ffffff", label: str = ""
) -> bytes:
    """The product (its shape from its name) in `body` colour with the texts on it, `size` px
    square on a light background; `label` (a side's name) written small in a corner."""
    size = max(32, min(size, 1600))
    canvas = Image.new("RGBA", (size, size), (246, 246, 243, 255))
    draw = ImageDraw.Draw(canvas)
    surface = colour(body, default=(255, 255, 255))
    area = SHAPES[shape_for(product)](draw, size, size, surface)
    _draw_texts(canvas, area, texts, surface)
    if label:
        draw.text(
            (size * 0.03, size * 0.03),
            label[:40],
            fill=(90, 90, 90),
            font=ImageFont.load_default(size=max(8, size // 22)),
        )
    return _png(canvas.convert("RGB"), optimize=False)


@lru_cache(maxsize=CACHED)
def print_png(texts: tuple[Text, ...], *, width: int = 2400, height: int = 2400) -> bytes:
    """The artwork alone at print size: the texts on a transparent canvas, 300 dpi."""
    width, height = max(32, min(width, 6000)), max(32, min(height, 6000))
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    margin_x, margin_y = width // 12, height // 12
    _draw_texts(canvas, (margin_x, margin_y, width - margin_x, height - margin_y), texts, None)
    return _png(canvas, dpi=(300, 300), compress_level=1)


# A design known only by an opaque reference (Custom Gateway's refs): a product and text drawn
# from a hash of it, so each ref always shows the same picture and refs look different.
REF_PRODUCTS = ("Classic T-Shirt", "Ceramic Mug 11oz", "Rubber Stamp", "Tote bag", "Phone case")
REF_TEXTS = ("Happy Birthday Anna", "Best Dad Ever", "Team Rocket 2026", "Mia & Leo", "Hello World")
REF_FONTS = ("Pacifico", "Roboto", "Carter One")
REF_COLOURS = ("#1155cc", "#ff0000", "#000000", "#6aa84f", "#990099")
REF_BODIES = ("#ffffff", "#ffe599", "#cfe2f3", "#f4cccc")


def design_by_ref_png(ref: str, *, size: int = 240) -> bytes:
    digest = hashlib.sha256(ref.encode()).digest()
    product = REF_PRODUCTS[digest[0] % len(REF_PRODUCTS)]
    text = Text(
        REF_TEXTS[digest[1] % len(REF_TEXTS)],
        REF_COLOURS[digest[2] % len(REF_COLOURS)],
        "",
        REF_FONTS[digest[3] % len(REF_FONTS)],
    )
    return preview_png(
        product, (text, Text(ref[:16], "#555555")), size=size, body=REF_BODIES[digest[4] % len(REF_BODIES)]
    )
