"""The day's operations in the demo (issue 12): what the home dashboard, the activity feed and the
rules screens show on a first look. Run at the end of each partner's fulfilment demo
(integrations.sandbox.demo.demo_fulfilment_run), idempotently."""

from __future__ import annotations

from fulfilment.models import FulfilmentOrder, StockLevel
from operations.models import AutomationRule, Note
from operations.services.notes import note_add, tag_add
from orders.models import VendorConnection

# Thresholds for the demo's stock (STOCK in demo.py): the stamp (0 left) shows as low stock.
LOW_STOCK = {"MUG-11-WHITE": 20, "TEE-M-BLACK": 10, "STAMP-2X2": 5}


def demo_operations(connection: VendorConnection, user) -> None:
    for sku, threshold in LOW_STOCK.items():
        StockLevel.objects.filter(connection=connection, sku=sku, low_stock_threshold=None).update(
            low_stock_threshold=threshold
        )
    order = FulfilmentOrder.objects.filter(connection=connection).order_by("pk").first()
    if order is not None and not Note.objects.filter(fulfilment_order=order).exists():
        tag_add(obj=order, user=user, name="vip")
        note_add(obj=order, author=user, text="Repeat customer: check the gift message before it ships.")
    # Switched off, so the review queue keeps its designs for staff to try; a Manager turns it on.
    AutomationRule.objects.get_or_create(
        name="Auto-approve clean designs",
        defaults={"kind": AutomationRule.Kind.AUTO_APPROVE, "enabled": False, "created_by": user},
    )
