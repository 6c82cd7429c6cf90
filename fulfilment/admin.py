import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from integrations.custom_gateway.types import ERROR_CODES, ORDER_STATUSES
from integrations.filetypes import EPL, LABEL, PDF, ZPL, FileRefused, sniff_bytes
from integrations.http import VendorError
from orders.admin_base import ViewOnlyAdmin, ViewOnlyInline
from orders.file_responses import harden, placeholder_response, stored_file_response
from orders.models import Customization, OrderLine, VendorConnection
from orders.services.image_proxy import proxy_url

from .models import (
    FulfilmentItem,
    FulfilmentOrder,
    IncomingRequest,
    PushedOrder,
    PushedOrderItem,
    Shipment,
    ShippingLabel,
    StatusEvent,
    StockLevel,
    StockPush,
    VendorOrder,
)
from .services.incoming import incoming_reprocess
from .services.orders import (
    SHIPPING_FIELDS,
    FulfilmentInvalid,
    fulfilment_order_create,
    fulfilment_order_discard,
    fulfilment_order_queue,
    redact_hook_token,
    sendable_q,
    stuck_before,
)
from .services.shipping import NothingToPrint, label_kind, label_preview_png, labels_pdf, pushed_order_ship
from .services.stock import ENCODINGS as STOCK_ENCODINGS
from .services.stock import PREVIEW_ERRORS as STOCK_PREVIEW_ERRORS
from .services.stock import (
    StockImportError,
    stock_changed,
    stock_import_apply,
    stock_import_counts,
    stock_import_discard,
    stock_import_preview,
    stock_import_shown,
    stock_import_stage,
    stock_import_staged,
    stock_push,
)


class ItemInline(ViewOnlyInline):
    model = FulfilmentItem
    fields = readonly_fields = ["external_ref", "customization", "quantity", "sku", "description", "vendor_id"]


class VendorOrderInline(ViewOnlyInline):
    model = VendorOrder
    fields = readonly_fields = [
        "vendor_id",
        "ref",
        "status_name",
        "has_error",
        "error_message",
        "shipping_tracking",
        "shipping_carrier",
        "shipping_method",
    ]


class TimelineInline(ViewOnlyInline):
    model = StatusEvent
    verbose_name_plural = "timeline"
    fields = readonly_fields = [
        "received_at",
        "status_name",
        "status",
        "effect_shown",
        "vendor_order",
        "shipping_tracking",
        "shipping_carrier",
        "shipping_method",
        "extra",
    ]
    ordering = ["received_at", "id"]

    @admin.display(description="Effect")
    def effect_shown(self, obj):
        if obj.effect == "apply":
            return "applied"
        return format_html('<span class="badge badge-failed">{}</span>', obj.effect_note or obj.get_effect_display())


class AttentionFilter(admin.SimpleListFilter):
    """What staff must look at: status conflicts, orders stuck or waiting to send."""

    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [
            ("conflict", "Status conflict"),
            ("stuck", "Stuck queued or sending"),
            ("waiting", "Waiting for a rate limit"),
        ]

    def queryset(self, request, queryset):
        State = FulfilmentOrder.State
        if self.value() == "conflict":
            return queryset.exclude(status_conflict="")
        if self.value() == "stuck":
            return queryset.filter(
                state__in=[State.QUEUED, State.SENDING], next_attempt_at__isnull=True, updated_at__lt=stuck_before()
            )
        if self.value() == "waiting":
            return queryset.filter(state=State.QUEUED, next_attempt_at__isnull=False)
        return queryset


