"""Qstomizer's customizations as neutral records: the date-window sweep of the list call (see
`QstomizerClient.iter_windows`), one detail call per new or changed customization, and the
two-step HD flow for print files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import IO

from ..http import DownloadResult
from ..sources import CustomizationRecord, CustomizationSource, Listed, Page, Unreadable
from . import wire
from .client import QstomizerClient
from .types import PAGE_LIMIT

ONE_SECOND = timedelta(seconds=1)


class QstomizerSource(CustomizationSource):
    dated = True
    # The doc names no time zone for its dates; a day's margin past "now" covers any shop's clock.
    clock_margin = timedelta(days=1)

    client: QstomizerClient

    def __init__(self, client: QstomizerClient, *, page_size: int | None = None):
        super().__init__(client, page_size=page_size)
        self.page_limit = page_size or PAGE_LIMIT

    def customizations(self, *, start: datetime, end: datetime) -> Iterator[Page]:
        """One page per window of the sweep; a window is read once all of it is written, so the
        watermark is the second after its end."""
        span = max((end - start).total_seconds(), 1.0)
        for window in self.client.iter_windows(start=start, end=end, limit=self.page_limit):
            warnings: tuple[str, ...] = ()
            if not window.complete:
                warnings = (
                    f"More than {self.page_limit} customizations are dated {window.start:%Y-%m-%d %H:%M:%S}; "
                    f"the API returns at most {self.page_limit} for one second, so some of them may be missing.",
                )
            yield Page(
                items=tuple(wire.listed(item.order_id, item.rows) for item in window.customizations),
                read_until=window.end + ONE_SECOND,
                progress=min(1.0, (window.end - start).total_seconds() / span),
                warnings=warnings,
            )

    def detail(self, listed: Listed) -> CustomizationRecord:
        data = self.client.customization(int(listed.external_id))
        try:
            return wire.customization_record(listed, data)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise Unreadable(f"unreadable data ({exc})") from exc

    def merge(self, first: Listed, second: Listed) -> Listed:
        return wire.listed_merge(first, second)

    def print_file_download(self, print_file_url: str, fileobj: IO[bytes]) -> DownloadResult:
        return self.client.hd_download(print_file_url, fileobj)[1]
