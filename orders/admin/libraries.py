"""Third-party admins (django-celery-beat, django-axes), re-registered with permissions on every action.

Their actions declare no permissions, so Django offers them to anyone who may see the list: a
Viewer could enable, disable, toggle or run every schedule. Each action here requires the
permission for the write it makes (Django's own ``delete_selected`` needs delete in the same way).
Subclasses registered in one place, the libraries untouched; ``tests/test_admin_permissions.py``
walks them with everything else.
"""

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django.contrib import admin
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import PeriodicTask


class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    @admin.action(description="Enable selected tasks", permissions=["change"])
    def enable_tasks(self, request, queryset):
        return super().enable_tasks(request, queryset)

    @admin.action(description="Disable selected tasks", permissions=["change"])
    def disable_tasks(self, request, queryset):
        return super().disable_tasks(request, queryset)

    @admin.action(description="Toggle activity of selected tasks", permissions=["change"])
    def toggle_tasks(self, request, queryset):
        return super().toggle_tasks(request, queryset)

    # Running a task now is a change to what the schedule does, not a look at it.
    @admin.action(description="Run selected tasks", permissions=["change"])
    def run_tasks(self, request, queryset):
        return super().run_tasks(request, queryset)


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    # It deletes lockout records: the delete permission.
    @admin.action(description="Clean up expired attempts", permissions=["delete"])
    def cleanup_expired_attempts(self, request, queryset):
        return super().cleanup_expired_attempts(request, queryset)


# The schedule admins (clocked, crontab, solar, interval) and axes' logs have only Django's own
# "delete selected", which already needs the delete permission: they stay as the libraries have them.
REGISTRY = {PeriodicTask: PeriodicTaskAdmin, AccessAttempt: AccessAttemptAdmin}

for model, model_admin in REGISTRY.items():
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
