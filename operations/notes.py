"""Reads for notes and tags (the activity panel and the tag filter)."""

from __future__ import annotations

from django.db import models

from operations.notes_models import Note, Tag, Tagging
from operations.services.notes import on


def notes_of(obj: models.Model):
    return Note.objects.filter(**on(obj)).select_related("author")


def tags_of(obj: models.Model) -> list[str]:
    return list(
        Tagging.objects.filter(**on(obj), removed_at=None).order_by("tag__name").values_list("tag__name", flat=True)
    )


def tag_names() -> list[str]:
    return list(Tag.objects.order_by("name").values_list("name", flat=True)[:500])
