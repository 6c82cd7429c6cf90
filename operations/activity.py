"""The activity feed of one thing (a customization, a store order, a fulfilment order, a pushed
order): every event of it, newest first, gathered from wherever each kind of event is kept.

Each part registers a source with ``@feed_source``: a function that takes the object and returns
its events as ``FeedEntry`` records. The feed asks every source and merges them by time, so a part
that adds a kind of event (notes, automatic actions) adds a source and changes nothing else."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import models


@dataclass(frozen=True)
class FeedEntry:
    at: datetime
    kind: str  # short, for a filter and an icon: "sync", "decision", "send", "status", "note", "rule", ...
    summary: str  # one line, in words (escaped when shown)
    actor: str = ""  # who: a staff member's name, "by rule X", or a vendor's name
    url: str = ""  # where the event itself is shown, if anywhere


FeedSource = Callable[[models.Model], Iterable[FeedEntry]]
SOURCES: list[FeedSource] = []


def feed_source(function: FeedSource) -> FeedSource:
    SOURCES.append(function)
    return function


def feed(obj: models.Model, *, limit: int = 200) -> list[FeedEntry]:
    entries = [entry for source in SOURCES for entry in source(obj)]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


# -- automatic actions (operations.rules): every RuleAction of a design or a fulfilment order ----


@feed_source
def rule_actions_feed(obj: models.Model) -> Iterable[FeedEntry]:
    from django.urls import reverse

    from fulfilment.models import FulfilmentOrder
    from orders.models import Customization

    from .rules_models import RuleAction

    if isinstance(obj, Customization):
        actions = RuleAction.objects.filter(customization=obj)
    elif isinstance(obj, FulfilmentOrder):
        actions = RuleAction.objects.filter(fulfilment_order=obj)
    else:
        return []
    return [
        FeedEntry(
            at=action.at,
            kind="rule",
            summary=f"{action.get_what_display()}: {action.get_outcome_display().lower()}. {action.message}".strip(),
            actor=f"by rule {action.rule.name}",
            url=reverse("admin:operations_ruleaction_change", args=[action.pk]),
        )
        for action in actions.select_related("rule")[:200]
    ]
