"""Celery entry points of `fulfilment`: thin, each calls one service, all in one declarative style.

At-least-once (Celery's guidance for acks_late tasks): every task here may run twice, and the
services make that harmless (a send claims its order; a second POST answers 8001; a pushed order
with shipments is not shipped again; a stock PUT sets levels). Transient failures are retried by
Celery itself (`autoretry_for`, exponential backoff with jitter, at most `max_retries`); when the
retries are spent, `on_failure` records the outcome in words through a service. Services and admin
actions never import this module: they queue these tasks by name (`fulfilment.services.queue`)."""

from __future__ import annotations

from celery import Task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError

from config.celery import failure_cause, reliable_task
from integrations.http import VendorError, VendorRetryable
from orders.models import VendorConnection
from orders.text import counted

from .models import CreatorProduct, FulfilmentOrder, PartnerPrintFile, PushedOrder, StockLevel
from .services import actions as action_services
from .services import incoming as incoming_services
from .services import incoming_deferred as incoming_deferred_services
from .services import orders as order_services
from .services import print_files as print_file_services
from .services import print_files_remake as print_file_remake_services
from .services import reconcile as reconcile_services
from .services import shipping as shipping_services
from .services import stock as stock_services
from .services import vendor_files as vendor_file_services
from .services import virtual_products as virtual_product_services
from .services.queue import (
    CREATOR_PRODUCT_SNAPSHOT_TASK,
    INCOMING_PRUNE_TASK,
    PRINT_FILE_RETRY_TASK,
    PRINT_FILES_POLL_TASK,
    PROBE_TASK,
    PUSHED_ASSETS_TASK,
    PUSHED_ORDER_SHIP_TASK,
    RECONCILE_TASK,
    SEND_TASK,
    STOCK_IMPORTS_PRUNE_TASK,
    STOCK_PUSH_TASK,
)

# Worth trying again soon: the vendor or the network, and a database that is briefly gone
# ("too many clients already", a restart, a failover).
TRANSIENT = (VendorRetryable, OperationalError, InterfaceError)
DATABASE_GONE = (OperationalError, InterfaceError)
# Backoff doubles from this many seconds (30, 60, 120, ...), with full jitter.
RETRY_BACKOFF = 30


class FulfilmentTask(Task):
    """Retries back off to at most FULFILMENT_RETRY_MAX_COUNTDOWN seconds, read when the retry is
    made (not when the module was imported): under the broker's visibility timeout, and under
    FULFILMENT_STUCK_AFTER_MINUTES, so the reconciler never takes a live retry for a stuck order.
    (`retry_backoff_max` is fixed when the task is declared; this applies the setting's value.)"""

    abstract = True

    def retry(
        self, args=None, kwargs=None, exc=None, throw=True, eta=None, countdown=None, max_retries=None, **options
    ):
        if countdown is not None:
            countdown = min(countdown, settings.FULFILMENT_RETRY_MAX_COUNTDOWN)
        return super().retry(args, kwargs, exc, throw, eta, countdown, max_retries, **options)


@reliable_task(
    name=SEND_TASK,
    base=FulfilmentTask,
    autoretry_for=TRANSIENT,
    retry_backoff=RETRY_BACKOFF,
    max_retries=5,
)
def fulfilment_order_send_task(self, order_id: int) -> str:
    order = FulfilmentOrder.objects.filter(pk=order_id).first()
    if order is None:
        return "gone"
    try:
        # A rate limit is not an error: the service records `next_attempt_at` and returns; the
        # reconciler queues it again when it is due, however long the limit lasts.
        return order_services.fulfilment_order_send(order).state
    except TRANSIENT:
        if self.request.retries < self.max_retries:
            raise  # autoretry_for: again after the backoff
        # Not "gave up": the order stays queued (or sending) and the reconciler, which counts
        # its own attempts, queues it again or fails it with the reason in words.
        return "left to the reconciler"


@reliable_task(
    name=RECONCILE_TASK,
    base=FulfilmentTask,
    autoretry_for=DATABASE_GONE,
    retry_backoff=RETRY_BACKOFF,
    max_retries=3,
)
def fulfilment_orders_reconcile_task(self) -> dict:
    """Beat, every minute: queue due and stuck orders again, or fail them after a bound."""
    return reconcile_services.fulfilment_orders_reconcile()


@reliable_task(
    name=INCOMING_PRUNE_TASK,
    base=FulfilmentTask,
    autoretry_for=DATABASE_GONE,
    retry_backoff=RETRY_BACKOFF,
    max_retries=3,
)
def incoming_prune_task(self) -> int:
    """Beat, daily: raw requests older than INCOMING_RETENTION_DAYS go."""
    return incoming_services.incoming_prune()


