"""Fulfilment orders: the list, the create-from-approved-designs screen, sending and the timeline."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from integrations.registry import Capability, specs_with
from orders.admin.base import ViewOnlyInline
from orders.models import Customization, VendorConnection

from ..address import AddressForm
from ..models import (
    FulfilmentItem,
    FulfilmentOrder,
    StatusEvent,
    VendorOrder,
)
from ..selectors import (
    ATTENTION,
    customizations_to_fulfil,
    fulfilment_orders_listed,
    fulfilment_orders_needing_attention,
    fulfilment_timeline,
)
from ..services.orders import (
    SHIPPING_FIELDS,
    FulfilmentInvalid,
    fulfilment_order_create,
    fulfilment_order_discard,
    fulfilment_order_queue,
    redact_hook_token,
    sendable_q,
)
from .catalogue import combine_into_batch


class ItemInline(ViewOnlyInline):
    model = FulfilmentItem
    fields = readonly_fields = ["external_ref", "customization", "quantity", "sku", "description", "vendor_id"]


class VendorOrderInline(ViewOnlyInline):
    model = VendorOrder
    fields = readonly_fields = [
        "vendor_id",
        "ref",
        "vendor_status_name",
        "status",
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
        "vendor_status_name",
        "vendor_status_code",
        "status",
        "effect_shown",
        "vendor_order",
        "shipping_tracking",
        "shipping_carrier",
        "shipping_method",
        "extra",
    ]
    ordering = ["received_at", "id"]

    def get_queryset(self, request):
        return fulfilment_timeline(queryset=super().get_queryset(request))

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
        return list(ATTENTION.items())

    def queryset(self, request, queryset):
        return fulfilment_orders_needing_attention(queryset, self.value())


@admin.register(FulfilmentOrder)
class FulfilmentOrderAdmin(admin.ModelAdmin):
    list_display = ["external_ref", "connection", "state", "status_shown", "tracking", "store_order", "created_at"]
    list_filter = [
        AttentionFilter,
        "state",
        "status",
        "vendor_status_name",
        "has_error",
        "reconciled",
        ("connection", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["external_ref", "vendor_orders__ref", "vendor_orders__vendor_id", "store_order__name"]
    date_hierarchy = "created_at"
    inlines = [ItemInline, VendorOrderInline, TimelineInline]
    actions = ["send_selected", "discard_selected", combine_into_batch]
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
        return fulfilment_orders_listed(super().get_queryset(request))

    def get_list_display(self, request):
        # With one partner connection its column says nothing and pushes "Created" off.
        fields = list(super().get_list_display(request))
        if VendorConnection.objects.with_capability(Capability.FULFILMENT_SEND).count() < 2:
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

    @admin.display(description="Vendor status", ordering="status")
    def status_shown(self, obj):
        if obj.status_conflict:
            return format_html(
                '<span class="badge badge-failed" title="{}">{} (conflict)</span>',
                obj.status_conflict,
                obj.vendor_status_name or "—",
            )
        if obj.has_error:
            return format_html(
                '<span class="badge badge-failed" title="{}">{}</span>',
                obj.error_message,
                obj.vendor_status_name or obj.get_status_display() or "Problem",
            )
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

    @admin.action(description="Send to the partner (drafts, failed, stuck or waiting)", permissions=["send"])
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
        groups = customizations_to_fulfil(chosen)
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
        """Each partner's reference tables (its error codes, its statuses), from its adapter."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        partners = [
            (spec.label, spec.partner.reference_tables())
            for spec in specs_with(Capability.FULFILMENT_SEND)
            if spec.partner is not None and hasattr(spec.partner, "reference_tables")
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Partner codes" if len(partners) != 1 else f"{partners[0][0]} codes",
            "opts": self.model._meta,
            "partners": partners,
        }
        return TemplateResponse(request, "admin/fulfilment/codes.html", context)


class ShippingForm(AddressForm):
    field_order = ["connection"]  # then the address, then how it goes
    connection = forms.ModelChoiceField(VendorConnection.objects.none())
    shipping_method = forms.CharField(max_length=100, required=False)
    shipping_carrier = forms.CharField(max_length=100, required=False)
    required_dispatch_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    send_now = forms.BooleanField(required=False, initial=True, label="Send to the partner now")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every active connection whose vendor takes fulfilment orders (read when the form is made,
        # so a vendor registered in settings is offered without a change here).
        self.fields["connection"].queryset = VendorConnection.objects.with_capability(
            Capability.FULFILMENT_SEND
        ).filter(is_active=True)
