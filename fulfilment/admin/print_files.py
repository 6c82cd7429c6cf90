"""Print files the partner makes (PRINT_FILE_POLLING): the inline on a fulfilment order, the list,
the file and its preview served through permission-checked views, and Retry."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from integrations.filetypes import PNG, PRINT_FILE
from orders.admin.base import ViewOnlyAdmin, ViewOnlyInline
from orders.file_responses import stored_file_response
from orders.text import counted

from ..models import PartnerPrintFile
from ..services.print_files import partner_print_file_retry_queue, polls_print_files

State = PartnerPrintFile.State
BADGE = {State.FAILED: "badge-failed", State.READY: "badge-succeeded", State.UNKNOWN: "badge-partial"}
RETRY_PERMISSION = "fulfilment.send_fulfilmentorder"


def state_badge(obj: PartnerPrintFile):
    css = BADGE.get(obj.state, "badge-running")
    if obj.state == State.READY and not obj.file:
        css = "badge-running"  # ready at the partner, not stored here yet
    return format_html(
        '<span class="badge {}" title="{}">{}</span>', css, obj.vendor_code or "", obj.get_state_display()
    )


def size_shown(obj: PartnerPrintFile) -> str:
    if not obj.size_bytes:
        return "—"
    what = f"{obj.size_bytes / 1024:,.0f} KB" if obj.size_bytes < 1024 * 1024 else f"{obj.size_bytes / 1048576:,.1f} MB"
    if obj.width and obj.height:
        what += f", {obj.width}×{obj.height} px"
    elif obj.page_count:
        what += f", {counted(obj.page_count, 'page')}"
    return what


def preview_shown(obj: PartnerPrintFile):
    if not obj.preview:
        return "—"
    url = reverse("admin:fulfilment_partnerprintfile_preview", args=[obj.pk])
    # Big enough to recognise the file (a 40 px square cropped a page to a blank corner); the
    # whole page, linked to the file itself when it is stored.
    image = format_html('<img class="print-file-preview" src="{}" alt="Preview of {}">', url, obj.store_item_id)
    if not obj.file:
        return image
    return format_html(
        '<a href="{}" title="Open the print file">{}</a>',
        reverse("admin:fulfilment_partnerprintfile_file", args=[obj.pk]),
        image,
    )


def file_link(obj: PartnerPrintFile):
    if not obj.file:
        return "—"
    url = reverse("admin:fulfilment_partnerprintfile_file", args=[obj.pk])
    return format_html('<a href="{}">{}</a> · <a href="{}?download=1" download>Download</a>', url, "Open", url)


def url_shown(obj: PartnerPrintFile):
    """The partner's URL, a link only when it is http(s) (anything else is shown as text)."""
    if not obj.url:
        return "—"
    if obj.url_is_web:
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', obj.url, obj.url)
    return obj.url


def retry_button(obj: PartnerPrintFile, request) -> str:
    if request is None or not request.user.has_perm(RETRY_PERMISSION) or obj.settled and obj.state != State.FAILED:
        return ""
    url = reverse("admin:fulfilment_partnerprintfile_retry", args=[obj.pk])
    words = "Retry (remake)" if obj.state == State.FAILED else "Poll now"
    # The inline sits inside the order's change form: the button posts that form (its CSRF token
    # with it) to the Retry URL instead.
    return format_html(
        '<button type="submit" class="button" formaction="{}?next={}" formmethod="post" name="retry">{}</button>',
        url,
        request.path,
        words,
    )


class Shown:
    """The columns the inline and the list share."""

    @admin.display(description="State", ordering="state")
    def state_shown(self, obj):
        return state_badge(obj)

    @admin.display(description="Preview")
    def preview_shown(self, obj):
        return preview_shown(obj)

    @admin.display(description="Size", ordering="size_bytes")
    def size_shown(self, obj):
        return size_shown(obj)

    @admin.display(description="File")
    def file_shown(self, obj):
        return file_link(obj)

    @admin.display(description="Partner's URL")
    def url_shown(self, obj):
        return url_shown(obj)


