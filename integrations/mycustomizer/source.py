"""Kickflip's and MyCustomizer's customizations as neutral records. The API has no date filter,
so every sync walks both listings (ascending, by lastIndex: see the client) and the sync
compares before writing: designs first (complete in the listing, no detail call), then orders,
whose lines point at designs; a design an order names that the listing did not show is read by
id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ..sources import CustomizationRecord, CustomizationSource, Listed, Page, Skipped, StoreOrderRecord, Unreadable
from . import wire
from .client import MyCustomizerClient

PAGE_SIZE = 100
UNREADABLE = (ValueError, TypeError, KeyError, AttributeError)


class MyCustomizerSource(CustomizationSource):
    dated = False
    lists_store_orders = True

    client: MyCustomizerClient
    page_size: int

    def __init__(self, client: MyCustomizerClient, *, page_size: int | None = None):
        super().__init__(client, page_size=page_size or PAGE_SIZE)

    def customizations(self, *, start: datetime, end: datetime) -> Iterator[Page]:
        """Every design the listing shows (the window is ignored: the API cannot filter by date),
        one page per page of the API; the designs are complete, so no detail call follows."""
        items: list[Listed | Skipped] = []
        for design in self.client.iter_designs(page_size=self.page_size):
            items.append(_design_listed(design))
            if len(items) >= self.page_size:
                yield Page(items=tuple(items))
                items = []
        if items:
            yield Page(items=tuple(items))

    def customization(self, external_id: str) -> CustomizationRecord:
        design = self.client.design(external_id)
        try:
            return wire.design_record(design)
        except UNREADABLE as exc:
            raise Unreadable(f"unreadable design ({exc})") from exc

    def store_orders(self) -> Iterator[StoreOrderRecord | Skipped]:
        for order in self.client.iter_orders(page_size=self.page_size):
            try:
                yield wire.store_order_record(order)
            except UNREADABLE as exc:
                yield Skipped(external_id=wire.record_id(order), what=wire.record_id(order) or "?", reason=str(exc))


def _design_listed(design: dict) -> Listed | Skipped:
    design_id = wire.record_id(design)
    try:
        return Listed(external_id=design_id, record=wire.design_record(design))
    except UNREADABLE as exc:
        return Skipped(external_id=design_id, what=design_id or "without id", reason=f"unreadable design ({exc})")
