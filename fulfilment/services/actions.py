"""What is done to an order at the partner after it was sent, or after its send's answer was
lost: probe (did the partner get it?), confirm sent, send again anyway, update, cancel, get its
status. Every one is recorded as an OrderAction (what was sent, the partner's answer, in words)
on the order's timeline; a vendor error is an OrderAction with ok=False and its message, and is
returned to the caller in words, never raised to a view.

Which of them an order allows, and why not, is `order_actions_available` (the admin shows the
buttons it allows and the reasons for the others)."""

from __future__ import annotations

import dataclasses
import enum
import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from config.celery import queue_on_commit
from integrations.http import VendorError, VendorRetryable
from integrations.partners import (
    FulfilmentStatus,
    NotSupported,
    OrderChanges,
    ProbeOutcome,
    SendResult,
)
from integrations.registry import Capability

from ..address import address_columns, address_record, billing_columns
from ..models import FulfilmentItem, FulfilmentOrder, OrderAction, VendorOrder
from ..statuses import FINAL_STATUSES
from .announce import fulfilment_order_announce
from .incoming import status_update_apply
from .orders import _apply_created, fulfilment_order_probe_queue, order_to_send, redact_hook_token
from .partners import connection_partner
from .print_files import partner_print_files_track
from .queue import SEND_TASK

State = FulfilmentOrder.State
Action = OrderAction.Action


@dataclasses.dataclass(frozen=True)
class ActionOutcome:
    ok: bool
    message: str


