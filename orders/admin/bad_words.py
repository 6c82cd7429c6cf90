"""The bad-words list screen (admin): edit, history, pull from and push to Kickflip."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from integrations.http import VendorError
from integrations.registry import Capability

from ..models import BadWordChange, BadWordList, VendorConnection
from ..services.bad_words import (
    BadWordsInvalid,
    VendorListChanged,
    bad_words_pull,
    bad_words_push,
    bad_words_push_preview,
    bad_words_save,
)


@admin.register(BadWordList)
class BadWordListAdmin(admin.ModelAdmin):
    """One list, one screen: the changelist URL shows the editor."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("", view(self.editor_view), name="orders_badwordlist_changelist"),
            path("push-preview/<int:connection_id>/", view(self.push_preview_view), name="orders_badwordlist_preview"),
        ]

    def _can_sync(self, request):
        return request.user.has_perm("orders.sync_badwordlist")

    def _connections(self):
        return VendorConnection.objects.with_capability(Capability.WORD_FILTER).filter(is_active=True)

    def editor_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        word_list = BadWordList.current()
        context = {"errors": [], "added_text": "", "preview": None, "preview_connection": None}
        if request.method == "POST":
            response = self._post(request, word_list, context)
            if response is not None:
                return response
            word_list.refresh_from_db()
        context.update(
            self.admin_site.each_context(request),
            title="Bad-words list",
            opts=self.model._meta,
            word_list=word_list,
            kept=context.get("kept", word_list.words),
            is_active=context.get("is_active", word_list.is_active),
            changes=BadWordChange.objects.select_related("user", "connection")[:25],
            connections=self._connections(),
            can_change=self.has_change_permission(request),
            can_sync=self._can_sync(request),
        )
        return TemplateResponse(request, "admin/orders/badwordlist/editor.html", context)

    def _post(self, request, word_list, context):
        action = request.POST.get("action")
        if action == "save":
            if not self.has_change_permission(request):
                raise PermissionDenied
            kept = request.POST.getlist("keep")
            added_text = request.POST.get("add", "")
            is_active = request.POST.get("is_active") == "on"
            try:
                change = bad_words_save(
                    words=[*kept, *added_text.replace(",", "\n").splitlines()], is_active=is_active, user=request.user
                )
            except BadWordsInvalid as exc:
                # Nothing is lost: the form comes back with what was typed and the reasons.
                context.update(errors=exc.errors, added_text=added_text, kept=kept, is_active=is_active)
                return None
            if change is None:
                messages.info(request, "Nothing changed.")
            else:
                messages.success(
                    request,
                    f"Saved: {len(change.added)} added, {len(change.removed)} removed. "
                    "Customizations are being screened again in the background.",
                )
            return redirect(reverse("admin:orders_badwordlist_changelist"))
        if action in ("pull", "push"):
            if not self._can_sync(request):
                raise PermissionDenied
            connection = get_object_or_404(self._connections(), pk=request.POST.get("connection"))
            try:
                if action == "pull":
                    change = bad_words_pull(connection=connection, user=request.user)
                    if change is None:
                        messages.info(request, f"Pulled from {connection.name}: the lists were already the same.")
                    else:
                        messages.success(
                            request,
                            f"Pulled from {connection.name}: {len(change.added)} added, {len(change.removed)} removed.",
                        )
                else:
                    change = bad_words_push(
                        connection=connection, user=request.user, overwrite=request.POST.get("overwrite") == "on"
                    )
                    messages.success(
                        request,
                        f"Pushed to {connection.name}: {len(change.added)} added and {len(change.removed)} "
                        "removed there.",
                    )
            except VendorListChanged as exc:
                context.update(preview=exc.preview, preview_connection=connection)
                reason = (
                    f"the list on {connection.name} was changed there since the last pull or push"
                    if exc.preview.last_seen_at
                    else f"the list on {connection.name} was never pulled, so edits made there would be lost"
                )
                messages.warning(request, f"Not pushed: {reason}. Compare below, then confirm or pull first.")
                return None
            except (VendorError, BadWordsInvalid, ValueError) as exc:
                messages.error(request, f"{connection.name}: {exc}")
            return redirect(reverse("admin:orders_badwordlist_changelist"))
        messages.error(request, "Unknown action.")
        return None

    def push_preview_view(self, request, connection_id):
        if not self._can_sync(request):
            raise PermissionDenied
        connection = get_object_or_404(self._connections(), pk=connection_id)
        context = {"preview_connection": connection, "can_sync": True}
        try:
            context["preview"] = bad_words_push_preview(connection=connection)
        except VendorError as exc:
            context["preview_error"] = str(exc)
        return TemplateResponse(request, "admin/orders/badwordlist/_push_preview.html", context)
