"""Staff roles as groups, kept in step with the code on every migrate.

- Viewer: sees everything in the back office, changes nothing.
- Reviewer: a Viewer who approves and rejects designs, retries artwork downloads, and edits the
  bad-words list, and adds notes and tags.
- Manager: a Reviewer who also undoes decisions, changes vendor connections and their
  schedules, preflight rules, keeps the bad-words list in step with Kickflip, and runs
  fulfilment (sends orders, ships pushed orders, edits and pushes stock).
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

APPS = ("orders", "fulfilment", "operations", "django_celery_beat")

VIEWER = Q(content_type__app_label__in=APPS, codename__startswith="view_")
REVIEWER = VIEWER | Q(
    content_type__app_label="orders",
    codename__in=["review_customization", "retry_sideartwork", "change_badwordlist"],
)
MANAGER = Q(content_type__app_label__in=APPS)
# Notes and tags (operations): Reviewers add them (deleting a note: its author or a Manager).
REVIEWER |= Q(content_type__app_label="operations", codename__in=["add_note", "add_tagging", "delete_tagging"])
# Configuration history (django-auditlog's log entries): every role sees it; nobody writes it.
HISTORY = Q(content_type__app_label="auditlog", codename="view_logentry")
VIEWER, REVIEWER, MANAGER = VIEWER | HISTORY, REVIEWER | HISTORY, MANAGER | HISTORY

ROLES = {"Viewer": VIEWER, "Reviewer": REVIEWER, "Manager": MANAGER}


def roles_ensure(**kwargs) -> None:
    for name, permissions in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(permissions))
