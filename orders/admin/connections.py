"""Vendor connections: the per-kind form, schedules, hook URLs."""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from ..models import SyncRun, VendorConnection
from ..selectors import sync_run_latest
from ..services.connections import connection_hook_rotate, connection_schedule_update
from ..tasks import sync_connection_task


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
