"""Downloading the files partners link to (created products' snapshots, pushed orders' artwork)
into storage, each identified by its bytes (integrations/filetypes), like labels and print files.
The vendor's link is kept beside the stored copy; a failure is recorded in words, for a retry."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from config.celery import queue_on_commit
from integrations.filetypes import PREVIEW_IMAGE, PRINT_FILE, FileRefused
from integrations.http import VendorError, VendorRetryable, public_address_refusal
from integrations.markup import http_url
from integrations.registry import Capability
from orders.models import VendorConnection

from ..models import CreatorProduct, FileState, PushedAsset, PushedOrder, PushedOrderItem
from .partners import connection_partner
from .queue import CREATOR_PRODUCT_SNAPSHOT_TASK, PUSHED_ASSETS_TASK

logger = logging.getLogger(__name__)


class ProductCreatorUnavailable(ValueError):
    """The connection has no product creator, or it is not configured; says why in words."""


def _download(partner: Any, url: str, name, *, allowed: frozenset[str], what: str):
    from orders.services.files import download_stored

    return download_stored(lambda tmp: partner.download(url, tmp), name, allowed=allowed, what=what)


def _fetch(url: str, name, *, partner: Any, allowed: frozenset[str], what: str) -> tuple[dict, bool]:
    """(fields to save, retryable?) for one download of `url` into storage."""
    if not url:
        return {"state": FileState.FAILED, "error": f"The {what} has no http(s) link."}, False
    # These links come from a message (a staff browser relays the creator's) or a push: never
    # let one make us read loopback, link-local (cloud metadata) or private addresses. The
    # sandboxes run on this machine, so not when SANDBOX_ENABLED.
    refusal = "" if settings.SANDBOX_ENABLED else public_address_refusal(url)
    if refusal:
        return {"state": FileState.FAILED, "error": f"The {what} was not fetched: {refusal}."}, False
    try:
        stored, result, sniffed = _download(partner, url, name, allowed=allowed, what=what)
    except FileRefused as exc:
        return {"state": FileState.FAILED, "error": f"The {what} is {exc}."}, False
    except VendorRetryable as exc:
        return {"state": FileState.FAILED, "error": f"The download failed: {exc}. It is tried again."}, True
    except VendorError as exc:
        return {"state": FileState.FAILED, "error": f"The download was refused: {exc}"}, False
    return {
        "state": FileState.READY,
        "error": "",
        "file": stored,
        "content_type": sniffed.content_type,
        "size_bytes": result.size,
        "sha256": result.sha256,
        "width": sniffed.width,
        "height": sniffed.height,
    }, False


# -- the product creator (Capability.PRODUCT_CREATOR) -----------------------------------------


def product_creator(connection: VendorConnection):
    """The vendor's product creator for this connection, or ProductCreatorUnavailable."""
    spec = connection.spec
    if not spec.has(Capability.PRODUCT_CREATOR) or spec.product_creator is None:
        raise ProductCreatorUnavailable(f"{spec.label} has no product creator.")
    return spec.product_creator


def product_creator_frame(connection: VendorConnection, origin: str) -> tuple[str, str]:
    """(the iframe URL signed now, the origin its messages come from) for a page at `origin`."""
    creator = product_creator(connection)
    config = connection.config()
    try:
        return creator.frame_url(config, origin), creator.frame_origin(config)
    except ValueError as exc:  # not configured: said in words
        raise ProductCreatorUnavailable(str(exc)) from None


@transaction.atomic
def creator_products_record(connection: VendorConnection, message: Any, *, user=None) -> list[CreatorProduct]:
    """Record the products of a PRODUCTS_CREATED message, keyed by the vendor's id (a replay
    updates them, creates nothing twice); queue each new or changed snapshot's download.
    ValueError (in words) when the message cannot be read."""
    creator = product_creator(connection)
    products = creator.products_parse(message)
    saved = []
    for product in products:
        fields = {
            "name": product.name,
            "description": product.description,
            "retail_sku": product.retail_sku,
            "base_product_code": product.base_product_code,
            "raw": dict(product.raw),
        }
        row, created = CreatorProduct.objects.select_for_update().get_or_create(
            connection=connection,
            vendor_id=product.vendor_id,
            defaults={**fields, "snapshot_url": product.snapshot_url, "created_by": user},
        )
        if not created:
            for key, value in fields.items():
                setattr(row, key, value)
            if row.snapshot_url != product.snapshot_url or row.snapshot_state == FileState.FAILED:
                row.snapshot_url, row.snapshot_state, row.snapshot_error = product.snapshot_url, FileState.PENDING, ""
            row.save()
        if row.snapshot_state == FileState.PENDING:
            queue_on_commit(CREATOR_PRODUCT_SNAPSHOT_TASK, row.pk)
        saved.append(row)
    return saved


