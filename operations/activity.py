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
