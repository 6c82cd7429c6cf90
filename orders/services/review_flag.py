"""The review queue's maintained flag, `Customization.awaiting_review`.

The queue's condition (undecided, and artwork approval pending, bad words or a connection that
reviews everything) matches most of a big table and reads a join, so the queue does not evaluate
it on every screen: the services that change what it reads (the sync writer, the bad-words
re-screen, decisions and undo, a connection's "review everything") call `awaiting_review_refresh`
on the rows they touched (on PostgreSQL the sync writer sets it in its INSERT instead, from the
same condition: writer._customizations_upsert), and the queue reads the flag through a partial index
(`customization_review_queue`, on customized_at and id where the flag is set)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from ..models import Customization, VendorConnection


def awaiting_review_condition() -> Q:
    """The queue's condition, evaluated by the database (the flag's definition)."""
    return Q(decision=Customization.Decision.UNDECIDED) & (
        Q(status=Customization.Status.ARTWORK_APPROVAL_PENDING)
        | Q(has_bad_words=True)
        | Q(connection__review_everything=True)
    )


def awaiting_review_refresh(rows: QuerySet[Customization] | Iterable[int]) -> int:
    """Set the flag right on `rows` (a queryset, or customization pks); two UPDATEs that touch
    only the rows whose flag changes. Returns how many changed."""
    if isinstance(rows, QuerySet):
        queryset = rows
    else:
        pks = list(rows)
        if not pks:
            return 0
        queryset = Customization.objects.filter(pk__in=pks)
    condition = awaiting_review_condition()
    added = queryset.filter(condition, awaiting_review=False).update(awaiting_review=True)
    removed = queryset.filter(awaiting_review=True).exclude(condition).update(awaiting_review=False)
    return added + removed


def awaiting_review_refresh_connection(connection: VendorConnection) -> int:
    """After a connection's "review everything" changed: all of its customizations."""
    return awaiting_review_refresh(Customization.objects.filter(connection=connection))
