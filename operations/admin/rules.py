"""Automation rules (Managers edit, everyone else sees them) and what the rules did (RuleAction,
read-only), plus the order-page notice of an order that a rule will send."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from fulfilment.address import country_code_problem
from fulfilment.admin.holds import order_notice
from orders.admin.base import ViewOnlyAdmin

from ..rules_models import AutomationRule, AutoSend, RuleAction
from ..services.rules import auto_send_waiting

Kind = AutomationRule.Kind
SHIP_TO = ["ship_to_name", "ship_to_address_1", "ship_to_city", "ship_to_postcode", "ship_to_country_code"]


class AutomationRuleForm(forms.ModelForm):
    class Meta:
        model = AutomationRule
        fields = ["name", "kind", "enabled", "connection", "delay_minutes", *SHIP_TO]

    def clean_delay_minutes(self):
        delay = self.cleaned_data["delay_minutes"]
        if delay > 7 * 24 * 60:
            raise forms.ValidationError("At most a week (10080 minutes).")
        return delay

    def clean(self):
        data = super().clean()
        code = (data.get("ship_to_country_code") or "").strip().upper()
        data["ship_to_country_code"] = code
        if data.get("kind") == Kind.AUTO_SEND:
            for name in ["ship_to_address_1", "ship_to_postcode", "ship_to_country_code"]:
                if not (data.get(name) or "").strip():
                    self.add_error(name, "Auto-send needs the address its orders are shipped to.")
            problem = country_code_problem(code) if code else ""
            if problem:
                self.add_error("ship_to_country_code", problem)
        return data


@admin.register(AutomationRule)
class AutomationRuleAdmin(admin.ModelAdmin):
    form = AutomationRuleForm
    list_display = ["name", "kind", "enabled", "connection_shown", "delay_shown", "changed_by", "updated_at"]
    list_filter = ["kind", "enabled"]
    list_editable = ["enabled"]
    readonly_fields = ["created_by", "created_at", "changed_by", "updated_at", "recent_actions"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "enabled", "connection"]}),
        (
            "Auto-send",
            {
                "fields": ["delay_minutes", *SHIP_TO],
                "description": "Customizers give no shipping address: auto-created orders go to this one "
                "(e.g. your warehouse). A new order waits this many minutes as a draft, when staff can hold it.",
            },
        ),
        ("Record", {"fields": ["created_by", "created_at", "changed_by", "updated_at", "recent_actions"]}),
    ]

    @admin.display(description="Connection", ordering="connection__name")
    def connection_shown(self, obj):
        return obj.connection.name if obj.connection else "Every connection"

    @admin.display(description="Delay", ordering="delay_minutes")
    def delay_shown(self, obj):
        return f"{obj.delay_minutes} min" if obj.kind == Kind.AUTO_SEND else "—"

    @admin.display(description="What it did")
    def recent_actions(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        count = obj.actions.count()
        url = reverse("admin:operations_ruleaction_changelist") + f"?rule__id__exact={obj.pk}"
        return format_html('<a href="{}">{} action{}</a>', url, count, "" if count == 1 else "s")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.changed_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(RuleAction)
class RuleActionAdmin(ViewOnlyAdmin):
    deletable = False
    list_display = ["at", "rule", "what", "target_shown", "outcome", "message"]
    list_filter = ["what", "outcome", ("rule", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "at"
    list_select_related = ["rule", "customization__connection", "fulfilment_order"]
    fields = ["at", "rule", "what", "target_shown", "outcome", "message"]
    readonly_fields = fields

    @admin.display(description="Target")
    def target_shown(self, obj):
        if obj.fulfilment_order_id:
            url = reverse("admin:fulfilment_fulfilmentorder_change", args=[obj.fulfilment_order_id])
            return format_html('<a href="{}">Order {}</a>', url, obj.fulfilment_order)
        if obj.customization_id:
            url = reverse("admin:orders_customization_change", args=[obj.customization_id])
            return format_html('<a href="{}">{}</a>', url, obj.customization)
        return "—"


@admin.register(AutoSend)
class AutoSendAdmin(ViewOnlyAdmin):
    """Approved designs an auto-send rule will order and send: waiting for print files, waiting
    for the delay, or done (with why, in words)."""

    deletable = False
    list_display = ["customization_shown", "rule", "order_shown", "send_after", "done_at", "note"]
    list_filter = [("done_at", admin.EmptyFieldListFilter), ("rule", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["rule", "customization__connection", "fulfilment_order"]
    fields = ["customization_shown", "rule", "order_shown", "created_at", "send_after", "done_at", "note"]
    readonly_fields = fields

    @admin.display(description="Design")
    def customization_shown(self, obj):
        url = reverse("admin:orders_customization_change", args=[obj.customization_id])
        return format_html('<a href="{}">{}</a>', url, obj.customization)

    @admin.display(description="Fulfilment order")
    def order_shown(self, obj):
        if not obj.fulfilment_order_id:
            return "—"
        url = reverse("admin:fulfilment_fulfilmentorder_change", args=[obj.fulfilment_order_id])
        return format_html('<a href="{}">{}</a>', url, obj.fulfilment_order)


@order_notice
def auto_send_notice(order) -> str:
    """On a draft an auto-send rule will send: when, by which rule, and that Hold stops it."""
    if order.state != order.State.DRAFT:
        return ""
    waiting = auto_send_waiting(order)
    if waiting is None or waiting.send_after is None:
        return ""
    when = timezone.localtime(waiting.send_after).strftime("%Y-%m-%d %H:%M")
    if order.on_hold:
        return f"Created by rule {waiting.rule.name}: it is sent once released (it was due at {when})."
    return f"Created by rule {waiting.rule.name}: it is sent automatically at {when} unless you hold it."
