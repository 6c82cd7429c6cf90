"""Announcing changes to apps built on fulfilment (fulfilment/signals.py), once they are committed.

A receiver that fails is logged and never fails the service that announced the change."""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

from ..models import FulfilmentOrder, PartnerPrintFile
from ..signals import fulfilment_order_changed, print_file_changed

logger = logging.getLogger(__name__)


def fulfilment_order_announce(order_id: int, *, previous_state: str = "", previous_status: str = "") -> None:
    """fulfilment_order_changed for this order, with the order as committed, after the commit."""

    def send() -> None:
        order = FulfilmentOrder.objects.filter(pk=order_id).first()
        if order is not None:
            _send(
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
            _send(print_file_changed, sender=PartnerPrintFile, print_file=print_file, previous_state=previous_state)

    transaction.on_commit(send)


def _send(signal: Signal, **kwargs) -> None:
    for receiver, answer in signal.send_robust(**kwargs):
        if isinstance(answer, Exception):
            logger.error("a receiver of a fulfilment signal failed: %s (%s)", receiver, type(answer).__name__)
