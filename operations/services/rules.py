"""Automation rules: auto-approve clean designs, auto-create and send fulfilment orders.

Auto-approve (kind auto_approve): when a sync creates or changes designs
(orders.signals.customizations_synced), a task takes them in batches of APPROVE_BATCH: each
undecided one is screened again against the current bad-words list and approved *by the rule*
when it has no bad word and passes the checks that can be made before its print files are
fetched (every side has a print file; none fetched already failed or needs attention). The
pixel preflight runs when the files are fetched, after approval: a file that needs attention is
never sent by the auto-send rule (it takes only ready print files).

Auto-send (kind auto_send): a design approved (by staff or a rule, orders.signals.design_decided)
while the rule is on gets an AutoSend. Every minute (beat) auto_sends_run orders those whose
print files are ready, one order per routed partner and store order, shipped to the rule's
address, as a draft; once the rule's delay has passed it queues the draft to send, unless it is
on hold (staff hold it during the delay, or any time before it goes). Queuing is a conditional
update (draft -> queued) and the send claims the order, so two runs at once, or a retried task,
send an order once. A rule switched off does nothing: no AutoSend is made, none is ordered or
sent."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fulfilment.models import FulfilmentItem, FulfilmentOrder
from fulfilment.services.orders import FulfilmentInvalid, fulfilment_order_create, fulfilment_order_queue
from fulfilment.services.routing import customization_route, routing_rules
from orders.models import Customization, ReviewDecision, SideArtwork, VendorConnection
from orders.services.bad_words import customizations_screen
from orders.services.review import AlreadyDecided, artwork_approve

from ..rules_models import AutomationRule, AutoSend, RuleAction

logger = logging.getLogger(__name__)
Kind = AutomationRule.Kind
What = RuleAction.What
Outcome = RuleAction.Outcome
APPROVE_BATCH = 100
SEND_BATCH = 200
State = FulfilmentOrder.State
ArtworkState = SideArtwork.State


def _rule_for(kind: str, connection_id: int) -> AutomationRule | None:
    rules = list(
        AutomationRule.objects.filter(kind=kind, enabled=True).filter(
            Q(connection_id=connection_id) | Q(connection__isnull=True)
        )
    )
    rules.sort(key=lambda rule: (rule.connection_id is None, rule.name))
    return rules[0] if rules else None


def rule_action_record(rule: AutomationRule, what: str, *, outcome=Outcome.DONE, message="", **target) -> RuleAction:
    return RuleAction.objects.create(rule=rule, what=what, outcome=outcome, message=message[:2000], **target)


# -- auto-approve ------------------------------------------------------------------------------


def auto_approve_problem(customization: Customization) -> str:
    """Why the rule leaves this design to staff ("" when it may approve it)."""
    if customization.has_bad_words:
        return "Left for review: bad words (" + ", ".join(customization.bad_words[:5]) + ")."
    sides = list(customization.sides.all())
    if not sides:
        return "Left for review: it has no side to print."
    for side in sides:
        if not (side.design_hd_url or side.design_url):
            return f"Left for review: side {side} has no print file."
        artwork = getattr(side, "artwork", None)
        if artwork is not None and artwork.state in (ArtworkState.FAILED, ArtworkState.NEEDS_ATTENTION):
            return f"Left for review: the print file of side {side} {artwork.get_state_display().lower()}."
    return ""


def designs_auto_approve(*, connection_id: int, customization_ids: Iterable[int]) -> dict:
    """Approve, by the connection's auto-approve rule, those of these designs that are clean."""
    summary = {"approved": 0, "left": 0}
    rule = _rule_for(Kind.AUTO_APPROVE, connection_id)
    if rule is None:
        return summary
    ids = sorted({int(pk) for pk in customization_ids})
    for start in range(0, len(ids), APPROVE_BATCH):
        batch = ids[start : start + APPROVE_BATCH]
        undecided = list(
            Customization.objects.filter(
                pk__in=batch, connection_id=connection_id, decision=Customization.Decision.UNDECIDED
            ).values_list("pk", flat=True)
        )
        if not undecided:
            continue
        customizations_screen(ids=undecided)  # with the list as it is now, not as it was at the sync
        designs = (
            Customization.objects.filter(pk__in=undecided, decision=Customization.Decision.UNDECIDED)
            .select_related("connection")
            .prefetch_related("sides__artwork")
        )
        for customization in designs:
            problem = auto_approve_problem(customization)
            if problem:
                summary["left"] += 1
                rule_action_record(
                    rule, What.APPROVE, outcome=Outcome.SKIPPED, message=problem, customization=customization
                )
                continue
            try:
                artwork_approve(customization=customization, user=None, by_rule=rule.name)
            except AlreadyDecided:
                continue  # staff (or another run) decided it meanwhile
            summary["approved"] += 1
            rule_action_record(
                rule, What.APPROVE, message="Approved: no bad words, print files given.", customization=customization
            )
    return summary


# -- auto-create and send ----------------------------------------------------------------------


def auto_send_plan(decision: ReviewDecision) -> AutoSend | None:
    """A design was approved: if an auto-send rule is on for its connection, it will be ordered."""
    if decision.action != ReviewDecision.Action.APPROVE:
        return None
    customization = decision.customization
    rule = _rule_for(Kind.AUTO_SEND, customization.connection_id)
    if rule is None:
        return None
    planned, _ = AutoSend.objects.get_or_create(customization=customization, defaults={"rule": rule})
    if planned.done_at is not None and planned.fulfilment_order_id is None:
        # Approved again after an undo: planned anew.
        AutoSend.objects.filter(pk=planned.pk).update(rule=rule, done_at=None, note="", created_at=timezone.now())
        planned.refresh_from_db()
    return planned


