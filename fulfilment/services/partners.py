"""The partner adapter of a connection (integrations.partners), from its vendor's spec: the one
way the fulfilment services reach a partner, without knowing which one it is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from integrations.partners import FulfilmentPartner
from orders.models import VendorConnection
from orders.services.connections import connection_client


class NoPartner(ValueError):
    """The connection's vendor is not a fulfilment partner (its spec declares none)."""


def partner_class(connection: VendorConnection) -> type[FulfilmentPartner]:
    factory = connection.spec.partner
    if factory is None:
        raise NoPartner(f"{connection.spec.label} is not a fulfilment partner.")
    return factory


@contextmanager
def connection_partner(connection: VendorConnection) -> Iterator[FulfilmentPartner]:
    """The connection's partner with its client (closed after use)."""
    factory = partner_class(connection)
    with connection_client(connection) as client:
        yield factory(connection.config(), client)


def partner_offline(connection: VendorConnection) -> FulfilmentPartner:
    """The partner without a client: for what needs no call (building a body, reading a code)."""
    return partner_class(connection)(connection.config(), None)


STORE_IDS = "store_ids"


def partner_stores(connection: VendorConnection) -> list[str]:
    """The partner's stores this connection may send to, when its spec declares a `store_ids`
    setting (a list, or text separated by commas or spaces); [] when it has none."""
    if not any(setting.name == STORE_IDS for setting in connection.spec.settings):
        return []
    value = (connection.settings or {}).get(STORE_IDS) or []
    items = value if isinstance(value, list | tuple) else str(value).replace(",", " ").split()
    return [text for text in (str(item).strip() for item in items) if text]