@admin.register(FulfilmentOrder)
class FulfilmentOrderAdmin(admin.ModelAdmin):
    list_display = ["external_ref", "connection", "state", "status_shown", "tracking", "store_order", "created_at"]
    list_filter = [AttentionFilter, "state", "vendor_status_name", "has_error", "reconciled", "connection"]
    search_fields = ["external_ref", "vendor_orders__ref", "vendor_orders__vendor_id", "store_order__name"]
    date_hierarchy = "created_at"
    inlines = [ItemInline, VendorOrderInline, TimelineInline]
    actions = ["send_selected", "discard_selected"]
    readonly_fields = [
        "external_ref",
        "state",
        "status_shown",
        "has_error",
        "error_message",
        "last_error_shown",
        "attempts",
        "reconciled",
        "sent_at",
        "created_by",
        "created_at",
        "request_payload_shown",
        "response_payload",
        "next_attempt_at",
        "reconciliations",
        "status_conflict_shown",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "connection",
                    "store_order",
                    "external_ref",
                    "state",
                    "status_shown",
                    "status_conflict_shown",
                    "last_error_shown",
                    "next_attempt_at",
                    "reconciliations",
                    "has_error",
                    "error_message",
                    "reconciled",
                    "attempts",
                    "sent_at",
                ]
            },
        ),
        (
            "Customer and shipping",
            {"fields": [*SHIPPING_FIELDS, "sale_datetime"]},
        ),
        (
            "Record",
            {
                "fields": ["created_by", "created_at", "request_payload_shown", "response_payload"],
                "classes": ["collapse"],
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("connection", "store_order").prefetch_related("vendor_orders")
        )

    def get_list_display(self, request):
        # With one Custom Gateway connection its column says nothing and pushes "Created" off.
        fields = list(super().get_list_display(request))
        if VendorConnection.objects.filter(kind=VendorConnection.Kind.CUSTOM_GATEWAY).count() < 2:
            fields.remove("connection")
        return fields

    def has_add_permission(self, request):
        return False  # created from approved customizations: see "Create from approved"

    def has_delete_permission(self, request, obj=None):
        # Only a draft can go: anything sent exists at the vendor and keeps its record here.
        if obj is not None and obj.state != FulfilmentOrder.State.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj and obj.state != FulfilmentOrder.State.DRAFT:
            fields += [f for f in SHIPPING_FIELDS + ["sale_datetime", "connection", "store_order"] if f not in fields]
        return fields

    @admin.display(description="Vendor status", ordering="vendor_status")
    def status_shown(self, obj):
        if obj.status_conflict:
            return format_html(
                '<span class="badge badge-failed" title="{}">{} (conflict)</span>',
                obj.status_conflict,
                obj.vendor_status_name or "—",
            )
        if obj.has_error:
            return format_html('<span class="badge badge-failed" title="{}">QC Query</span>', obj.error_message)
        return obj.vendor_status_name or "—"

    @admin.display(description="Status conflict")
    def status_conflict_shown(self, obj):
        if not obj.status_conflict:
            return "—"
        return format_html('<span class="badge badge-failed">{}</span>', obj.status_conflict)

    @admin.display(description="Request payload")
    def request_payload_shown(self, obj):
        # Stored redacted since the hook-token fix; rows stored before are redacted here.
        return format_html("<pre>{}</pre>", json.dumps(redact_hook_token(obj.request_payload), indent=2))

    @admin.display(description="Tracking")
    def tracking(self, obj):
        return (
            ", ".join(
                f"{vo.shipping_carrier} {vo.shipping_tracking}".strip()
                for vo in obj.vendor_orders.all()
                if vo.shipping_tracking
            )
            or "—"
        )

    @admin.display(description="Last error")
    def last_error_shown(self, obj):
        return obj.last_error or "—"

    def has_send_permission(self, request):
        return request.user.has_perm("fulfilment.send_fulfilmentorder")

    @admin.action(description="Send to Custom Gateway (drafts, failed, stuck or waiting)", permissions=["send"])
    def send_selected(self, request, queryset):
        queued = sum(fulfilment_order_queue(order) for order in queryset.filter(sendable_q()))
        skipped = queryset.count() - queued
        self.message_user(request, f"{queued} order(s) queued to send.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} already sent or on their way were left alone.", messages.WARNING)

    @admin.action(description="Discard (drafts and failed: frees their customizations)", permissions=["send"])
    def discard_selected(self, request, queryset):
        discarded = sum(fulfilment_order_discard(order) for order in queryset)
        self.message_user(request, f"{discarded} order(s) discarded.", messages.SUCCESS)
        if queryset.count() - discarded:
            self.message_user(request, "Orders sent or on their way cannot be discarded.", messages.WARNING)

    def get_urls(self):
        return [
            path("create/", self.admin_site.admin_view(self.create_view), name="fulfilment_fulfilmentorder_create"),
            path("error-codes/", self.admin_site.admin_view(self.codes_view), name="fulfilment_error_codes"),
            *super().get_urls(),
        ]

    def create_view(self, request):
        """Approved customizations not yet in a fulfilment order, grouped by store order."""
        if not request.user.has_perm("fulfilment.add_fulfilmentorder"):
            raise PermissionDenied
        chosen = [int(pk) for pk in request.GET.get("ids", "").split(",") if pk.isdigit()]
        # Not offered: customizations already in a live order (the database refuses them anyway).
        candidates = Customization.objects.filter(decision=Customization.Decision.APPROVED).exclude(
            fulfilment_items__live=True
        )
        if chosen:
            candidates = candidates.filter(pk__in=chosen)
        candidates = (
            candidates.select_related("connection")
            .prefetch_related(Prefetch("order_lines", queryset=OrderLine.objects.select_related("store_order")))
            .order_by("customized_at")[:500]
        )
        groups: dict[str, list] = {}
        for customization in candidates:
            names = sorted({line.store_order.name for line in customization.order_lines.all()}) or ["No store order"]
            groups.setdefault(", ".join(names), []).append(customization)
        form = ShippingForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            selected = Customization.objects.filter(pk__in=request.POST.getlist("customization"))
            shipping = {k: v for k, v in form.cleaned_data.items() if k in SHIPPING_FIELDS}
            try:
                order = fulfilment_order_create(
                    connection=form.cleaned_data["connection"],
                    customizations=selected,
                    shipping=shipping,
                    user=request.user,
                )
            except FulfilmentInvalid as exc:
                for field, message in exc.errors.items():
                    form.add_error(field if field in form.fields else None, message)
            else:
                if form.cleaned_data.get("send_now") and self.has_send_permission(request):
                    fulfilment_order_queue(order)
                    self.message_user(request, f"{order} created and queued to send.", messages.SUCCESS)
                else:
                    self.message_user(request, f"{order} created as a draft.", messages.SUCCESS)
                return redirect(reverse("admin:fulfilment_fulfilmentorder_change", args=[order.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Create a fulfilment order",
            "opts": self.model._meta,
            "groups": groups,
            "form": form,
            "selected": set(map(int, request.POST.getlist("customization"))) if request.POST else set(chosen),
        }
        return TemplateResponse(request, "admin/fulfilment/create_order.html", context)

    def codes_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Custom Gateway codes",
            "opts": self.model._meta,
            "errors": sorted(ERROR_CODES.items()),
            "statuses": sorted(ORDER_STATUSES.items()),
        }
        return TemplateResponse(request, "admin/fulfilment/codes.html", context)


class ShippingForm(forms.Form):
    connection = forms.ModelChoiceField(
        VendorConnection.objects.filter(kind=VendorConnection.Kind.CUSTOM_GATEWAY, is_active=True)
    )
    customer_name = forms.CharField(max_length=255, required=False)
    customer_email = forms.EmailField(required=False)
    customer_telephone = forms.CharField(max_length=64, required=False)
    shipping_company = forms.CharField(max_length=255, required=False)
    shipping_address_1 = forms.CharField(max_length=255)
    shipping_address_2 = forms.CharField(max_length=255, required=False)
    shipping_address_3 = forms.CharField(max_length=255, required=False)
    shipping_address_4 = forms.CharField(label="Town or city", max_length=255, required=False)
    shipping_address_5 = forms.CharField(label="Region", max_length=255, required=False)
    shipping_postcode = forms.CharField(max_length=32)
    shipping_country_code = forms.CharField(label="Country (ISO code, e.g. GB)", max_length=2, min_length=2)
    shipping_method = forms.CharField(max_length=100, required=False)
    shipping_carrier = forms.CharField(max_length=100, required=False)
    required_dispatch_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    send_now = forms.BooleanField(required=False, initial=True, label="Send to Custom Gateway now")


@admin.register(IncomingRequest)
class IncomingRequestAdmin(ViewOnlyAdmin):
    deletable = False  # the record of what the vendor sent or was sent
    list_display = ["received_at", "kind", "outcome", "verified", "size_bytes", "note_shown"]
    list_filter = ["kind", "outcome", "verified", "connection"]
    search_fields = ["body", "note"]
    date_hierarchy = "received_at"
    actions = ["reprocess_selected"]
    readonly_fields = [
        "kind",
        "connection",
        "method",
        "headers",
        "body",
        "size_bytes",
        "remote_addr",
        "received_at",
        "verified",
        "outcome",
        "note",
        "error_traceback",
        "reprocessed_at",
        "reprocessed_by",
    ]

    @admin.display(description="Note")
    def note_shown(self, obj):
        # The whole note is on the request's page; the list keeps each row to a line or two.
        return obj.note if len(obj.note) <= 90 else obj.note[:88] + "…"

    def has_reprocess_permission(self, request):
        return request.user.has_perm("fulfilment.reprocess_incomingrequest")

    @admin.action(description="Reprocess (parse and apply again; a replay changes nothing)", permissions=["reprocess"])
    def reprocess_selected(self, request, queryset):
        done: dict[str, int] = {}
        for incoming in queryset.filter(verified=True, connection__isnull=False).exclude(body=""):
            outcome = incoming_reprocess(incoming, user=request.user)
            done[outcome] = done.get(outcome, 0) + 1
        skipped = queryset.count() - sum(done.values())
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(done.items())) or "none"
        self.message_user(request, f"Reprocessed: {summary}.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} not verified or without a stored body were left alone.", messages.WARNING
            )


class PushedItemInline(ViewOnlyInline):
    model = PushedOrderItem
    fields = readonly_fields = ["vendor_id", "mapped_sku", "sku", "description", "quantity", "asset_thumbnails"]

    @admin.display(description="Artwork")
    def asset_thumbnails(self, obj):
        return (
            format_html_join(
                "",
                '<a href="{}" target="_blank" rel="noopener"><img class="thumb" src="{}" alt="{}" title="{}"></a>',
                (
                    (shown, shown, a.get("name", ""), a.get("description", ""))
                    for a in obj.assets
                    if isinstance(a, dict) and (shown := proxy_url(a.get("url")))
                ),
            )
            or "—"
        )


class ShipmentInline(ViewOnlyInline):
    model = Shipment
    fields = readonly_fields = ["vendor_id", "carrier", "tracking", "items", "label_viewer"]

    @admin.display(description="Label")
    def label_viewer(self, obj):
        label = getattr(obj, "label", None)
        if label is None or label.state != ShippingLabel.State.READY:
            return label.error if label and label.error else "—"
        url = reverse("admin:fulfilment_pushedorder_label", args=[label.pk])
        download = f"{url}?download=1"
        if label_kind(label) == "thermal":
            return format_html(
                '<div class="label label-thermal"><p>{} label for thermal printers: '
                '<a class="button" href="{}" download>Download</a></p></div>',
                "ZPL" if label.content_type == ZPL else "EPL",
                download,
            )
        # PDF pages are rendered to an image by our server: shown inline with no PDF viewer or
        # frame, so the page keeps its CSP and X-Frame-Options: DENY.
        return format_html(
            '<div class="label"><img class="label-viewer" src="{}" alt="Shipping label {}">'
            '<p><a class="button print-label" href="{}" target="_blank" rel="noopener">Print</a> '
            '<a href="{}" download>Download</a></p></div>',
            reverse("admin:fulfilment_pushedorder_label_preview", args=[label.pk]),
            obj.tracking or obj.vendor_id,
            reverse("admin:fulfilment_pushedorder_label_print", args=[label.pk]),
            download,
        )


@admin.register(PushedOrder)
class PushedOrderAdmin(ViewOnlyAdmin):
    deletable = False  # the record of what the vendor sent or was sent
    list_display = [
        "__str__",
        "external_ref",
        "customer_name",
        "shipping_country_code",
        "state",
        "item_count",
        "received_at",
    ]
    list_filter = ["state", "connection", "shipping_carrier"]
    search_fields = ["=vendor_id", "ref", "external_ref", "customer_name", "items__sku", "items__mapped_sku"]
    date_hierarchy = "received_at"
    inlines = [PushedItemInline, ShipmentInline]
    actions = ["ship_selected", "print_labels"]
    exclude = ["raw", "incoming"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("items")

    @admin.display(description="Items")
    def item_count(self, obj):
        return sum(item.quantity for item in obj.items.all())

    def has_ship_permission(self, request):
        return request.user.has_perm("fulfilment.ship_pushedorder")

    @admin.action(description="Ship (create shipments and labels)", permissions=["ship"])
    def ship_selected(self, request, queryset):
        shipped = 0
        for order in queryset:
            try:
                pushed_order_ship(order)
                shipped += 1
            except VendorError as exc:
                self.message_user(request, f"{order}: {exc}", messages.ERROR)
        if shipped:
            self.message_user(
                request, f"{shipped} order(s) shipped; their labels are below each order.", messages.SUCCESS
            )

    @admin.action(description="Print labels (one PDF)", permissions=["ship"])
    def print_labels(self, request, queryset):
        """One PDF of the selected orders' labels. When some cannot go in it (a ZPL/EPL label, a
        file that is not a PDF or image), a page names each one and links the PDF of the rest."""
        pks = list(queryset.values_list("pk", flat=True))
        try:
            printing = labels_pdf(self._labels(pks))
        except NothingToPrint as exc:
            for sentence in exc.skipped:
                self.message_user(request, sentence, messages.WARNING)
            self.message_user(request, str(exc).capitalize() + ".", messages.WARNING)
            return None
        if not printing.skipped:
            return self._pdf_response(printing.pdf)
        context = {
            **self.admin_site.each_context(request),
            "title": "Print labels",
            "opts": self.model._meta,
            "printing": printing,
            "pdf_url": reverse("admin:fulfilment_pushedorder_labels_pdf")
            + "?"
            + urlencode({"orders": ",".join(map(str, pks))}),
        }
        return TemplateResponse(request, "admin/fulfilment/pushedorder/print_labels.html", context)

    def labels_pdf_view(self, request):
        """The labels PDF of the orders in ?orders=1,2,3 (what the print page links to)."""
        if not self.has_ship_permission(request):
            raise PermissionDenied
        pks = [int(pk) for pk in request.GET.get("orders", "").split(",") if pk.isdigit()][:500]
        try:
            printing = labels_pdf(self._labels(pks))
        except NothingToPrint as exc:
            return HttpResponse(str(exc).capitalize() + ".", status=404, content_type="text/plain; charset=utf-8")
        return self._pdf_response(printing.pdf)

    @staticmethod
    def _labels(order_pks):
        return ShippingLabel.objects.filter(shipment__order__in=order_pks).order_by("shipment__order_id", "pk")

    @staticmethod
    def _pdf_response(pdf: bytes) -> HttpResponse:
        response = harden(HttpResponse(pdf, content_type="application/pdf"), "application/pdf")
        response["Content-Disposition"] = 'inline; filename="labels.pdf"'
        return response

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("label/<int:pk>/", view(self.label_view), name="fulfilment_pushedorder_label"),
            path("label/<int:pk>/preview/", view(self.label_preview_view), name="fulfilment_pushedorder_label_preview"),
            path("label/<int:pk>/print/", view(self.label_print_view), name="fulfilment_pushedorder_label_print"),
            path("labels.pdf", view(self.labels_pdf_view), name="fulfilment_pushedorder_labels_pdf"),
            *super().get_urls(),
        ]

    def label_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        label = get_object_or_404(ShippingLabel, pk=pk, state=ShippingLabel.State.READY)
        return stored_file_response(
            label.file, allowed=LABEL, what="shipping label", download=request.GET.get("download") == "1"
        )

    def label_preview_view(self, request, pk):
        """The label as an image to show inline: a PDF's pages rendered to one PNG, an image as
        it is. No PDF viewer and no frame, so the page's CSP and X-Frame-Options: DENY stay."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        label = get_object_or_404(ShippingLabel, pk=pk, state=ShippingLabel.State.READY)
        if label_kind(label) != "pdf":
            return stored_file_response(label.file, allowed=LABEL - {PDF, ZPL, EPL}, what="label image")
        try:
            with label.file.open("rb") as handle:
                content = handle.read()
            sniff_bytes(content, frozenset({PDF}), what="PDF label")
            png = label_preview_png(content)
        except FileNotFoundError:
            raise Http404 from None
        except (FileRefused, ValueError) as exc:
            return placeholder_response(f"This label cannot be shown: it is {exc}.")
        except pdfium_errors() as exc:
            return placeholder_response(f"This label cannot be shown: PDFium could not render it ({exc}).")
        return harden(HttpResponse(png, content_type="image/png"), "image/png")

    def label_print_view(self, request, pk):
        """A page with the label alone, that opens the print dialog (static JS, no inline script)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        label = get_object_or_404(
            ShippingLabel.objects.select_related("shipment__order"), pk=pk, state=ShippingLabel.State.READY
        )
        if label_kind(label) == "thermal":
            raise Http404("a ZPL/EPL label is printed on a thermal printer, not from the browser")
        context = {
            "label": label,
            "preview_url": reverse("admin:fulfilment_pushedorder_label_preview", args=[label.pk]),
        }
        return TemplateResponse(request, "admin/fulfilment/pushedorder/print_label.html", context)


def pdfium_errors():
    import pypdfium2

    return (pypdfium2.PdfiumError,)


class StockImportForm(forms.Form):
    connection = forms.ModelChoiceField(
        VendorConnection.objects.filter(kind=VendorConnection.Kind.CUSTOM_GATEWAY, is_active=True)
    )
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


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = ["sku", "connection", "quantity_available", "pushed_quantity", "changed", "pushed_at", "updated_at"]
    list_editable = ["quantity_available"]
    list_filter = ["connection"]
    search_fields = ["sku"]
    actions = ["push_selected", "push_all_changed"]
    readonly_fields = ["pushed_quantity", "pushed_at", "updated_at"]

    @admin.display(description="Changed since push", boolean=True)
    def changed(self, obj):
        return obj.is_changed

    def has_push_permission(self, request):
        return request.user.has_perm("fulfilment.push_stocklevel")

    def _report(self, request, record):
        level = {
            StockPush.Status.SUCCEEDED: messages.SUCCESS,
            StockPush.Status.PARTIAL: messages.WARNING,
            StockPush.Status.FAILED: messages.ERROR,
        }[record.status]
        text = f"Stock push: {record.count} SKU(s) sent ({record.get_status_display().lower()})."
        self.message_user(request, text + (f" {record.error}" if record.error else ""), level)

    @admin.action(description="Push selected levels to Custom Gateway", permissions=["push"])
    def push_selected(self, request, queryset):
        for connection_id in queryset.values_list("connection", flat=True).order_by().distinct():
            connection = VendorConnection.objects.get(pk=connection_id)
            self._report(request, stock_push(connection, queryset.filter(connection=connection), user=request.user))

    @admin.action(description="Push all changed levels (of the selected connections)", permissions=["push"])
    def push_all_changed(self, request, queryset):
        for connection_id in queryset.values_list("connection", flat=True).order_by().distinct():
            connection = VendorConnection.objects.get(pk=connection_id)
            self._report(request, stock_push(connection, stock_changed(connection), user=request.user))

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
                    self.message_user(request, f"Imported {count} stock level(s).", messages.SUCCESS)
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
    list_filter = ["status", "connection"]
    date_hierarchy = "at"
    readonly_fields = ["connection", "user", "at", "status", "count", "sent", "answers", "error"]
