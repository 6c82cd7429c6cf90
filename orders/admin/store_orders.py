"""Store orders and their lines."""

import json

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ..models import OrderLine, StoreOrder
from ..readable import code_label, code_shown, readable_datetime
from .base import ViewOnlyAdmin, ViewOnlyInline
from .export import CsvExportMixin
from .scale import DistinctValuesFilter, ScaleAdminMixin


def _named(name: str, vendor_id: str):
    if not name:
        return vendor_id or "—"
    if not vendor_id:
        return name
    return format_html('{} <span class="quiet">{}</span>', name, vendor_id)


class OrderLineInline(ViewOnlyInline):
    model = OrderLine
    fields = ["customization_link", "quantity", "product_shown", "variant_shown"]
    readonly_fields = fields

    # The product's and variant's names where the design gives them, the store's ids beside them.
    @admin.display(description="Product")
    def product_shown(self, obj):
        return _named(obj.customization.product_title, obj.product_id)

    @admin.display(description="Variant")
    def variant_shown(self, obj):
        return _named(obj.customization.variant_title, obj.variant_id)

    @admin.display(description="Customization")
    def customization_link(self, obj):
        url = reverse("admin:orders_customization_change", args=[obj.customization_id])
        return format_html('<a href="{}">{}</a>', url, obj.customization)


@admin.register(StoreOrder)
class StoreOrderAdmin(ScaleAdminMixin, CsvExportMixin, ViewOnlyAdmin):
    deletable = False
    export_columns = [
        ("name", "Order"),
        ("connection__name", "Connection"),
        ("external_id", "Vendor id"),
        ("store_order_id", "Store order id"),
        ("status", "Status"),
        ("payment_status", "Payment status"),
        ("total_price", "Total"),
        ("currency", "Currency"),
        ("ordered_at", "Ordered at"),
    ]
    list_display = ["name", "connection", "status_shown", "payment_shown", "total", "ordered_at", "store_order_id"]
    list_filter = [("status", DistinctValuesFilter), ("payment_status", DistinctValuesFilter), "connection"]
    search_fields = ["name", "=external_id", "=store_order_id"]
    date_hierarchy = "ordered_at"
    list_select_related = ["connection"]
    inlines = [OrderLineInline]
    fields = [
        "connection",
        "external_id",
        "name",
        "store_order_id",
        "status_shown",
        "payment_shown",
        "total",
        "currency",
        "ordered_at",
        "history",
        "raw_payload",
    ]
    readonly_fields = fields

    @admin.display(description="Status", ordering="status")
    def status_shown(self, obj):
        return code_shown(obj.status)

    @admin.display(description="Payment", ordering="payment_status")
    def payment_shown(self, obj):
        return code_shown(obj.payment_status)

    @admin.display(description="Total", ordering="total_price")
    def total(self, obj):
        return "—" if obj.total_price is None else f"{obj.total_price} {obj.currency}".strip()

    @admin.display(description="Status history")
    def history(self, obj):
        rows = [
            (readable_datetime(entry.get("date", "")), code_label(entry.get("status", "")))
            for entry in obj.status_history
            if isinstance(entry, dict)
        ]
        if not rows:
            return "—"
        return format_html("<table>{}</table>", format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", rows))

    @admin.display(description="Raw vendor payload")
    def raw_payload(self, obj):
        return format_html('<pre class="raw">{}</pre>', json.dumps(obj.payload, indent=2, ensure_ascii=False))
