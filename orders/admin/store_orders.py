"""Store orders and their lines."""

import json

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ..models import OrderLine, StoreOrder
from .base import ViewOnlyAdmin, ViewOnlyInline
from .export import CsvExportMixin


class OrderLineInline(ViewOnlyInline):
    model = OrderLine
    fields = ["customization_link", "quantity", "product_id", "variant_id"]
    readonly_fields = fields

    @admin.display(description="Customization")
    def customization_link(self, obj):
        url = reverse("admin:orders_customization_change", args=[obj.customization_id])
        return format_html('<a href="{}">{}</a>', url, obj.customization)


@admin.register(StoreOrder)
class StoreOrderAdmin(CsvExportMixin, ViewOnlyAdmin):
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
    list_display = ["name", "connection", "status", "payment_status", "total", "ordered_at", "store_order_id"]
    list_filter = ["status", "payment_status", "connection"]
    search_fields = ["name", "=external_id", "=store_order_id"]
    date_hierarchy = "ordered_at"
    list_select_related = ["connection"]
    inlines = [OrderLineInline]
    fields = [
        "connection",
        "external_id",
        "name",
        "store_order_id",
        "status",
        "payment_status",
        "total",
        "currency",
        "ordered_at",
        "history",
        "raw_payload",
    ]
    readonly_fields = fields

    @admin.display(description="Total", ordering="total_price")
    def total(self, obj):
        return "—" if obj.total_price is None else f"{obj.total_price} {obj.currency}".strip()

    @admin.display(description="Status history")
    def history(self, obj):
        rows = [
            (entry.get("date", ""), entry.get("status", "")) for entry in obj.status_history if isinstance(entry, dict)
        ]
        if not rows:
            return "—"
        return format_html("<table>{}</table>", format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", rows))

    @admin.display(description="Raw vendor payload")
    def raw_payload(self, obj):
        return format_html('<pre class="raw">{}</pre>', json.dumps(obj.payload, indent=2, ensure_ascii=False))
