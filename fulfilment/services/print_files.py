"""Print files a partner makes (Capability.PRINT_FILE_POLLING), vendor-neutral: one
PartnerPrintFile per item sent, polled through the partner's adapter (`print_file_status`) with
exponential backoff until it settles; a ready one is downloaded (`download`) into storage,
identified by its bytes (integrations.filetypes: a real PDF or image, anything else fails with
the reason in words), measured and previewed. A PRINT_FILES_READY hook only makes them due now;
its body is never trusted for a state or a URL.

Polling is at least once and harmless twice: a poll run claims the rows it takes (their
`next_poll_at` pushed past a lease, under SKIP LOCKED), so two workers never poll one item at once,
and a row whose worker died is due again once the lease is over.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from config.celery import queue_on_commit
from integrations.filetypes import PDF, FileRefused, Sniffed
from integrations.http import VendorError, VendorRetryable
from integrations.partners import NotSupported, PrintFileReport, PrintFileState
from integrations.registry import Capability
from orders.models import VendorConnection
from orders.services.files import download_stored

from ..models import FulfilmentItem, FulfilmentOrder, PartnerPrintFile
from ..pdfium import pdf_pages_render
from .announce import print_file_announce
from .partners import connection_partner
from .queue import PRINT_FILE_RETRY_TASK, PRINT_FILES_POLL_TASK
from .ratelimit import RateLimited, rate_limit_take

logger = logging.getLogger(__name__)
State = PartnerPrintFile.State
# A claimed row is not due again for this long (the worker polling it died, say).
LEASE = timedelta(minutes=10)
PREVIEW_MAX_SIDE = 800  # px: the preview's longer side
UNSETTLED = Q(next_poll_at__isnull=False)
STATE_OF = {
    PrintFileState.RECEIVED: State.RECEIVED,
    PrintFileState.PROCESSING: State.PROCESSING,
    PrintFileState.FAILED: State.FAILED,
    PrintFileState.READY: State.READY,
}


def poll_delay(polls: int) -> timedelta:
    """The wait before the next poll of an item polled `polls` times: PRINT_FILE_POLL_BASE_SECONDS,
    doubling each time, capped at PRINT_FILE_POLL_MAX_SECONDS."""
    base, cap = settings.PRINT_FILE_POLL_BASE_SECONDS, settings.PRINT_FILE_POLL_MAX_SECONDS
    return timedelta(seconds=min(cap, base * 2 ** min(max(polls - 1, 0), 30)))


def polls_print_files(connection: VendorConnection) -> bool:
    try:
        return connection.spec.has(Capability.PRINT_FILE_POLLING)
    except KeyError:
        return False


def partner_print_files_track(order: FulfilmentOrder, *, now: datetime | None = None) -> int:
    """One PartnerPrintFile per item of a sent order whose partner makes print files (first poll
    after PRINT_FILE_POLL_BASE_SECONDS); nothing for other partners. Twice is harmless."""
    if not polls_print_files(order.connection):
        return 0
    now = now or timezone.now()
    items = FulfilmentItem.objects.filter(order=order, partner_print_file__isnull=True).select_related("order")
    rows = [
        PartnerPrintFile(order=order, item=item, store_item_id=item.store_item_id, next_poll_at=now + poll_delay(0))
        for item in items
    ]
    PartnerPrintFile.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def partner_print_files_unsettled(connection: VendorConnection | None = None) -> QuerySet:
    queryset = PartnerPrintFile.objects.filter(UNSETTLED)
    return queryset.filter(order__connection=connection) if connection is not None else queryset


# -- polling -----------------------------------------------------------------------------------


@dataclass
class PollSummary:
    polled: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        self.polled += 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def as_dict(self) -> dict:
        return {"polled": self.polled, **self.outcomes}


def _claim(queryset: QuerySet, limit: int, now: datetime) -> list[int]:
    with transaction.atomic():
        ids = list(
            queryset.select_for_update(skip_locked=True, of=("self",))
            .order_by("next_poll_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        PartnerPrintFile.objects.filter(pk__in=ids).update(next_poll_at=now + LEASE)
    return ids


def partner_print_files_poll(
    *,
    connection: VendorConnection | None = None,
    every: bool = False,
    ids: Iterable[int] | None = None,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> PollSummary:
    """Poll the due, unsettled print files (of one connection; `every`: all unsettled ones, due or
    not; `ids`: only those), at most `limit` (PRINT_FILE_POLL_BATCH) in this run. Returns what
    each poll came to. `progress(done, total)` is called after each."""
    now = now or timezone.now()
    queryset = partner_print_files_unsettled(connection)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    if not every:
        queryset = queryset.filter(next_poll_at__lte=now)
    claimed = _claim(queryset, limit or settings.PRINT_FILE_POLL_BATCH, now)
    summary = PollSummary()
    rows = PartnerPrintFile.objects.filter(pk__in=claimed).select_related("order__connection", "item")
    by_connection: dict[int, list[PartnerPrintFile]] = {}
    for row in rows.order_by("pk"):
        by_connection.setdefault(row.order.connection_id, []).append(row)
    done = 0
    for group in by_connection.values():
        try:
            with connection_partner(group[0].order.connection) as partner:
                for row in group:
                    summary.count(partner_print_file_poll(row, partner=partner))
                    done += 1
                    if progress:
                        progress(done, len(claimed))
        except Exception:
            # Whatever stopped this group: its rows not polled yet (still on the lease) are due again now.
            PartnerPrintFile.objects.filter(pk__in=[r.pk for r in group], next_poll_at=now + LEASE).update(
                next_poll_at=now
            )
            raise
    return summary


class Superseded(Exception):
    """The row was made due again while this poll was asking (a notification): this answer is
    dropped and the next poll's, newer, is kept."""