def creator_product_snapshot_fetch(product: CreatorProduct, *, partner: Any = None) -> bool:
    """Download the snapshot (an image, checked by its bytes). True when it is worth trying
    again later (the host did not answer); the outcome is on the product."""
    product = CreatorProduct.objects.select_related("connection").get(pk=product.pk)
    url = http_url(product.snapshot_url)

    def name(result, extension):
        return f"virtual-products/{product.connection_id}/{product.vendor_id}.{extension}"

    with connection_partner(product.connection) if partner is None else nullcontext(partner) as partner:
        fields, retry = _fetch(url, name, partner=partner, allowed=PREVIEW_IMAGE, what="snapshot")
    CreatorProduct.objects.filter(pk=product.pk).update(
        snapshot_state=fields["state"],
        snapshot_error=fields["error"],
        **({"snapshot": fields["file"], "snapshot_content_type": fields["content_type"]} if "file" in fields else {}),
    )
    return retry


def creator_product_map(product: CreatorProduct, stock_level) -> None:
    """Map the product to one of its connection's stock SKUs (None: unmapped)."""
    if stock_level is not None and stock_level.connection_id != product.connection_id:
        raise ValueError("That stock SKU belongs to another connection.")
    CreatorProduct.objects.filter(pk=product.pk).update(stock_level=stock_level)


# -- pushed orders' artwork (supplier side) ----------------------------------------------------


def pushed_assets_create(items: Iterable[PushedOrderItem]) -> int:
    """A pending stored copy for each asset of these items (idempotent); returns how many."""
    rows = [
        PushedAsset(
            item=item,
            position=position,
            name=str(asset.get("name") or "")[:255],
            description=str(asset.get("description") or "")[:255],
            source_url=str(asset.get("url") or "")[:2000],
        )
        for item in items
        for position, asset in enumerate(item.assets or [])
        if isinstance(asset, dict)
    ]
    PushedAsset.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def pushed_assets_queue(order_id: int) -> None:
    queue_on_commit(PUSHED_ASSETS_TASK, order_id)


def pushed_assets_fetch(order: PushedOrder, *, asset_ids: Sequence[int] | None = None) -> dict[str, int]:
    """Download the order's pending and failed assets (or those named) into storage. A stored
    one is never downloaded again. Returns counts; `retry` counts those worth trying later."""
    order = PushedOrder.objects.select_related("connection").get(pk=order.pk)
    pushed_assets_create(order.items.all())  # an order received before assets were stored
    pending = PushedAsset.objects.filter(item__order=order).exclude(state=FileState.READY).select_related("item")
    if asset_ids is not None:
        pending = pending.filter(pk__in=list(asset_ids))
    counts = {"stored": 0, "failed": 0, "retry": 0}
    rows = list(pending)
    if not rows:
        return counts
    with connection_partner(order.connection) as partner:
        for row in rows:

            def name(result, extension, row=row):
                return f"pushed-assets/{order.connection_id}/{order.vendor_id}/{row.item.vendor_id}-{row.position}.{extension}"

            fields, retry = _fetch(
                http_url(row.source_url), name, partner=partner, allowed=PRINT_FILE, what="artwork file"
            )
            PushedAsset.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, **fields)
            counts["stored" if fields["state"] == FileState.READY else "failed"] += 1
            counts["retry"] += retry
    logger.info("pushed order %s: artwork %s", order.pk, counts)
    return counts


def pushed_assets_retry(order_ids: Iterable[int]) -> int:
    """Staff's Retry: queue the download of every asset not stored yet, per order."""
    queued = 0
    for pk in (
        PushedOrder.objects.filter(pk__in=list(order_ids))
        .filter(items__stored_assets__state__in=[FileState.FAILED, FileState.PENDING])
        .values_list("pk", flat=True)
        .distinct()
    ):
        pushed_assets_queue(pk)
        queued += 1
    return queued
