"""The packing slip of a fulfilment order, as a PDF: who it goes to, who was billed, and the items.

Partners that print a shipping note fetch it through a signed link (services.links). Written with
pypdf (already a dependency), in the standard Helvetica font, so its text is real text: searchable,
and readable by a test. A line too long for the page is cut; the characters Windows-1252 cannot
hold (the standard fonts' encoding) are shown as "?"."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from ..address import address_record, billing_record
from ..models import FulfilmentOrder, PushedOrder

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4, in points
MARGIN = 50
LINE_HEIGHT = 15
MAX_CHARS = 90  # what fits across the page at 10 points
LINES_PER_PAGE = (PAGE_HEIGHT - 2 * MARGIN) // LINE_HEIGHT


def _pdf_text(value: str) -> bytes:
    value = " ".join(str(value).split())
    if len(value) > MAX_CHARS:
        value = value[: MAX_CHARS - 1] + "…"
    raw = value.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _address_lines(address) -> list[str]:
    return [
        part
        for part in (
            address.name,
            address.company,
            address.line_1,
            address.line_2,
            address.line_3,
            address.town,
            address.region,
            address.postcode,
            address.country_code,
        )
        if part
    ]


def packing_slip_lines(order: FulfilmentOrder) -> list[tuple[str, str]]:
    """The slip's lines, each (style, text): style "h" a heading, "" plain text."""
    lines: list[tuple[str, str]] = [("h", f"Packing slip: order {order.external_ref}")]
    if order.store_order_id and order.store_order:
        lines.append(("", f"Store order {order.store_order.name}"))
    lines.append(("", f"Sold {order.sale_datetime:%Y-%m-%d}"))
    lines += [("", ""), ("h", "Ship to")]
    lines += [("", text) for text in _address_lines(address_record(order))]
    billing = billing_record(order)
    if billing is not None:
        lines += [("", ""), ("h", "Bill to")]
        lines += [("", text) for text in _address_lines(billing)]
    lines += [("", ""), ("h", "Items")]
    for item in order.items.order_by("id"):
        details = ", ".join(part for part in (item.sku, item.colour, item.size) if part)
        text = f"{item.quantity} x {item.description or item.sku or item.external_ref}"
        lines.append(("", f"{text} ({details})" if details else text))
    if order.note:
        lines += [("", ""), ("h", "Note"), ("", order.note)]
    return lines


def _content(lines: list[tuple[str, str]]) -> bytes:
    out = [b"BT", f"{MARGIN} {PAGE_HEIGHT - MARGIN} Td".encode(), f"{LINE_HEIGHT} TL".encode()]
    for style, text in lines:
        font = b"/F2 12 Tf" if style == "h" else b"/F1 10 Tf"
        out += [font, b"(" + _pdf_text(text) + b") Tj T*"]
    out.append(b"ET")
    return b"\n".join(out)


def packing_slip_pdf(order: FulfilmentOrder) -> bytes:
    """The packing slip as PDF bytes (as many A4 pages as the items need)."""
    return packing_slips_pdf([(f"Packing slip {order.external_ref}", packing_slip_lines(order))])


def pushed_order_packing_slip_lines(order: PushedOrder) -> list[tuple[str, str]]:
    """A pushed order's slip: its references, where it goes, and the items (with both SKUs)."""
    lines: list[tuple[str, str]] = [("h", f"Packing slip: order {order.ref or order.vendor_id}")]
    if order.external_ref:
        lines.append(("", f"Retailer's reference {order.external_ref}"))
    lines.append(("", f"Received {order.received_at:%Y-%m-%d}"))
    if order.shipping_carrier or order.shipping_method:
        lines.append(("", "Shipping: " + " ".join(p for p in (order.shipping_carrier, order.shipping_method) if p)))
    lines += [("", ""), ("h", "Ship to")]
    lines += [("", text) for text in _address_lines(address_record(order))]
    lines += [("", ""), ("h", "Items")]
    for item in order.items.order_by("id"):
        skus = ", ".join(part for part in (item.mapped_sku, item.sku) if part)
        text = f"{item.quantity} x {item.description or item.mapped_sku or item.sku or item.vendor_id}"
        lines.append(("", f"{text} ({skus})" if skus else text))
    return lines


def pushed_order_packing_slip_pdf(order: PushedOrder) -> bytes:
    return packing_slips_pdf([(f"Packing slip {order.ref or order.vendor_id}", pushed_order_packing_slip_lines(order))])


def packing_slips_pdf(slips: list[tuple[str, list[tuple[str, str]]]]) -> bytes:
    """Many slips ((title, lines) each) as one PDF: each starts on a new page, and takes as many
    A4 pages as its lines need. The PDF's title is the first slip's (or "Packing slips")."""
    writer = PdfWriter()
    fonts = DictionaryObject()
    for name, base in (("/F1", "/Helvetica"), ("/F2", "/Helvetica-Bold")):
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject(base),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
        fonts[NameObject(name)] = writer._add_object(font)
    for _title, lines in slips:
        for start in range(0, max(len(lines), 1), LINES_PER_PAGE):
            page = writer.add_blank_page(PAGE_WIDTH, PAGE_HEIGHT)
            page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
            stream = DecodedStreamObject()
            stream.set_data(_content(lines[start : start + LINES_PER_PAGE]))
            page[NameObject("/Contents")] = writer._add_object(stream)
    writer.add_metadata({"/Title": slips[0][0] if len(slips) == 1 else "Packing slips"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
