"""Design review in the admin: the queue, one design per screen (htmx), decisions, undo, retry."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from integrations.filetypes import PREVIEW_IMAGE, PRINT_FILE

from ..file_responses import placeholder_response, stored_file_response
from ..models import Customization, PrintRequirement, ProxiedImage, ReviewDecision, ReviewItem, SideArtwork
from ..selectors import (
    REVIEW_REASONS,
    count_capped,
    review_counts,
    review_detail,
    review_neighbours,
    review_queue,
    side_thumbnails_prefetch,
)
from ..services.artwork import NotAcceptable, artwork_accept, artwork_retry
from ..services.bad_words import highlight_nodes
from ..services.image_proxy import proxied_image, url_from_token
from ..services.review import AlreadyDecided, ReasonRequired, artwork_approve, artwork_reject, decision_undo
from ..services.thumbnails import thumbnail_url
from ..text import counted
from .base import ViewOnlyAdmin
from .export import CsvExportMixin
from .marks import date_over_time
from .scale import ScaleAdminMixin
from .thumbnails import side_thumbnail_view


@admin.register(ReviewItem)
class ReviewAdmin(ViewOnlyAdmin):
    """Who may do what: view_customization to look; review_customization to decide;
    undo_decision to undo; retry_sideartwork to retry a download."""

    deletable = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_customization")

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("", view(self.queue_view), name="orders_reviewitem_changelist"),
            path("<int:pk>/", view(self.review_view), name="orders_reviewitem_review"),
            path("<int:pk>/decide/", view(self.decide_view), name="orders_reviewitem_decide"),
            path("<int:pk>/undo/", view(self.undo_view), name="orders_reviewitem_undo"),
            path("artwork/<int:pk>/retry/", view(self.retry_view), name="orders_reviewitem_artwork_retry"),
            path("artwork/<int:pk>/accept/", view(self.accept_view), name="orders_reviewitem_artwork_accept"),
            path("artwork/<int:pk>/file/", view(self.file_view), name="orders_reviewitem_artwork_file"),
            path("image/<str:token>/", view(self.image_view), name="orders_vendor_image"),
            path(
                "side/<int:pk>/thumbnail/<slug:version>/",
                view(
                    lambda request, pk, version: side_thumbnail_view(request, pk, version, allowed=image_view_allowed)
                ),
                name="orders_side_thumbnail",
            ),
        ]

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def _reason(self, request):
        reason = request.GET.get("reason") or request.POST.get("queue_reason") or ""
        return reason if reason in REVIEW_REASONS else ""

    # -- the queue ----------------------------------------------------------------------

    def queue_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        reason = self._reason(request)
        page = QueuePaginator(review_queue(reason or None).prefetch_related(side_thumbnails_prefetch()), 50).get_page(
            request.GET.get("page")
        )
        counts = review_counts()
        tabs = [("", "All", counts["total"])] + [
            (key, label, counts[key]) for key, (label, _) in REVIEW_REASONS.items()
        ]
        return TemplateResponse(
            request,
            "admin/orders/review/queue.html",
            self._context(request, title="Review queue", page=page, tabs=tabs, reason=reason),
        )

    # -- one design ----------------------------------------------------------------------

    def _panel(self, request, pk, *, status=200, notice="", error="", back=None):
        customization = review_detail(pk)
        if customization is None:
            raise Http404
        highlight_nodes(customization)
        reason = self._reason(request)
        previous, following, position = review_neighbours(customization, reason or None)
        counts = review_counts()
        if back is not None:
            # Right after a decision, k goes back to the design just decided, although it has
            # left the queue (the queue's neighbours are undecided designs only).
            previous = back
        context = self._context(
            request,
            title=f"Review {customization}",
            item=customization,
            previous=previous,
            following=following,
            position=position,
            awaiting=counts[reason] if reason else counts["total"],  # the queue `position` counts in
            counts=counts,
            reason=reason,
            reasons_list=settings.REVIEW_REJECTION_REASONS,
            queue_reasons=[label for key, (label, q) in REVIEW_REASONS.items() if _matches(customization, key)],
            can_decide=request.user.has_perm("orders.review_customization"),
            can_undo=request.user.has_perm("orders.undo_decision"),
            notice=notice,
            error=error,
        )
        template = "admin/orders/review/_panel.html" if request.htmx else "admin/orders/review/screen.html"
        response = TemplateResponse(request, template, context, status=status)
        if request.htmx:
            response["HX-Push-Url"] = self._url(pk, reason)
        return response

    def _url(self, pk, reason=""):
        url = reverse("admin:orders_reviewitem_review", args=[pk])
        return f"{url}?reason={reason}" if reason else url

    def review_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self._panel(request, pk)

    def decide_view(self, request, pk):
        if request.method != "POST":
            return redirect(self._url(pk))
        if not request.user.has_perm("orders.review_customization"):
            raise PermissionDenied
        customization = get_object_or_404(Customization, pk=pk)
        reason = self._reason(request)
        # The next design in the queue, taken before this one leaves it.
        _, following, _ = review_neighbours(customization, reason or None)
        try:
            if request.POST.get("decision") == "approve":
                artwork_approve(customization=customization, user=request.user)
                notice = f"Approved {customization}. Its print files are being fetched."
            elif request.POST.get("decision") == "reject":
                rejection = request.POST.get("reason", "").strip()
                artwork_reject(customization=customization, user=request.user, reason=rejection)
                notice = f"Rejected {customization}: {rejection}"
            else:
                return self._panel(request, pk, status=400, error="Choose approve or reject.")
        except AlreadyDecided as exc:
            return self._panel(request, pk, status=409, error=f"Not changed: {exc}.")
        except ReasonRequired:
            return self._panel(request, pk, status=400, error="A rejection needs a reason: pick one or type it.")
        target = following or pk
        if not request.htmx:
            messages.success(request, notice)
            return redirect(self._url(target, reason))
        return self._panel(request, target, notice=notice, back=pk if following else None)

    def undo_view(self, request, pk):
        if request.method != "POST":
            return redirect(self._url(pk))
        if not request.user.has_perm("orders.undo_decision"):
            raise PermissionDenied
        customization = get_object_or_404(Customization, pk=pk)
        try:
            decision_undo(customization=customization, user=request.user, expected=request.POST.get("expected"))
        except (AlreadyDecided, ValueError) as exc:
            return self._panel(request, pk, status=409, error=f"Not undone: {exc}.")
        notice = f"Undid the decision on {customization}: it is back in the queue."
        if not request.htmx:
            messages.success(request, notice)
            return redirect(self._url(pk))
        return self._panel(request, pk, notice=notice)

    def retry_view(self, request, pk):
        if request.method != "POST":
            raise Http404
        if not request.user.has_perm("orders.retry_sideartwork"):
            raise PermissionDenied
        artwork = get_object_or_404(SideArtwork.objects.select_related("side"), pk=pk)
        artwork_retry(artwork)
        if request.htmx:
            return HttpResponse(
                '<div class="artwork artwork-pending" data-artwork-state="pending">Print file: <strong>Pending</strong> '
                "(retry queued)</div>"
            )
        messages.success(request, "Retry queued.")
        return redirect(reverse("admin:orders_customization_change", args=[artwork.side.customization_id]))

    def accept_view(self, request, pk):
        """A Manager accepts a print file that needs attention anyway (recorded: who, when)."""
        if request.method != "POST":
            raise Http404
        if not request.user.has_perm("orders.accept_sideartwork"):
            raise PermissionDenied
        artwork = get_object_or_404(SideArtwork.objects.select_related("side"), pk=pk)
        try:
            artwork = artwork_accept(artwork, user=request.user)
        except NotAcceptable as exc:
            if request.htmx:
                return HttpResponse(f"Not accepted: {exc}.", status=409, content_type="text/plain")
            messages.error(request, f"Not accepted: {exc}.")
        else:
            if request.htmx:
                return render(
                    request, "admin/orders/customization/_artwork.html", {"side": artwork.side, "inside_form": False}
                )
            messages.success(request, "Accepted anyway: the print file can be ordered.")
        return redirect(reverse("admin:orders_customization_change", args=[artwork.side.customization_id]))

    def image_view(self, request, token):
        """A vendor image through our own origin (orders/services/image_proxy.py): the stored
        copy, or a placeholder saying why it is not shown."""
        if not image_view_allowed(request.user):
            raise PermissionDenied
        url = url_from_token(token)
        if not url:
            raise Http404("unknown image link")
        image = proxied_image(url)
        if image.state != ProxiedImage.State.READY:
            return placeholder_response(image.error or "The vendor's image could not be fetched.")
        response = stored_file_response(image.file, allowed=PREVIEW_IMAGE, what="image")
        if response.status_code == 200:
            response["Cache-Control"] = "private, max-age=86400"
        return response

    def file_view(self, request, pk):
        """A stored print file, to staff who may see customizations: storage is never served openly."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        artwork = get_object_or_404(SideArtwork, pk=pk)
        return stored_file_response(
            artwork.file, allowed=PRINT_FILE, what="print file", download=request.GET.get("download") == "1"
        )


