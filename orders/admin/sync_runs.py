"""Sync runs: what each sync read and wrote, with live progress."""

import time

from django.contrib import admin
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from ..models import SyncRun
from .base import ViewOnlyAdmin
from .scale import ScaleAdminMixin

# Sync now puts the time in the session; the run list refreshes itself for this long after.
SYNC_QUEUED_SESSION_KEY = "sync_queued_at"
POLL_AFTER_QUEUED_SECONDS = 60
RUN_REASON_CHARS = 160


def run_reason(run: SyncRun) -> str:
    """Why a run did not simply succeed, in words: its last error (or its note), for the list."""
    if run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.RUNNING):
        return ""
    if run.errors:
        return str(run.errors[-1])
    return run.note or ""


@admin.register(SyncRun)
class SyncRunAdmin(ScaleAdminMixin, ViewOnlyAdmin):
    list_display = [
        "run_number",
        "connection_name",
        "trigger",
        "status_badge",
        "progress_bar",
        "started",
        "counts",
    ]
    list_filter = ["status", "trigger", "connection"]
    date_hierarchy = "started_at"
    list_select_related = ["connection"]
    readonly_fields = [
        "connection",
        "trigger",
        "status",
        "progress_bar",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "window_start",
        "window_end",
        "read_up_to",
        "fetched",
        "created",
        "updated",
        "unchanged",
        "failed",
        "requests_made",
        "note",
        "error_list",
        "requested_by",
    ]
    exclude = ["errors", "progress", "read_until", "task_id"]

    @admin.display(description="Started", ordering="started_at")
    def started(self, obj):
        return f"{timezone.localtime(obj.started_at):%Y-%m-%d %H:%M}"

    @admin.display(description="Connection", ordering="connection__name")
    def connection_name(self, obj):
        return obj.connection.name

    @admin.display(description="Customizations")
    def counts(self, obj):
        # One column, not five, and the watermark under Progress: with them all the list was
        # wider than the screen beside the filter.
        return format_html(
            "{} read, {} new<br>{} changed, {} same, {} failed",
            obj.fetched,
            obj.created,
            obj.updated,
            obj.unchanged,
            obj.failed,
        )

    @admin.display(description="Read up to", ordering="read_until")
    def read_up_to(self, obj):
        """Where this run got to: every customization dated before it is written, and a sync
        after a failed one resumes there (less the look-back)."""
        if obj.read_until is None:
            return "—"
        return f"read up to {timezone.localtime(obj.read_until):%Y-%m-%d %H:%M:%S}"

    @admin.display(description="Run", ordering="pk")
    def run_number(self, obj):
        return f"#{obj.pk}"

    @admin.display(description="Status")
    def status_badge(self, obj):
        reason = run_reason(obj)
        if not reason:
            return format_html('<span class="badge badge-{}">{}</span>', obj.status, obj.get_status_display())
        # Why it failed, on the row (shortened) and in full on hover; the run's page lists every error.
        return format_html(
            '<span class="badge badge-{}" title="{}">{}</span><div class="run-reason">{}</div>',
            obj.status,
            reason,
            obj.get_status_display(),
            Truncator(reason).chars(RUN_REASON_CHARS),
        )

    @admin.display(description="Progress")
    def progress_bar(self, obj):
        from django.template.loader import render_to_string

        return render_to_string("admin/orders/syncrun/_progress.html", {"run": obj})

    @admin.display(description="Errors")
    def error_list(self, obj):
        if not obj.errors:
            return "none"
        return format_html(
            "<ul class='sync-errors'>{}</ul>", format_html_join("", "<li>{}</li>", ((e,) for e in obj.errors))
        )

    def changelist_view(self, request, extra_context=None):
        # Refresh the list (htmx) while a run is going or one was just queued by Sync now: the
        # worker creates the run a moment after the redirect lands here.
        queued_at = request.session.get(SYNC_QUEUED_SESSION_KEY, 0)
        polling = (
            time.time() - queued_at < POLL_AFTER_QUEUED_SECONDS
            or SyncRun.objects.filter(status=SyncRun.Status.RUNNING).exists()
        )
        return super().changelist_view(request, {"poll_runs": polling, **(extra_context or {})})

    def get_urls(self):
        return [
            path("<int:pk>/progress/", self.admin_site.admin_view(self.progress_view), name="orders_syncrun_progress"),
            *super().get_urls(),
        ]

    def progress_view(self, request, pk):
        if not self.has_view_permission(request):
            raise Http404
        run = SyncRun.objects.filter(pk=pk).first()
        if run is None:
            raise Http404
        return TemplateResponse(request, "admin/orders/syncrun/_progress.html", {"run": run})
