"""Holds and reprints on the fulfilment order page and list: Hold (a reason, and a date or until
released), Release, Reprint (a shipped order's designs again, with a reason), an "On hold" list
filter and the matching actions. Apps built on fulfilment add notices to the order page (e.g.
"sent automatically at 14:30 by rule X") through ORDER_NOTICES, without fulfilment importing
them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from ..models import FulfilmentOrder
from ..services.holds import (
    HOLDABLE,
    MAX_REASON,
    fulfilment_order_hold,
    fulfilment_order_release,
    fulfilment_order_reprint,
    reprint_problem,
)

# Each takes the order and returns a line to show on its page ("" for none).
ORDER_NOTICES: list[Callable[[FulfilmentOrder], str]] = []


def order_notice(function: Callable[[FulfilmentOrder], str]) -> Callable[[FulfilmentOrder], str]:
    ORDER_NOTICES.append(function)
    return function


class OnHoldFilter(admin.SimpleListFilter):
    title = "hold"
    parameter_name = "on_hold"

    def lookups(self, request, model_admin):
        return [("yes", "On hold"), ("no", "Not on hold")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(on_hold=True)
        if self.value() == "no":
            return queryset.filter(on_hold=False)
        return queryset


class HoldForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_REASON, help_text="Why it waits (shown on the order, e.g. 'customer changing the address')."
    )
    until = forms.DateTimeField(
        required=False,
        label="Hold until",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Blank: until someone releases it. Released by itself at this time (your time zone).",
    )

    def clean_until(self):
        until = self.cleaned_data.get("until")
        if until is not None and until <= timezone.now():
            raise forms.ValidationError("Choose a time in the future, or leave it blank.")
        if until is not None and until > timezone.now() + timedelta(days=366):
            raise forms.ValidationError("A hold lasts at most a year.")
        return until


class ReprintForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_REASON, help_text="Why it is printed again (e.g. 'arrived damaged'); kept on the new order."
    )


class HoldsAdminMixin:
    """For FulfilmentOrderAdmin: the hold, release and reprint pages and actions."""

    def has_hold_permission(self, request):
        return request.user.has_perm("fulfilment.send_fulfilmentorder")

    def has_reprint_permission(self, request):
        return request.user.has_perm("fulfilment.add_fulfilmentorder") and self.has_hold_permission(request)

    def get_urls(self):
        def order_url(route, view, name):
            return path(f"<int:object_id>/{route}/", self.admin_site.admin_view(view), name=name)

        return [
            order_url("hold", self.hold_view, "fulfilment_fulfilmentorder_hold"),
            order_url("release", self.release_view, "fulfilment_fulfilmentorder_release"),
            order_url("reprint", self.reprint_view, "fulfilment_fulfilmentorder_reprint"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        order = FulfilmentOrder.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        if order is not None:
            extra["hold"] = {
                "may_hold": self.has_hold_permission(request),
                "holdable": order.state in HOLDABLE and not order.on_hold,
                "may_reprint": self.has_reprint_permission(request),
                "reprint_why": reprint_problem(order),
                "reprints": list(order.reprints.order_by("pk")),
                "notices": [text for text in (notice(order) for notice in ORDER_NOTICES) if text],
            }
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _hold_order(self, request, object_id, *, allowed) -> FulfilmentOrder:
        """The order of a page or POST of the order admin, once `allowed(request)` holds."""
        if not allowed(request):
            raise PermissionDenied
        return get_object_or_404(FulfilmentOrder.objects.select_related("connection"), pk=object_id)

    def _page(self, request, order, *, title, text, form, button):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "order": order,
            "original": order,
            "text": text,
            "form": form,
            "button": button,
        }
        return TemplateResponse(request, "admin/fulfilment/order_hold.html", context)

    def _back(self, order):
        return redirect(reverse("admin:fulfilment_fulfilmentorder_change", args=[order.pk]))

    def hold_view(self, request, object_id):
        order = self._hold_order(request, object_id, allowed=self.has_hold_permission)
        form = HoldForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            outcome = fulfilment_order_hold(
                order, user=request.user, reason=form.cleaned_data["reason"], until=form.cleaned_data["until"]
            )
            self.message_user(request, outcome.message, messages.SUCCESS if outcome.ok else messages.ERROR)
            return self._back(order)
        return self._page(
            request,
            order,
            title=f"Hold {order}",
            text="A held order is not sent: not by the Send action, the reconciler or an automation rule.",
            form=form,
            button="Hold it",
        )

    def release_view(self, request, object_id):
        order = self._hold_order(request, object_id, allowed=self.has_hold_permission)
        if request.method != "POST":
            return self._back(order)
        outcome = fulfilment_order_release(order, user=request.user)
        self.message_user(request, outcome.message, messages.SUCCESS if outcome.ok else messages.ERROR)
        return self._back(order)

    def reprint_view(self, request, object_id):
        order = self._hold_order(request, object_id, allowed=self.has_reprint_permission)
        form = ReprintForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            reprint, problem = fulfilment_order_reprint(order, user=request.user, reason=form.cleaned_data["reason"])
            if reprint is None:
                self.message_user(request, problem, messages.ERROR)
                return self._back(order)
            self.message_user(
                request, f"{reprint} is a draft reprint of {order}: check it, then send it.", messages.SUCCESS
            )
            return self._back(reprint)
        why = reprint_problem(order)
        return self._page(
            request,
            order,
            title=f"Reprint {order}",
            text=(
                f"Not possible now: {why}"
                if why
                else "A new draft order with the same designs, partner and address, linked to this one."
            ),
            form=None if why else form,
            button="Create the reprint",
        )


@admin.action(description="Hold (not sent until released)", permissions=["send"])
def hold_selected(modeladmin, request, queryset):
    """Asks for the reason (and an end, optionally) on a page of its own, then holds them all."""
    form = HoldForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        held, refused = 0, []
        for order in queryset:
            outcome = fulfilment_order_hold(
                order, user=request.user, reason=form.cleaned_data["reason"], until=form.cleaned_data["until"]
            )
            held += outcome.ok
            if not outcome.ok:
                refused.append(outcome.message)
        modeladmin.message_user(request, f"{held} held.", messages.SUCCESS)
        for message in refused[:10]:
            modeladmin.message_user(request, message, messages.WARNING)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Hold fulfilment orders",
        "opts": modeladmin.model._meta,
        "orders": list(queryset[:200]),
        "form": form,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/fulfilment/orders_hold.html", context)


@admin.action(description="Release from hold", permissions=["send"])
def release_selected(modeladmin, request, queryset):
    released = sum(fulfilment_order_release(order, user=request.user).ok for order in queryset.filter(on_hold=True))
    modeladmin.message_user(request, f"{released} released.", messages.SUCCESS)
