"""Incoming requests: every partner's status callbacks and order pushes, raw, with Reprocess
(the vendor's parser and the fulfilment services again, whatever the vendor)."""

from django.contrib import admin, messages
from django.template.defaultfilters import filesizeformat

from orders.admin.base import ViewOnlyAdmin
from orders.admin.scale import ConnectionFilter, ScaleAdminMixin

from ..models import (
    IncomingRequest,
)
from ..selectors import incoming_reprocessable
from ..services.incoming import incoming_reprocess


@admin.register(IncomingRequest)
class IncomingRequestAdmin(ScaleAdminMixin, ViewOnlyAdmin):
    deletable = False  # the record of what the vendor sent or was sent
    list_display = ["received_at", "kind", "connection_shown", "outcome", "verified", "size_shown", "note_shown"]
    list_filter = ["kind", "outcome", "verified", ("connection", ConnectionFilter)]
    search_fields = ["body", "note"]
    list_select_related = ["connection"]  # nullable: the admin would not join it by itself (a query per row)
    date_hierarchy = "received_at"
    list_select_related = ["connection"]
    actions = ["reprocess_selected"]
    readonly_fields = [
        "kind",
        "connection",
        "hook",
        "method",
        "headers",
        "body",
        "size_bytes",
        "remote_addr",
        "received_at",
        "verified",
        "outcome",
        "note",
        "error_traceback",
        "reprocessed_at",
        "reprocessed_by",
    ]

    @admin.display(description="Connection", ordering="connection__name")
    def connection_shown(self, obj):
        # The name only ("Name (Kind)" pushed the size and note off screen); a request that
        # matched no connection has none.
        return obj.connection.name if obj.connection else "—"

    @admin.display(description="Size", ordering="size_bytes")
    def size_shown(self, obj):
        return filesizeformat(obj.size_bytes) if obj.size_bytes is not None else "—"

    @admin.display(description="Note")
    def note_shown(self, obj):
        # The whole note is on the request's page; the list keeps each row to a line or two.
        return obj.note if len(obj.note) <= 90 else obj.note[:88] + "…"

    def has_reprocess_permission(self, request):
        return request.user.has_perm("fulfilment.reprocess_incomingrequest")

    @admin.action(description="Reprocess (parse and apply again; a replay changes nothing)", permissions=["reprocess"])
    def reprocess_selected(self, request, queryset):
        done: dict[str, int] = {}
        for incoming in incoming_reprocessable(queryset):
            outcome = incoming_reprocess(incoming, user=request.user)
            done[outcome] = done.get(outcome, 0) + 1
        skipped = queryset.count() - sum(done.values())
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(done.items())) or "none"
        self.message_user(request, f"Reprocessed: {summary}.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} not verified or without a stored body were left alone.", messages.WARNING
            )