def jsonable(value: Any) -> Any:
    """A partner's answer or our records (dataclasses, enums, Decimals, dates) as plain JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, enum.Enum):
        value = value.value
    return json.loads(json.dumps(value, cls=_Encoder))


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        if isinstance(o, enum.Enum):
            return o.value
        if isinstance(o, Decimal):
            return str(o)
        try:
            return super().default(o)
        except TypeError:
            return repr(o)


def _record(order, action, *, user=None, sent=None, answer=None, ok=True, message="") -> OrderAction:
    return OrderAction.objects.create(
        order=order,
        action=action,
        user=user,
        sent=redact_hook_token(jsonable(sent)) if sent is not None else None,
        answer=jsonable(answer) if answer is not None else None,
        ok=ok,
        message=message[:4000],
    )


# -- which actions an order allows -------------------------------------------------------------


def order_actions_available(order: FulfilmentOrder) -> dict[str, str]:
    """action -> "" when the order allows it now, else why not, in words."""
    spec = order.connection.spec
    label = spec.label
    has_vendor_order = order.vendor_orders.exists()
    final = order.status in FINAL_STATUSES
    reasons: dict[str, str] = {}

    def sent_and_open(capability: Capability, doing: str) -> str:
        if not spec.has(capability):
            return f"{label} does not let us {doing} an order through its API."
        if order.state != State.SENT:
            done = {"cancel": "cancelled"}.get(doing, f"{doing}d")
            state = order.get_state_display()
            # A state's label may end in its own punctuation ("Check: did the partner get it?").
            shown = f"“{state}”" if not state.isalnum() and " " in state else state.lower()
            return f"Only a sent order can be {done} here; this one is {shown}."
        if not has_vendor_order:
            return f"{label}'s order id is not known: nothing to {doing} at the partner."
        return ""

    reasons[Action.UPDATE] = sent_and_open(Capability.FULFILMENT_UPDATE, "update") or (
        f"It is {order.get_status_display().lower()}: a final status cannot be changed." if final else ""
    )
    reasons[Action.CANCEL] = sent_and_open(Capability.FULFILMENT_CANCEL, "cancel") or (
        f"It is already {order.get_status_display().lower()}." if final else ""
    )
    if not spec.has(Capability.STATUS_POLL):
        reasons[Action.GET] = f"{label} does not let us read an order's status on demand."
    elif order.state != State.SENT or not has_vendor_order:
        reasons[Action.GET] = "Only a sent order whose partner id is known has a status to read."
    else:
        reasons[Action.GET] = ""
    in_check = "" if order.state == State.CHECK else "Only an order in Check (its send's answer was lost)."
    reasons[Action.PROBE] = in_check
    reasons[Action.CONFIRM_SENT] = in_check
    reasons[Action.SEND_AGAIN] = in_check
    return reasons


def _refused(order: FulfilmentOrder, action: str) -> str:
    return order_actions_available(order).get(action, "Not an action on fulfilment orders.")


# -- after a lost answer ------------------------------------------------------------------------


def fulfilment_order_probe(order: FulfilmentOrder, *, user=None, scheduled: bool = False) -> ActionOutcome:
    """Ask the partner whether it got an order in Check, and act on its answer:
    NOT_RECEIVED: queued and sent again (no second order can come of it);
    RECEIVED with its ids: applied as sent (reconciled);
    RECEIVED without ids: stays in Check, for staff to enter the partner's order id;
    UNKNOWN: stays in Check; a scheduled probe is repeated later (FULFILMENT_PROBE_MAX in all).
    Raises VendorRetryable (the probe task retries it with backoff); other vendor errors are
    recorded and leave the order in Check."""
    order = FulfilmentOrder.objects.select_related("connection").get(pk=order.pk)
    if order.state != State.CHECK:
        return ActionOutcome(False, f"{order} is {order.get_state_display().lower()}, not in Check: not probed.")
    to_send = order_to_send(order)
    count = order.probes + 1
    FulfilmentOrder.objects.filter(pk=order.pk).update(probes=count, updated_at=timezone.now())
    try:
        with connection_partner(order.connection) as partner:
            result = partner.probe(to_send)
    except VendorRetryable:
        raise
    except (VendorError, NotSupported) as exc:
        message = f"Asking {order.connection.spec.label} whether it has the order failed: {exc}. It stays in Check."
        _record(order, Action.PROBE, user=user, sent={"reference": to_send.reference}, ok=False, message=message)
        _note(order, message)
        return ActionOutcome(False, message)
    label = order.connection.spec.label
    sent = {"reference": to_send.reference}
    if result.outcome == ProbeOutcome.NOT_RECEIVED:
        message = f"{label} does not have it ({result.message}): queued and sent again."
        with transaction.atomic():
            FulfilmentOrder.objects.filter(pk=order.pk, state=State.CHECK).update(
                state=State.QUEUED, last_error=message[:2000], updated_at=timezone.now()
            )
            _record(order, Action.PROBE, user=user, sent=sent, answer=result, message=message)
            queue_on_commit(SEND_TASK, order.pk)
        return ActionOutcome(True, message)
    if result.outcome == ProbeOutcome.RECEIVED and result.created is not None:
        message = f"{label} has it ({result.message}): recorded as sent, not sent twice."
        with transaction.atomic():
            _apply_created(order, SendResult(created=(result.created,), raw=jsonable(result)))
            FulfilmentOrder.objects.filter(pk=order.pk).update(reconciled=True, last_error=message[:2000])
            _record(order, Action.PROBE, user=user, sent=sent, answer=result, message=message)
        return ActionOutcome(True, message)
    if result.outcome == ProbeOutcome.RECEIVED:
        message = (
            f"{label} has it ({result.message}) but its order id could not be read: "
            "enter the partner's order id (Confirm sent)."
        )
        _record(order, Action.PROBE, user=user, sent=sent, answer=result, message=message)
        _note(order, message)
        return ActionOutcome(True, message)
    # UNKNOWN
    bound = settings.FULFILMENT_PROBE_MAX
    if scheduled and count < bound:
        delay = settings.FULFILMENT_PROBE_DELAY_SECONDS * 2**count
        message = f"{label} cannot tell yet ({result.message}): asked again in {delay} s ({count} of {bound})."
        fulfilment_order_probe_queue(order.pk, delay=delay)
    elif scheduled:
        message = (
            f"{label} still cannot tell ({result.message}) after {count} probes: Probe again later, "
            "Confirm sent with the partner's order id, or Send again anyway."
        )
    else:
        message = f"{label} cannot tell yet ({result.message}): it stays in Check."
    _record(order, Action.PROBE, user=user, sent=sent, answer=result, message=message)
    _note(order, message)
    return ActionOutcome(True, message)


def fulfilment_order_probe_gave_up(order_id: int, *, exc: BaseException) -> None:
    """The probe task's retries are spent (the partner unreachable): said on the order."""
    order = FulfilmentOrder.objects.filter(pk=order_id, state=State.CHECK).first()
    if order is None:
        return
    message = f"The partner could not be asked whether it has the order ({exc}). Probe again later."
    _record(order, Action.PROBE, ok=False, message=message)
    _note(order, message)