def partner_print_file_poll(row: PartnerPrintFile, *, partner: Any, now: datetime | None = None) -> str:
    """Ask the partner where one print file is and apply the answer; returns the outcome in one
    word (its state, "later", "waiting", "superseded"). Never raises for what the partner says or
    sends. Every write is made only while the row still holds this poll's claim (its
    `next_poll_at` as claimed): a notification that makes it due meanwhile wins, so a late
    "processing" never lands over a newer answer and the notification's poll is never lost."""
    try:
        return _poll(row, partner=partner, now=now or timezone.now(), held=row.next_poll_at)
    except Superseded:
        return "superseded"


def _poll(row: PartnerPrintFile, *, partner: Any, now: datetime, held: datetime | None) -> str:
    connection = row.order.connection
    try:
        rate_limit_take(connection)
    except RateLimited as exc:
        print_file_update(row, held=held, next_poll_at=exc.retry_at, error=f"Waiting: {exc}; polled then.")
        return "waiting"
    polls = row.polls + 1
    seen: dict[str, Any] = {"polls": polls, "last_polled_at": now}
    try:
        report: PrintFileReport = partner.print_file_status(row.store_item_id)
    except NotSupported as exc:
        print_file_update(
            row, **seen, next_poll_at=None, error=f"{connection.spec.label} cannot report print files: {exc}"
        )
        return "unsupported"
    except VendorRetryable as exc:
        print_file_update(
            row, **seen, next_poll_at=now + poll_delay(polls), error=f"Could not ask, will poll again: {exc}"
        )
        return "later"
    except VendorError as exc:
        print_file_update(
            row, **seen, next_poll_at=now + poll_delay(polls), error=f"The partner refused the poll: {exc}"
        )
        return "refused"
    said = {"vendor_code": str(report.code or "")[:64], "raw": _jsonable(report.raw)}
    state = STATE_OF.get(report.state) if report.state is not None else None
    if state is None:
        print_file_update(
            row,
            held=held,
            **seen,
            **said,
            state=State.UNKNOWN,
            next_poll_at=now + poll_delay(polls),
            error=f"The partner said {report.code!r}, a state we do not know: polled again.",
        )
        return State.UNKNOWN
    if state == State.FAILED:
        print_file_update(
            row,
            held=held,
            **seen,
            **said,
            state=State.FAILED,
            url="",
            next_poll_at=None,
            error=f"{connection.spec.label} could not make this print file ({report.code}). Retry asks it to remake it.",
        )
        return State.FAILED
    if state != State.READY:
        print_file_update(
            row, held=held, **seen, **said, state=state, url="", next_poll_at=now + poll_delay(polls), error=""
        )
        return state
    url = (report.url or "").strip()[:2000]
    if not url:
        print_file_update(
            row,
            held=held,
            **seen,
            **said,
            state=State.UNKNOWN,
            url="",
            next_poll_at=now + poll_delay(polls),
            error="The partner said ready but gave no URL: polled again.",
        )
        return State.UNKNOWN
    print_file_update(row, held=held, **seen, **said, state=State.READY, url=url)
    return _download(row, partner, url, now=now, polls=polls, held=held)


def print_file_update(row: PartnerPrintFile, *, held: datetime | None = None, **fields) -> None:
    """Write `fields` on the row; with `held` (a poll's claim), only while its `next_poll_at` is
    still that, else Superseded."""
    queryset = PartnerPrintFile.objects.filter(pk=row.pk)
    if held is not None:
        queryset = queryset.filter(next_poll_at=held)
    if not queryset.update(**fields, updated_at=timezone.now()) and held is not None:
        raise Superseded
    if "state" in fields and fields["state"] != row.state:
        print_file_announce(row.pk, previous_state=row.state)
    for name, value in fields.items():
        setattr(row, name, value)


def _jsonable(raw) -> dict:
    try:
        import json

        return json.loads(json.dumps(dict(raw or {}), default=str))
    except (TypeError, ValueError):
        return {}


# -- the file -------------------------------------------------------------------------------------


class TooLarge(Exception):
    pass


class _Capped(io.RawIOBase):
    """A write-only file that refuses more than `limit` bytes (whatever the partner's download
    does), hashing what it writes."""

    def __init__(self, target: IO[bytes], limit: int):
        self.target, self.limit, self.size, self.digest = target, limit, 0, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge(f"over the limit of {self.limit:,} bytes")
        self.digest.update(data)
        return self.target.write(data)


