"""The back office's admin site: Django's, with the home dashboard on its index and the apps
listed in the order staff use them (the review queue, customizations and fulfilment first; the
libraries' screens, Axes and Celery beat's schedules, last under "System").

Installed as the default site (operations.site_config.BackOfficeAdminConfig replaces
"django.contrib.admin" in INSTALLED_APPS), so every `admin.site.register` and `@admin.register`
lands here unchanged."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpResponseBadRequest

# Apps in this order; anything not listed comes after them, alphabetically, before System.
APP_ORDER = ["orders", "fulfilment", "operations", "auth"]
SYSTEM_APPS = ["axes", "django_celery_beat"]
# Models first within their app, in this order (object names); the rest follow alphabetically.
MODEL_ORDER = {
    "orders": ["ReviewItem", "Customization", "StoreOrder", "SideArtwork", "ReviewDecision", "SyncRun"],
    "fulfilment": ["FulfilmentOrder", "PartnerPrintFile", "PushedOrder", "StockLevel"],
}


def _app_key(app: dict) -> tuple:
    label = app["app_label"]
    if label in SYSTEM_APPS:
        return (2, SYSTEM_APPS.index(label), app["name"].lower())
    if label in APP_ORDER:
        return (0, APP_ORDER.index(label), "")
    return (1, 0, app["name"].lower())


class BackOfficeSite(admin.AdminSite):
    site_header = "Print-on-demand back office"
    site_title = "Back office"
    index_title = "Today"
    index_template = "admin/operations/index.html"

    def get_app_list(self, request, app_label=None):
        apps = sorted(self._build_app_dict(request, app_label).values(), key=_app_key)
        for app in apps:
            first = MODEL_ORDER.get(app["app_label"], [])
            app["models"].sort(
                key=lambda m: (first.index(m["object_name"]) if m["object_name"] in first else len(first), m["name"])
            )
            app["system"] = app["app_label"] in SYSTEM_APPS
        return apps

    def index(self, request, extra_context=None):
        from .charts import dashboard_charts
        from .dashboard import WINDOWS, attention_groups, attention_items, chart_data

        raw = request.GET.get("days", "30")
        if not raw.isdigit() or int(raw) not in WINDOWS:
            return HttpResponseBadRequest(f"days must be one of {', '.join(map(str, WINDOWS))}.")
        days = int(raw)
        apps = self.get_app_list(request)
        context = {
            "staff_apps": [app for app in apps if not app["system"]],
            "system_apps": [app for app in apps if app["system"]],
            "attention": attention_groups(attention_items(request.user)),
            "days": days,
            "windows": WINDOWS,
            "charts": dashboard_charts(chart_data(request.user, days)),
            **(extra_context or {}),
        }
        return super().index(request, context)
