"""Virtual products made from approved designs (VIRTUAL_PRODUCTS): the list, and the screen the
customizations' *Create virtual products on Custom Gateway…* action opens (connection, base
products, target category), whose POST queues one task per design."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from orders.admin.base import ViewOnlyAdmin
from orders.models import Customization, VendorConnection
from orders.text import counted

from ..models import VirtualProduct
from ..services.virtual_products import (
    VirtualProductsInvalid,
    ids_parse,
    virtual_product_connections,
    virtual_products_queue,
)
from .catalogue import connection_name

MAX_DESIGNS = 200


class VirtualProductsForm(forms.Form):
    connection = forms.ModelChoiceField(queryset=VendorConnection.objects.none(), empty_label=None)
    base_products = forms.CharField(
        label="Base products",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The partner's base (blank) product ids, separated by commas or spaces: one virtual "
        "product is made on each.",
    )
    category_id = forms.CharField(
        label="Target category", max_length=64, help_text="The partner's id of the category the products go into."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = virtual_product_connections()

    def clean_base_products(self):
        try:
            ids = ids_parse(self.cleaned_data["base_products"], what="Base products")
        except VirtualProductsInvalid as exc:
            raise forms.ValidationError(str(exc)) from None
        if not ids:
            raise forms.ValidationError("Give at least one base product id.")
        return ids

    def clean_category_id(self):
        try:
            ids = ids_parse(self.cleaned_data["category_id"], what="Target category")
        except VirtualProductsInvalid as exc:
            raise forms.ValidationError(str(exc)) from None
        if len(ids) != 1:
            raise forms.ValidationError("Give one category id.")
        return ids[0]


@admin.register(VirtualProduct)
class VirtualProductAdmin(ViewOnlyAdmin):
    deletable = False  # it exists at the partner
    list_display = [
        "vendor_id",
        "state_shown",
        "customization_link",
        "base_product_id",
        "category_id",
        connection_name,
        "updated_at",
    ]
    list_filter = ["state", ("connection", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["customization__connection", "connection"]
    search_fields = ["=vendor_id", "=customization__external_id", "=base_product_id"]
    fields = readonly_fields = [
        "customization_link",
        "connection",
        "base_product_id",
        "category_id",
        "design_name",
        "vendor_id",
        "vendor_ids",
        "state",
        "error",
        "original_url",
        "preview_url",
        "processed_url",
        "artwork_sha256",
        "attempts",
        "requested_by",
        "created_at",
        "updated_at",
        "raw",
    ]

    @admin.display(description="State", ordering="state")
    def state_shown(self, obj):
        return format_html(
            '<span class="badge badge-{}" title="{}">{}</span>', obj.state, obj.error, obj.get_state_display()
        )

    @admin.display(description="Design", ordering="customization")
    def customization_link(self, obj):
        url = reverse("admin:orders_customization_change", args=[obj.customization_id])
        return format_html('<a href="{}">{}</a>', url, obj.customization)

    def has_create_permission(self, request):
        return request.user.has_perm("fulfilment.add_virtualproduct")

    def get_urls(self):
        return [
            path("create/", self.admin_site.admin_view(self.create_view), name="fulfilment_virtualproduct_create"),
            *super().get_urls(),
        ]

    def create_view(self, request):
        if not self.has_create_permission(request):
            raise PermissionDenied
        source = request.POST if request.method == "POST" else request.GET
        ids = [int(pk) for pk in source.get("ids", "").split(",") if pk.strip().isdigit()][:MAX_DESIGNS]
        designs = Customization.objects.filter(pk__in=ids).select_related("connection").order_by("pk")
        form = VirtualProductsForm(request.POST if request.method == "POST" else None)
        error = ""
        if request.method == "POST" and form.is_valid():
            try:
                report = virtual_products_queue(
                    customizations=designs,
                    connection=form.cleaned_data["connection"],
                    base_products=form.cleaned_data["base_products"],
                    category_id=form.cleaned_data["category_id"],
                    user=request.user,
                )
            except VirtualProductsInvalid as exc:
                error = str(exc)
            else:
                if report.queued:
                    self.message_user(
                        request,
                        f"Queued {counted(len(report.queued), 'design')}: their virtual products are being made.",
                    )
                for line in report.already:
                    self.message_user(request, f"Not sent again: {line}.", messages.WARNING)
                for line in report.skipped:
                    self.message_user(request, f"Not sent: {line}.", messages.WARNING)
                return redirect(reverse("admin:fulfilment_virtualproduct_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Create virtual products",
            "opts": self.model._meta,
            "form": form,
            "designs": designs,
            "ids": ",".join(str(d.pk) for d in designs),
            "error": error,
            "no_connection": not form.fields["connection"].queryset.exists(),
        }
        return TemplateResponse(request, "admin/fulfilment/virtual_products_create.html", context)
