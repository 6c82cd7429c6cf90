"""What every test-only fulfilment partner shares: a client that calls nobody (the adapter keeps
its script in module state) and the adapter's constructor."""

from __future__ import annotations

from dataclasses import dataclass, field

from integrations.partners import PartnerAdapter


@dataclass
class FakeClient:
    calls: list = field(default_factory=list)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def close(self):
        pass


class FakePartner(PartnerAdapter):
    label = "Fake partner"
    idempotent_send = True
