"""Orders pushed to us as a supplier: shipping them and their labels."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from integrations.filetypes import EPL, LABEL, PDF, ZPL, FileRefused, sniff_bytes
from orders.admin.base import ViewOnlyAdmin, ViewOnlyInline
from orders.admin.scale import ConnectionFilter, DistinctValuesFilter, ScaleAdminMixin
from orders.file_responses import harden, placeholder_response, stored_file_response
from orders.readable import json_table
from orders.services.image_proxy import proxy_url
from orders.text import counted

from ..models import (
    PushedOrder,
    PushedOrderItem,
    Shipment,
    ShippingLabel,
)
from ..services.ship_and_print import pushed_order_ship_start
from ..services.shipping import NothingToPrint, label_kind, label_preview_png, labels_pdf
from .shipments import tracking_link
from .shipping_screens import PushedOrderShippingMixin
from .vpc import stored_asset_thumbnails


class PushedItemInline(ViewOnlyInline):
    model = PushedOrderItem
    fields = readonly_fields = ["vendor_id", "mapped_sku", "sku", "description", "quantity", "asset_thumbnails"]

    @admin.display(description="Artwork")
    def asset_thumbnails(self, obj):
        # From our storage once copied (the vendor's links expire); an order received before
        # copies were kept is shown through the image proxy as before.
        if obj.stored_assets.exists():
            return stored_asset_thumbnails(obj)
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
    fields = readonly_fields = ["vendor_id", "carrier", "tracking_shown", "items_shown", "label_viewer"]

    @admin.display(description="Tracking")
    def tracking_shown(self, obj):
        return tracking_link(obj.carrier, obj.tracking)

    @admin.display(description="Items")
    def items_shown(self, obj):
        return json_table(obj.items)

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
class PushedOrderAdmin(ScaleAdminMixin, PushedOrderShippingMixin, ViewOnlyAdmin):
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
    list_filter = ["state", ("connection", ConnectionFilter), ("shipping_carrier", DistinctValuesFilter)]
    search_fields = [
        "=vendor_id",
        "ref",
        "external_ref",
        "customer_name",
        "items__sku",
        "items__mapped_sku",
        "shipments__tracking",
    ]
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
        """Queues the shipping (the vendor is never called inside the request): each order's
        shipments and labels appear on its page when done, a failure as its state and error."""
        shipped = queryset.filter(shipments__isnull=False).distinct()
        for order in shipped:
            self.message_user(request, f"{order} is shipped already: its labels are on its page.", messages.INFO)
        # Each order claimed first (as Ship and print does): one being shipped is not queued twice.
        queued = [order.pk for order in queryset.exclude(pk__in=shipped.values("pk")) if pushed_order_ship_start(order)]
        for order in queryset.exclude(pk__in=shipped.values("pk")).exclude(pk__in=queued):
            self.message_user(
                request, f"{order} is being shipped already: its labels appear on its page.", messages.INFO
            )
        if queued:
            self.message_user(
                request,
                f"Shipping of {counted(len(queued), 'order')} queued: each order's shipments and labels appear on its page "
                "when the vendor has answered (reload it in a moment); a failure shows as its state, with the reason.",
                messages.SUCCESS,
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
