"""Reads for the staff screens: each returns what one screen needs in a fixed number of queries."""

from django.db.models import Prefetch, Q, QuerySet

from .models import Customization, CustomizationSide, DesignNode, OrderLine, ReviewDecision, SyncRun

# What a page needs to show a side's mirrored thumbnail (services/thumbnails.py thumbnail_url).
THUMBNAIL_FIELDS = ("thumbnail", "thumbnail_source", "thumbnail_state")


def customization_list(queryset: QuerySet[Customization]) -> QuerySet[Customization]:
    return queryset.select_related("connection").prefetch_related(
        Prefetch(
            "sides",
            queryset=CustomizationSide.objects.only(
                "id", "customization_id", "name", "preview_url", "position", *THUMBNAIL_FIELDS
            ),
        ),
        "store_orders",
    )


def customization_detail(pk: int) -> Customization | None:
    return (
        Customization.objects.select_related("connection", "decided_by")
        .prefetch_related(
            Prefetch(
                "sides",
                queryset=CustomizationSide.objects.select_related("artwork").prefetch_related(
                    Prefetch("nodes", queryset=DesignNode.objects.order_by("position"))
                ),
            ),
            Prefetch("order_lines", queryset=OrderLine.objects.select_related("store_order")),
        )
        .filter(pk=pk)
        .first()
    )


def sync_run_latest(connection_id: int) -> SyncRun | None:
    return SyncRun.objects.filter(connection_id=connection_id).order_by("-started_at").first()


# -- review -------------------------------------------------------------------------------

REVIEW_REASONS = {
    "approval_pending": ("Artwork approval pending", Q(status=Customization.Status.ARTWORK_APPROVAL_PENDING)),
    "bad_words": ("Bad words", Q(has_bad_words=True)),
    "review_everything": ("Connection reviews everything", Q(connection__review_everything=True)),
}


REVIEW_COUNT_CAP = 1000
"""The queue's counts stop at this many (shown as "1,000+"): counting a queue of 700k rows
costs as much as the table, and nobody works through a thousand designs from a number."""


class CappedCount:
    """A count that stopped at the cap: shown as "1,000+", compares and adds up as the cap."""

    def __init__(self, cap: int):
        self.value = cap

    def __int__(self) -> int:
        return self.value

    __index__ = __int__

    def __bool__(self) -> bool:
        return self.value > 0

    def __eq__(self, other) -> bool:
        return isinstance(other, CappedCount) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("capped", self.value))

    def __str__(self) -> str:
        return f"{self.value:,}+"

    __repr__ = __str__


def count_capped(queryset: QuerySet, cap: int | None = None) -> int | CappedCount:
    """How many rows, exactly up to `cap` (REVIEW_COUNT_CAP); past it, a CappedCount. Reads at
    most cap + 1 rows."""
    cap = REVIEW_COUNT_CAP if cap is None else cap
    count = queryset.order_by()[: cap + 1].count()
    return CappedCount(cap) if count > cap else count


def review_queue(reason: str | None = None) -> QuerySet[Customization]:
    """Customizations awaiting a decision, oldest first, optionally for one reason: the maintained
    `awaiting_review` flag (orders/services/review_flag.py) read through its partial index."""
    queryset = Customization.objects.filter(awaiting_review=True)
    if reason in REVIEW_REASONS:
        queryset = queryset.filter(REVIEW_REASONS[reason][1])
    return queryset.select_related("connection").order_by("customized_at", "pk")


def review_counts() -> dict[str, int | CappedCount]:
    """Per reason and in all, each capped at REVIEW_COUNT_CAP."""
    counts: dict[str, int | CappedCount] = {key: count_capped(review_queue(key)) for key in REVIEW_REASONS}
    counts["total"] = count_capped(review_queue())
    return counts


def review_neighbours(
    customization: Customization, reason: str | None = None
) -> tuple[int | None, int | None, int | CappedCount]:
    """The previous and next customization in the queue, and this one's position (1-based,
    capped). Both neighbours are read from this row's place in the queue's index, walking left
    for the previous and right for the next, so they cost the same anywhere in the queue."""
    queue = review_queue(reason)
    at, pk = customization.customized_at, customization.pk
    if at is None:
        before = queue.filter(customized_at__isnull=True, pk__lt=pk)
        after = queue.filter(customized_at__isnull=True, pk__gt=pk)
    else:
        # customized_at <= / >= at first, so that the index range starts at this row.
        before = queue.filter(Q(customized_at__lte=at) & (Q(customized_at__lt=at) | Q(pk__lt=pk)))
        after = queue.filter(Q(customized_at__gte=at) & (Q(customized_at__gt=at) | Q(pk__gt=pk)))
    previous = before.order_by("-customized_at", "-pk").values_list("pk", flat=True).first()
    following = after.values_list("pk", flat=True).first()
    position = count_capped(before, REVIEW_COUNT_CAP - 1)
    return previous, following, (CappedCount(REVIEW_COUNT_CAP) if isinstance(position, CappedCount) else position + 1)


def review_detail(pk: int) -> Customization | None:
    """One customization for the review screen, in a fixed number of queries whatever its size."""
    return (
        Customization.objects.select_related("connection", "decided_by")
        .prefetch_related(
            Prefetch(
                "sides",
                queryset=CustomizationSide.objects.select_related("artwork").prefetch_related(
                    Prefetch("nodes", queryset=DesignNode.objects.order_by("position"))
                ),
            ),
            Prefetch("order_lines", queryset=OrderLine.objects.select_related("store_order")),
            Prefetch("decisions", queryset=ReviewDecision.objects.select_related("user")),
        )
        .filter(pk=pk)
        .first()
    )


def side_thumbnails_prefetch() -> Prefetch:
    """The sides of customizations with what their mirrored thumbnails need, for a list."""
    return Prefetch(
        "sides",
        queryset=CustomizationSide.objects.only(
            "id", "customization_id", "name", "preview_url", "position", *THUMBNAIL_FIELDS
        ),
    )
