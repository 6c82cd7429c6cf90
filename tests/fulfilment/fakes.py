"""What every test-only fulfilment partner shares: a client that calls nobody (the adapter keeps
its script in module state) and the adapter's constructor."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FakeClient:
    calls: list = field(default_factory=list)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def close(self):
        pass


class FakePartner:
    label = "Fake partner"
    idempotent_send = True

    def __init__(self, config, client=None):
        self.config, self.client = config, client