@reliable_task(
    name=STOCK_IMPORTS_PRUNE_TASK,
    base=FulfilmentTask,
    autoretry_for=DATABASE_GONE,
    retry_backoff=RETRY_BACKOFF,
    max_retries=3,
)
def stock_imports_prune_task(self) -> int:
    """Delete stock CSV uploads whose preview was never confirmed (beat, hourly)."""
    return stock_services.stock_imports_prune()


def _ship_failed(self, exc, task_id, args, kwargs, einfo) -> None:
    order_id = args[0] if args else kwargs.get("order_id")
    shipping_services.pushed_order_ship_failed(order_id, exc=failure_cause(exc))


@reliable_task(
    name=PUSHED_ORDER_SHIP_TASK,
    base=FulfilmentTask,
    # Never retried: the ship call is a POST, and after a timeout the vendor may have shipped, so
    # asking again could ship twice. A vendor error is recorded on the order by the service (state
    # and last error), anything else by on_failure; staff ship it again when it is understood.
    max_retries=0,
    on_failure=_ship_failed,
)
def pushed_order_ship_task(self, order_id: int) -> str:
    """Staff's Ship action: ship one pushed order and download its labels (they show on the
    order's page as today); the outcome is on the order's state and last error."""
    order = PushedOrder.objects.filter(pk=order_id).first()
    if order is None:
        return "gone"
    try:
        shipments = shipping_services.pushed_order_ship(order)
    except VendorError:
        return "failed"  # recorded on the order by the service (state, last error in words)
    return counted(len(shipments), "shipment")


def _stock_push_failed(self, exc, task_id, args, kwargs, einfo) -> None:
    connection_id = args[0] if args else kwargs.get("connection_id")
    stock_services.stock_push_failed(connection_id, user_id=kwargs.get("user_id"), exc=failure_cause(exc))


@reliable_task(
    name=STOCK_PUSH_TASK,
    base=FulfilmentTask,
    # A PUT sets levels: pushing them again is harmless. The service records a vendor error on the
    # push itself (StockPush, with the answer); only a database that is gone is retried here.
    autoretry_for=DATABASE_GONE,
    retry_backoff=RETRY_BACKOFF,
    max_retries=3,
    on_failure=_stock_push_failed,
)
def stock_push_task(self, connection_id: int, level_ids: list[int] | None = None, user_id: int | None = None) -> str:
    """Staff's push actions: push the given stock levels of a connection (all its changed ones
    when `level_ids` is None). The outcome is a StockPush record, as when pushed from the command."""
    connection = VendorConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        return "connection gone"
    if level_ids is None:
        levels = stock_services.stock_changed(connection)
    else:
        levels = StockLevel.objects.filter(connection=connection, pk__in=level_ids)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    record = stock_services.stock_push(connection, levels, user=user)
    return f"{counted(record.count, 'SKU')} sent ({record.status})"


@reliable_task(
    name=PRINT_FILES_POLL_TASK,
    base=FulfilmentTask,
    # A poll is a read: polling again is harmless. A vendor's trouble is recorded on each print
    # file (and backs off there); only a database that is gone is retried here.
    autoretry_for=DATABASE_GONE,
    retry_backoff=RETRY_BACKOFF,
    max_retries=3,
)
def partner_print_files_poll_task(self, connection_id: int | None = None, ids: list[int] | None = None) -> dict:
    """Beat (each PRINT_FILE_POLLING connection's own schedule), a PRINT_FILES_READY hook, Retry:
    poll the connection's due print files (only `ids` when given), a bounded batch."""
    connection = VendorConnection.objects.filter(pk=connection_id).first() if connection_id else None
    if connection_id and connection is None:
        return {"polled": 0, "connection": "gone"}
    return print_file_services.partner_print_files_poll(connection=connection, ids=ids).as_dict()


@reliable_task(
    name=PRINT_FILE_RETRY_TASK,
    base=FulfilmentTask,
    # Never retried blindly: it sends the line again; staff press Retry again when it is understood.
    max_retries=0,
)
def partner_print_file_retry_task(self, print_file_id: int) -> str:
    """Staff's Retry of a failed print file: ask the partner to remake it (the outcome is on it)."""
    row = PartnerPrintFile.objects.filter(pk=print_file_id).first()
    if row is None:
        return "gone"
    return print_file_remake_services.partner_print_file_remake(row)


def _probe_failed(self, exc, task_id, args, kwargs, einfo) -> None:
    order_id = args[0] if args else kwargs.get("order_id")
    action_services.fulfilment_order_probe_gave_up(order_id, exc=failure_cause(exc))


