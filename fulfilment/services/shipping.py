"""Shipping pushed orders through their partner (its adapter's `ship`), and their labels."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from django.db import DatabaseError, transaction
from PIL import Image
from pypdf import PdfReader, PdfWriter

from integrations.filetypes import EPL, LABEL, PDF, ZPL, FileRefused, sniff_bytes
from integrations.http import VendorError
from integrations.partners import ShipmentRecord
from orders.services.files import download_stored

from ..models import PushedOrder, Shipment, ShippingLabel
from ..pdfium import pdf_pages_render
from .partners import connection_partner
from .ratelimit import rate_limit_take

logger = logging.getLogger(__name__)


def pushed_order_ship(order: PushedOrder) -> list[Shipment]:
    """Ask the partner to ship it; store every shipment and download its label. Shipping an order
    that already has shipments returns them (the partner is not asked twice)."""
    order = PushedOrder.objects.select_related("connection").get(pk=order.pk)
    existing = list(order.shipments.all())
    if existing:
        return existing
    try:
        rate_limit_take(order.connection)
        with connection_partner(order.connection) as partner:
            shipments = partner.ship(order.vendor_id)
            saved = _store(order, shipments)
            for shipment in saved:
                label_fetch(shipment, partner=partner)
    except VendorError as exc:
        PushedOrder.objects.filter(pk=order.pk).update(state=PushedOrder.State.SHIP_FAILED, last_error=str(exc))
        raise
    PushedOrder.objects.filter(pk=order.pk).update(state=PushedOrder.State.SHIPPED, last_error="")
    return saved


@transaction.atomic
def _store(order: PushedOrder, shipments: list[ShipmentRecord]) -> list[Shipment]:
    saved = []
    for entry in shipments:
        shipment, _ = Shipment.objects.update_or_create(
            order=order,
            vendor_id=entry.vendor_id,
            defaults={"carrier": entry.carrier, "tracking": entry.tracking, "items": entry.items, "raw": entry.raw},
        )
        ShippingLabel.objects.get_or_create(shipment=shipment, defaults={"source_url": entry.label_url})
        saved.append(shipment)
    return saved


def label_fetch(shipment: Shipment, *, partner=None) -> ShippingLabel:
    """Download the label into storage (a temp file first, then saved, then marked ready)."""
    label = shipment.label
    url = (shipment.raw or {}).get("label_url") or label.source_url
    if not url:
        ShippingLabel.objects.filter(pk=label.pk).update(state=ShippingLabel.State.FAILED, error="No label URL.")
        label.refresh_from_db()
        return label
    if partner is None:
        with connection_partner(shipment.order.connection) as partner:
            return _label_download(shipment, label, url, partner)
    return _label_download(shipment, label, url, partner)


def _label_download(shipment: Shipment, label: ShippingLabel, url: str, partner) -> ShippingLabel:

    def name(result, extension):
        return f"labels/{shipment.order.connection_id}/{shipment.order.vendor_id}-{shipment.vendor_id}.{extension}"

    try:
        stored, result, sniffed = download_stored(
            lambda tmp: partner.download(url, tmp), name, allowed=LABEL, what="shipping label"
        )
    except FileRefused as exc:
        # Never ready, so never printed: the label fails with what the vendor sent instead.
        ShippingLabel.objects.filter(pk=label.pk).update(
            state=ShippingLabel.State.FAILED, error=f"The label file is {exc}."
        )
        label.refresh_from_db()
        return label
    except VendorError as exc:
        ShippingLabel.objects.filter(pk=label.pk).update(state=ShippingLabel.State.FAILED, error=str(exc))
        label.refresh_from_db()
        return label
    label.file.name = stored
    label.state, label.error = ShippingLabel.State.READY, ""
    label.content_type = sniffed.content_type  # what the bytes are, not what the vendor said
    label.size_bytes, label.sha256 = result.size, result.sha256
    label.source_url = result.url
    label.save()
    return label


PREVIEW_MAX_PAGES = 4
PREVIEW_SCALE = 2.0  # 144 dpi: sharp on screen, and enough for a 4x6 in label printed from the page


def label_kind(label: ShippingLabel) -> str:
    """ "pdf", "image" or "thermal" (ZPL/EPL), from the stored (sniffed) type."""
    if label.content_type == PDF:
        return "pdf"
    if label.content_type in (ZPL, EPL):
        return "thermal"
    return "image"


def label_preview_png(content: bytes) -> bytes:
    """A PDF label's pages as one PNG (pages stacked), rendered with PDFium, for showing inline
    on the pushed-order page and printing from a plain page: no PDF viewer, no frame needed."""
    pages = pdf_pages_render(content, pages=PREVIEW_MAX_PAGES, scale=lambda width, height: PREVIEW_SCALE)
    images = [image.convert("RGB") for image in pages]
    if not images:
        raise ValueError("the PDF has no pages")
    width = max(image.width for image in images)
    sheet = Image.new("RGB", (width, sum(image.height for image in images) + 8 * (len(images) - 1)), "white")
    top = 0
    for image in images:
        sheet.paste(image, (0, top))
        top += image.height + 8
    buffer = io.BytesIO()
    sheet.save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class LabelsPrint:
    pdf: bytes
    printed: int
    skipped: list[str]  # one sentence per label left out, naming its order


def labels_pdf(labels) -> LabelsPrint:
    """Many labels as one PDF to print: PDF pages as they are, images as one page each. A label
    that is neither (ZPL/EPL for a thermal printer, or a file that is not what it was stored
    as) is left out and named, and the rest are printed."""
    writer = PdfWriter()
    skipped, printed = [], 0
    for label in labels.select_related("shipment__order"):
        order = label.shipment.order
        if label.state != ShippingLabel.State.READY or not label.file:
            continue
        with label.file.open("rb") as handle:
            content = handle.read()
        try:
            sniffed = sniff_bytes(content, LABEL, what="shipping label")
        except FileRefused as exc:
            skipped.append(f"{order}: its label is {exc}, so it was not printed.")
            continue
        if sniffed.content_type in (ZPL, EPL):
            skipped.append(f"{order}: its label is a {sniffed.name} file, printed separately on a thermal printer.")
            continue
        if sniffed.content_type == PDF:
            for page in PdfReader(io.BytesIO(content)).pages:
                writer.add_page(page)
        else:
            with Image.open(io.BytesIO(content)) as image:
                buffer = io.BytesIO()
                image.convert("RGB").save(buffer, format="PDF", resolution=203)
            for page in PdfReader(io.BytesIO(buffer.getvalue())).pages:
                writer.add_page(page)
        printed += 1
    if not writer.pages:
        raise NothingToPrint("none of these orders has a label ready to print", skipped)
    out = io.BytesIO()
    writer.write(out)
    return LabelsPrint(pdf=out.getvalue(), printed=printed, skipped=skipped)


class NothingToPrint(ValueError):
    def __init__(self, message: str, skipped: list[str]):
        super().__init__(message)
        self.skipped = skipped


def pushed_order_ship_failed(order_id: int, *, exc: BaseException) -> None:
    """The ship task stopped on something other than a vendor error (which `pushed_order_ship`
    records itself): the order says so in words, for staff to ship it again."""
    if isinstance(exc, VendorError):
        error = str(exc)
    else:
        error = (
            f"Not shipped: stopped by an internal error ({type(exc).__name__}). Check its shipments, then ship again."
        )
    try:
        PushedOrder.objects.filter(pk=order_id).update(state=PushedOrder.State.SHIP_FAILED, last_error=error)
    except DatabaseError:
        logger.error("pushed order %s: shipping failed and could not be recorded: %s", order_id, error)
