"""Customizations: the list, the vendor filter and the detail screen."""

import json

from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from integrations.registry import kind_choices

from ..models import Customization, VendorConnection
from ..selectors import customization_detail, customization_list
from ..services.bad_words import highlight_nodes
from ..services.review import decisions_bulk
from ..services.thumbnails import thumbnail_url
from ..text import counted
from .base import ViewOnlyAdmin
from .export import CsvExportMixin
from .indexed_search import IndexedSearchMixin
from .scale import ScaleAdminMixin


class VendorFilter(admin.SimpleListFilter):
    title = "vendor"
    parameter_name = "vendor"

    def lookups(self, request, model_admin):
        return kind_choices()

    def queryset(self, request, queryset):
        if self.value():
            # The connections of that kind first (a few rows), then an indexed IN: no join.
            return queryset.filter(
                connection_id__in=list(VendorConnection.objects.filter(kind=self.value()).values_list("pk", flat=True))
            )
        return queryset


@admin.register(Customization)
class CustomizationAdmin(ScaleAdminMixin, IndexedSearchMixin, CsvExportMixin, ViewOnlyAdmin):
    deletable = False
    export_columns = [
        ("external_id", "Vendor id"),
        ("connection__name", "Connection"),
        ("status", "Status"),
        ("vendor_status", "Vendor status"),
        ("decision", "Decision"),
        ("decided_at", "Decided at"),
        ("has_bad_words", "Bad words"),
        ("customized_at", "Customized at"),
        ("product_title", "Product"),
        ("variant_title", "Variant"),
        ("sku", "SKU"),
        ("template_id", "Template id"),
        ("price", "Price"),
    ]
    list_display = [
        "thumbnails",
        "external_id",
        "vendor",
        "status",
        "bad_words_flag",
        "decision_shown",
        "customized_at",
        "product_shown",
        "order_names",
    ]
    list_display_links = ["thumbnails", "external_id"]
    list_filter = [
        VendorFilter,
        ("has_bad_words", admin.BooleanFieldListFilter),
        "decision",
        "status",
        ("customized_at", admin.DateFieldListFilter),
        "connection",
    ]
    search_fields = ["=external_id", "store_orders__name", "sku", "sides__nodes__text"]
    search_help_text = "Search by vendor id (exact), store order name (e.g. #3891), SKU or personalised text."
    date_hierarchy = "customized_at"
    list_per_page = 50
    change_form_template = "admin/orders/customization/change_form.html"
    actions = ["approve_selected", "reject_selected", "create_fulfilment_order", "create_virtual_products"]
    fieldsets = [
        (
            None,
            {"fields": ["connection", "external_id", "status", "vendor_status", "customized_at", "status_changed_at"]},
        ),
        ("Product", {"fields": ["product_title", "template_id", "variant_title", "sku", "price", "hex_color"]}),
        ("Notes", {"fields": ["user_notes", "comments", "user_agent"]}),
        ("Sync", {"fields": ["fetched_at", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return customization_list(super().get_queryset(request))

    def has_review_permission(self, request):
        return request.user.has_perm("orders.review_customization")

    @admin.action(description="Approve selected designs", permissions=["review"])
    def approve_selected(self, request, queryset):
        decided, skipped = decisions_bulk(customizations=queryset, user=request.user, decision="approved")
        self._report(request, "Approved", decided, skipped)

    @admin.action(description="Reject selected designs…", permissions=["review"])
    def reject_selected(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if "apply" in request.POST and reason:
            decided, skipped = decisions_bulk(
                customizations=queryset, user=request.user, decision="rejected", reason=reason
            )
            self._report(request, "Rejected", decided, skipped)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject designs",
            "opts": self.model._meta,
            "queryset": queryset,
            "reasons_list": settings.REVIEW_REJECTION_REASONS,
            "missing_reason": "apply" in request.POST,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/orders/customization/reject_selected.html", context)

    def has_fulfil_permission(self, request):
        return request.user.has_perm("fulfilment.add_fulfilmentorder")

    @admin.action(description="Create a fulfilment order…", permissions=["fulfil"])
    def create_fulfilment_order(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return redirect(f"{reverse('admin:fulfilment_fulfilmentorder_create')}?ids={ids}")

    def has_virtual_products_permission(self, request):
        return request.user.has_perm("fulfilment.add_virtualproduct")

    @admin.action(description="Create virtual products on Custom Gateway…", permissions=["virtual_products"])
    def create_virtual_products(self, request, queryset):
        """To the fulfilment app's screen (connection, base products, category), with the approved
        designs among the selected (the others are said to be left out)."""
        approved = queryset.filter(decision=Customization.Decision.APPROVED)
        left_out = queryset.count() - approved.count()
        if left_out:
            self.message_user(
                request,
                f"Left out {counted(left_out, 'design')} that {'is' if left_out == 1 else 'are'} not approved.",
                messages.WARNING,
            )
        ids = ",".join(str(pk) for pk in approved.values_list("pk", flat=True))
        if not ids:
            return None
        return redirect(f"{reverse('admin:fulfilment_virtualproduct_create')}?ids={ids}")

    def _report(self, request, verb, decided, skipped):
        if decided:
            self.message_user(request, f"{verb} {counted(decided, 'design')}.", messages.SUCCESS)
        for line in skipped:
            self.message_user(request, f"Not changed: {line}.", messages.WARNING)

    @admin.display(description="Vendor", ordering="connection__kind")
    def vendor(self, obj):
        return obj.connection.get_kind_display()

    @admin.display(description="Sides")
    def thumbnails(self, obj):
        return (
            format_html_join(
                "",
                '<img class="thumb" src="{}" alt="{}" title="{}" loading="lazy">',
                ((shown, side.name, side.name) for side in obj.sides.all() if (shown := thumbnail_url(side))),
            )
            or "—"
        )

    @admin.display(description="Bad words", ordering="has_bad_words")
    def bad_words_flag(self, obj):
        if not obj.has_bad_words:
            return ""
        return format_html(
            '<span class="bad-flag" title="{}">⚠ {}</span>', ", ".join(obj.bad_words), len(obj.bad_words)
        )

    @admin.display(description="Decision", ordering="decision")
    def decision_shown(self, obj):
        url = reverse("admin:orders_reviewitem_review", args=[obj.pk])
        return format_html(
            '<a href="{}" class="decision decision-{}">{}</a>', url, obj.decision or "none", obj.get_decision_display()
        )

    @admin.display(description="Store orders")
    @admin.display(description="Product", ordering="product_title")
    def product_shown(self, obj):
        # The template id under the product, not a column of its own: with it the list was wider
        # than a 1440 px screen beside the filters, and the product and orders were cut off.
        if not obj.template_id:
            return obj.product_title or "—"
        return format_html('{}<br><span class="quiet">template {}</span>', obj.product_title or "—", obj.template_id)

    def order_names(self, obj):
        return ", ".join(order.name or order.external_id for order in obj.store_orders.all()) or "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        detail = customization_detail(int(object_id)) if str(object_id).isdigit() else None
        extra_context = extra_context or {}
        if detail is not None:
            highlight_nodes(detail)
            extra_context.update(
                detail=detail,
                raw_payload=json.dumps(detail.payload, indent=2, ensure_ascii=False),
                raw_listing=json.dumps(detail.listing, indent=2, ensure_ascii=False),
                option_rows=_option_rows(detail.options),
            )
        return super().change_view(request, object_id, form_url, extra_context)


def _option_rows(options: dict) -> list[tuple[str, str]]:
    rows = []
    for index in (1, 2, 3):
        name, value = options.get(f"option{index}"), options.get(f"option{index}_value")
        if name:
            rows.append((name, value or ""))
    named = {name.lower() for name, _ in rows}
    if (options.get("color_des") or options.get("color")) and not named & {"color", "colour"}:
        rows.append(("Colour", f"{options.get('color_des') or ''} {options.get('color') or ''}".strip()))
    return rows
