"""Alerts: the incidents list (Managers, view-only) and "My alerts", where every staff member
chooses which kinds of alert they get, by e-mail and by the team's chat (their own only)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from orders.admin.base import ViewOnlyAdmin

from ..alerts_models import AlertKind, AlertPreference, Incident
from ..services import alerts as alert_services


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", "Open"), ("no", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Incident)
class IncidentAdmin(ViewOnlyAdmin):
    """What went wrong, once per incident, and whether it recovered. Managers only (the
    list_incident permission); nobody edits or deletes it here."""

    deletable = False
    list_display = ["title", "kind", "state_badge", "opened", "last_seen", "times", "alerted"]
    list_filter = ["kind", OpenFilter]
    search_fields = ["title", "key"]
    date_hierarchy = "opened_at"
    fields = [
        "kind",
        "title",
        "state_badge",
        "detail",
        "action",
        "open_link",
        "key",
        "opened_at",
        "last_seen_at",
        "resolved_at",
        "occurrences",
        "alerted",
    ]
    readonly_fields = fields

    class Media:
        css = {"all": ["backoffice/alerts.css"]}

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.has_perm("operations.list_incident")

    @admin.display(description="State", ordering="resolved_at")
    def state_badge(self, obj):
        if obj.is_open:
            return format_html('<span class="badge badge-failed">{}</span>', "Open")
        return format_html('<span class="badge badge-succeeded">{}</span>', "Resolved")

    @admin.display(description="Opened", ordering="opened_at")
    def opened(self, obj):
        return f"{timezone.localtime(obj.opened_at):%Y-%m-%d %H:%M}"

    @admin.display(description="Last seen", ordering="last_seen_at")
    def last_seen(self, obj):
        return f"{timezone.localtime(obj.last_seen_at):%Y-%m-%d %H:%M}"

    @admin.display(description="Times", ordering="occurrences")
    def times(self, obj):
        return obj.occurrences

    @admin.display(description="Alerted")
    def alerted(self, obj):
        sent = []
        if obj.emailed_at:
            sent.append(f"e-mail to {obj.emailed_to}")
        if obj.chatted_at:
            sent.append("chat")
        return ", ".join(sent) or "nobody"

    @admin.display(description="Where")
    def open_link(self, obj):
        if not obj.path.startswith("/"):
            return "-"
        return format_html('<a href="{}">Open</a>', obj.path)


@admin.register(AlertPreference)
class MyAlertsAdmin(admin.ModelAdmin):
    """One page, for the staff member looking at it: which kinds they get, and how."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [path("", self.admin_site.admin_view(self.my_alerts_view), name="operations_alertpreference_changelist")]

    def my_alerts_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            choices = set(AlertKind.values)
            email = [kind for kind in request.POST.getlist("email")[:50] if kind in choices]
            chat = [kind for kind in request.POST.getlist("chat")[:50] if kind in choices]
            alert_services.alert_preference_set(request.user, email_kinds=email, chat_kinds=chat)
            messages.success(request, "Your alerts are saved.")
            return HttpResponseRedirect(reverse("admin:operations_alertpreference_changelist"))
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "POST"])
        preference = alert_services.alert_preference_of(request.user)
        rows = [
            {
                "kind": kind,
                "label": label,
                "email": kind in (preference.email_kinds or []),
                "chat": kind in (preference.chat_kinds or []),
            }
            for kind, label in AlertKind.choices
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "My alerts",
            "opts": self.model._meta,
            "rows": rows,
            "user_email": request.user.email,
            "chat_configured": bool(settings.ALERT_CHAT_WEBHOOK_URL),
            "incidents_url": (
                reverse("admin:operations_incident_changelist") + "?open=yes"
                if request.user.has_perm("operations.list_incident")
                else ""
            ),
        }
        return TemplateResponse(request, "admin/operations/my_alerts.html", context)
