"""The fake vendor's customizations, as neutral records: two designs, listed complete."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from integrations.sources import CustomizationRecord, CustomizationSource, Listed, Page, SideRecord

DESIGNS = {"F-1": "Fake mug", "F-2": "Fake tee"}


class FakeVendorSource(CustomizationSource):
    dated = False

    def customizations(self, *, start: datetime, end: datetime) -> Iterator[Page]:
        made = datetime(2026, 1, 5, tzinfo=UTC)
        records = [
            CustomizationRecord(
                external_id=external_id,
                raw={"id": external_id, "tenant": self.client.tenant},
                product_title=title,
                customized_at=made,
                sides=(SideRecord(external_id=f"{external_id}-front", position=0, name="Front"),),
            )
            for external_id, title in DESIGNS.items()
        ]
        yield Page(tuple(Listed(r.external_id, dated=made, record=r) for r in records), progress=1.0)
