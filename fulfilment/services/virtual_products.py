"""Virtual products from approved designs (VIRTUAL_PRODUCTS), through the partner adapter.

Staff choose designs, a connection whose vendor declares VIRTUAL_PRODUCTS, base products and a
target category (`virtual_products_queue`): one VirtualProduct row per design and base product
is made (or found: the unique constraint and a look first), and one task per design is queued by
name. The task (`virtual_products_create`) claims the design's rows that are not made yet, has
the partner host the design's print file (a signed link to our stored SideArtwork file, which
the partner fetches), then asks it for the virtual products and stores their ids.

Repeating the action makes nothing twice: made rows are never sent again, a row being sent is
claimed by one worker only, and a send whose answer was lost is left in CHECK, not retried
blindly (the mutation creates products; the partner has no lookup by our reference)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.celery import queue_on_commit
from integrations.http import VendorError, VendorRetryable
from integrations.partners import ArtworkToPublish, NotSupported, VirtualProductsMaker
from integrations.registry import Capability
from orders.models import Customization, SideArtwork, VendorConnection

from ..models import VirtualProduct
from .links import artwork_url
from .partners import connection_partner

logger = logging.getLogger(__name__)

CREATE_TASK = "fulfilment.tasks.virtual_products_create_task"
# A row left SENDING this long (its worker died) may be claimed again.
SENDING_STALE_AFTER = timedelta(minutes=15)
MAX_BASE_PRODUCTS = 50
VENDOR_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class VirtualProductsInvalid(ValueError):
    """What staff asked for cannot be sent, in words."""


@dataclass
class QueueReport:
    queued: list[int] = field(default_factory=list)  # customization ids a task was queued for
    already: list[str] = field(default_factory=list)  # "design X on base Y: made already (id Z)"
    skipped: list[str] = field(default_factory=list)  # designs that cannot be sent, and why


def virtual_product_connections():
    return VendorConnection.objects.with_capability(Capability.VIRTUAL_PRODUCTS).filter(is_active=True)


def ids_parse(text: str, *, what: str) -> list[str]:
    """Ids typed by staff, separated by commas, spaces or new lines; each checked for its role."""
    values = [v for v in re.split(r"[\s,;]+", text or "") if v]
    bad = [v for v in values if not VENDOR_ID_RE.match(v)]
    if bad:
        raise VirtualProductsInvalid(f"{what}: not an id: {', '.join(v[:40] for v in bad[:5])}")
    return list(dict.fromkeys(values))


def design_artwork(customization: Customization) -> SideArtwork | None:
    """The design's print file: its first side's stored artwork that is ready (the mutation puts
    one artwork on a product's first print area; each artwork object makes its own products)."""
    return (
        SideArtwork.objects.filter(side__customization=customization, state=SideArtwork.State.READY)
        .exclude(file="")
        .order_by("side__position", "side__pk")
        .first()
    )


def design_name(customization: Customization) -> str:
    return (customization.product_title or f"Design {customization.external_id}")[:255]


def virtual_products_queue(
    *,
    customizations: Iterable[Customization],
    connection: VendorConnection,
    base_products: Sequence[str],
    category_id: str,
    user=None,
) -> QueueReport:
    """Rows for each approved design with a ready print file and each base product (found when
    they exist), and one task per design with rows still to make."""
    if not connection.spec.has(Capability.VIRTUAL_PRODUCTS):
        raise VirtualProductsInvalid(f"{connection.spec.label} does not make virtual products.")
    if not base_products:
        raise VirtualProductsInvalid("Choose at least one base product.")
    if len(base_products) > MAX_BASE_PRODUCTS:
        raise VirtualProductsInvalid(f"At most {MAX_BASE_PRODUCTS} base products at once.")
    if not category_id:
        raise VirtualProductsInvalid("Choose the target category.")
    report = QueueReport()
    for customization in customizations:
        if customization.decision != Customization.Decision.APPROVED:
            report.skipped.append(f"{customization}: not approved")
            continue
        if design_artwork(customization) is None:
            report.skipped.append(f"{customization}: its print file is not downloaded yet")
            continue
        todo = False
        for base in base_products:
            row = _row(customization, connection, base, category_id, user)
            if row.state == VirtualProduct.State.CREATED:
                report.already.append(f"{customization} on base product {base}: made already (id {row.vendor_id})")
            elif row.state == VirtualProduct.State.CHECK:
                report.already.append(
                    f"{customization} on base product {base}: its last answer was lost; check at the partner"
                )
            else:
                todo = True
        if todo:
            queue_on_commit(CREATE_TASK, customization.pk, connection.pk)
            report.queued.append(customization.pk)
    return report


def _row(customization, connection, base, category_id, user) -> VirtualProduct:
    found = VirtualProduct.objects.filter(
        customization=customization, connection=connection, base_product_id=base
    ).first()
    if found is not None:
        if (
            found.state in (VirtualProduct.State.FAILED, VirtualProduct.State.QUEUED)
            and found.category_id != category_id
        ):
            VirtualProduct.objects.filter(pk=found.pk).update(category_id=category_id)
            found.category_id = category_id
        return found
    try:
        with transaction.atomic():
            return VirtualProduct.objects.create(
                customization=customization,
                connection=connection,
                base_product_id=base,
                category_id=category_id,
                design_name=design_name(customization),
                requested_by=user,
            )
    except IntegrityError:  # made by a concurrent request a moment ago
        return VirtualProduct.objects.get(customization=customization, connection=connection, base_product_id=base)


def _claim(customization_id: int, connection_id: int) -> list[VirtualProduct]:
    """The design's rows to send, claimed (SENDING) by this worker alone."""
    stale = timezone.now() - SENDING_STALE_AFTER
    with transaction.atomic():
        rows = list(
            VirtualProduct.objects.select_for_update(skip_locked=True)
            .filter(customization_id=customization_id, connection_id=connection_id)
            .filter(state__in=[VirtualProduct.State.QUEUED, VirtualProduct.State.FAILED])
            .order_by("pk")
        ) + list(
            VirtualProduct.objects.select_for_update(skip_locked=True)
            .filter(
                customization_id=customization_id,
                connection_id=connection_id,
                state=VirtualProduct.State.SENDING,
                updated_at__lt=stale,
            )
            .order_by("pk")
        )
        for row in rows:
            row.state = VirtualProduct.State.SENDING
            row.attempts += 1
            row.error = ""
            row.save(update_fields=["state", "attempts", "error", "updated_at"])
    return rows


def _mark(rows: Sequence[VirtualProduct], state: str, error: str = "", **fields) -> None:
    VirtualProduct.objects.filter(pk__in=[r.pk for r in rows]).update(
        state=state, error=error, updated_at=timezone.now(), **fields
    )


def virtual_products_create(customization_id: int, connection_id: int) -> str:
    """Host the design's print file at the partner and make the claimed rows' virtual products.
    Returns what happened in a word. Raises VendorRetryable when hosting the file failed for now
    (nothing was made: the task tries again); every other outcome is on the rows, in words."""
    customization = Customization.objects.filter(pk=customization_id).first()
    connection = VendorConnection.objects.filter(pk=connection_id).first()
    if customization is None or connection is None:
        return "gone"
    rows = _claim(customization_id, connection_id)
    if not rows:
        return "nothing to do"
    artwork = design_artwork(customization)
    if not connection.spec.has(Capability.VIRTUAL_PRODUCTS):
        _mark(rows, VirtualProduct.State.FAILED, f"{connection.spec.label} does not make virtual products.")
        return "failed"
    if artwork is None or customization.decision != Customization.Decision.APPROVED:
        _mark(rows, VirtualProduct.State.FAILED, "The design is not approved or its print file is not downloaded.")
        return "failed"
    by_category: dict[str, list[VirtualProduct]] = {}
    for row in rows:
        by_category.setdefault(row.category_id, []).append(row)
    try:
        with connection_partner(connection) as adapter:
            partner = cast(VirtualProductsMaker, adapter)  # the spec declares VIRTUAL_PRODUCTS
            hosted = partner.artwork_host(artwork_url(artwork))
            hosting = {
                "artwork_sha256": artwork.sha256,
                "original_url": hosted.original,
                "preview_url": hosted.preview,
                "processed_url": hosted.processed,
            }
            _mark(rows, VirtualProduct.State.SENDING, **hosting)
            to_publish = ArtworkToPublish(
                design_name=design_name(customization),
                original_url=hosted.original,
                preview_url=hosted.preview or hosted.original,
            )
            outcomes = [_publish(partner, group, category, to_publish) for category, group in by_category.items()]
            return next((o for o in outcomes if o != "created"), "created")
    except (NotSupported, ValueError) as exc:
        _mark(rows, VirtualProduct.State.FAILED, str(exc))
        return "failed"
    except VendorRetryable as exc:
        # Only hosting the file can get here (_publish keeps its own): nothing was made yet.
        _mark(rows, VirtualProduct.State.QUEUED, f"Will try again: {exc}")
        raise
    except VendorError as exc:
        _mark(rows, VirtualProduct.State.FAILED, str(exc))
        return "failed"


def _publish(
    partner: VirtualProductsMaker, rows: list[VirtualProduct], category_id: str, artwork: ArtworkToPublish
) -> str:
    bases = [row.base_product_id for row in rows]
    try:
        answer = partner.virtual_products_create(bases, category_id, [artwork])
    except VendorRetryable as exc:
        _mark(
            rows,
            VirtualProduct.State.CHECK,
            f"The answer was lost ({exc}): the partner may have made these products. "
            "Check in its product manager before trying again.",
        )
        return "check"
    except VendorError as exc:
        _mark(rows, VirtualProduct.State.FAILED, str(exc))
        return "failed"
    ids = list(answer.product_ids)
    said = "; ".join(answer.errors)
    raw = answer.raw if isinstance(answer.raw, dict) else {}
    # One artwork and N base products: N products. The doc does not say the ids come in the
    # order of the base products; we take them so when the counts agree (the vendor's own pages
    # show one product per base product, in order) and keep every id on each row when they don't.
    if len(ids) == len(rows):
        for row, vendor_id in zip(rows, ids, strict=True):
            _mark([row], VirtualProduct.State.CREATED, said, vendor_id=vendor_id, vendor_ids=[vendor_id], raw=raw)
        return "created"
    if said and len(ids) < len(rows):
        # Partial: some were refused. Which? Unknown; each row keeps the ids that did come.
        _mark(
            rows,
            VirtualProduct.State.CHECK,
            f"Partly made ({len(ids)} of {len(rows)}): {said}",
            vendor_ids=ids,
            raw=raw,
        )
        return "partial"
    _mark(
        rows,
        VirtualProduct.State.CREATED,
        f"The partner answered {len(ids)} ids for {len(rows)} base products: which is which is not known."
        + (f" It said: {said}" if said else ""),
        vendor_ids=ids,
        raw=raw,
    )
    return "created"


def virtual_products_gave_up(customization_id: int, connection_id: int, exc: BaseException) -> str:
    """The task's retries are spent (hosting the print file kept failing): the design's rows
    still waiting are failed, with the last reason in words, for staff to run the action again."""
    VirtualProduct.objects.filter(
        customization_id=customization_id, connection_id=connection_id, state=VirtualProduct.State.QUEUED
    ).update(
        state=VirtualProduct.State.FAILED, error=f"Gave up after several attempts: {exc}", updated_at=timezone.now()
    )
    return "gave up"
