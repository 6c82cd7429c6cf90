"""Fulfilment orders: the list, the create-from-approved-designs screen, sending and the timeline."""

import json
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from integrations.http import VendorRetryable
from integrations.partners import OrderChanges
from integrations.registry import Capability, specs_with
from orders.admin.a11y import RowLabelledForm
from orders.admin.base import ViewOnlyInline
from orders.admin.export import CsvExportMixin
from orders.admin.indexed_search import IndexedSearchMixin
from orders.admin.marks import date_over_time, notable
from orders.admin.scale import ConnectionFilter, DistinctValuesFilter, ScaleAdminMixin
from orders.models import Customization, VendorConnection
from orders.text import counted

from ..address import BILLING_FIELDS, AddressForm, BillingFormMixin, address_record, billing_record
from ..carriers import carrier_name
from ..models import (
    FulfilmentItem,
    FulfilmentOrder,
    OrderAction,
    PartnerPrintFile,
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
from ..services.actions import (
    fulfilment_order_cancel,
    fulfilment_order_confirm_sent,
    fulfilment_order_probe,
    fulfilment_order_refresh,
    fulfilment_order_send_again,
    fulfilment_order_update,
    order_actions_available,
)
from ..services.orders import (
    ORDER_EXTRA_FIELDS,
    ORDER_FIELDS,
    SHIPPING_FIELDS,
    FulfilmentInvalid,
    fulfilment_order_create,
    fulfilment_order_discard,
    fulfilment_order_problems,
    fulfilment_order_queue,
    fulfilment_orders_create_routed,
    redact_hook_token,
    sendable_q,
)
from ..services.partners import partner_stores
from ..services.routing import customizations_route, routed_partner, routes_by_partner
from .catalogue import combine_into_batch
from .holds import HoldsAdminMixin, OnHoldFilter, hold_selected, release_selected
from .print_files import PartnerPrintFileInline
from .shipments import tracking_link
from .shipping_screens import FulfilmentPackingSlipsMixin


class ItemInline(admin.TabularInline):
    """The order's items; while it is a draft, each item's type (artwork by default) and what the
    type needs, its quantity, SKU, description, colour and size can be changed."""

    model = FulfilmentItem
    form = RowLabelledForm  # each row's inputs named (the labels are column headings)
    extra = 0
    can_delete = False
    fields = [
        "external_ref",
        "customization",
        "quantity",
        "sku",
        "description",
        "kind",
        "print_on_demand_ref",
        "textual_product_id",
        "colour",
        "size",
        "vendor_id",
    ]
    EDITABLE = ["quantity", "sku", "description", "kind", "print_on_demand_ref", "textual_product_id", "colour", "size"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.state != FulfilmentOrder.State.DRAFT:
            return False  # sent (or on its way): the partner has these items as they were
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.state != FulfilmentOrder.State.DRAFT:
            return self.fields
        return [name for name in self.fields if name not in self.EDITABLE]

    ordering = ["pk"]  # in the order they were added (the model has none: C2 came before C1)


class VendorOrderInline(ViewOnlyInline):
    model = VendorOrder
    fields = readonly_fields = [
        "vendor_id",
        "ref",
        "vendor_status_name",
        "status",
        "has_error_shown",
        "error_message",
        "shipping_tracking",
        "shipping_carrier",
        "shipping_method",
    ]

    @admin.display(description="Has error")
    def has_error_shown(self, obj):
        return notable(obj.has_error, "Yes", problem=True)


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


class ActionInline(ViewOnlyInline):
    """Staff actions at the partner (update, cancel, get, probe, confirm), with what was sent and
    what the partner answered: the other half of the timeline."""

    model = OrderAction
    verbose_name = "staff action"
    verbose_name_plural = "staff actions (at the partner)"
    fields = readonly_fields = ["at", "action", "user", "outcome", "message", "sent_shown", "answer_shown"]
    ordering = ["at", "id"]

    @admin.display(description="Outcome")
    def outcome(self, obj):
        if obj.ok:
            return "ok"
        return format_html('<span class="badge badge-failed">{}</span>', "failed")

    @admin.display(description="Sent")
    def sent_shown(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.sent, indent=1)) if obj.sent is not None else "—"

    @admin.display(description="Partner's answer")
    def answer_shown(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.answer, indent=1)) if obj.answer is not None else "—"


