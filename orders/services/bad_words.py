"""The bad-words list: staff edits, screening of every personalised text, and keeping the list
in step with a vendor that keeps one (Capability.WORD_FILTER: pull, and push guarded against
overwriting changes made there)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.db import transaction
from django.utils import timezone

from config.celery import queue_on_commit
from integrations.registry import Capability, specs_with

from ..models import BadWordChange, BadWordList, Customization, DesignNode, VendorConnection, WordFilterState
from .connections import connection_client
from .queue import RESCREEN_TASK
from .review_flag import awaiting_review_refresh
from .screening import BadWordMatcher, words_clean
from .writer import Screened

SCREEN_BATCH = 500


class BadWordsInvalid(ValueError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


class VendorListChanged(Exception):
    """The vendor's list changed since we last pulled or pushed it: a push would overwrite that."""

    def __init__(self, preview: PushPreview):
        self.preview = preview
        super().__init__("the list was changed on the vendor's side since the last pull")


@lru_cache(maxsize=4)
def _matcher(version: int, words: tuple[str, ...], active: bool) -> BadWordMatcher:
    return BadWordMatcher(words if active else ())


def matcher_for(word_list: BadWordList) -> BadWordMatcher:
    """The matcher for this list version; an inactive list matches nothing."""
    return _matcher(word_list.version, tuple(word_list.words), word_list.is_active)


def highlight_nodes(customization: Customization) -> None:
    """Give each text node of a (prefetched) customization `highlighted`: its text as safe HTML
    with the listed words marked."""
    matcher = matcher_for(BadWordList.current())
    for side in customization.sides.all():
        for node in side.nodes.all():
            # An attribute for the template only, not a field.
            node.highlighted = matcher.highlight(node.text) if node.text else ""  # type: ignore[attr-defined]


def _key(word: str) -> str:
    return word.casefold()


def _diff(before: list[str], after: list[str]) -> tuple[list[str], list[str]]:
    before_keys, after_keys = {_key(w) for w in before}, {_key(w) for w in after}
    return [w for w in after if _key(w) not in before_keys], [w for w in before if _key(w) not in after_keys]


# -- edits -----------------------------------------------------------------------------------


@transaction.atomic
def bad_words_save(
    *,
    words,
    is_active: bool,
    user=None,
    source: str = BadWordChange.Source.STAFF,
    connection: VendorConnection | None = None,
) -> BadWordChange | None:
    """Validate and save the list (whole). Raises BadWordsInvalid with staff-facing messages.
    Returns the recorded change, or None when nothing changed."""
    clean, errors = words_clean(words)
    if errors:
        raise BadWordsInvalid(errors)
    word_list = BadWordList.objects.select_for_update().get(pk=BadWordList.current().pk)
    added, removed = _diff(word_list.words, clean)
    if not added and not removed and word_list.is_active == is_active and word_list.words == clean:
        return None
    change = BadWordChange.objects.create(
        word_list=word_list,
        user=user,
        source=source,
        connection=connection,
        added=added,
        removed=removed,
        active_before=word_list.is_active,
        active_after=is_active,
        version=word_list.version + 1,
    )
    word_list.words, word_list.is_active, word_list.updated_by = clean, is_active, user
    word_list.version += 1
    word_list.save()
    _rescreen_later()
    return change


def _rescreen_later() -> None:
    queue_on_commit(RESCREEN_TASK)


# -- screening ------------------------------------------------------------------------------


def customizations_screen(ids=None) -> int:
    """Screen customizations (these ids, or every one not yet screened with the current list)
    against the list; returns how many changed their flags. Safe to run twice or at once."""
    word_list = BadWordList.current()
    matcher = matcher_for(word_list)
    queryset = Customization.objects.all()
    queryset = queryset.filter(pk__in=ids) if ids is not None else queryset.exclude(screened_version=word_list.version)
    changed = 0
    last_pk = 0
    while True:
        batch = list(
            queryset.filter(pk__gt=last_pk).order_by("pk").only("pk", "has_bad_words", "bad_words")[:SCREEN_BATCH]
        )
        if not batch:
            return changed
        last_pk = batch[-1].pk
        texts: dict[int, list[str]] = {}
        for customization_id, text in DesignNode.objects.filter(
            side__customization_id__in=[c.pk for c in batch], kind=DesignNode.Kind.TEXT
        ).values_list("side__customization_id", "text"):
            texts.setdefault(customization_id, []).append(text)
        to_update = []
        for customization in batch:
            found = sorted({m.word for text in texts.get(customization.pk, []) for m in matcher.find(text)})
            if found != customization.bad_words or bool(found) != customization.has_bad_words:
                changed += 1
            customization.bad_words, customization.has_bad_words = found, bool(found)
            customization.screened_version = word_list.version
            to_update.append(customization)
        Customization.objects.bulk_update(to_update, ["bad_words", "has_bad_words", "screened_version"])
        awaiting_review_refresh([customization.pk for customization in to_update])