def _ship_to(rule: AutomationRule) -> dict:
    return {
        "customer_name": rule.ship_to_name,
        "shipping_address_1": rule.ship_to_address_1,
        "shipping_address_4": rule.ship_to_city,
        "shipping_postcode": rule.ship_to_postcode,
        "shipping_country_code": rule.ship_to_country_code,
    }


def _artwork_waiting(customization: Customization) -> bool:
    """Its print files are still being fetched."""
    return SideArtwork.objects.filter(
        side__customization=customization, state__in=[ArtworkState.PENDING, ArtworkState.FETCHING]
    ).exists()


def _finish(planned: AutoSend, note: str, now) -> None:
    AutoSend.objects.filter(pk=planned.pk).update(done_at=now, note=note[:500])


def auto_sends_order(*, now=None) -> dict:
    """Order what is planned and ready: one draft per (partner, store order), per rule."""
    now = now or timezone.now()
    summary = {"ordered": 0, "waiting": 0, "failed": 0}
    routes = routing_rules()
    with transaction.atomic():
        planned = list(
            AutoSend.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(fulfilment_order__isnull=True, done_at__isnull=True, rule__enabled=True)
            .select_related("rule", "customization__connection")
            .order_by("pk")[:SEND_BATCH]
        )
        groups: dict[tuple, tuple[VendorConnection, list[AutoSend]]] = {}
        for entry in planned:
            customization = entry.customization
            if customization.decision != Customization.Decision.APPROVED:
                _finish(entry, "No longer approved: not ordered.", now)
                continue
            taken = (
                FulfilmentItem.objects.filter(customization=customization, live=True).select_related("order").first()
            )
            if taken is not None:
                _finish(entry, f"Already in order {taken.order.external_ref}: not ordered again.", now)
                continue
            if _artwork_waiting(customization):
                AutoSend.objects.filter(pk=entry.pk).update(note="Waiting for its print files.")
                summary["waiting"] += 1
                continue
            partner = customization_route(customization, routes).connection
            if partner is None:
                summary["failed"] += 1
                _finish(entry, "No routing rule sends it to a partner.", now)
                rule_action_record(
                    entry.rule,
                    What.CREATE_ORDER,
                    outcome=Outcome.FAILED,
                    message="Not ordered: no routing rule sends it to a partner (and there is no default).",
                    customization=customization,
                )
                continue
            store_order_id = customization.order_lines.values_list("store_order_id", flat=True).first()
            groups.setdefault((entry.rule.pk, partner.pk, store_order_id), (partner, []))[1].append(entry)
        for partner, entries in groups.values():
            rule = entries[0].rule
            designs = [entry.customization for entry in entries]
            try:
                with transaction.atomic():
                    order = fulfilment_order_create(
                        connection=partner, customizations=designs, shipping=_ship_to(rule), user=None
                    )
            except FulfilmentInvalid as exc:
                summary["failed"] += len(entries)
                for entry in entries:
                    _finish(entry, f"Not ordered: {exc}", now)
                    rule_action_record(
                        rule,
                        What.CREATE_ORDER,
                        outcome=Outcome.FAILED,
                        message=f"Not ordered: {exc}",
                        customization=entry.customization,
                    )
                continue
            send_after = now + timedelta(minutes=rule.delay_minutes)
            AutoSend.objects.filter(pk__in=[entry.pk for entry in entries]).update(
                fulfilment_order=order, send_after=send_after, note=""
            )
            summary["ordered"] += 1
            when = timezone.localtime(send_after).strftime("%Y-%m-%d %H:%M")
            rule_action_record(
                rule,
                What.CREATE_ORDER,
                message=f"Created as a draft for {partner.name}; it is sent at {when} unless it is held.",
                fulfilment_order=order,
            )
    return summary


def auto_sends_send(*, now=None) -> dict:
    """Queue to send the auto-created drafts whose delay has passed and that are not on hold."""
    now = now or timezone.now()
    summary = {"queued": 0, "held": 0, "finished": 0}
    waiting = AutoSend.objects.filter(fulfilment_order__isnull=False, done_at__isnull=True)
    # Sent, discarded, failed or in Check: the rule's part is over (a failure is for staff).
    finished = waiting.exclude(fulfilment_order__state__in=[State.DRAFT, State.QUEUED, State.SENDING])
    summary["finished"] = finished.update(done_at=now)
    due = (
        waiting.filter(send_after__lte=now, rule__enabled=True, fulfilment_order__state=State.DRAFT)
        .select_related("rule", "fulfilment_order")
        .order_by("fulfilment_order_id")
    )
    seen: set[int] = set()
    for entry in due[:SEND_BATCH]:
        order = entry.fulfilment_order
        if order is None or order.pk in seen:
            continue
        seen.add(order.pk)
        if order.on_hold:
            summary["held"] += 1
            continue
        if fulfilment_order_queue(order):  # draft -> queued, once: a second run finds it queued
            summary["queued"] += 1
            rule_action_record(
                entry.rule, What.SEND, message="Queued to send (its delay had passed).", fulfilment_order=order
            )
    return summary


def auto_sends_run(*, now=None) -> dict:
    now = now or timezone.now()
    return {**auto_sends_order(now=now), **auto_sends_send(now=now)}


def auto_send_waiting(order: FulfilmentOrder) -> AutoSend | None:
    """The auto-send that will send this draft, if any (for the order page's notice)."""
    return (
        AutoSend.objects.filter(fulfilment_order=order, done_at__isnull=True, rule__enabled=True)
        .select_related("rule")
        .first()
    )