@reliable_task(
    name=PROBE_TASK,
    base=FulfilmentTask,
    # Asking is harmless (a read): retried with backoff while the partner cannot be reached.
    autoretry_for=TRANSIENT,
    retry_backoff=RETRY_BACKOFF,
    max_retries=5,
    on_failure=_probe_failed,
)
def fulfilment_order_probe_task(self, order_id: int) -> str:
    """After a send whose answer was lost (state Check): ask the partner whether it has the order,
    and act on the answer (send it, record it sent, or keep it in Check and ask again later)."""
    order = FulfilmentOrder.objects.filter(pk=order_id).first()
    if order is None:
        return "gone"
    return action_services.fulfilment_order_probe(order, scheduled=True).message


@reliable_task(
    name=virtual_product_services.CREATE_TASK,
    base=FulfilmentTask,
    autoretry_for=TRANSIENT,
    retry_backoff=RETRY_BACKOFF,
    max_retries=5,
)
def virtual_products_create_task(self, customization_id: int, connection_id: int) -> str:
    """Staff's *Create virtual products…*: host one design's print file, make its products."""
    try:
        return virtual_product_services.virtual_products_create(customization_id, connection_id)
    except TRANSIENT as exc:
        if self.request.retries < self.max_retries:
            raise  # autoretry_for: again after the backoff
        return virtual_product_services.virtual_products_gave_up(customization_id, connection_id, exc)


@reliable_task(
    name=CREATOR_PRODUCT_SNAPSHOT_TASK,
    base=FulfilmentTask,
    autoretry_for=TRANSIENT,
    retry_backoff=RETRY_BACKOFF,
    max_retries=3,
)
def creator_product_snapshot_task(self, product_id: int) -> str:
    """Download a created product's snapshot (a GET: safe to retry); the outcome is on the product."""
    product = CreatorProduct.objects.filter(pk=product_id).first()
    if product is None:
        return "gone"
    if vendor_file_services.creator_product_snapshot_fetch(product) and self.request.retries < self.max_retries:
        raise self.retry(countdown=RETRY_BACKOFF * 2**self.request.retries)
    return CreatorProduct.objects.get(pk=product_id).snapshot_state


@reliable_task(
    name=PUSHED_ASSETS_TASK,
    base=FulfilmentTask,
    autoretry_for=TRANSIENT,
    retry_backoff=RETRY_BACKOFF,
    max_retries=3,
)
def pushed_assets_task(self, order_id: int) -> dict:
    """Copy a pushed order's artwork into storage (GETs: safe to retry; a stored asset is never
    fetched again); each asset's outcome is on it, and staff can retry the failed ones."""
    order = PushedOrder.objects.filter(pk=order_id).first()
    if order is None:
        return {"gone": 1}
    counts = vendor_file_services.pushed_assets_fetch(order)
    if counts["retry"] and self.request.retries < self.max_retries:
        raise self.retry(countdown=RETRY_BACKOFF * 2**self.request.retries)
    return counts


from .services import ship_and_print as ship_and_print_services  # noqa: E402
from .services.queue import SHIPPING_LABEL_FETCH_TASK  # noqa: E402


def _label_fetch_failed(self, exc, task_id, args, kwargs, einfo) -> None:
    shipment_id = args[0] if args else kwargs.get("shipment_id")
    ship_and_print_services.shipping_label_fetch_failed(shipment_id, exc=failure_cause(exc))


@reliable_task(
    name=SHIPPING_LABEL_FETCH_TASK,
    base=FulfilmentTask,
    autoretry_for=DATABASE_GONE,
    retry_backoff=RETRY_BACKOFF,
    max_retries=3,
    on_failure=_label_fetch_failed,
)
def shipping_label_fetch_task(self, shipment_id: int) -> str:
    """Staff's *Fetch label again*: download the label from the partner's link (a GET); the
    outcome is on the label (ready, or failed with the reason)."""
    return ship_and_print_services.shipping_label_fetch_again(shipment_id)


@reliable_task(
    name=incoming_deferred_services.INCOMING_APPLY_TASK,
    base=FulfilmentTask,
    autoretry_for=DATABASE_GONE,
    retry_backoff=RETRY_BACKOFF,
    max_retries=3,
)
def incoming_apply_task(self) -> int:
    """Apply the stored status callbacks (queued when one is stored; each at most once, whoever runs it)."""
    return incoming_deferred_services.incoming_drain()


@reliable_task(
    name=incoming_deferred_services.INCOMING_RECONCILE_TASK,
    base=FulfilmentTask,
    autoretry_for=DATABASE_GONE,
    retry_backoff=RETRY_BACKOFF,
    max_retries=3,
)
def incoming_unapplied_reconcile_task(self) -> int:
    """Beat, every minute: apply stored callbacks that no task applied."""
    return incoming_deferred_services.incoming_unapplied_reconcile()
