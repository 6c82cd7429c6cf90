"""Shipments: every parcel shipped for a pushed order, with its carrier's tracking page and label.

Fulfilment orders' tracking is not here: a partner reports it on its own order record (the
status callback's shipping_tracking, kept on VendorOrder) with no shipment, date or label of its
own, so it is shown, linked the same way, in the Tracking column of *Fulfilment orders*."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from orders.admin.base import ViewOnlyAdmin
from orders.admin.export import CsvExportMixin
from orders.admin.scale import ConnectionFilter, ScaleAdminMixin, distinct_values

from ..carriers import carrier_name, tracking_url
from ..models import Shipment, ShippingLabel
from ..services.shipping import label_kind


def tracking_link(carrier: str, tracking: str):
    """The number linked to its carrier's tracking page (new tab); plain text for an unknown carrier."""
    if not tracking:
        return "—"
    url = tracking_url(carrier, tracking)
    if not url:
        return tracking
    return format_html(
        '<a href="{}" target="_blank" rel="noopener noreferrer" class="tracking-link" title="Track at {}">{}</a>',
        url,
        carrier_name(carrier),
        tracking,
    )


class ShippedFilter(admin.DateFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "shipped"


class CarrierFilter(admin.SimpleListFilter):
    """Carriers as people know them (hermes and Evri are one), from the shipments there are."""

    title = "carrier"
    parameter_name = "carrier"

    def lookups(self, request, model_admin):
        names = distinct_values(Shipment, "carrier", 200)
        shown = sorted({carrier_name(name) for name in names if name})
        return [(name, name) for name in shown]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        names = distinct_values(Shipment, "carrier", 200)
        return queryset.filter(carrier__in=[name for name in names if carrier_name(name) == value])


@admin.register(Shipment)
class ShipmentAdmin(ScaleAdminMixin, CsvExportMixin, ViewOnlyAdmin):
    deletable = False  # the record of what the partner shipped
    list_display = [
        "tracking_shown",
        "carrier_shown",
        "order_link",
        "customer",
        "items_shipped",
        "label_shown",
        "shipped",
    ]
    list_display_links = None
    list_filter = [
        CarrierFilter,
        ("created_at", ShippedFilter),
        ("order__connection", ConnectionFilter),
    ]
    search_fields = ["tracking", "=vendor_id", "=order__vendor_id", "order__ref", "order__customer_name"]
    search_help_text = "Search by tracking number, order reference or customer name."
    date_hierarchy = "created_at"
    list_select_related = ["order", "label"]
    list_per_page = 100
    fields = readonly_fields = [
        "order_link",
        "vendor_id",
        "carrier_shown",
        "tracking_shown",
        "items_shipped",
        "label_shown",
        "shipped",
    ]
    export_columns = [
        ("tracking", "Tracking number"),
        ("carrier", "Carrier"),
        ("order__ref", "Order"),
        ("order__vendor_id", "Order vendor id"),
        ("order__external_ref", "Retailer's reference"),
        ("order__connection__name", "Connection"),
        ("order__customer_name", "Customer"),
        ("order__shipping_postcode", "Postcode"),
        ("order__shipping_country_code", "Country"),
        ("label__state", "Label"),
        ("created_at", "Shipped at"),
    ]

    @admin.display(description="Tracking", ordering="tracking")
    def tracking_shown(self, obj):
        return tracking_link(obj.carrier, obj.tracking)

    @admin.display(description="Carrier", ordering="carrier")
    def carrier_shown(self, obj):
        return carrier_name(obj.carrier) or "—"

    @admin.display(description="Order", ordering="order__received_at")
    def order_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:fulfilment_pushedorder_change", args=[obj.order_id]), obj.order
        )

    @admin.display(description="Customer", ordering="order__customer_name")
    def customer(self, obj):
        return obj.order.customer_name or "—"

    @admin.display(description="Items")
    def items_shipped(self, obj):
        total = 0
        for item in obj.items if isinstance(obj.items, list) else []:
            if isinstance(item, dict):
                quantity = item.get("quantity_shipped", item.get("quantity"))
                total += quantity if isinstance(quantity, int) and quantity > 0 else 0
        return total or "—"

    @admin.display(description="Label")
    def label_shown(self, obj):
        label = getattr(obj, "label", None)
        if label is None:
            return "—"
        if label.state != ShippingLabel.State.READY:
            if not label.error:
                return label.get_state_display()
            return format_html('{}: <span class="quiet">{}</span>', label.get_state_display(), label.error)
        if label_kind(label) == "thermal":
            url = reverse("admin:fulfilment_pushedorder_label", args=[label.pk]) + "?download=1"
            return format_html('<a class="button reprint-label" href="{}" download>Download again</a>', url)
        return format_html(
            '<a class="button reprint-label" href="{}" target="_blank" rel="noopener">Reprint</a>',
            reverse("admin:fulfilment_pushedorder_label_print", args=[label.pk]),
        )

    @admin.display(description="Shipped", ordering="created_at")
    def shipped(self, obj):
        # The date (the admin's "1 Dec 2026, 6:19 p.m." cut the column off at 1400 px); the time on hover.
        when = timezone.localtime(obj.created_at)
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            when.isoformat(),
            when.strftime("%Y-%m-%d %H:%M"),
            when.strftime("%Y-%m-%d"),
        )