class AttentionFilter(admin.SimpleListFilter):
    """What staff must look at: status conflicts, orders stuck or waiting to send."""

    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return list(ATTENTION.items())

    def queryset(self, request, queryset):
        return fulfilment_orders_needing_attention(queryset, self.value())


@admin.register(FulfilmentOrder)
class FulfilmentOrderAdmin(
    ScaleAdminMixin, IndexedSearchMixin, HoldsAdminMixin, CsvExportMixin, FulfilmentPackingSlipsMixin, admin.ModelAdmin
):
    export_columns = [
        ("external_ref", "Reference"),
        ("connection__name", "Partner connection"),
        ("state", "State"),
        ("status", "Partner status"),
        ("vendor_status_name", "Partner's own status"),
        ("store_order__name", "Store order"),
        ("customer_name", "Customer"),
        ("customer_email", "E-mail"),
        ("shipping_postcode", "Postcode"),
        ("shipping_country_code", "Country"),
        ("shipping_method", "Shipping method"),
        ("required_dispatch_date", "Required dispatch date"),
        ("on_hold", "On hold"),
        ("has_error", "Error at the partner"),
        ("last_error", "Last error"),
        ("total_price", "Total"),
        ("currency", "Currency"),
        ("sent_at", "Sent at"),
        ("created_at", "Created at"),
    ]
    list_display = [
        "external_ref",
        "connection_shown",
        "state_shown",
        "print_files_shown",
        "tracking",
        "store_order",
        "created_shown",
    ]
    list_filter = [
        AttentionFilter,
        OnHoldFilter,
        "state",
        "status",
        ("vendor_status_name", DistinctValuesFilter),
        "has_error",
        "reconciled",
        ("connection", ConnectionFilter),
    ]
    search_fields = [
        "external_ref",
        "vendor_orders__ref",
        "vendor_orders__vendor_id",
        "store_order__name",
        # The header search's "more" lands here: the same customer, tracking and SKU columns.
        "customer_name",
        "customer_email",
        "vendor_orders__shipping_tracking",
        "events__shipping_tracking",
        "items__sku",
    ]
    search_help_text = "Search by reference, store order name, customer, e-mail, tracking number or SKU."
    date_hierarchy = "created_at"
    inlines = [ItemInline, PartnerPrintFileInline, VendorOrderInline, TimelineInline, ActionInline]
    actions = ["send_selected", "discard_selected", combine_into_batch, hold_selected, release_selected]
    readonly_fields = [
        "external_ref",
        "state",
        "status_shown",
        "has_error_shown",
        "error_message",
        "last_error_shown",
        "attempts",
        "reconciled_shown",
        "sent_at",
        "created_by",
        "created_at",
        "request_payload_shown",
        "response_payload",
        "next_attempt_at",
        "reconciliations",
        "probes",
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
                    "probes",
                    "has_error_shown",
                    "error_message",
                    "reconciled_shown",
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
            "Billing (blank: the same as the shipping address)",
            {"fields": BILLING_FIELDS, "classes": ["collapse"]},
        ),
        (
            "For the partner",
            {"fields": ORDER_EXTRA_FIELDS},
        ),
        (
            "Record",
            {
                "fields": ["created_by", "created_at", "request_payload_shown", "response_payload"],
                "classes": ["collapse"],
            },
        ),
    ]

    @admin.display(description="Has error")
    def has_error_shown(self, obj):
        return notable(obj.has_error, "Yes: created by the partner in an error state", problem=True)

    @admin.display(description="Reconciled")
    def reconciled_shown(self, obj):
        return notable(obj.reconciled, "Yes: a retry found the partner already had it")

    def get_queryset(self, request):
        return fulfilment_orders_listed(super().get_queryset(request))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        order = form.instance
        if order.state == FulfilmentOrder.State.DRAFT:
            problems = fulfilment_order_problems(order)
            if problems:
                self.message_user(
                    request, "Saved, but it cannot be sent as it is: " + " ".join(problems), messages.WARNING
                )

    def get_list_display(self, request):
        # With one partner connection its column says nothing and pushes "Created" off.
        fields = list(super().get_list_display(request))
        if VendorConnection.objects.with_capability(Capability.FULFILMENT_SEND).count() < 2:
            fields.remove("connection_shown")
        if not VendorConnection.objects.with_capability(Capability.PRINT_FILE_POLLING).exists():
            fields.remove("print_files_shown")  # no partner makes print files: an empty column
        return fields

    @admin.display(description="Connection", ordering="connection__name")
    def connection_shown(self, obj):
        # The name only ("Name (Kind)" was the widest column and pushed Created off screen).
        return obj.connection.name

    @admin.display(description="Print files")
    def print_files_shown(self, obj):
        """How many of the order's partner print files are in each state, a failed one as a problem."""
        counts: dict[str, int] = {}
        for row in obj.partner_print_files.all():
            counts[row.state] = counts.get(row.state, 0) + 1
        if not counts:
            return "—"
        css = {PartnerPrintFile.State.FAILED: "badge-failed", PartnerPrintFile.State.READY: "badge-succeeded"}
        return format_html_join(
            " ",
            '<span class="badge {}">{} {}</span>',
            (
                (css.get(state, "badge-running"), count, PartnerPrintFile.State(state).label.split(" (")[0].lower())
                for state, count in sorted(counts.items())
            ),
        )

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
            editable = ORDER_FIELDS + ["sale_datetime", "connection", "store_order"]
            fields += [f for f in editable if f not in fields]
        return fields

    @admin.display(description="Created", ordering="created_at")
    def created_shown(self, obj):
        return date_over_time(obj.created_at)

    @admin.display(description="State", ordering="state")
    def state_shown(self, obj):
        """Ours, and under it the partner's once it has one: one column, so that the list's nine
        columns fit beside the filters (Store order and Created were pushed off screen)."""
        vendor = self.status_shown(obj)
        state = obj.get_state_display()
        if obj.on_hold:
            state = format_html('{} <span class="badge badge-hold">on hold</span>', state)
        if vendor == "—":
            return state
        return format_html('{}<br><span class="quiet">{}</span>', state, vendor)

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
        # Linked to the carrier's tracking page (fulfilment.carriers); an unknown carrier as text.
        shown = [
            format_html(
                "{} {}", carrier_name(vo.shipping_carrier), tracking_link(vo.shipping_carrier, vo.shipping_tracking)
            )
            for vo in obj.vendor_orders.all()
            if vo.shipping_tracking
        ]
        return format_html_join(", ", "{}", ((entry,) for entry in shown)) if shown else "—"

    @admin.display(description="Last error")
    def last_error_shown(self, obj):
        return obj.last_error or "—"

    def has_send_permission(self, request):
        return request.user.has_perm("fulfilment.send_fulfilmentorder")

    @admin.action(description="Send to the partner (drafts, failed, stuck or waiting)", permissions=["send"])
    def send_selected(self, request, queryset):
        queued = sum(fulfilment_order_queue(order) for order in queryset.filter(sendable_q()))
        held = queryset.filter(on_hold=True).count()
        skipped = queryset.count() - queued - held
        self.message_user(request, f"{counted(queued, 'order')} queued to send.", messages.SUCCESS)
        if held:
            said = "1 order is" if held == 1 else f"{held} orders are"
            self.message_user(request, f"{said} on hold and not sent: release first.", messages.WARNING)
        if skipped:
            self.message_user(request, f"{skipped} already sent or on their way were left alone.", messages.WARNING)

    @admin.action(description="Discard (drafts and failed: frees their customizations)", permissions=["send"])
    def discard_selected(self, request, queryset):
        discarded = sum(fulfilment_order_discard(order) for order in queryset)
        self.message_user(request, f"{counted(discarded, 'order')} discarded.", messages.SUCCESS)
        if queryset.count() - discarded:
            self.message_user(request, "Orders sent or on their way cannot be discarded.", messages.WARNING)

    def get_urls(self):
        def order_url(route, view, name):
            return path(f"<int:object_id>/{route}/", self.admin_site.admin_view(view), name=name)

        return [
            path("create/", self.admin_site.admin_view(self.create_view), name="fulfilment_fulfilmentorder_create"),
            path("error-codes/", self.admin_site.admin_view(self.codes_view), name="fulfilment_error_codes"),
            order_url("update", self.update_view, "fulfilment_fulfilmentorder_update"),
            order_url("cancel", self.cancel_view, "fulfilment_fulfilmentorder_cancel"),
            order_url("refresh", self.refresh_view, "fulfilment_fulfilmentorder_refresh"),
            order_url("probe", self.probe_view, "fulfilment_fulfilmentorder_probe"),
            order_url("confirm-sent", self.confirm_sent_view, "fulfilment_fulfilmentorder_confirm_sent"),
            order_url("send-again", self.send_again_view, "fulfilment_fulfilmentorder_send_again"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if order is not None:
            available = order_actions_available(order)
            extra["partner_actions"] = [
                (action, OrderAction.Action(action).label, why, ACTION_URLS[action])
                for action, why in available.items()
            ]
            extra["may_send"] = self.has_send_permission(request)
            # Shown at the top: a failed print file is otherwise a row far down the page.
            extra["failed_print_files"] = list(order.partner_print_files.filter(state=PartnerPrintFile.State.FAILED))
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def create_view(self, request):
        """Approved customizations not yet in a fulfilment order, grouped by store order, each
        with the partner the routing table sends it to."""
        if not request.user.has_perm("fulfilment.add_fulfilmentorder"):
            raise PermissionDenied
        chosen = [int(pk) for pk in request.GET.get("ids", "").split(",") if pk.isdigit()]
        groups = customizations_to_fulfil(chosen)
        listed = [c for items in groups.values() for c in items]
        routes = {route.customization.pk: route for route in customizations_route(listed)}
        if request.method == "POST":
            selected_ids = {int(pk) for pk in request.POST.getlist("customization") if pk.isdigit()}
        else:
            selected_ids = set(chosen)
        selected_routes = [routes[pk] for pk in routes if pk in selected_ids]
        split = request.method == "POST" and "_split" in request.POST
        form = ShippingForm(request.POST or None, initial={"connection": routed_partner(selected_routes)})
        if split:
            form.fields["connection"].required = False
        if request.method == "POST" and form.is_valid():
            shipping = {k: v for k, v in form.cleaned_data.items() if k in ORDER_FIELDS}
            try:
                if split:
                    orders = self._create_split(form, selected_routes, shipping, request.user)
                else:
                    selected = Customization.objects.filter(pk__in=selected_ids)
                    orders = [
                        fulfilment_order_create(
                            connection=form.cleaned_data["connection"],
                            customizations=selected,
                            shipping=shipping,
                            user=request.user,
                        )
                    ]
            except FulfilmentInvalid as exc:
                for field, message in exc.errors.items():
                    form.add_error(field if field in form.fields else None, message)
            else:
                send = form.cleaned_data.get("send_now") and self.has_send_permission(request)
                for order in orders:
                    if send:
                        fulfilment_order_queue(order)
                    where = f" for {order.connection.name}" if len(orders) > 1 else ""
                    said = "created and queued to send" if send else "created as a draft"
                    self.message_user(request, f"{order} {said}{where}.", messages.SUCCESS)
                if len(orders) > 1:
                    return redirect(reverse("admin:fulfilment_fulfilmentorder_changelist"))
                return redirect(reverse("admin:fulfilment_fulfilmentorder_change", args=[orders[0].pk]))
        by_partner = routes_by_partner(selected_routes)
        context = {
            **self.admin_site.each_context(request),
            "title": "Create a fulfilment order",
            "opts": self.model._meta,
            "groups": groups,
            "routed_groups": {name: [(c, routes[c.pk]) for c in items] for name, items in groups.items()},
            "form": form,
            "selected": selected_ids,
            "mixed": len([partner for partner in by_partner if partner is not None]) > 1,
            "by_partner": [(partner, items) for partner, items in by_partner.items()],
        }
        return TemplateResponse(request, "admin/fulfilment/create_order.html", context)

    def _create_split(self, form, routes, shipping, user):
        """One order per partner the selected designs route to; unrouted ones go with the partner
        chosen in the form (there must be one then)."""
        chosen = form.cleaned_data.get("connection")
        groups: dict = {}
        for partner, items in routes_by_partner(routes).items():
            if partner is None and chosen is None:
                names = ", ".join(str(c) for c in items)
                raise FulfilmentInvalid({"connection": f"No rule routes {names}: choose a partner for them."})
            groups.setdefault(partner or chosen, []).extend(items)
        if not groups:
            raise FulfilmentInvalid({"items": "At least one item is needed."})
        return fulfilment_orders_create_routed(groups=groups, shipping=shipping, user=user)

    # -- staff actions at the partner (POST; permission send_fulfilmentorder) -----------------

    def _order_for_action(self, request, object_id) -> FulfilmentOrder:
        # The order and its way back to its page come from HoldsAdminMixin (_hold_order, _back).
        return self._hold_order(request, object_id, allowed=self.has_send_permission)

    def _said(self, request, outcome):
        self.message_user(request, outcome.message, messages.SUCCESS if outcome.ok else messages.ERROR)

    def _action_page(self, request, order, *, action, title, text, button, form=None, warning=""):
        why = order_actions_available(order).get(action, "")
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "order": order,
            "original": order,
            "text": text,
            "warning": warning,
            "why_not": why,
            "form": form,
            "button": button,
        }
        return TemplateResponse(request, "admin/fulfilment/order_action.html", context)

    def update_view(self, request, object_id):
        order = self._order_for_action(request, object_id)
        form = OrderUpdateForm(request.POST or None, order=order)
        if request.method == "POST" and form.is_valid():
            outcome = fulfilment_order_update(order, form.changes(), user=request.user)
            self._said(request, outcome)
            return self._back(order)
        return self._action_page(
            request,
            order,
            action=OrderAction.Action.UPDATE,
            title=f"Update {order} at {order.connection.spec.label}",
            text="Only what you change is sent to the partner.",
            button="Send the changes",
            form=form,
        )

    def cancel_view(self, request, object_id):
        order = self._order_for_action(request, object_id)
        if request.method == "POST":
            self._said(request, fulfilment_order_cancel(order, user=request.user))
            return self._back(order)
        return self._action_page(
            request,
            order,
            action=OrderAction.Action.CANCEL,
            title=f"Cancel {order} at {order.connection.spec.label}?",
            text="The partner is asked to cancel it. When it agrees, the order is Cancelled here and its designs "
            "may go into a new order.",
            button="Yes, cancel it",
        )

    def refresh_view(self, request, object_id):
        order = self._order_for_action(request, object_id)
        if request.method != "POST":
            return self._back(order)
        self._said(request, fulfilment_order_refresh(order, user=request.user))
        return self._back(order)

    def probe_view(self, request, object_id):
        order = self._order_for_action(request, object_id)
        if request.method != "POST":
            return self._back(order)
        try:
            outcome = fulfilment_order_probe(order, user=request.user)
        except VendorRetryable as exc:
            self.message_user(request, f"The partner could not be asked now: {exc}. Try again later.", messages.ERROR)
        else:
            self._said(request, outcome)
        return self._back(order)

    def confirm_sent_view(self, request, object_id):
        order = self._order_for_action(request, object_id)
        form = ConfirmSentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            outcome = fulfilment_order_confirm_sent(
                order,
                vendor_id=form.cleaned_data["vendor_id"],
                vendor_ref=form.cleaned_data["vendor_ref"],
                user=request.user,
            )
            if outcome.ok:
                self._said(request, outcome)
                return self._back(order)
            form.add_error(None, outcome.message)
        return self._action_page(
            request,
            order,
            action=OrderAction.Action.CONFIRM_SENT,
            title=f"Confirm {order} was sent",
            text=f"You checked with {order.connection.spec.label} that it has this order: enter its order id.",
            button="Confirm sent",
            form=form,
        )

    def send_again_view(self, request, object_id):
        order = self._order_for_action(request, object_id)
        if request.method == "POST":
            self._said(request, fulfilment_order_send_again(order, user=request.user))
            return self._back(order)
        return self._action_page(
            request,
            order,
            action=OrderAction.Action.SEND_AGAIN,
            title=f"Send {order} again anyway?",
            text="The answer to the first send was lost.",
            warning=(
                f"{order.connection.spec.label} may already have this order: sending it again can make a "
                "duplicate, printed and shipped twice. Probe again or check with the partner first."
            ),
            button="Send again anyway",
        )

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


class BillingSectionMixin(BillingFormMixin):
    """The billing fields shown apart (templates: the "billing address differs" section)."""

    def main_fields(self):
        return [field for field in self if field.name not in BILLING_SECTION]

    def billing_section(self):
        return [field for field in self if field.name in BILLING_SECTION]


BILLING_SECTION = ["billing_differs", *BILLING_FIELDS]


class ShippingForm(BillingSectionMixin, AddressForm):
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
        partners = VendorConnection.objects.with_capability(Capability.FULFILMENT_SEND).filter(is_active=True)
        self.fields["connection"].queryset = partners
        self.fields["connection"].label = "Partner"
        stores = [(partner.name, store) for partner in partners for store in partner_stores(partner)]
        _add_order_extras(self, stores)


ACTION_URLS = {
    OrderAction.Action.UPDATE: ("admin:fulfilment_fulfilmentorder_update", "get"),
    OrderAction.Action.CANCEL: ("admin:fulfilment_fulfilmentorder_cancel", "get"),
    OrderAction.Action.GET: ("admin:fulfilment_fulfilmentorder_refresh", "post"),
    OrderAction.Action.PROBE: ("admin:fulfilment_fulfilmentorder_probe", "post"),
    OrderAction.Action.CONFIRM_SENT: ("admin:fulfilment_fulfilmentorder_confirm_sent", "get"),
    OrderAction.Action.SEND_AGAIN: ("admin:fulfilment_fulfilmentorder_send_again", "get"),
}
MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0"), "required": False}


def _add_order_extras(form, connection_stores):
    form.fields["note"] = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    form.fields["shipping_price"] = forms.DecimalField(**MONEY)
    form.fields["coupon_code"] = forms.CharField(max_length=100, required=False)
    form.fields["payment_trans_id"] = forms.CharField(label="Payment transaction id", max_length=255, required=False)
    if connection_stores:
        choices = [("", "—")] + [(store, f"{name}: {store}") for name, store in connection_stores]
        form.fields["partner_store"] = forms.ChoiceField(
            choices=choices, required=False, label="Partner store", help_text="For partners with several stores."
        )


class ConfirmSentForm(forms.Form):
    vendor_id = forms.CharField(label="The partner's order id", max_length=64)
    vendor_ref = forms.CharField(label="Its reference (optional)", max_length=64, required=False)


class OrderUpdateForm(BillingSectionMixin, AddressForm):
    """What staff may change on a sent order: note, shipping, the address, the billing address,
    the totals. Only what differs from the order is sent."""

    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    shipping_method = forms.CharField(max_length=100, required=False)
    shipping_price = forms.DecimalField(**MONEY)
    subtotal_price = forms.DecimalField(**MONEY)
    total_price = forms.DecimalField(**MONEY)
    currency = forms.CharField(max_length=8, required=False)
    VALUES = ["note", "shipping_method", "shipping_price", "subtotal_price", "total_price", "currency"]

    def __init__(self, *args, order: FulfilmentOrder, **kwargs):
        self.order = order
        initial = {name: getattr(order, name) for name in [*self.VALUES, *self.base_fields] if hasattr(order, name)}
        initial["billing_differs"] = billing_record(order) is not None
        super().__init__(*args, initial=initial, **kwargs)

    def clean(self):
        data = super().clean()
        if (
            not self.errors
            and not self._changed_values()
            and not self._address_changed()
            and not self._billing_changed()
        ):
            raise forms.ValidationError("Nothing was changed: there is nothing to send.")
        return data

    def _billing_changed(self) -> bool:
        return any((self.cleaned_data.get(name) or "") != (getattr(self.order, name) or "") for name in BILLING_FIELDS)

    def _changed_values(self) -> dict:
        data = self.cleaned_data
        return {name: data.get(name) for name in self.VALUES if data.get(name) != getattr(self.order, name)}

    def _address_names(self) -> list[str]:
        return [name for name in self.base_fields if name not in self.VALUES and name not in BILLING_SECTION]

    def _address_changed(self) -> bool:
        names = self._address_names()
        return any((self.cleaned_data.get(name) or "") != (getattr(self.order, name) or "") for name in names)

    def changes(self) -> OrderChanges:
        values = {
            name: ("" if value is None and name in ("note", "shipping_method", "currency") else value)
            for name, value in self._changed_values().items()
        }
        row = FulfilmentOrder(
            **{name: self.cleaned_data.get(name) or "" for name in self._address_names() + BILLING_FIELDS}
        )
        address = address_record(row) if self._address_changed() else None
        billing = None
        if self._billing_changed():
            # No billing address of its own any more: the partner is sent the shipping one.
            billing = billing_record(row) or address_record(row)
        return OrderChanges(address=address, billing=billing, **{k: v for k, v in values.items() if v is not None})
