"""Stock levels: CSV import with preview, push to the vendor, and the push history."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from integrations.registry import Capability
from orders.admin.a11y import RowLabelledForm
from orders.admin.base import ViewOnlyAdmin
from orders.admin.export import CsvExportMixin
from orders.admin.marks import notable
from orders.admin.scale import ConnectionFilter, ScaleAdminMixin
from orders.models import VendorConnection
from orders.readable import json_table
from orders.text import counted

from ..models import (
    StockLevel,
    StockPush,
)
from ..selectors import stock_levels_low
from ..services.queue import stock_push_queue
from ..services.stock import ENCODINGS as STOCK_ENCODINGS
from ..services.stock import PREVIEW_ERRORS as STOCK_PREVIEW_ERRORS
from ..services.stock import (
    StockImportError,
    stock_import_apply,
    stock_import_counts,
    stock_import_discard,
    stock_import_preview,
    stock_import_shown,
    stock_import_stage,
    stock_import_staged,
)
from .catalogue import connection_name


class StockImportForm(forms.Form):
    connection = forms.ModelChoiceField(VendorConnection.objects.none())
    file = forms.FileField(
        required=False,
        help_text="CSV with a header line naming the columns sku and quantity, separated by commas, "
        "semicolons or tabs.",
    )
    encoding = forms.ChoiceField(
        choices=list(STOCK_ENCODINGS.items()),
        initial="auto",
        required=False,  # not chosen: detect
        help_text="Detect reads UTF-8 (with or without BOM) and UTF-16. A file saved by Excel on Windows "
        "as plain CSV is usually Windows-1252.",
    )
    # The staged upload (kept on the server) that the preview showed; never the file's text.
    staged = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Active connections whose vendor takes stock levels (integrations.registry).
        self.fields["connection"].queryset = VendorConnection.objects.with_capability(Capability.STOCK).filter(
            is_active=True
        )


class LowStockFilter(admin.SimpleListFilter):
    """Below its low-stock threshold (the dashboard's "low stock" count links here)."""

    title = "low stock"
    parameter_name = "low_stock"

    def lookups(self, request, model_admin):
        return [("yes", "Below its threshold")]

    def queryset(self, request, queryset):
        return stock_levels_low(queryset) if self.value() == "yes" else queryset


@admin.register(StockLevel)
class StockLevelAdmin(ScaleAdminMixin, CsvExportMixin, admin.ModelAdmin):
    export_columns = [
        ("sku", "SKU"),
        ("connection__name", "Connection"),
        ("quantity_available", "Quantity available"),
        ("low_stock_threshold", "Low-stock threshold"),
        ("pushed_quantity", "Quantity last pushed"),
        ("pushed_at", "Pushed at"),
        ("updated_at", "Updated at"),
    ]
    list_display = [
        "sku",
        connection_name,
        "quantity_available",
        "low_stock_threshold",
        "pushed_quantity",
        "changed",
        "pushed_at",
        "updated_at",
    ]
    list_editable = ["quantity_available", "low_stock_threshold"]
    list_select_related = ["connection"]  # the connection column and the row labels: no query per row
    list_filter = [LowStockFilter, ("connection", ConnectionFilter)]
    search_fields = ["sku"]
    actions = ["push_selected", "push_all_changed"]
    readonly_fields = ["pushed_quantity", "pushed_at", "updated_at"]

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", RowLabelledForm)  # the editable quantities, named per row
        return super().get_changelist_form(request, **kwargs)

    @admin.display(description="Changed since push")
    def changed(self, obj):
        return notable(obj.is_changed, "changed")

    def has_push_permission(self, request):
        return request.user.has_perm("fulfilment.push_stocklevel")

    def _queued(self, request, connection_ids, what: str) -> None:
        names = ", ".join(
            VendorConnection.objects.filter(pk__in=connection_ids).order_by("name").values_list("name", flat=True)
        )
        history = reverse("admin:fulfilment_stockpush_changelist")
        self.message_user(
            request,
            format_html(
                "Stock push of {} queued for {}: what was sent and the vendor's answer appear under "
                '<a href="{}">Stock pushes</a> when it is done.',
                what,
                names,
                history,
            ),
            messages.SUCCESS,
        )

    def _connections(self, queryset) -> list[int]:
        return list(queryset.values_list("connection", flat=True).order_by("connection").distinct())

    @admin.action(description="Push selected levels to the partner", permissions=["push"])
    def push_selected(self, request, queryset):
        connections = self._connections(queryset)
        for connection_id in connections:
            ids = queryset.filter(connection=connection_id).values_list("pk", flat=True)
            stock_push_queue(connection_id, level_ids=ids, user_id=request.user.pk)
        if connections:
            self._queued(request, connections, f"{counted(queryset.count(), 'selected level')}")

    @admin.action(description="Push all changed levels (of the selected connections)", permissions=["push"])
    def push_all_changed(self, request, queryset):
        connections = self._connections(queryset)
        for connection_id in connections:
            stock_push_queue(connection_id, level_ids=None, user_id=request.user.pk)
        if connections:
            self._queued(request, connections, "every changed level")

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="fulfilment_stocklevel_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a CSV, see a preview with each row's errors and the counts, then confirm. The upload
        is kept on the server (StockImport) between the two, so that the confirmation imports exactly
        the previewed file, whatever its size."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = StockImportForm(request.POST or None, request.FILES or None)
        rows, staged = None, None
        if request.method == "POST" and form.is_valid():
            connection = form.cleaned_data["connection"]
            upload = form.cleaned_data.get("file")
            try:
                if upload:
                    # A file chosen on the preview screen is previewed first, never imported blind;
                    # the upload it replaces is dropped.
                    if form.cleaned_data["staged"]:
                        stock_import_discard(form.cleaned_data["staged"], user=request.user)
                    staged = stock_import_stage(
                        connection,
                        request.user,
                        upload.read(settings.STOCK_IMPORT_MAX_BYTES + 1),  # never more into memory
                        encoding=form.cleaned_data["encoding"] or "auto",
                        filename=upload.name,
                    )
                elif form.cleaned_data["staged"]:
                    staged = stock_import_staged(form.cleaned_data["staged"], user=request.user, connection=connection)
                else:
                    form.add_error("file", "Choose a CSV file.")
            except StockImportError as exc:
                form.add_error("file", str(exc))
            if staged is not None:
                rows = stock_import_preview(connection, staged.text)
                if "confirm" in request.POST and not upload and not any(row.error for row in rows):
                    count = stock_import_apply(connection, rows)
                    staged.delete()
                    self.message_user(request, f"Imported {counted(count, 'stock level')}.", messages.SUCCESS)
                    return redirect(reverse("admin:fulfilment_stocklevel_changelist"))
                data = form.data.copy()
                data["staged"] = str(staged.pk)
                form = StockImportForm(data)
                form.is_valid()
        shown = stock_import_shown(rows) if rows else []
        context = {
            **self.admin_site.each_context(request),
            "title": "Import stock levels",
            "opts": self.model._meta,
            "form": form,
            "rows": shown,
            "total": len(rows or []),
            "hidden_count": len(rows or []) - len(shown),
            "counts": stock_import_counts(rows or []),
            "staged": staged,
            "has_errors": bool(rows and any(row.error for row in rows)),
            "errors_listed": STOCK_PREVIEW_ERRORS,
        }
        return TemplateResponse(request, "admin/fulfilment/stock_import.html", context)


@admin.register(StockPush)
class StockPushAdmin(ViewOnlyAdmin):
    deletable = False  # the record of what the vendor sent or was sent
    list_display = ["at", "connection", "user", "status", "count", "error"]
    list_filter = ["status", ("connection", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "at"
    readonly_fields = ["connection", "user", "at", "status", "count", "sent_shown", "answers_shown", "error"]
    exclude = ["sent", "answers"]

    @admin.display(description="Sent")
    def sent_shown(self, obj):
        return json_table(obj.sent)

    @admin.display(description="Partner's answers")
    def answers_shown(self, obj):
        return json_table(obj.answers)
