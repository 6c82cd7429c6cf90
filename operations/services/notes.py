"""Notes and tags on customizations, store orders, fulfilment orders and pushed orders."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from operations.notes_models import NOTE_MAX_LENGTH, TAG_MAX_LENGTH, TARGETS, Note, Tag, Tagging

TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9 _-]*$")


def target_field(obj: models.Model) -> str:
    """The Note/Tagging column for `obj` (a proxy such as the review queue's item counts as its model)."""
    model = obj._meta.concrete_model
    if model not in TARGETS:
        raise ValidationError(f"Notes and tags are not kept on {obj._meta.verbose_name_plural}.")
    return TARGETS[model]


def on(obj: models.Model) -> dict:
    """Filter keywords selecting the notes or taggings of `obj`."""
    return {f"{target_field(obj)}_id": obj.pk}


def note_add(*, obj: models.Model, author, text: str) -> Note:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError("Write something in the note.")
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError(f"A note has at most {NOTE_MAX_LENGTH} characters (this one has {len(text)}).")
    return Note.objects.create(**on(obj), text=text, author=author)


def note_may_delete(note: Note, user) -> bool:
    """Its author (who may still add notes), or a Manager (who may delete any note)."""
    if user.has_perm("operations.delete_note"):
        return True
    return note.author_id is not None and note.author_id == user.pk and user.has_perm("operations.add_note")


def note_delete(*, note: Note, user) -> None:
    if not note_may_delete(note, user):
        raise PermissionDenied("Only the note's author or a Manager deletes a note.")
    note.delete()


def tag_name_clean(name: str) -> str:
    name = " ".join((name or "").split()).lower()
    if not name:
        raise ValidationError("Give the tag a name.")
    if len(name) > TAG_MAX_LENGTH:
        raise ValidationError(f"A tag has at most {TAG_MAX_LENGTH} characters.")
    if not TAG_PATTERN.match(name):
        raise ValidationError("A tag is letters, digits, spaces, - and _ (for example: rush, vip, reprint).")
    return name


def tag_add(*, obj: models.Model, user, name: str) -> Tagging:
    """Put the tag `name` on `obj` (creating the tag the first time); already there: unchanged."""
    name = tag_name_clean(name)
    tag, _ = Tag.objects.get_or_create(name=name)
    live = Tagging.objects.filter(**on(obj), tag=tag, removed_at=None).first()
    if live:
        return live
    try:
        with transaction.atomic():
            return Tagging.objects.create(**on(obj), tag=tag, added_by=user)
    except IntegrityError:  # added at the same moment by someone else
        return Tagging.objects.get(**on(obj), tag=tag, removed_at=None)


def tag_remove(*, obj: models.Model, user, name: str) -> bool:
    """Take the tag off `obj` (kept for the feed as removed); False if it was not on it."""
    name = " ".join((name or "").split()).lower()
    return bool(
        Tagging.objects.filter(**on(obj), tag__name=name, removed_at=None).update(
            removed_at=timezone.now(), removed_by=user
        )
    )