class PartnerPrintFileInline(Shown, ViewOnlyInline):
    model = PartnerPrintFile
    verbose_name_plural = "print files made by the partner"
    fk_name = "order"
    fields = readonly_fields = [
        "store_item_id",
        "state_shown",
        "preview_shown",
        "size_shown",
        "file_shown",
        "polls",
        "last_polled_at",
        "next_poll_at",
        "error",
        "retry_shown",
    ]

    def get_readonly_fields(self, request, obj=None):
        self._request = request  # an inline instance is made per request
        return super().get_readonly_fields(request, obj)

    def has_view_permission(self, request, obj=None):
        # Only on orders of partners that make print files (the rest would show an empty table).
        if obj is not None and not polls_print_files(obj.connection):
            return False
        return super().has_view_permission(request, obj)

    @admin.display(description="Action")
    def retry_shown(self, obj):
        return retry_button(obj, getattr(self, "_request", None))


class ConnectionFilter(admin.SimpleListFilter):
    title = "connection"
    parameter_name = "connection"

    def lookups(self, request, model_admin):
        # order_by(): the model's ordering would make DISTINCT count each file (one row per file).
        rows = (
            PartnerPrintFile.objects.order_by()
            .values_list("order__connection_id", "order__connection__name")
            .distinct()
        )
        return sorted(rows, key=lambda row: row[1])

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(order__connection_id=int(value))
        return queryset


@admin.register(PartnerPrintFile)
class PartnerPrintFileAdmin(Shown, ViewOnlyAdmin):
    deletable = False
    list_display = [
        "store_item_id",
        "order",
        "design_link",
        "state_shown",  # the vendor's own code is its tooltip
        "preview_shown",
        "size_shown",
        "polls",
        "last_polled_at",
        "next_poll_at",
    ]
    list_filter = ["state", ConnectionFilter]
    search_fields = ["order__external_ref", "store_item_id"]
    list_select_related = ["order", "item__customization__connection"]
    actions = ["retry_selected"]
    readonly_fields = [
        "order",
        "item",
        "store_item_id",
        "state_shown",
        "vendor_code",
        "url_shown",
        "polls",
        "last_polled_at",
        "next_poll_at",
        "preview_shown",
        "file_shown",
        "content_type",
        "size_shown",
        "sha256",
        "page_count",
        "width",
        "height",
        "error",
        "raw",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields
    change_form_template = "admin/fulfilment/partnerprintfile/change_form.html"

    @admin.display(description="Design", ordering="item__customization__external_id")
    def design_link(self, obj):
        customization = obj.item.customization
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_customization_change", args=[customization.pk]), customization
        )

    def has_retry_permission(self, request):
        return request.user.has_perm(RETRY_PERMISSION)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["retry"] = retry_button(obj, request) if obj is not None else ""
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    @admin.action(description="Retry: remake failed ones, poll the others now", permissions=["retry"])
    def retry_selected(self, request, queryset):
        done: dict[str, int] = {}
        for row in queryset.select_related("order"):
            outcome = partner_print_file_retry_queue(row)
            done[outcome] = done.get(outcome, 0) + 1
        self._said(request, done)

    def _said(self, request, done: dict[str, int]) -> None:
        if done.get("remake"):
            self.message_user(
                request,
                f"{counted(done['remake'], 'failed print file')}: the partner is asked to remake them.",
                messages.SUCCESS,
            )
        if done.get("poll"):
            self.message_user(request, f"{counted(done['poll'], 'print file')} queued to poll now.", messages.SUCCESS)
        if done.get("settled"):
            self.message_user(request, f"{done['settled']} already stored were left alone.", messages.WARNING)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/file/", view(self.file_view), name="fulfilment_partnerprintfile_file"),
            path("<int:pk>/preview/", view(self.preview_view), name="fulfilment_partnerprintfile_preview"),
            path("<int:pk>/retry/", view(self.retry_view), name="fulfilment_partnerprintfile_retry"),
            *super().get_urls(),
        ]

    def file_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        row = get_object_or_404(PartnerPrintFile, pk=pk)
        return stored_file_response(
            row.file,
            allowed=PRINT_FILE,
            what="print file",
            filename=f"print-file-{row.store_item_id}",
            download=request.GET.get("download") == "1",
        )

    def preview_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        row = get_object_or_404(PartnerPrintFile, pk=pk)
        return stored_file_response(row.preview, allowed=frozenset({PNG}), what="preview")

    def retry_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_retry_permission(request):
            raise PermissionDenied
        row = get_object_or_404(PartnerPrintFile.objects.select_related("order"), pk=pk)
        self._said(request, {partner_print_file_retry_queue(row): 1})
        back = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("admin:fulfilment_partnerprintfile_change", args=[row.pk])
        return redirect(back)
