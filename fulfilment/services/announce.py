"""Announcing changes to apps built on fulfilment (fulfilment/signals.py), once they are committed.

A receiver that fails is logged and never fails the service that announced the change."""

from __future__ import annotations

from django.db import transaction

from orders.signals import send_logged

from ..models import FulfilmentOrder, PartnerPrintFile
from ..signals import fulfilment_order_changed, print_file_changed


def fulfilment_order_announce(order_id: int, *, previous_state: str = "", previous_status: str = "") -> None:
    """fulfilment_order_changed for this order, with the order as committed, after the commit."""

    def send() -> None:
        order = FulfilmentOrder.objects.filter(pk=order_id).first()
        if order is not None:
            send_logged(
                fulfilment_order_changed,
                sender=FulfilmentOrder,
                order=order,
                previous_state=previous_state,
                previous_status=previous_status,
            )

    transaction.on_commit(send)


def print_file_announce(print_file_id: int, *, previous_state: str = "") -> None:
    """print_file_changed for this partner print file, after the commit."""

    def send() -> None:
        print_file = PartnerPrintFile.objects.filter(pk=print_file_id).select_related("order").first()
        if print_file is not None:
            send_logged(
                print_file_changed, sender=PartnerPrintFile, print_file=print_file, previous_state=previous_state
            )

    transaction.on_commit(send)