def _note(order: FulfilmentOrder, message: str) -> None:
    FulfilmentOrder.objects.filter(pk=order.pk).update(last_error=message[:2000], updated_at=timezone.now())


def fulfilment_order_confirm_sent(
    order: FulfilmentOrder, *, vendor_id: str, vendor_ref: str = "", user=None
) -> ActionOutcome:
    """Staff checked with the partner: it has the order, under this id. Recorded as sent."""
    vendor_id, vendor_ref = vendor_id.strip()[:64], vendor_ref.strip()[:64]
    if not vendor_id:
        return ActionOutcome(False, "Enter the partner's order id.")
    with transaction.atomic():
        locked = FulfilmentOrder.objects.select_for_update().select_related("connection").get(pk=order.pk)
        if locked.state != State.CHECK:
            return ActionOutcome(False, _refused(locked, Action.CONFIRM_SENT))
        taken = VendorOrder.objects.filter(connection=locked.connection, vendor_id=vendor_id).exclude(
            fulfilment_order=locked
        )
        if taken.exists():
            return ActionOutcome(False, f"{vendor_id} is already the partner's id of another order here.")
        VendorOrder.objects.update_or_create(
            connection=locked.connection,
            vendor_id=vendor_id,
            defaults={"fulfilment_order": locked, "ref": vendor_ref, "external_ref": locked.external_ref},
        )
        message = f"Confirmed by staff: {locked.connection.spec.label} has it as {vendor_id}. Recorded as sent."
        FulfilmentOrder.objects.filter(pk=locked.pk).update(
            state=State.SENT, sent_at=timezone.now(), reconciled=True, last_error=message
        )
        fulfilment_order_announce(locked.pk, previous_state=locked.state, previous_status=locked.status)
        partner_print_files_track(locked)
        _record(
            locked, Action.CONFIRM_SENT, user=user, sent={"vendor_id": vendor_id, "ref": vendor_ref}, message=message
        )
    return ActionOutcome(True, message)


def fulfilment_order_send_again(order: FulfilmentOrder, *, user=None) -> ActionOutcome:
    """Staff decided to send an order in Check again, knowing it may make a duplicate."""
    with transaction.atomic():
        done = FulfilmentOrder.objects.filter(pk=order.pk, state=State.CHECK).update(
            state=State.QUEUED,
            next_attempt_at=None,
            updated_at=timezone.now(),
            last_error="Sent again by staff, though the partner may already have it.",
        )
        if not done:
            return ActionOutcome(False, _refused(FulfilmentOrder.objects.get(pk=order.pk), Action.SEND_AGAIN))
        message = "Sent again anyway by staff (the partner may end up with two orders)."
        _record(order, Action.SEND_AGAIN, user=user, message=message)
        queue_on_commit(SEND_TASK, order.pk)
    return ActionOutcome(True, message)


# -- a sent order: update, cancel, get ----------------------------------------------------------


def _vendor_ids(order: FulfilmentOrder) -> list[str]:
    return list(order.vendor_orders.order_by("pk").values_list("vendor_id", flat=True))


def fulfilment_order_update(order: FulfilmentOrder, changes: OrderChanges, *, user=None) -> ActionOutcome:
    """Send staff's changes to the partner (each of its orders of ours); when it takes them, the
    order here says the same."""
    order = FulfilmentOrder.objects.select_related("connection").get(pk=order.pk)
    why = _refused(order, Action.UPDATE)
    if why:
        return ActionOutcome(False, why)
    label = order.connection.spec.label
    answers, body = [], None
    try:
        with connection_partner(order.connection) as partner:
            body = partner.update_body(changes)
            for vendor_id in _vendor_ids(order):
                answers.append(partner.update(vendor_id, changes))
    except (VendorError, NotSupported) as exc:
        message = f"{label} did not take the changes: {exc}"
        _record(order, Action.UPDATE, user=user, sent=body, answer=answers or None, ok=False, message=message)
        return ActionOutcome(False, message)
    columns = _changed_columns(changes, order)
    if columns:
        FulfilmentOrder.objects.filter(pk=order.pk).update(**columns, updated_at=timezone.now())
    # In staff's words (the fields' names: "city or town", not "shipping address 4").
    said = ", ".join(_field_name(name) for name in columns) or "nothing"
    message = f"{label} took the changes ({said})."
    _record(order, Action.UPDATE, user=user, sent=body, answer=answers, message=message)
    return ActionOutcome(True, message)


