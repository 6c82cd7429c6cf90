"""Shipping screens on the order pages: packing slips (one order, or many as one PDF), Ship and
print for pushed orders, and fetching a label again. Mixins for PushedOrderAdmin and
FulfilmentOrderAdmin, so that their modules change by one line each."""

from __future__ import annotations

import re

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from orders.file_responses import harden

from ..models import PushedOrder, Shipment, ShippingLabel
from ..services.packing_slip import (
    packing_slip_lines,
    packing_slips_pdf,
    pushed_order_packing_slip_lines,
)
from ..services.queue import shipping_label_fetch_queue
from ..services.ship_and_print import pushed_order_ship_progress, pushed_order_ship_start
from ..services.shipping import label_kind

BATCH_MAX = 500  # orders in one packing-slips PDF


def pdf_response(pdf: bytes, stem: str) -> HttpResponse:
    """The PDF shown in the browser's viewer (to print); its name safe whatever a vendor's
    reference holds (quotes, line breaks, non-ASCII)."""
    response = harden(HttpResponse(pdf, content_type="application/pdf"), "application/pdf")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)[:100]
    response["Content-Disposition"] = f'inline; filename="{safe}.pdf"'
    return response


class PackingSlipsMixin:
    """A packing slip per order (a link on its page) and an action printing the selected orders'
    slips as one PDF, a page (or more) per order. Needs the order's view permission."""

    extra_actions = ["packing_slips"]

    def slip(self, order) -> tuple[str, list[tuple[str, str]]]:
        return f"Packing slip {order.external_ref}", packing_slip_lines(order)

    def slip_name(self, order) -> str:
        return order.external_ref

    def _get_base_actions(self):
        base = list(super()._get_base_actions())
        names = {name for _func, name, _desc in base}
        extra = [self.get_action(name) for name in self.extra_actions if name not in names]
        return base + [action for action in extra if action]

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<int:pk>/packing-slip.pdf",
                self.admin_site.admin_view(self.packing_slip_view),
                name=f"{opts.app_label}_{opts.model_name}_packing_slip",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        opts = self.model._meta
        if str(object_id).isdigit():
            extra_context = {
                **(extra_context or {}),
                "packing_slip_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_packing_slip", args=[object_id]),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def packing_slip_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        order = get_object_or_404(self.model, pk=pk)
        return pdf_response(packing_slips_pdf([self.slip(order)]), f"packing-slip-{self.slip_name(order)}")

    def _packing_slips(self, request, queryset):
        count = queryset.count()
        if count > BATCH_MAX:
            self.message_user(
                request,
                f"{count} orders are selected: print at most {BATCH_MAX} packing slips at once (filter the list).",
                messages.WARNING,
            )
            return None
        orders = list(queryset.order_by("pk"))
        pdf = packing_slips_pdf([self.slip(order) for order in orders])
        return pdf_response(pdf, f"packing-slips-{timezone.now():%Y-%m-%d}")


class FulfilmentPackingSlipsMixin(PackingSlipsMixin):
    @admin.action(description="Print packing slips (one PDF)", permissions=["view"])
    def packing_slips(self, request, queryset):
        return self._packing_slips(request, queryset)


class PushedOrderShippingMixin(PackingSlipsMixin):
    """Pushed orders: packing slips, and Ship and print (ship permission)."""

    def slip(self, order):
        return f"Packing slip {order.ref or order.vendor_id}", pushed_order_packing_slip_lines(order)

    def slip_name(self, order) -> str:
        return order.ref or order.vendor_id

    @admin.action(description="Print packing slips (one PDF)", permissions=["view"])
    def packing_slips(self, request, queryset):
        return self._packing_slips(request, queryset)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/ship-and-print/", view(self.ship_and_print_view), name="fulfilment_pushedorder_ship_and_print"
            ),
            path(
                "shipment/<int:pk>/fetch-label/",
                view(self.label_fetch_view),
                name="fulfilment_pushedorder_label_fetch",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "may_ship": self.has_ship_permission(request)}
        if str(object_id).isdigit():
            extra_context["ship_and_print_url"] = reverse(
                "admin:fulfilment_pushedorder_ship_and_print", args=[object_id]
            )
            extra_context["labels_failed"] = list(
                ShippingLabel.objects.filter(shipment__order=object_id, state=ShippingLabel.State.FAILED)
                .select_related("shipment")
                .order_by("shipment_id")
            )
            extra_context["has_shipments"] = Shipment.objects.filter(order=object_id).exists()
        return super().change_view(request, object_id, form_url, extra_context)

    def ship_and_print_view(self, request, pk):
        """POST: ship (queued on the worker, once however often it is clicked) and go to the
        waiting page. GET: the waiting page, which reloads itself until the labels are ready and
        then opens them for printing, or says in words why it cannot."""
        if not self.has_ship_permission(request):
            raise PermissionDenied
        order = get_object_or_404(PushedOrder, pk=pk)
        if request.method == "POST":
            pushed_order_ship_start(order)
            return redirect("admin:fulfilment_pushedorder_ship_and_print", pk=order.pk)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        progress = pushed_order_ship_progress(order)
        if progress.stage == "ready":
            labels = progress.labels
            if len(labels) == 1 and label_kind(labels[0]) != "thermal":
                return redirect("admin:fulfilment_pushedorder_label_print", pk=labels[0].pk)
            if all(label_kind(label) != "thermal" for label in labels):
                # Several labels: one page that prints them all, a label a sheet.
                return TemplateResponse(
                    request,
                    "admin/fulfilment/pushedorder/print_order_labels.html",
                    {"original": order, "labels": labels},
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Ship and print {order}",
            "opts": self.model._meta,
            "original": order,
            "progress": progress,
            "thermal": [label for label in progress.labels if label_kind(label) == "thermal"],
            "may_start": order.state in (PushedOrder.State.RECEIVED, PushedOrder.State.SHIP_FAILED)
            and not order.shipments.exists(),
        }
        return TemplateResponse(request, "admin/fulfilment/pushedorder/ship_and_print.html", context)

    def label_fetch_view(self, request, pk):
        """POST: download a label that failed (or never came) again from the partner's label link,
        on the worker. Custom Gateway's API has no call that returns a label again: the link its
        shipment gave is the only source. A stored label is printed again from storage."""
        if not self.has_ship_permission(request):
            raise PermissionDenied
        shipment = get_object_or_404(Shipment.objects.select_related("order"), pk=pk)
        back = reverse("admin:fulfilment_pushedorder_change", args=[shipment.order_id])
        if request.method != "POST":
            return redirect(back)
        label, _ = ShippingLabel.objects.get_or_create(shipment=shipment)
        if label.state == ShippingLabel.State.READY:
            self.message_user(request, "This label is stored: Print it from here.", messages.INFO)
            return redirect(back)
        if not (shipment.raw or {}).get("label_url") and not label.source_url:
            self.message_user(
                request, "The partner gave no label link for this shipment: ship it again.", messages.ERROR
            )
            return redirect(back)
        ShippingLabel.objects.filter(pk=label.pk).update(state=ShippingLabel.State.PENDING, error="")
        shipping_label_fetch_queue(shipment.pk)
        self.message_user(
            request,
            f"The label of {shipment.tracking or shipment.vendor_id} is being fetched again: it shows here in a moment.",
            messages.SUCCESS,
        )
        return redirect(back)
