"""The routing table: which partner each design goes to (fulfilment.services.routing). Managers
edit it; Viewers see it."""

from django import forms
from django.contrib import admin

from integrations.registry import Capability
from orders.models import VendorConnection

from ..models import RoutingRule
from .catalogue import connection_name


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ["connection", "product_contains", "template_id", "sku", "priority", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "connection" in self.fields:
            # Only partners that take fulfilment orders (read now: a vendor added in settings is offered).
            self.fields["connection"].queryset = VendorConnection.objects.with_capability(Capability.FULFILMENT_SEND)

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        if "*" in sku[:-1]:
            raise forms.ValidationError("Only one * is allowed, at the end (a prefix, e.g. MUG-*).")
        if sku == "*":
            raise forms.ValidationError("A * alone matches every SKU: leave the SKU empty for a default rule.")
        return sku


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ["priority", "condition_shown", connection_name, "is_active", "updated_at"]
    list_display_links = ["condition_shown"]
    list_filter = ["is_active", ("connection", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["product_contains", "template_id", "sku", "connection__name"]
    ordering = ["priority", "id"]
    list_select_related = ["connection"]

    @admin.display(description="Routes", ordering="priority")
    def condition_shown(self, obj):
        return obj.condition