def _field_name(name: str) -> str:
    field = FulfilmentOrder._meta.get_field(name)
    return str(getattr(field, "verbose_name", name.replace("_", " ")))


def _changed_columns(changes: OrderChanges, order: FulfilmentOrder) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for name in ("note", "shipping_method", "shipping_price", "total_price", "subtotal_price", "currency"):
        value = getattr(changes, name)
        if value is not None:
            columns[name] = value
    if changes.address is not None:
        columns.update(address_columns(changes.address))
    if changes.billing is not None:
        # The shipping address sent as billing (staff unticked "billing address differs"): the
        # order keeps no billing address of its own.
        shipping = changes.address or address_record(order)
        same = _without_contact(changes.billing) == _without_contact(shipping)
        columns.update(billing_columns(None if same else changes.billing))
    return columns


def _without_contact(address):
    return dataclasses.replace(address, email="", telephone="")


def fulfilment_order_cancel(order: FulfilmentOrder, *, user=None) -> ActionOutcome:
    """Cancel it at the partner; when the partner agrees it is Cancelled here and its designs are
    free for a new order."""
    order = FulfilmentOrder.objects.select_related("connection").get(pk=order.pk)
    why = _refused(order, Action.CANCEL)
    if why:
        return ActionOutcome(False, why)
    label = order.connection.spec.label
    vendor_ids = _vendor_ids(order)
    answers = []
    try:
        with connection_partner(order.connection) as partner:
            for vendor_id in vendor_ids:
                answers.append(partner.cancel(vendor_id))
    except (VendorError, NotSupported) as exc:
        message = f"{label} did not cancel it: {exc}"
        _record(
            order,
            Action.CANCEL,
            user=user,
            sent={"vendor_ids": vendor_ids},
            answer=answers or None,
            ok=False,
            message=message,
        )
        return ActionOutcome(False, message)
    cancelled = {
        "status": FulfilmentStatus.CANCELLED.value,
        "vendor_status_code": "cancelled",
        "vendor_status_name": "Cancelled by staff",
    }
    message = f"Cancelled at {label}: its designs may go into a new order."
    with transaction.atomic():
        # Lock order: the FulfilmentOrder row first, then its vendor orders.
        FulfilmentOrder.objects.select_for_update().filter(pk=order.pk).update(**cancelled, updated_at=timezone.now())
        VendorOrder.objects.filter(fulfilment_order=order).update(**cancelled)
        FulfilmentItem.objects.filter(order=order).update(live=False)
        _record(order, Action.CANCEL, user=user, sent={"vendor_ids": vendor_ids}, answer=answers, message=message)
    return ActionOutcome(True, message)


def fulfilment_order_refresh(order: FulfilmentOrder, *, user=None) -> ActionOutcome:
    """Read the order's status from the partner now and apply it as a callback would be (the
    same ranks, late and conflict rules)."""
    order = FulfilmentOrder.objects.select_related("connection").get(pk=order.pk)
    why = _refused(order, Action.GET)
    if why:
        return ActionOutcome(False, why)
    label = order.connection.spec.label
    vendor_ids = _vendor_ids(order)
    reports, notes = [], []
    try:
        with connection_partner(order.connection) as partner:
            for vendor_id in vendor_ids:
                reports.append(partner.poll_status(vendor_id))
    except (VendorError, NotSupported) as exc:
        message = f"{label} did not say where it is: {exc}"
        _record(order, Action.GET, user=user, sent={"vendor_ids": vendor_ids}, ok=False, message=message)
        return ActionOutcome(False, message)
    for vendor_id, report in zip(vendor_ids, reports, strict=True):
        if not report.vendor_id and not report.reference:
            report = dataclasses.replace(report, vendor_id=vendor_id)
        _outcome, note = status_update_apply(None, order.connection, report)
        notes.append(f"{report.status.name or report.status.code}: {note}")
    message = f"{label} says: " + "; ".join(notes)
    _record(order, Action.GET, user=user, sent={"vendor_ids": vendor_ids}, answer=reports, message=message)
    return ActionOutcome(True, message)