class QueuePaginator(Paginator):
    """Pages over a capped count (selectors.REVIEW_COUNT_CAP): the first thousand designs, oldest
    first, and "1,000+" said on the screen when there are more."""

    @cached_property
    def count(self):
        self.count_shown = count_capped(self.object_list)
        return int(self.count_shown)


def image_view_allowed(user) -> bool:
    """Vendor images appear on customization, review and pushed-order pages."""
    return user.has_perm("orders.view_customization") or user.has_perm("fulfilment.view_pushedorder")


def _matches(customization: Customization, key: str) -> bool:
    if key == "approval_pending":
        return customization.status == Customization.Status.ARTWORK_APPROVAL_PENDING
    if key == "bad_words":
        return customization.has_bad_words
    return customization.connection.review_everything


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ScaleAdminMixin, CsvExportMixin, ViewOnlyAdmin):
    deletable = False
    export_columns = [
        ("at", "At"),
        ("action", "Action"),
        ("customization__external_id", "Customization (vendor id)"),
        ("customization__connection__name", "Connection"),
        ("customization__product_title", "Product"),
        ("user__username", "By"),
        ("reason", "Reason"),
        ("previous", "Previous decision", dict(Customization.Decision.choices)),
    ]
    list_display = ["at", "action", "customization_link", "who", "reason", "previous"]
    list_filter = ["action", ("at", admin.DateFieldListFilter), "user"]
    search_fields = ["=customization__external_id", "reason", "user__username"]
    date_hierarchy = "at"
    list_select_related = ["customization__connection", "user"]

    @admin.display(description="Customization")
    def customization_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_reviewitem_review", args=[obj.customization_id]),
            obj.customization,
        )

    @admin.display(description="By", ordering="user")
    def who(self, obj):
        return f"rule {obj.by_rule}" if obj.by_rule else (obj.user or "—")


