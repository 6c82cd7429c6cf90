"""The partner's embedded product creator (Capability.PRODUCT_CREATOR, e.g. Custom Gateway's
VPC): a page that embeds it signed on each load, the endpoint its PRODUCTS_CREATED message is
posted to (static/backoffice/vpc.js), the products recorded with their snapshots and a mapping
to stock SKUs; and the stored copies of pushed orders' artwork."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from integrations.filetypes import PREVIEW_IMAGE, PRINT_FILE
from integrations.registry import Capability
from orders.admin.base import ViewOnlyAdmin
from orders.file_responses import placeholder_response, stored_file_response
from orders.models import VendorConnection
from orders.text import counted

from ..models import CreatorProduct, FileState, PushedAsset, StockLevel
from ..services.vendor_files import (
    ProductCreatorUnavailable,
    creator_products_record,
    product_creator_frame,
    pushed_assets_retry,
)

CREATE_PERMISSION = "fulfilment.add_creatorproduct"
RETRY_PERMISSION = "fulfilment.ship_pushedorder"
MAX_MESSAGE_BYTES = 512 * 1024


def snapshot_img(product: CreatorProduct) -> str:
    if product.snapshot_state != FileState.READY:
        return product.snapshot_error or product.get_snapshot_state_display()
    return format_html(
        '<img class="thumb vpc-snapshot" src="{}" alt="Snapshot of {}" width="150" height="150">',
        reverse("admin:fulfilment_creatorproduct_snapshot", args=[product.pk]),
        product,
    )


class CreatorProductForm(forms.ModelForm):
    class Meta:
        model = CreatorProduct
        fields = ["stock_level"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("stock_level")
        if field is None:  # shown read-only (no change permission)
            return
        # Only the connection's own stock levels: a SKU of another partner means nothing here.
        field.queryset = StockLevel.objects.filter(connection=self.instance.connection_id).order_by("sku")
        field.label_from_instance = lambda level: f"{level.sku} ({level.quantity_available} available)"


@admin.register(CreatorProduct)
class CreatorProductAdmin(admin.ModelAdmin):
    form = CreatorProductForm
    list_display = ["snapshot_shown", "__str__", "retail_sku", "base_product_code", "stock_level", "connection"]
    list_filter = [("connection", admin.RelatedOnlyFieldListFilter), "snapshot_state"]
    search_fields = ["=vendor_id", "name", "retail_sku", "base_product_code"]
    fields = [
        "snapshot_shown",
        "connection",
        "vendor_id",
        "name",
        "description",
        "retail_sku",
        "base_product_code",
        "snapshot_link",
        "snapshot_state",
        "snapshot_error",
        "stock_level",
        "created_by",
        "created_at",
    ]
    readonly_fields = [f for f in fields if f != "stock_level"]
    list_select_related = ["connection", "stock_level"]

    def has_add_permission(self, request):
        return False  # products are made in the partner's creator (the creator page)

    @admin.display(description="Snapshot")
    def snapshot_shown(self, obj):
        return snapshot_img(obj)

    @admin.display(description="Vendor's snapshot link")
    def snapshot_link(self, obj):
        if not obj.snapshot_url:
            return "—"
        return format_html(
            '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', obj.snapshot_url, obj.snapshot_url
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "creator_url": reverse("admin:fulfilment_creatorproduct_creators")}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("creator/", view(self.creators_view), name="fulfilment_creatorproduct_creators"),
            path("creator/<int:pk>/", view(self.creator_view), name="fulfilment_creatorproduct_creator"),
            path(
                "creator/<int:pk>/created/",
                view(require_POST(self.created_view)),
                name="fulfilment_creatorproduct_created",
            ),
            path("<int:pk>/snapshot/", view(self.snapshot_view), name="fulfilment_creatorproduct_snapshot"),
            *super().get_urls(),
        ]

    def _creator_connection(self, request, pk) -> VendorConnection:
        if not request.user.has_perm(CREATE_PERMISSION):
            raise PermissionDenied
        return get_object_or_404(
            VendorConnection.objects.with_capability(Capability.PRODUCT_CREATOR), pk=pk, is_active=True
        )

    def creators_view(self, request):
        """The connections whose partner has a product creator, each linking its page."""
        if not request.user.has_perm(CREATE_PERMISSION):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Create products",
            "opts": self.model._meta,
            "connections": VendorConnection.objects.with_capability(Capability.PRODUCT_CREATOR)
            .filter(is_active=True)
            .order_by("name"),
        }
        return TemplateResponse(request, "admin/fulfilment/vpc_creators.html", context)

    def creator_view(self, request, pk):
        """The creator embedded, its URL signed now (the vendor refuses a signature older than a
        few seconds, so this page is never cached); frame-src allows its origin on this page only."""
        connection = self._creator_connection(request, pk)
        origin = f"{request.scheme}://{request.get_host()}"
        try:
            frame_url, frame_origin = product_creator_frame(connection, origin)
            problem = ""
        except ProductCreatorUnavailable as exc:
            frame_url, frame_origin, problem = "", "", str(exc)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Create products: {connection.name}",
            "opts": self.model._meta,
            "connection": connection,
            "frame_url": frame_url,
            "frame_origin": frame_origin,
            "problem": problem,
            "endpoint": reverse("admin:fulfilment_creatorproduct_created", args=[connection.pk]),
            "changelist": reverse("admin:fulfilment_creatorproduct_changelist"),
        }
        response = TemplateResponse(request, "admin/fulfilment/vpc_creator.html", context)
        response["Cache-Control"] = "no-store"
        if frame_origin:
            response._csp_update = {"frame-src": [frame_origin]}  # type: ignore[attr-defined]
        return response

    def created_view(self, request, pk):
        """The PRODUCTS_CREATED message the page received (JSON {"message": ...}): recorded, then
        answered with the products as the page shows them. Bad input: 400 with the reason."""
        connection = self._creator_connection(request, pk)
        if len(request.body) > MAX_MESSAGE_BYTES:
            return JsonResponse({"error": "The message is too large."}, status=400)
        try:
            message = json.loads(request.body or b"null")["message"]
        except (ValueError, KeyError, TypeError):
            return JsonResponse({"error": 'The body is not JSON {"message": ...}.'}, status=400)
        try:
            products = creator_products_record(connection, message, user=request.user)
        except ProductCreatorUnavailable as exc:
            return JsonResponse({"error": str(exc)}, status=400)
        except ValueError as exc:
            return JsonResponse({"error": f"The creator's message was not recorded: {exc}."}, status=400)
        for product in products:
            product.refresh_from_db()
        return JsonResponse(
            {
                "products": [
                    {
                        "id": product.vendor_id,
                        "name": str(product),
                        "retail_sku": product.retail_sku,
                        "base_product_code": product.base_product_code,
                        "snapshot": reverse("admin:fulfilment_creatorproduct_snapshot", args=[product.pk]),
                        "url": reverse("admin:fulfilment_creatorproduct_change", args=[product.pk]),
                    }
                    for product in products
                ]
            }
        )

    def snapshot_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        product = get_object_or_404(CreatorProduct, pk=pk)
        if product.snapshot_state != FileState.READY:
            return placeholder_response(product.snapshot_error or "The snapshot is not downloaded yet.")
        return stored_file_response(product.snapshot, allowed=PREVIEW_IMAGE, what="snapshot")


# -- pushed orders' artwork ----------------------------------------------------------------------


def stored_asset_thumbnails(item) -> str:
    """The item's artwork from our storage (the vendor's link beside it); a failure in words."""
    rows = list(item.stored_assets.all())
    if not rows:
        return "—"
    return format_html_join(
        "",
        '<div class="pushed-asset">{}<br><a href="{}" rel="noopener noreferrer" target="_blank">vendor link</a></div>',
        ((_asset_shown(row), row.source_url or "#") for row in rows),
    )


def _asset_shown(row: PushedAsset) -> str:
    if row.state != FileState.READY:
        return format_html('<span class="badge badge-failed">{}</span> {}', row.get_state_display(), row.error)
    url = reverse("admin:fulfilment_pushedasset_file", args=[row.pk])
    return format_html(
        '<a href="{}" target="_blank" rel="noopener"><img class="thumb" src="{}" alt="{}" title="{}"></a>',
        url,
        url,
        row.name,
        row.description,
    )


@admin.register(PushedAsset)
class PushedAssetAdmin(ViewOnlyAdmin):
    deletable = False
    list_display = ["__str__", "order_shown", "state", "content_type", "error", "attempts", "updated_at"]
    list_filter = ["state"]
    search_fields = ["=item__order__vendor_id", "item__order__ref", "name"]
    actions = ["retry_selected"]
    fields = readonly_fields = [
        "preview",
        "item",
        "position",
        "name",
        "description",
        "source_url",
        "state",
        "content_type",
        "size_bytes",
        "sha256",
        "width",
        "height",
        "attempts",
        "error",
        "updated_at",
    ]
    list_select_related = ["item__order"]

    @admin.display(description="Pushed order")
    def order_shown(self, obj):
        return str(obj.item.order)

    @admin.display(description="Stored copy")
    def preview(self, obj):
        return _asset_shown(obj)

    def has_retry_permission(self, request):
        return request.user.has_perm(RETRY_PERMISSION)

    @admin.action(description="Retry the download of failed artwork", permissions=["retry"])
    def retry_selected(self, request, queryset):
        orders = queryset.exclude(state=FileState.READY).values_list("item__order_id", flat=True).distinct()
        queued = pushed_assets_retry(orders)
        self.message_user(
            request,
            f"Download of the artwork of {counted(queued, 'order')} queued: reload in a moment."
            if queued
            else "Nothing to retry: the selected artwork is stored.",
            messages.SUCCESS if queued else messages.INFO,
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/file/", view(self.file_view), name="fulfilment_pushedasset_file"),
            *super().get_urls(),
        ]

    def file_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        row = get_object_or_404(PushedAsset, pk=pk)
        if row.state != FileState.READY:
            raise Http404("not stored")
        return stored_file_response(row.file, allowed=PRINT_FILE, what="artwork file")
