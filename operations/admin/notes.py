"""Notes, tags and the activity panel in the admin.

- The panel (operations/templatetags/activity.py, shown on the four change pages through
  templates/admin/<app>/<model>/change_form.html) and its htmx views live on NoteAdmin's URLs.
- The "Tag" list filter is a generic approach, not re-registered subclasses: once every admin is
  registered (OperationsConfig.ready), tag_filters_attach() appends TagFilter to the list_filter
  of whichever ModelAdmin is registered for each of the four kinds, so that orders and fulfilment
  never import operations and another part re-registering one of those admins keeps the filter.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from operations.activity import feed
from operations.notes import notes_of, tag_names, tags_of
from operations.notes_models import TARGETS, Note, Tag, Tagging
from operations.services.notes import note_add, note_delete, note_may_delete, tag_add, tag_remove

PANEL_TEMPLATE = "admin/operations/_activity.html"
KIND_LABELS = {"print_file": "print file", "config": "settings", "action": "staff action", "push": "received"}


def panel_context(request, obj, *, error: str = "") -> dict:
    user = request.user
    ct = ContentType.objects.get_for_model(obj._meta.concrete_model)
    args = [ct.pk, obj.pk]
    may_view_notes = user.has_perm("operations.view_note")
    notes = list(notes_of(obj)[:200]) if may_view_notes else []
    return {
        "obj": obj,
        "entries": [(entry, KIND_LABELS.get(entry.kind, entry.kind)) for entry in feed(obj)] if may_view_notes else [],
        "may_view": may_view_notes,
        "notes": [(note, note_may_delete(note, user)) for note in notes],
        "tags": tags_of(obj),
        "tag_choices": tag_names(),
        "may_note": user.has_perm("operations.add_note"),
        "may_tag": user.has_perm("operations.add_tagging"),
        "may_untag": user.has_perm("operations.delete_tagging"),
        "panel_url": reverse("admin:operations_note_panel", args=args),
        "add_url": reverse("admin:operations_note_write", args=args),
        "tag_url": reverse("admin:operations_note_tag", args=args),
        "untag_url": reverse("admin:operations_note_untag", args=args),
        "error": error,
    }


def panel_render(request, obj, *, error: str = "") -> str:
    return render_to_string(PANEL_TEMPLATE, panel_context(request, obj, error=error), request=request)


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def _field(self, model_admin) -> str:
        return TARGETS[model_admin.model._meta.concrete_model]

    def lookups(self, request, model_admin):
        field = self._field(model_admin)
        names = (
            Tagging.objects.filter(removed_at=None, **{f"{field}__isnull": False})
            .order_by("tag__name")
            .values_list("tag__name", flat=True)
            .distinct()[:100]
        )
        return [(name, name) for name in names]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        field = TARGETS[queryset.model._meta.concrete_model]
        tagged = Tagging.objects.filter(removed_at=None, tag__name=value[:100]).values(field)
        return queryset.filter(pk__in=tagged)


def tag_filters_attach(site: admin.AdminSite = admin.site) -> None:
    for model in TARGETS:
        model_admin = site._registry.get(model)
        if model_admin is not None and TagFilter not in model_admin.list_filter:
            model_admin.list_filter = (*model_admin.list_filter, TagFilter)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """The tags in use: Managers rename or delete them; staff add them on the things themselves."""

    list_display = ["name", "in_use", "created_at"]
    search_fields = ["name"]

    @admin.display(description="on (now)")
    def in_use(self, tag):
        return tag.taggings.filter(removed_at=None).count()


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    """Every note, newest first; notes are written and deleted on the things' own pages."""

    list_display = ["created_at", "author", "on", "text_short"]
    list_filter = [("author", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["text"]
    list_select_related = ["author", "customization", "store_order", "fulfilment_order", "pushed_order"]
    fields = readonly_fields = ["on", "author", "created_at", "text"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # on the thing's page: its author or a Manager (note_remove)

    @admin.display(description="on")
    def on(self, note):
        target = note.target
        if target is None:
            return "—"
        opts = target._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[target.pk])
        return format_html('<a href="{}">{} {}</a>', url, opts.verbose_name.capitalize(), target)

    @admin.display(description="note")
    def text_short(self, note):
        return note.text if len(note.text) <= 120 else note.text[:119] + "…"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "activity/<int:content_type_id>/<int:object_id>/",
                view(self.panel_view),
                name="operations_note_panel",
            ),
            path(
                "activity/<int:content_type_id>/<int:object_id>/note/",
                view(self.add_view_for),
                name="operations_note_write",
            ),
            path(
                "activity/<int:content_type_id>/<int:object_id>/tag/",
                view(self.tag_view),
                name="operations_note_tag",
            ),
            path(
                "activity/<int:content_type_id>/<int:object_id>/untag/",
                view(self.untag_view),
                name="operations_note_untag",
            ),
            path("<int:object_id>/remove/", view(self.remove_view), name="operations_note_remove"),
            *super().get_urls(),
        ]

    # -- the views -------------------------------------------------------------------------------

    def _target(self, request, content_type_id: int, object_id: int):
        """The thing, if it is one of the four kinds and the user may see it (else 404)."""
        content_type = ContentType.objects.filter(pk=content_type_id).first()
        model = content_type.model_class() if content_type else None
        if model not in TARGETS:
            raise Http404("Notes are kept on customizations, store orders, fulfilment orders and pushed orders.")
        obj = model._default_manager.filter(pk=object_id).first()
        model_admin = self.admin_site._registry.get(model)
        if obj is None or model_admin is None or not model_admin.has_view_permission(request, obj):
            raise Http404("No such thing.")
        return obj

    def _answer(self, request, obj, *, error: str = "", done: str = ""):
        if request.htmx:
            return HttpResponse(panel_render(request, obj, error=error), status=400 if error else 200)
        if error:
            return HttpResponseBadRequest(error, content_type="text/plain; charset=utf-8")
        if done:
            messages.success(request, done)
        opts = obj._meta
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]) + "#activity-panel"
        )

    @staticmethod
    def _require(request, perm: str):
        if not request.user.has_perm(perm):
            raise PermissionDenied

    def panel_view(self, request, content_type_id: int, object_id: int):
        return require_GET(self._panel)(request, content_type_id, object_id)

    def _panel(self, request, content_type_id, object_id):
        self._require(request, "operations.view_note")
        return HttpResponse(panel_render(request, self._target(request, content_type_id, object_id)))

    def add_view_for(self, request, content_type_id: int, object_id: int):
        return require_POST(self._add)(request, content_type_id, object_id)

    def _add(self, request, content_type_id, object_id):
        self._require(request, "operations.add_note")
        obj = self._target(request, content_type_id, object_id)
        try:
            note_add(obj=obj, author=request.user, text=request.POST.get("text", ""))
        except ValidationError as error:
            return self._answer(request, obj, error=" ".join(error.messages))
        return self._answer(request, obj, done="Note added.")

    def tag_view(self, request, content_type_id: int, object_id: int):
        return require_POST(self._tag)(request, content_type_id, object_id)

    def _tag(self, request, content_type_id, object_id):
        self._require(request, "operations.add_tagging")
        obj = self._target(request, content_type_id, object_id)
        try:
            tagging = tag_add(obj=obj, user=request.user, name=request.POST.get("tag", ""))
        except ValidationError as error:
            return self._answer(request, obj, error=" ".join(error.messages))
        return self._answer(request, obj, done=f"Tagged “{tagging.tag}”.")

    def untag_view(self, request, content_type_id: int, object_id: int):
        return require_POST(self._untag)(request, content_type_id, object_id)

    def _untag(self, request, content_type_id, object_id):
        self._require(request, "operations.delete_tagging")
        obj = self._target(request, content_type_id, object_id)
        tag_remove(obj=obj, user=request.user, name=request.POST.get("tag", "")[:100])
        return self._answer(request, obj, done="Tag removed.")

    def remove_view(self, request, object_id: int):
        return require_POST(self._remove)(request, object_id)

    def _remove(self, request, object_id):
        note = get_object_or_404(Note, pk=object_id)
        obj = note.target
        model_admin = self.admin_site._registry.get(obj._meta.concrete_model) if obj is not None else None
        if obj is None or model_admin is None or not model_admin.has_view_permission(request, obj):
            raise Http404
        note_delete(note=note, user=request.user)  # PermissionDenied: neither its author nor a Manager
        return self._answer(request, obj, done="Note deleted.")
