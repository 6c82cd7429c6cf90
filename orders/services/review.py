"""Design review: approve, reject, undo. A decision is a conditional UPDATE on the undecided (or
the expected) state, so two reviewers acting at once can never both win: the second is told who
decided first. Every decision and undo is recorded."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from config.celery import queue_on_commit

from ..models import Customization, CustomizationSide, ReviewDecision, SideArtwork
from ..signals import announce, design_decided
from .queue import ARTWORK_FETCH_TASK

Decision = Customization.Decision
Action = ReviewDecision.Action


class AlreadyDecided(Exception):
    def __init__(self, customization: Customization):
        self.customization = customization
        who = customization.decided_by or "someone"
        when = (
            timezone.localtime(customization.decided_at).strftime("%Y-%m-%d %H:%M") if customization.decided_at else ""
        )
        super().__init__(
            f"{customization} was already {customization.get_decision_display().lower()} by {who} {when}".strip()
        )


class ReasonRequired(ValueError):
    pass


def artwork_approve(*, customization: Customization, user, by_rule: str = "") -> ReviewDecision:
    """Approve it; `by_rule`: the name of the automation rule approving it (user None then),
    said in the design's decision reason too."""
    reason = f"Approved by rule {by_rule}." if by_rule else ""
    return _decide(customization, user, Decision.APPROVED, reason, by_rule=by_rule)


def artwork_reject(*, customization: Customization, user, reason: str) -> ReviewDecision:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired("a rejection needs a reason")
    return _decide(customization, user, Decision.REJECTED, reason)


def _decide(customization: Customization, user, decision: str, reason: str, *, by_rule: str = "") -> ReviewDecision:
    now = timezone.now()
    with transaction.atomic():
        won = Customization.objects.filter(pk=customization.pk, decision=Decision.UNDECIDED).update(
            decision=decision, decided_at=now, decided_by=user, decision_reason=reason, awaiting_review=False
        )
        if not won:
            raise AlreadyDecided(Customization.objects.select_related("decided_by").get(pk=customization.pk))
        record = ReviewDecision.objects.create(
            customization=customization,
            action=Action.APPROVE if decision == Decision.APPROVED else Action.REJECT,
            reason="" if by_rule else reason,  # the rule's name is its own column
            previous=Decision.UNDECIDED,
            user=user,
            at=now,
            by_rule=by_rule[:100],
        )
        if decision == Decision.APPROVED:
            artwork_queue(customization)
        announce(design_decided, sender=ReviewDecision, decision=record)
    customization.decision, customization.decided_at, customization.decided_by = decision, now, user
    customization.decision_reason = reason
    customization.awaiting_review = False
    return record


def decision_undo(*, customization: Customization, user, expected: str | None = None) -> ReviewDecision:
    """Put a decided customization back in the queue. `expected` guards against undoing a
    decision other than the one the user saw."""
    now = timezone.now()
    with transaction.atomic():
        current = (
            Customization.objects.select_for_update(of=("self",)).select_related("connection").get(pk=customization.pk)
        )
        if current.decision == Decision.UNDECIDED or (expected is not None and current.decision != expected):
            raise AlreadyDecided(current) if current.decision else ValueError("there is no decision to undo")
        previous = current.decision
        current.decision = Decision.UNDECIDED
        Customization.objects.filter(pk=current.pk).update(
            decision=Decision.UNDECIDED,
            decided_at=None,
            decided_by=None,
            decision_reason="",
            awaiting_review=current.queue_condition_holds(),
        )
        current.decision = previous
        return ReviewDecision.objects.create(
            customization=current, action=Action.UNDO, previous=current.decision, user=user, at=now
        )


def decisions_bulk(*, customizations, user, decision: str, reason: str = "") -> tuple[int, list[str]]:
    """Approve or reject many; returns (decided, messages about the ones skipped)."""
    decided, skipped = 0, []
    for customization in customizations:
        try:
            if decision == Decision.APPROVED:
                artwork_approve(customization=customization, user=user)
            else:
                artwork_reject(customization=customization, user=user, reason=reason)
            decided += 1
        except AlreadyDecided as exc:
            skipped.append(str(exc))
    return decided, skipped


def artwork_queue(customization: Customization) -> list[int]:
    """Create pending artwork for every side with a print source and fetch it in the background."""
    side_ids = []
    for side in CustomizationSide.objects.filter(customization=customization):
        if not (side.design_hd_url or side.design_url):
            continue
        artwork, created = SideArtwork.objects.get_or_create(side=side)
        if created or artwork.state == SideArtwork.State.FAILED:
            side_ids.append(side.pk)
    for side_id in side_ids:
        queue_on_commit(ARTWORK_FETCH_TASK, side_id)
    return side_ids
