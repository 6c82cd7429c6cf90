import json
from functools import partial

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from .admin_base import ViewOnlyAdmin, ViewOnlyInline
from .models import Customization, OrderLine, StoreOrder, SyncRun, VendorConnection
from .selectors import customization_detail, customization_list, sync_run_latest
from .services.bad_words import highlight_nodes
from .services.connections import connection_hook_rotate, connection_schedule_update
from .services.image_proxy import proxy_url
from .services.review import decisions_bulk
from .tasks import sync_connection_task


class VendorConnectionForm(forms.ModelForm):
    # Write-only: the stored key is never rendered back, not even masked.
    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    base_url = forms.URLField(
        label="Base URL",
        required=False,
        assume_scheme="https",
        help_text=VendorConnection._meta.get_field("base_url").help_text,
    )

    class Meta:
        model = VendorConnection
        fields = [
            "name",
            "kind",
            "is_active",
            "shop_domain",
            "company",
            "api_key",
            "push_hmac_key",
            "orders_url",
            "shipping_url",
            "stock_url",
            "base_url",
            "sync_every_minutes",
            "lookback_days",
            "detail_concurrency",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["api_key"] = ""
        if self.instance.pk and self.instance.api_key:
            self.fields[
                "api_key"
            ].help_text = "A key is stored (encrypted). Leave blank to keep it; type a new one to replace it."
        else:
            self.fields["api_key"].help_text = "Stored encrypted and never shown again."

    orders_url = forms.URLField(label="Order-iT orders URL", required=False, assume_scheme="https")
    stock_url = forms.URLField(label="Stock URL", required=False, assume_scheme="https")
    push_hmac_key = forms.CharField(
        label="Order push HMAC key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Custom Gateway supplier: from the Generic API settings. Write-only; blank keeps the stored key.",
    )

    def clean_api_key(self):
        return self._keep("api_key")

    def clean(self):
        cleaned = super().clean()
        # Changing where the connection calls sends the stored key there: without this, anyone who
        # may edit a connection could point it at their own host and read the key off the wire.
        # So a URL change needs the key re-typed (or replaced) in the same save; Custom Gateway's
        # push HMAC key is never sent, so it is not asked for.
        if self.instance.pk and not (self.data.get("api_key") or "").strip():
            # Only the URL fields this form shows and cleaned: one that is not on it did not change.
            shown = {name: cleaned[name] for name in VendorConnection.URL_FIELDS if name in cleaned}
            changed = [name for name in self.instance.urls_changed(shown) if name in shown]
            for name in changed:
                self.add_error(name, "Changing this URL needs the API key re-typed in the same save.")
            if changed:
                self.add_error("api_key", "Type the API key (or token) again: it will be sent to the new URL.")
        return cleaned

    def clean_push_hmac_key(self):
        return self._keep("push_hmac_key")

    def _keep(self, field):
        """A blank secret field keeps the stored secret: secrets are never rendered back."""
        value = self.cleaned_data.get(field)
        if not value and self.instance.pk:
            return getattr(VendorConnection.objects.get(pk=self.instance.pk), field)
        return value


@admin.register(VendorConnection)
class VendorConnectionAdmin(admin.ModelAdmin):
    form = VendorConnectionForm
    list_display = ["name", "kind", "account", "base_url_shown", "is_active", "schedule", "last_sync"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "shop_domain", "company"]
    actions = ["sync_now"]
    readonly_fields = [
        "api_key_state",
        "push_key_state",
        "hook_urls",
        "synced_until",
        "periodic_task_link",
        "created_at",
        "updated_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        # A connection's kind never changes (its records, schedule and client depend on it): a
        # different vendor is a new connection, as add_connection says too.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "kind"] if obj is not None else fields

    def get_fieldsets(self, request, obj=None):
        can_change = self.has_change_permission(request, obj)
        credentials = ["api_key"] if can_change else ["api_key_state"]
        # The hook URLs hold the connection's secret: only those who manage it see them.
        push_fields = ["push_hmac_key", "hook_urls"] if can_change else ["push_key_state"]
        return [
            (None, {"fields": ["name", "kind", "is_active"]}),
            ("Vendor account", {"fields": ["shop_domain", "company", *credentials, "base_url"]}),
            (
                "Custom Gateway",
                {
                    "fields": ["orders_url", "shipping_url", "stock_url", *push_fields],
                    "classes": ["collapse"],
                    "description": "Only for Custom Gateway connections. Blank URLs use our defaults.",
                },
            ),
            (
                "Sync",
                {
                    "fields": [
                        "sync_every_minutes",
                        "lookback_days",
                        "detail_concurrency",
                        "synced_until",
                        "periodic_task_link",
                    ]
                },
            ),
            ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
        ]

    @admin.display(description="Shop / company")
    def account(self, obj):
        return obj.shop_domain or obj.company

    @admin.display(description="API key / token")
    def api_key_state(self, obj):
        return "stored (encrypted)" if obj and obj.api_key else "not set"

    @admin.display(description="Order push HMAC key")
    def push_key_state(self, obj):
        return "stored (encrypted)" if obj and obj.push_hmac_key else "not set"

    @admin.display(description="URLs to give Custom Gateway")
    def hook_urls(self, obj):
        # Only in the fieldsets of those who may change the connection (see get_fieldsets).
        if not obj or obj.kind != VendorConnection.Kind.CUSTOM_GATEWAY or not obj.hook_token:
            return "— (saved Custom Gateway connections only)"
        from fulfilment.services.orders import order_push_url, status_callback_url

        if obj.hook_token_rotated_at:
            who = obj.hook_token_rotated_by.get_username() if obj.hook_token_rotated_by else "someone since removed"
            rotated = f"Secret last rotated {obj.hook_token_rotated_at:%Y-%m-%d %H:%M} UTC by {who}."
        else:
            rotated = "Secret never rotated since the connection was created."
        return format_html(
            "Status callbacks: <code>{}</code><br>Order push: <code>{}</code><br>"
            '<span class="help">They contain this connection\'s secret: give them only to Custom Gateway. {}</span>'
            '<p><a class="button" href="{}">Rotate hook secret…</a></p>',
            status_callback_url(obj),
            order_push_url(obj),
            rotated,
            reverse("admin:orders_vendorconnection_rotate_hook", args=[obj.pk]),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/rotate-hook/",
                self.admin_site.admin_view(self.rotate_hook_view),
                name="orders_vendorconnection_rotate_hook",
            ),
            *super().get_urls(),
        ]

    def rotate_hook_view(self, request, object_id):
        """Confirm, then give the connection a new hook secret: the old URLs get 404 from then on."""
        connection = get_object_or_404(
            VendorConnection,
            pk=object_id if str(object_id).isdigit() else None,
            kind=VendorConnection.Kind.CUSTOM_GATEWAY,
        )
        if not self.has_change_permission(request, connection):
            raise PermissionDenied
        change_url = reverse("admin:orders_vendorconnection_change", args=[connection.pk])
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            connection = connection_hook_rotate(connection=connection, user=request.user)
            self.log_change(request, connection, "Rotated the hook secret (status-callback and order-push URLs).")
            self.message_user(
                request,
                f"{connection.name}: new hook secret. The old URLs stop working now: give Custom Gateway the new "
                "status-callback and order-push URLs shown below.",
                messages.SUCCESS,
            )
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Rotate the hook secret of {connection.name}?",
            "opts": self.model._meta,
            "original": connection,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/orders/vendorconnection/rotate_hook.html", context)

    @admin.display(description="Base URL")
    def base_url_shown(self, obj):
        return obj.base_url or format_html("<span title='{}'>production</span>", obj.effective_base_url)

    @admin.display(description="Scheduled sync")
    def schedule(self, obj):
        if not obj.periodic_task or not obj.periodic_task.enabled:
            return "off"
        return f"every {obj.sync_every_minutes} min"

    @admin.display(description="Schedule (celery beat)")
    def periodic_task_link(self, obj):
        if not obj or not obj.periodic_task:
            return "none"
        url = reverse("admin:django_celery_beat_periodictask_change", args=[obj.periodic_task.pk])
        return format_html('<a href="{}">{}</a>', url, obj.periodic_task.name)

    @admin.display(description="Last sync")
    def last_sync(self, obj):
        run = sync_run_latest(obj.pk)
        if run is None:
            return "never"
        url = reverse("admin:orders_syncrun_change", args=[run.pk])
        return format_html(
            '<a href="{}">{} · {}</a>', url, run.get_status_display(), run.started_at.strftime("%Y-%m-%d %H:%M")
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        connection_schedule_update(obj)

    def has_sync_permission(self, request):
        return request.user.has_perm("orders.sync_vendorconnection")

    @admin.action(description="Sync now", permissions=["sync"])
    def sync_now(self, request, queryset):
        queued = []
        for connection in queryset:
            if not connection.is_active:
                self.message_user(request, f"{connection.name} is inactive and was not synced.", messages.WARNING)
                continue
            if connection.kind not in VendorConnection.CUSTOMIZER_KINDS:
                self.message_user(request, f"{connection.name} has no customizations to sync.", messages.WARNING)
                continue
            transaction.on_commit(
                partial(
                    sync_connection_task.delay, connection.pk, trigger=SyncRun.Trigger.MANUAL, user_id=request.user.pk
                )
            )
            queued.append(connection)
        if not queued:
            return None
        names = ", ".join(connection.name for connection in queued)
        self.message_user(request, f"Sync queued for {names}. Its progress shows below.", messages.SUCCESS)
        query = urlencode({"connection__id__in": ",".join(str(c.pk) for c in queued)})
        return redirect(f"{reverse('admin:orders_syncrun_changelist')}?{query}")


@admin.register(SyncRun)
class SyncRunAdmin(ViewOnlyAdmin):
    list_display = [
        "run_number",
        "connection_name",
        "trigger",
        "status_badge",
        "progress_bar",
        "started",
        "counts",
    ]
    list_filter = ["status", "trigger", "connection"]
    date_hierarchy = "started_at"
    list_select_related = ["connection"]
    readonly_fields = [
        "connection",
        "trigger",
        "status",
        "progress_bar",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "window_start",
        "window_end",
        "read_up_to",
        "fetched",
        "created",
        "updated",
        "unchanged",
        "failed",
        "requests_made",
        "note",
        "error_list",
        "requested_by",
    ]
    exclude = ["errors", "progress", "read_until", "task_id"]

    @admin.display(description="Started", ordering="started_at")
    def started(self, obj):
        return f"{timezone.localtime(obj.started_at):%Y-%m-%d %H:%M}"

    @admin.display(description="Connection", ordering="connection__name")
    def connection_name(self, obj):
        return obj.connection.name

    @admin.display(description="Customizations")
    def counts(self, obj):
        # One column, not five, and the watermark under Progress: with them all the list was
        # wider than the screen beside the filter.
        return format_html(
            "{} read, {} new<br>{} changed, {} same, {} failed",
            obj.fetched,
            obj.created,
            obj.updated,
            obj.unchanged,
            obj.failed,
        )

    @admin.display(description="Read up to", ordering="read_until")
    def read_up_to(self, obj):
        """Where this run got to: every customization dated before it is written, and a sync
        after a failed one resumes there (less the look-back)."""
        if obj.read_until is None:
            return "—"
        return f"read up to {timezone.localtime(obj.read_until):%Y-%m-%d %H:%M:%S}"

    @admin.display(description="Run", ordering="pk")
    def run_number(self, obj):
        return f"#{obj.pk}"

    @admin.display(description="Status")
    def status_badge(self, obj):
        return format_html('<span class="badge badge-{}">{}</span>', obj.status, obj.get_status_display())

    @admin.display(description="Progress")
    def progress_bar(self, obj):
        from django.template.loader import render_to_string

        return render_to_string("admin/orders/syncrun/_progress.html", {"run": obj})

    @admin.display(description="Errors")
    def error_list(self, obj):
        if not obj.errors:
            return "none"
        return format_html(
            "<ul class='sync-errors'>{}</ul>", format_html_join("", "<li>{}</li>", ((e,) for e in obj.errors))
        )

    def get_urls(self):
        return [
            path("<int:pk>/progress/", self.admin_site.admin_view(self.progress_view), name="orders_syncrun_progress"),
            *super().get_urls(),
        ]

    def progress_view(self, request, pk):
        if not self.has_view_permission(request):
            raise Http404
        run = SyncRun.objects.filter(pk=pk).first()
        if run is None:
            raise Http404
        return TemplateResponse(request, "admin/orders/syncrun/_progress.html", {"run": run})


class VendorFilter(admin.SimpleListFilter):
    title = "vendor"
    parameter_name = "vendor"

    def lookups(self, request, model_admin):
        return VendorConnection.Kind.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(connection__kind=self.value())
        return queryset


@admin.register(Customization)
class CustomizationAdmin(ViewOnlyAdmin):
    deletable = False
    list_display = [
        "thumbnails",
        "external_id",
        "vendor",
        "status",
        "bad_words_flag",
        "decision_shown",
        "customized_at",
        "product_title",
        "order_names",
        "template_id",
    ]
    list_display_links = ["thumbnails", "external_id"]
    list_filter = [
        VendorFilter,
        ("has_bad_words", admin.BooleanFieldListFilter),
        "decision",
        "status",
        ("customized_at", admin.DateFieldListFilter),
        "connection",
    ]
    search_fields = ["=external_id", "store_orders__name"]
    search_help_text = "Search by vendor id (exact) or store order name (e.g. #3891)."
    date_hierarchy = "customized_at"
    list_per_page = 50
    change_form_template = "admin/orders/customization/change_form.html"
    actions = ["approve_selected", "reject_selected", "create_fulfilment_order"]
    fieldsets = [
        (
            None,
            {"fields": ["connection", "external_id", "status", "vendor_status", "customized_at", "status_changed_at"]},
        ),
        ("Product", {"fields": ["product_title", "template_id", "variant_title", "sku", "price", "hex_color"]}),
        ("Notes", {"fields": ["user_notes", "comments", "user_agent"]}),
        ("Sync", {"fields": ["fetched_at", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return customization_list(super().get_queryset(request))

    def has_review_permission(self, request):
        return request.user.has_perm("orders.review_customization")

    @admin.action(description="Approve selected designs", permissions=["review"])
    def approve_selected(self, request, queryset):
        decided, skipped = decisions_bulk(customizations=queryset, user=request.user, decision="approved")
        self._report(request, "Approved", decided, skipped)

    @admin.action(description="Reject selected designs…", permissions=["review"])
    def reject_selected(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if "apply" in request.POST and reason:
            decided, skipped = decisions_bulk(
                customizations=queryset, user=request.user, decision="rejected", reason=reason
            )
            self._report(request, "Rejected", decided, skipped)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject designs",
            "opts": self.model._meta,
            "queryset": queryset,
            "reasons_list": settings.REVIEW_REJECTION_REASONS,
            "missing_reason": "apply" in request.POST,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/orders/customization/reject_selected.html", context)

    def has_fulfil_permission(self, request):
        return request.user.has_perm("fulfilment.add_fulfilmentorder")

    @admin.action(description="Create a fulfilment order…", permissions=["fulfil"])
    def create_fulfilment_order(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return redirect(f"{reverse('admin:fulfilment_fulfilmentorder_create')}?ids={ids}")

    def _report(self, request, verb, decided, skipped):
        if decided:
            self.message_user(request, f"{verb} {decided} design(s).", messages.SUCCESS)
        for line in skipped:
            self.message_user(request, f"Not changed: {line}.", messages.WARNING)

    @admin.display(description="Vendor", ordering="connection__kind")
    def vendor(self, obj):
        return obj.connection.get_kind_display()

    @admin.display(description="Sides")
    def thumbnails(self, obj):
        return (
            format_html_join(
                "",
                '<img class="thumb" src="{}" alt="{}" title="{}" loading="lazy">',
                ((shown, side.name, side.name) for side in obj.sides.all() if (shown := proxy_url(side.preview_url))),
            )
            or "—"
        )

    @admin.display(description="Bad words", ordering="has_bad_words")
    def bad_words_flag(self, obj):
        if not obj.has_bad_words:
            return ""
        return format_html(
            '<span class="bad-flag" title="{}">⚠ {}</span>', ", ".join(obj.bad_words), len(obj.bad_words)
        )

    @admin.display(description="Decision", ordering="decision")
    def decision_shown(self, obj):
        url = reverse("admin:orders_reviewitem_review", args=[obj.pk])
        return format_html(
            '<a href="{}" class="decision decision-{}">{}</a>', url, obj.decision or "none", obj.get_decision_display()
        )

    @admin.display(description="Store orders")
    def order_names(self, obj):
        return ", ".join(order.name or order.external_id for order in obj.store_orders.all()) or "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        detail = customization_detail(int(object_id)) if str(object_id).isdigit() else None
        extra_context = extra_context or {}
        if detail is not None:
            highlight_nodes(detail)
            extra_context.update(
                detail=detail,
                raw_payload=json.dumps(detail.payload, indent=2, ensure_ascii=False),
                raw_listing=json.dumps(detail.listing, indent=2, ensure_ascii=False),
                option_rows=_option_rows(detail.options),
            )
        return super().change_view(request, object_id, form_url, extra_context)


def _option_rows(options: dict) -> list[tuple[str, str]]:
    rows = []
    for index in (1, 2, 3):
        name, value = options.get(f"option{index}"), options.get(f"option{index}_value")
        if name:
            rows.append((name, value or ""))
    named = {name.lower() for name, _ in rows}
    if (options.get("color_des") or options.get("color")) and not named & {"color", "colour"}:
        rows.append(("Colour", f"{options.get('color_des') or ''} {options.get('color') or ''}".strip()))
    return rows


class OrderLineInline(ViewOnlyInline):
    model = OrderLine
    fields = ["customization_link", "quantity", "product_id", "variant_id"]
    readonly_fields = fields

    @admin.display(description="Customization")
    def customization_link(self, obj):
        url = reverse("admin:orders_customization_change", args=[obj.customization_id])
        return format_html('<a href="{}">{}</a>', url, obj.customization)


@admin.register(StoreOrder)
class StoreOrderAdmin(ViewOnlyAdmin):
    deletable = False
    list_display = ["name", "connection", "status", "payment_status", "total", "ordered_at", "store_order_id"]
    list_filter = ["status", "payment_status", "connection"]
    search_fields = ["name", "=external_id", "=store_order_id"]
    date_hierarchy = "ordered_at"
    list_select_related = ["connection"]
    inlines = [OrderLineInline]
    fields = [
        "connection",
        "external_id",
        "name",
        "store_order_id",
        "status",
        "payment_status",
        "total",
        "currency",
        "ordered_at",
        "history",
        "raw_payload",
    ]
    readonly_fields = fields

    @admin.display(description="Total", ordering="total_price")
    def total(self, obj):
        return "—" if obj.total_price is None else f"{obj.total_price} {obj.currency}".strip()

    @admin.display(description="Status history")
    def history(self, obj):
        rows = [
            (entry.get("date", ""), entry.get("status", "")) for entry in obj.status_history if isinstance(entry, dict)
        ]
        if not rows:
            return "—"
        return format_html("<table>{}</table>", format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", rows))

    @admin.display(description="Raw vendor payload")
    def raw_payload(self, obj):
        return format_html('<pre class="raw">{}</pre>', json.dumps(obj.payload, indent=2, ensure_ascii=False))


# The bad-words and review screens live in their own modules; importing them registers them.
from . import admin_bad_words, admin_libraries, admin_review  # noqa: E402,F401