@admin.register(PrintRequirement)
class PrintRequirementAdmin(admin.ModelAdmin):
    list_display = ["template_id", "connection", "min_width", "min_height", "note"]
    list_filter = ["connection"]
    search_fields = ["template_id", "note"]


@admin.register(SideArtwork)
class SideArtworkAdmin(ViewOnlyAdmin):
    deletable = False
    list_display = [
        "thumbnail",
        "side",
        "design_link",
        "state",
        "pixels",
        "size_shown",
        "attempts",
        "error",
        "updated_shown",
    ]
    # The side opens the print file's page; the preview links to its design (a link inside the
    # first column's own link would be an empty, unnamed one).
    list_display_links = ["side"]
    list_filter = ["state", "side__customization__connection"]
    search_fields = ["=side__customization__external_id", "error"]
    list_select_related = ["side__customization__connection"]
    actions = ["retry_selected"]
    exclude = ["file"]
    readonly_fields = [
        "side",
        "state",
        "file_link",
        "size_bytes",
        "sha256",
        "width",
        "height",
        "content_type",
        "source_url",
        "error",
        "attempts",
        "started_at",
        "fetched_at",
        "updated_at",
    ]

    def has_retry_permission(self, request):
        return request.user.has_perm("orders.retry_sideartwork")

    @admin.display(description="Updated", ordering="updated_at")
    def updated_shown(self, obj):
        return date_over_time(obj.updated_at)

    @admin.display(description="Preview")
    def thumbnail(self, obj):
        """The side's preview (our mirrored thumbnail, else through our image proxy), linked to the
        design it belongs to; the link is named for screen readers whether or not the image loads."""
        url = thumbnail_url(obj.side)
        if not url:
            return "—"
        return format_html(
            '<a href="{}" aria-label="Design {}, side {}"><img class="list-thumb" src="{}" alt="" loading="lazy"></a>',
            reverse("admin:orders_customization_change", args=[obj.side.customization_id]),
            obj.side.customization.external_id,
            obj.side,
            url,
        )

    @admin.display(description="Design", ordering="side__customization__external_id")
    def design_link(self, obj):
        customization = obj.side.customization
        return format_html(
            '<a href="{}">{}</a><br><a class="quiet" href="{}">review</a>',
            reverse("admin:orders_customization_change", args=[customization.pk]),
            customization,
            reverse("admin:orders_reviewitem_review", args=[customization.pk]),
        )

    @admin.display(description="Size", ordering="size_bytes")
    def size_shown(self, obj):
        return filesizeformat(obj.size_bytes) if obj.size_bytes is not None else "—"

    @admin.display(description="Pixels")
    def pixels(self, obj):
        return f"{obj.width}×{obj.height}" if obj.width and obj.height else "—"

    @admin.display(description="File")
    def file_link(self, obj):
        if not obj.file:
            return "—"
        return format_html('<a href="{}">download</a>', reverse("admin:orders_reviewitem_artwork_file", args=[obj.pk]))

    @admin.action(description="Retry the selected downloads", permissions=["retry"])
    def retry_selected(self, request, queryset):
        count = 0
        for artwork in queryset.exclude(state=SideArtwork.State.FETCHING):
            artwork_retry(artwork)
            count += 1
        self.message_user(request, f"{counted(count, 'download')} queued again.", messages.SUCCESS)
