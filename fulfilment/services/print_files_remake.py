"""Staff's Retry of a failed partner print file: the partner is asked to make it again (its line
sent anew through the adapter's `update`, where FULFILMENT_UPDATE is declared), and it is polled
again from `received`. Apart from print_files.py because it builds the line as a send does
(orders.order_to_send), and orders.py records print files to poll when an order is sent."""

from __future__ import annotations

from django.utils import timezone

from integrations.http import VendorError
from integrations.partners import NotSupported, OrderChanges
from integrations.registry import Capability

from ..models import PartnerPrintFile, VendorOrder
from .orders import order_to_send
from .partners import connection_partner
from .print_files import State, poll_delay, print_file_update
from .ratelimit import RateLimited, rate_limit_take


def partner_print_file_remake(row: PartnerPrintFile) -> str:
    """Ask the partner to make a failed print file again (its line sent anew through
    `update`, where FULFILMENT_UPDATE is declared), then poll it soon from `received`. In words."""
    row = PartnerPrintFile.objects.select_related("order__connection", "item").get(pk=row.pk)
    if row.state != State.FAILED:
        return f"{row.store_item_id} has not failed: nothing remade."
    connection = row.order.connection
    if not connection.spec.has(Capability.FULFILMENT_UPDATE):
        message = f"{connection.spec.label} cannot be asked to remake print files through its API: ask the partner."
        print_file_update(row, error=message)
        return message
    vendor_id = (
        VendorOrder.objects.filter(fulfilment_order=row.order)
        .order_by("pk")
        .values_list("vendor_id", flat=True)
        .first()
    )
    line = next((line for line in order_to_send(row.order).lines if line.reference == row.item.external_ref), None)
    if not vendor_id or line is None:
        message = "Not remade: the order has no id at the partner (or the line is gone)."
        print_file_update(row, error=message)
        return message
    try:
        rate_limit_take(connection)
        with connection_partner(connection) as partner:
            partner.update(vendor_id, OrderChanges(lines=(line,)))
    except RateLimited as exc:
        message = f"Not remade yet: {exc}. Retry again then."
        print_file_update(row, error=message)
        return message
    except (VendorError, NotSupported) as exc:
        message = f"Not remade: {exc}"
        print_file_update(row, error=message[:2000])
        return message
    _reset(row)
    return f"{row.store_item_id}: asked {connection.spec.label} to remake it; polled again soon."


def _reset(row: PartnerPrintFile) -> None:
    for name in ("file", "preview"):
        stored = getattr(row, name)
        if stored:
            stored.delete(save=False)
    print_file_update(
        row,
        state=State.RECEIVED,
        vendor_code="",
        url="",
        polls=0,
        next_poll_at=timezone.now() + poll_delay(0),
        file="",
        preview="",
        content_type="",
        size_bytes=None,
        sha256="",
        page_count=None,
        width=None,
        height=None,
        error="",
    )
