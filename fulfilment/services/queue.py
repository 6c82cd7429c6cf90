"""The background tasks of `fulfilment`, by the names they are registered under.

Services and admin actions queue work by name (`config.celery.queue_on_commit`), so nothing
below the entry points imports `fulfilment.tasks`, which imports the services; the tasks are
declared with `name=` one of these."""

from config.celery import queue_on_commit

SEND_TASK = "fulfilment.tasks.fulfilment_order_send_task"
RECONCILE_TASK = "fulfilment.tasks.fulfilment_orders_reconcile_task"
INCOMING_PRUNE_TASK = "fulfilment.tasks.incoming_prune_task"
STOCK_IMPORTS_PRUNE_TASK = "fulfilment.tasks.stock_imports_prune_task"
PUSHED_ORDER_SHIP_TASK = "fulfilment.tasks.pushed_order_ship_task"
STOCK_PUSH_TASK = "fulfilment.tasks.stock_push_task"
PROBE_TASK = "fulfilment.tasks.fulfilment_order_probe_task"


def pushed_orders_ship_queue(order_ids) -> list[int]:
    """Queue the shipping of these pushed orders (staff's Ship action), once the request's
    transaction commits; one task per order. Returns the ids queued."""
    queued = [int(pk) for pk in order_ids]
    for pk in queued:
        queue_on_commit(PUSHED_ORDER_SHIP_TASK, pk)
    return queued


def stock_push_queue(connection_id: int, *, level_ids=None, user_id: int | None = None) -> None:
    """Queue a push of a connection's stock levels (the given ones, or every changed one when
    `level_ids` is None) once the request's transaction commits. The push is recorded as a
    StockPush, whatever its outcome."""
    ids = None if level_ids is None else sorted(int(pk) for pk in level_ids)
    queue_on_commit(STOCK_PUSH_TASK, connection_id, level_ids=ids, user_id=user_id)


PRINT_FILES_POLL_TASK = "fulfilment.tasks.partner_print_files_poll_task"
PRINT_FILE_RETRY_TASK = "fulfilment.tasks.partner_print_file_retry_task"

CREATOR_PRODUCT_SNAPSHOT_TASK = "fulfilment.tasks.creator_product_snapshot_task"
PUSHED_ASSETS_TASK = "fulfilment.tasks.pushed_assets_task"

SHIPPING_LABEL_FETCH_TASK = "fulfilment.tasks.shipping_label_fetch_task"


def shipping_label_fetch_queue(shipment_id: int) -> None:
    """Queue downloading a shipment's label again (from the partner's label link) on commit."""
    queue_on_commit(SHIPPING_LABEL_FETCH_TASK, int(shipment_id))