def _download(
    row: PartnerPrintFile, partner: Any, url: str, *, now: datetime, polls: int, held: datetime | None
) -> str:
    base = f"partner-print-files/{row.order.connection_id}/{_safe(row.store_item_id)}"
    capped: list[_Capped] = []
    seen: dict[str, Any] = {}

    def fetch(tmp: IO[bytes]) -> Any:
        capped.append(_Capped(tmp, settings.PRINT_FILE_MAX_BYTES))
        return partner.download(url, capped[0])

    def examine(tmp: IO[bytes], sniffed: Sniffed) -> None:
        seen.update(measured=_measure(tmp, sniffed), preview=_preview(tmp, sniffed))

    try:
        stored, _, sniffed = download_stored(
            fetch, lambda result, extension: f"{base}.{extension}", what="print file", inspect=examine
        )
    except TooLarge as exc:
        return _refused(row, held, f"The print file is too large ({exc}).")
    except FileRefused as exc:
        return _refused(row, held, f"The print file is {exc}.")
    except VendorRetryable as exc:
        print_file_update(
            row,
            held=held,
            next_poll_at=now + poll_delay(polls),
            error=f"Ready, but the download failed: {exc}. Tried again.",
        )
        return "later"
    except VendorError as exc:
        return _refused(row, held, f"Ready, but the download was refused: {exc}")
    measured, preview = seen["measured"], seen["preview"]
    preview_name = default_storage.save(f"{base}-preview.png", ContentFile(preview)) if preview else ""
    try:
        print_file_update(
            row,
            held=held,
            file=stored,
            preview=preview_name,
            content_type=sniffed.content_type,
            size_bytes=capped[0].size,
            sha256=capped[0].digest.hexdigest(),
            next_poll_at=None,
            error="",
            **measured,
        )
    except Superseded:
        for name in (stored, preview_name):  # a newer poll stores its own
            if name:
                default_storage.delete(name)
        raise
    return "stored"


def _refused(row: PartnerPrintFile, held: datetime | None, reason: str) -> str:
    print_file_update(row, held=held, state=State.FAILED, next_poll_at=None, error=reason[:2000])
    return State.FAILED


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:100] or "item"


def _measure(tmp: IO[bytes], sniffed: Sniffed) -> dict:
    if sniffed.content_type == PDF:
        from pypdf import PdfReader

        tmp.seek(0)
        pages = len(PdfReader(tmp, strict=False).pages)
        tmp.seek(0)
        return {"page_count": pages, "width": None, "height": None}
    return {"page_count": 1, "width": sniffed.width, "height": sniffed.height}


def _preview(tmp: IO[bytes], sniffed: Sniffed) -> bytes:
    """A PNG of the file (a PDF's first page rendered with PDFium; an image downscaled), at most
    PREVIEW_MAX_SIDE px on its longer side. b"" when it cannot be made (the file is still kept)."""
    from PIL import Image

    tmp.seek(0)
    try:
        if sniffed.content_type == PDF:
            (image,) = pdf_pages_render(
                tmp.read(), pages=1, scale=lambda width, height: min(2.0, PREVIEW_MAX_SIDE / max(width, height, 1))
            )
        else:
            image = Image.open(tmp)
            image.draft("RGB", (PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))
            image.load()
        image.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()
    except Exception as exc:  # a preview is a convenience: the file stays, without one
        logger.warning("print file preview failed: %s", type(exc).__name__)
        return b""
    finally:
        tmp.seek(0)


# -- the notification and Retry ---------------------------------------------------------------------


def partner_print_files_due_now(
    connection: VendorConnection, store_item_ids: Iterable[str] = (), *, now: datetime | None = None
) -> int:
    """A PRINT_FILES_READY hook: the unsettled print files it names (all of the connection's when
    it names none we have) are due now, and a poll of them is queued. Returns how many."""
    now = now or timezone.now()
    wanted = [str(sid)[:140] for sid in store_item_ids if str(sid).strip()]
    queryset = partner_print_files_unsettled(connection)
    if wanted:
        queryset = queryset.filter(store_item_id__in=wanted)
    ids = list(queryset.values_list("pk", flat=True)[:1000])
    PartnerPrintFile.objects.filter(pk__in=ids).update(next_poll_at=now)
    if ids:
        queue_on_commit(PRINT_FILES_POLL_TASK, connection.pk, ids=ids)
    return len(ids)


def partner_print_file_retry_queue(row: PartnerPrintFile) -> str:
    """Staff's Retry, in words: a failed file is remade (queued), an unsettled one polled now, a
    stored one left alone."""
    if row.state == State.FAILED:
        queue_on_commit(PRINT_FILE_RETRY_TASK, row.pk)
        return "remake"
    if row.settled:
        return "settled"
    now = timezone.now()
    PartnerPrintFile.objects.filter(pk=row.pk).update(next_poll_at=now)
    queue_on_commit(PRINT_FILES_POLL_TASK, row.order.connection_id, ids=[row.pk])
    return "poll"
