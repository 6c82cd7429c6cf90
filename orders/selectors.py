"""Reads for the staff screens: each returns what one screen needs in a fixed number of queries."""

from django.db.models import Prefetch, QuerySet

from .models import Customization, CustomizationSide, DesignNode, OrderLine, SyncRun


def customization_list(queryset: QuerySet[Customization]) -> QuerySet[Customization]:
    return queryset.select_related("connection").prefetch_related(
        Prefetch(
            "sides",
            queryset=CustomizationSide.objects.only("id", "customization_id", "name", "preview_url", "position"),
        ),
        "store_orders",
    )


def customization_detail(pk: int) -> Customization | None:
    return (
        Customization.objects.select_related("connection")
        .prefetch_related(
            Prefetch(
                "sides",
                queryset=CustomizationSide.objects.prefetch_related(
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
