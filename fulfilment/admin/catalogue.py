"""The partner's catalogue (categories, products, variants: saving pushes, deleting deletes there),
its push history, variant mappings, print templates and batch orders."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from integrations.registry import Capability
from orders.admin.base import ViewOnlyAdmin
from orders.models import VendorConnection

from ..catalogue_models import (
    BatchOrder,
    CatalogueCategory,
    CatalogueProduct,
    CataloguePush,
    CatalogueVariant,
    PrintTemplate,
    PushState,
    VariantMapping,
)
from ..models import FulfilmentOrder
from ..services.batches import (
    BatchInvalid,
    batch_choice,
    batch_order_create,
    batch_order_refresh,
    batch_refresh_supported,
)
from ..services.catalogue import CatalogueRefused, catalogue_delete, catalogue_push


def _connections(capability: Capability):
    return VendorConnection.objects.with_capability(capability)


def _pre(value) -> str:
    if value in (None, "", {}, []):
        return "—"
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


# -- the catalogue ------------------------------------------------------------------------------


class PushInline(GenericTabularInline):
    """The record's pushes and the partner's answers, newest first."""

    model = CataloguePush
    verbose_name_plural = "pushes to the partner"
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "action", "ok", "error", "body_shown", "answer_shown", "user"]
    ordering = ["-at", "-id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Sent")
    def body_shown(self, obj):
        return _pre(obj.body)

    @admin.display(description="Answer")
    def answer_shown(self, obj):
        return _pre(obj.answer)


@admin.display(description="Connection", ordering="connection__name")
def connection_name(obj):
    """The connection's name only: "Name (Kind)" made it the widest column of these lists and
    pushed the push state and dates off screen (the kind is the connection filter's)."""
    return obj.connection.name


class CatalogueRecordAdmin(admin.ModelAdmin):
    """Saving pushes (synchronously: staff see the partner's answer on the page); deleting deletes
    at the partner first; "Push again" for the ones that failed."""

    list_filter = ["push_state", ("connection", admin.RelatedOnlyFieldListFilter)]
    list_select_related = True  # the connection (and a product's category, a variant's product)
    search_fields = ["name", "vendor_id"]
    inlines = [PushInline]
    actions = ["push_again"]
    state_fields = ["vendor_id", "push_state_shown", "pushed_at", "last_error_shown"]
    readonly_fields = state_fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and obj.push_state == PushState.FAILED:
            # A failed push is the first thing staff see: its error in words, above the form.
            push = [fs for fs in fieldsets if fs[0] == "Push"]
            fieldsets = [(title, {**opts, "classes": ["push-failed"]}) for title, opts in push] + [
                fs for fs in fieldsets if fs[0] != "Push"
            ]
        return fieldsets

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new record has no pushes yet

    def get_actions(self, request):
        # Deleting goes one by one, through the partner (the delete page).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="Push state", ordering="push_state")
    def push_state_shown(self, obj):
        if obj.push_state == PushState.FAILED:
            return format_html(
                '<span class="badge badge-failed" title="{}">{}</span>', obj.last_error, obj.get_push_state_display()
            )
        if obj.push_state == PushState.PUSHED:
            return format_html('<span class="badge badge-succeeded">{}</span>', obj.get_push_state_display())
        return obj.get_push_state_display()

    @admin.display(description="Last error")
    def last_error_shown(self, obj):
        return obj.last_error or "—"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "connection":
            kwargs["queryset"] = _connections(Capability.CATALOGUE)
        elif db_field.name in ("category", "parent"):
            kwargs["queryset"] = CatalogueCategory.objects.filter(
                connection__in=_connections(Capability.CATALOGUE)
            ).select_related("connection")
        elif db_field.name == "product":
            kwargs["queryset"] = CatalogueProduct.objects.filter(
                connection__in=_connections(Capability.CATALOGUE)
            ).select_related("connection")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._push(request, obj)

    def _push(self, request, obj) -> bool:
        try:
            push = catalogue_push(obj, user=request.user)
        except CatalogueRefused as exc:
            self.message_user(request, f"“{obj}”: {exc}", messages.ERROR)
            return False
        if push.ok:
            self.message_user(request, f"“{obj}” pushed to the partner (its id there: {obj.vendor_id}).")
        else:
            self.message_user(
                request, f"“{obj}” was saved here, but the partner refused it: {push.error}", messages.ERROR
            )
        return push.ok

    def has_push_permission(self, request):
        return self.has_change_permission(request)

    @admin.action(description="Push again to the partner", permissions=["push"])
    def push_again(self, request, queryset):
        for obj in queryset:
            self._push(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        """On confirmation, deleted at the partner first: when it refuses, the record stays and the
        change page says why."""
        obj = self.get_object(request, unquote(object_id))
        if (
            request.method == "POST"
            and obj is not None
            and self.has_delete_permission(request, obj)
            and not obj.has_children()  # Django's own page lists what is in the way
        ):
            opts = self.model._meta
            try:
                catalogue_delete(obj, user=request.user)
            except CatalogueRefused as exc:
                self.message_user(request, f"“{obj}”: {exc}", messages.ERROR)
                return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
            self.message_user(request, f"“{obj}” was deleted, at the partner and here.", messages.SUCCESS)
            return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        return super().delete_view(request, object_id, extra_context)


@admin.register(CatalogueCategory)
class CatalogueCategoryAdmin(CatalogueRecordAdmin):
    list_display = ["name", "push_state_shown", "parent", "vendor_id", "pushed_at", connection_name]
    fieldsets = [
        (None, {"fields": ["connection", "name", "parent", "description"]}),
        ("At the partner", {"fields": ["default_dpi", "editor_category_id", "default_location_id"]}),
        ("Push", {"fields": CatalogueRecordAdmin.state_fields}),
    ]


@admin.register(CatalogueProduct)
class CatalogueProductAdmin(CatalogueRecordAdmin):
    list_display = ["name", "push_state_shown", "code", "category", "active", "vendor_id", "pushed_at", connection_name]
    list_filter = [*CatalogueRecordAdmin.list_filter, "active"]
    search_fields = ["name", "code", "vendor_id"]
    fieldsets = [
        (None, {"fields": ["category", "name", "code", "order_column", "active", "description"]}),
        ("At the partner", {"fields": ["default_dpi", "team_id", "editor_category_id", "default_location_id"]}),
        ("Push", {"fields": CatalogueRecordAdmin.state_fields}),
    ]


@admin.register(CatalogueVariant)
class CatalogueVariantAdmin(CatalogueRecordAdmin):
    list_display = ["name", "push_state_shown", "product", "vendor_id", "pushed_at", connection_name]
    search_fields = ["name", "uuid", "vendor_id", "product__name"]
    fieldsets = [
        (None, {"fields": ["product", "name", "uuid", "description", "ecommerce_tags", "seo_details"]}),
        (
            "At the partner",
            {
                "fields": [
                    "product_variant_category_id",
                    "price_id",
                    "editor_product_id",
                    "country_id",
                    "default_dpi",
                    "default_location_id",
                ]
            },
        ),
        ("Size and weight", {"fields": ["weight", "length", "width", "height"]}),
        ("Customs", {"fields": ["customs_code", "customs_description", "long_customs_description"]}),
        ("Push", {"fields": CatalogueRecordAdmin.state_fields}),
    ]


@admin.register(CataloguePush)
class CataloguePushAdmin(ViewOnlyAdmin):
    deletable = False  # the record of what was sent and answered
    # The kind under the record, not a column of its own: with it the partner's id and the user
    # were cut off at 1440 px.
    list_display = ["at", "record_link", "action", "ok", "error_shown", "vendor_id", "user"]
    list_filter = ["ok", "kind", "action", ("connection", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["content_type", "user", "connection"]
    search_fields = ["record_name", "vendor_id", "error"]
    date_hierarchy = "at"
    fields = readonly_fields = [
        "at",
        "connection",
        "kind",
        "record_link",
        "vendor_id",
        "action",
        "ok",
        "error",
        "user",
        "body_shown",
        "answer_shown",
    ]

    @admin.display(description="Sent")
    def body_shown(self, obj):
        return _pre(obj.body)

    @admin.display(description="Answer")
    def answer_shown(self, obj):
        return _pre(obj.answer)

    @admin.display(description="Error")
    def error_shown(self, obj):
        # A column wide enough to read the partner's words (the connection is its filter).
        return format_html('<span class="push-error">{}</span>', obj.error) if obj.error else "—"

    @admin.display(description="Record", ordering="record_name")
    def record_link(self, obj):
        model = obj.content_type.model_class()
        if model is None or not model.objects.filter(pk=obj.object_id).exists():
            return format_html('{} (deleted)<br><span class="quiet">{}</span>', obj.record_name, obj.get_kind_display())
        url = reverse(f"admin:fulfilment_{obj.content_type.model}_change", args=[obj.object_id])
        return format_html(
            '<a href="{}">{}</a><br><span class="quiet">{}</span>', url, obj.record_name, obj.get_kind_display()
        )


class VariantMappingForm(forms.ModelForm):
    class Meta:
        model = VariantMapping
        fields = ["connection", "match_by", "match_value", "catalogue_variant", "ecommerce_variant_id"]


@admin.register(VariantMapping)
class VariantMappingAdmin(admin.ModelAdmin):
    form = VariantMappingForm
    list_display = ["match_value", "match_by", "catalogue_variant", "ecommerce_variant_id", "sent_as", connection_name]
    list_filter = ["match_by", ("connection", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["match_value", "ecommerce_variant_id", "catalogue_variant__name", "catalogue_variant__vendor_id"]
    list_select_related = ["catalogue_variant", "connection"]

    @admin.display(description="Sent as")
    def sent_as(self, obj):
        if obj.catalogue_variant:
            return obj.catalogue_variant.vendor_id or "— (variant not pushed yet)"
        return obj.ecommerce_variant_id

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "connection":
            kwargs["queryset"] = _connections(Capability.FULFILMENT_SEND)
        elif db_field.name == "catalogue_variant":
            kwargs["queryset"] = CatalogueVariant.objects.select_related("connection")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# -- batch orders -------------------------------------------------------------------------------


@admin.register(PrintTemplate)
class PrintTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "vendor_uid", connection_name]
    list_select_related = ["connection"]
    list_filter = [("connection", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "vendor_uid"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "connection":
            kwargs["queryset"] = _connections(Capability.BATCH_ORDERS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.action(description="Combine items into a batch order…", permissions=["send"])
def combine_into_batch(modeladmin, request, queryset):
    """To the combine screen, with the selected orders (the POST there creates the batch)."""
    ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
    return HttpResponseRedirect(f"{reverse('admin:fulfilment_batchorder_combine')}?orders={ids}")


@admin.register(BatchOrder)
class BatchOrderAdmin(ViewOnlyAdmin):
    deletable = False  # it exists at the partner
    list_display = [
        "vendor_id",
        "status_code",
        "item_count",
        connection_name,
        "created_by",
        "created_at",
        "refreshed_at",
    ]
    list_select_related = ["connection", "created_by"]
    list_filter = ["status_code", ("connection", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["vendor_id", "items__vendor_id", "items__order__external_ref"]
    date_hierarchy = "created_at"
    fields = readonly_fields = [
        "vendor_id",
        "connection",
        "status_code",
        "error_shown",
        "items_shown",
        "templates_shown",
        "created_by",
        "created_at",
        "refreshed_at",
        "raw_shown",
    ]

    @admin.display(description="Items")
    def item_count(self, obj):
        return obj.items.count()

    @admin.display(description="Last refresh error")
    def error_shown(self, obj):
        return format_html('<span class="badge badge-failed">{}</span>', obj.error) if obj.error else "—"

    @admin.display(description="Items")
    def items_shown(self, obj):
        rows = format_html_join(
            "",
            "<li>{} (order {}): partner id {}</li>",
            (
                (item.external_ref, item.order.external_ref, item.vendor_id)
                for item in obj.items.select_related("order").order_by("order", "pk")
            ),
        )
        return format_html("<ul>{}</ul>", rows) if rows else "—"

    @admin.display(description="Print templates")
    def templates_shown(self, obj):
        return ", ".join(str(t) for t in obj.templates.all()) or "—"

    @admin.display(description="Partner's answer")
    def raw_shown(self, obj):
        return _pre(obj.raw)

    def has_send_permission(self, request):
        return request.user.has_perm("fulfilment.send_fulfilmentorder")

    def get_urls(self):
        return [
            path("combine/", self.admin_site.admin_view(self.combine_view), name="fulfilment_batchorder_combine"),
            path(
                "<int:object_id>/refresh/",
                self.admin_site.admin_view(self.refresh_view),
                name="fulfilment_batchorder_refresh",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        can_refresh = bool(obj and self.has_send_permission(request) and batch_refresh_supported(obj.connection))
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "can_refresh": can_refresh})

    def refresh_view(self, request, object_id):
        if not self.has_send_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(BatchOrder, pk=object_id)
        change = reverse("admin:fulfilment_batchorder_change", args=[batch.pk])
        if request.method != "POST":
            return redirect(change)
        try:
            batch = batch_order_refresh(batch)
        except BatchInvalid as exc:
            self.message_user(request, str(exc), messages.WARNING)
        else:
            if batch.error:
                self.message_user(request, f"Not refreshed: {batch.error}", messages.ERROR)
            else:
                self.message_user(request, f"Batch {batch.vendor_id}: the partner says “{batch.status_code}”.")
        return redirect(change)

    def combine_view(self, request):
        """The sent items of the selected fulfilment orders, with the connection's print templates;
        the POST asks the partner for the batch order."""
        if not self.has_send_permission(request):
            raise PermissionDenied
        source = request.POST if request.method == "POST" else request.GET
        ids = [int(pk) for pk in source.get("orders", "").split(",") if pk.strip().isdigit()]
        orders = FulfilmentOrder.objects.filter(pk__in=ids).select_related("connection").order_by("pk")
        choice = batch_choice(orders)
        errors: list[str] = []
        chosen_items = {int(pk) for pk in request.POST.getlist("item") if pk.isdigit()}
        chosen_templates = {int(pk) for pk in request.POST.getlist("template") if pk.isdigit()}
        if request.method == "POST" and choice.connection is not None and not choice.problem:
            offered = {item.pk: item for item in choice.items}
            items = [offered[pk] for pk in sorted(chosen_items) if pk in offered]
            templates = [t for t in choice.templates if t.pk in chosen_templates]
            try:
                batch = batch_order_create(
                    connection=choice.connection, items=items, templates=templates, user=request.user
                )
            except BatchInvalid as exc:
                errors.append(str(exc))
            else:
                self.message_user(
                    request, f"Batch order {batch.vendor_id} created: the partner says “{batch.status_code}”."
                )
                return redirect(reverse("admin:fulfilment_batchorder_change", args=[batch.pk]))
        if request.method == "GET":
            chosen_items = {item.pk for item in choice.items if item.vendor_id}
        context = {
            **self.admin_site.each_context(request),
            "title": "Combine items into a batch order",
            "opts": self.model._meta,
            "choice": choice,
            "orders": ",".join(str(pk) for pk in ids),
            "errors": errors,
            "chosen_items": chosen_items,
            "chosen_templates": chosen_templates,
        }
        return TemplateResponse(request, "admin/fulfilment/batch_combine.html", context)
