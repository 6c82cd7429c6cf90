"""Reads for the staff screens: each returns what one screen needs in a fixed number of queries."""

from django.db.models import Count, Prefetch, Q, QuerySet

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


def review_queue(reason: str | None = None) -> QuerySet[Customization]:
    """Customizations awaiting a decision, oldest first, optionally for one reason."""
    condition = Q()
    for _, (_, reason_q) in REVIEW_REASONS.items():
        condition |= reason_q
    if reason in REVIEW_REASONS:
        condition = REVIEW_REASONS[reason][1]
    return (
        Customization.objects.filter(condition, decision=Customization.Decision.UNDECIDED)
        .select_related("connection")
        .order_by("customized_at", "pk")
    )


def review_counts() -> dict[str, int]:
    undecided = Customization.objects.filter(decision=Customization.Decision.UNDECIDED)
    counts = undecided.aggregate(
        **{key: Count("pk", filter=reason_q) for key, (_, reason_q) in REVIEW_REASONS.items()},
    )
    counts["total"] = review_queue().count()
    return counts


def review_neighbours(customization: Customization, reason: str | None = None) -> tuple[int | None, int | None, int]:
    """The previous and next customization in the queue, and this one's position (1-based)."""
    queue = review_queue(reason)
    key = (customization.customized_at, customization.pk)
    if customization.customized_at is None:
        before = queue.filter(customized_at__isnull=True, pk__lt=customization.pk)
        after = queue.filter(Q(customized_at__isnull=True, pk__gt=customization.pk))
    else:
        before = queue.filter(Q(customized_at__lt=key[0]) | Q(customized_at=key[0], pk__lt=key[1]))
        after = queue.filter(Q(customized_at__gt=key[0]) | Q(customized_at=key[0], pk__gt=key[1]))
    previous = before.order_by("-customized_at", "-pk").values_list("pk", flat=True).first()
    following = after.values_list("pk", flat=True).first()
    return previous, following, before.count() + 1


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