def records_screen(records) -> dict[str, Screened]:
    """Screen a sync batch's customization records before they are written: their text nodes are
    checked in memory and the flags go into the same write (external_id -> what was found). A
    list changed meanwhile shows in `screened_version`, and the re-screen task catches up."""
    word_list = BadWordList.current()
    matcher = matcher_for(word_list)
    screened = {}
    for record in records:
        texts = [node.text for side in record.sides for node in side.nodes if node.text]
        found = sorted({match.word for text in texts for match in matcher.find(text)})
        screened[record.external_id] = Screened(
            has_bad_words=bool(found), bad_words=found, screened_version=word_list.version
        )
    return screened


# -- the vendor's list -------------------------------------------------------------------------------


@dataclass
class PushPreview:
    vendor_words: list[str]
    vendor_active: bool | None
    added: list[str]  # would be added on the vendor's side
    removed: list[str]  # would be removed on the vendor's side
    active_change: tuple[bool | None, bool] | None
    vendor_changed_since: bool  # someone edited the vendor's list since we last saw it
    last_seen_at: object = None

    @property
    def is_noop(self) -> bool:
        return not self.added and not self.removed and self.active_change is None


def _client(connection: VendorConnection):
    """The client of a connection whose vendor keeps a bad-words list (Capability.WORD_FILTER):
    it offers bad_words() and bad_words_replace(words, active)."""
    if not connection.spec.has(Capability.WORD_FILTER):
        having = [spec.label for spec in specs_with(Capability.WORD_FILTER)]
        only = f"; only {' and '.join(having)} {'does' if len(having) == 1 else 'do'}" if having else ""
        raise ValueError(f"{connection.spec.label} has no bad-words list{only}")
    return connection_client(connection)


def _remember(connection: VendorConnection, words: list[str], active) -> None:
    WordFilterState.objects.update_or_create(
        connection=connection, defaults={"words": words, "is_active": active, "seen_at": timezone.now()}
    )


def bad_words_pull(*, connection: VendorConnection, user=None) -> BadWordChange | None:
    """Replace our list with the vendor's. Vendor entries that fail our validation are refused
    with the reasons (nothing is half-applied)."""
    with _client(connection) as client:
        vendor = client.bad_words()
    word_list = BadWordList.current()
    active = word_list.is_active if vendor["active"] is None else vendor["active"]
    with transaction.atomic():
        change = bad_words_save(
            words=vendor["words"], is_active=active, user=user, source=BadWordChange.Source.PULL, connection=connection
        )
        _remember(connection, vendor["words"], vendor["active"])
    return change


def bad_words_push_preview(*, connection: VendorConnection) -> PushPreview:
    with _client(connection) as client:
        vendor = client.bad_words()
    return _preview(connection, vendor)


def _preview(connection: VendorConnection, vendor: dict) -> PushPreview:
    ours = BadWordList.current()
    added, removed = _diff(vendor["words"], ours.words)
    state = WordFilterState.objects.filter(connection=connection).first()
    changed_since = state is None or (
        sorted(map(_key, state.words)) != sorted(map(_key, vendor["words"])) or state.is_active != vendor["active"]
    )
    active_change = None if vendor["active"] == ours.is_active else (vendor["active"], ours.is_active)
    return PushPreview(
        vendor_words=vendor["words"],
        vendor_active=vendor["active"],
        added=added,
        removed=removed,
        active_change=active_change,
        vendor_changed_since=changed_since and bool(vendor["words"] or vendor["active"]),
        last_seen_at=state.seen_at if state else None,
    )


def bad_words_push(*, connection: VendorConnection, user=None, overwrite: bool = False) -> BadWordChange:
    """Replace the vendor's list with ours (the API replaces the whole list on POST). Refuses,
    raising VendorListChanged, when the vendor's list changed since our last pull or push,
    unless `overwrite` is given."""
    with _client(connection) as client:
        preview = _preview(connection, client.bad_words())
        if preview.vendor_changed_since and not overwrite:
            raise VendorListChanged(preview)
        ours = BadWordList.current()
        result = client.bad_words_replace(ours.words, ours.is_active)
    _remember(connection, result["words"], result["active"])
    return BadWordChange.objects.create(
        word_list=ours,
        user=user,
        source=BadWordChange.Source.PUSH,
        connection=connection,
        added=preview.added,
        removed=preview.removed,
        active_before=preview.vendor_active,
        active_after=ours.is_active,
        version=ours.version,
    )
