"""Vendor connections: a form built from the chosen kind's spec, schedules, hook URLs, and
Test connection."""

import logging
import time
from functools import partial

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from integrations.http import VendorError
from integrations.registry import Capability, Setting, kind_choices, vendor_specs

from ..models import SyncRun, VendorConnection
from ..selectors import sync_run_latest
from ..services.connections import (
    connection_capability_schedules,
    connection_check,
    connection_hook_rotate,
    connection_hook_urls,
    connection_schedule_update,
    connection_syncs,
)
from ..services.review_flag import awaiting_review_refresh_connection
from ..tasks import sync_connection_task
from .print_jobs import print_jobs_link, print_jobs_view
from .smartlinks import smartlink_urls
from .sync_runs import SYNC_QUEUED_SESSION_KEY

logger = logging.getLogger(__name__)

COMMON_FIELDS = ["name", "is_active"]
SYNC_FIELDS = ["sync_every_minutes", "lookback_days", "detail_concurrency"]


def _password():
    # Write-only: the stored secret is never rendered back, not even masked.
    return forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


def _setting_field(setting: Setting) -> forms.Field:
    """The form field for one of a spec's settings. Never required here: the model's clean()
    says what is missing, in the same words as add_connection."""
    options = {"label": setting.label, "required": False, "help_text": setting.help}
    if setting.type == "int":
        return forms.IntegerField(**options)
    if setting.type == "bool":
        return forms.BooleanField(**options)
    attrs = {"placeholder": setting.default} if setting.default else {}
    if setting.type == "url":
        return forms.URLField(assume_scheme="https", max_length=500, widget=forms.URLInput(attrs=attrs), **options)
    return forms.CharField(max_length=500, widget=forms.TextInput(attrs=attrs), **options)


class VendorConnectionForm(forms.ModelForm):
    """The common fields; `connection_form_for(spec)` adds one field per setting and secret of the
    spec (named as the spec names them) and, for customizer kinds, the sync schedule."""

    spec = None

    class Meta:
        model = VendorConnection
        fields = COMMON_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        spec = self.spec
        if self.instance.pk is None:
            self.instance.kind = spec.kind
        for setting in spec.settings:
            self.initial.setdefault(setting.name, (self.instance.settings or {}).get(setting.name, ""))
        for secret in spec.secrets:
            self.initial[secret.name] = ""
            if self.instance.pk and self.instance.secret(secret.name):
                stored = f"{'A key' if 'key' in secret.label.lower() else 'A secret'} is stored (encrypted). "
                self.fields[secret.name].help_text = f"{stored}Leave blank to keep it; type a new one to replace it."
            else:
                self.fields[secret.name].help_text = " ".join(
                    part for part in (secret.help, "Stored encrypted and never shown again.") if part
                )

    def clean(self):
        cleaned = super().clean()
        spec = self.spec
        shown_settings = [s.name for s in spec.settings if s.name in self.fields]
        typed = {s.name: (self.data.get(s.name) or "").strip() for s in spec.secrets if s.name in self.fields}
        # Changing where the connection calls sends the stored secret there: without this, anyone
        # who may edit a connection could point it at their own host and read the key off the wire.
        # So a URL change needs the secret re-typed (or replaced) in the same save; a secret that is
        # never sent (an HMAC key that only verifies what the vendor sends) does not count.
        sent = [s for s in spec.secrets if s.sent and s.name in self.fields]
        if self.instance.pk and sent and not any(typed[s.name] for s in sent):
            shown = {name: cleaned.get(name) for name in shown_settings if name in cleaned}
            changed = [name for name in self.instance.urls_changed(shown) if name in shown]
            for name in changed:
                self.add_error(name, "Changing this URL needs the API key re-typed in the same save.")
            if changed:
                for secret in sent:
                    self.add_error(secret.name, f"Type the {secret.label} again: it will be sent to the new URL.")
        # Into the instance, for the model's clean() (the spec's validation) and save.
        self.instance.settings = {
            **(self.instance.settings or {}),
            **{name: cleaned.get(name) for name in shown_settings if name in cleaned},
        }
        stored = dict(self.instance.secrets or {})
        if self.instance.pk:
            stored = dict(VendorConnection.objects.filter(pk=self.instance.pk).values_list("secrets", flat=True)[0])
        # A blank secret field keeps the stored secret: secrets are never rendered back.
        self.instance.secrets = {**stored, **{name: value for name, value in typed.items() if value}}
        return cleaned


def connection_form_for(spec) -> type[VendorConnectionForm]:
    """The connection form of one kind: only its own settings and secrets (and the sync schedule
    only for kinds that sync customizations)."""
    attrs = {setting.name: _setting_field(setting) for setting in spec.settings}
    for secret in spec.secrets:
        attrs[secret.name] = forms.CharField(label=secret.label, required=False, strip=True, widget=_password())
    fields = [*COMMON_FIELDS, *(SYNC_FIELDS if spec.has(Capability.CUSTOMIZER_SYNC) else [])]
    attrs["spec"] = spec
    attrs["Meta"] = type("Meta", (VendorConnectionForm.Meta,), {"fields": fields})
    return type(f"{spec.kind.title().replace('_', '')}ConnectionForm", (VendorConnectionForm,), attrs)


class KindFilter(admin.SimpleListFilter):
    """By vendor: the registered kinds (settings.VENDORS), not a frozen list."""

    title = "vendor"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return kind_choices()

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(VendorConnection)
class VendorConnectionAdmin(admin.ModelAdmin):
    form = VendorConnectionForm
    list_display = ["name", "kind", "account", "base_url_shown", "is_active", "schedule", "last_sync"]
    list_filter = [KindFilter, "is_active"]
    search_fields = ["name", "settings"]  # the shop, the company... are in the settings
    actions = ["sync_now"]
    readonly_fields = [
        "settings_shown",
        "secrets_state",
        "hook_urls",
        "test_connection",
        "synced_until",
        "periodic_task_link",
        "capability_schedules_shown",
        "created_at",
        "updated_at",
    ]
    change_form_template = "admin/orders/vendorconnection/change_form.html"

    def _kind(self, request, obj=None) -> str | None:
        """The connection's kind; on Add, the one chosen (?kind=, kept by the form's POST)."""
        if obj is not None:
            return obj.kind
        kind = request.GET.get("kind") or request.POST.get("kind")
        return kind if kind in vendor_specs() else None

    def get_form(self, request, obj=None, change=False, **kwargs):
        kind = self._kind(request, obj)
        if kind is None:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["form"] = connection_form_for(vendor_specs()[kind])
        return super().get_form(request, obj, change=change, **kwargs)

    def add_view(self, request, form_url="", extra_context=None):
        # First the vendor, then its form: each kind has its own fields.
        if self._kind(request) is None:
            if not self.has_add_permission(request):
                raise PermissionDenied
            context = {
                **self.admin_site.each_context(request),
                "title": "Add a vendor connection: which vendor?",
                "opts": self.model._meta,
                "vendors": [
                    (spec.label, f"{request.path}?{urlencode({'kind': spec.kind})}") for spec in vendor_specs().values()
                ],
            }
            return TemplateResponse(request, "admin/orders/vendorconnection/choose_kind.html", context)
        return super().add_view(request, form_url, extra_context)

    def get_readonly_fields(self, request, obj=None):
        # A connection's kind never changes (its records, schedule and client depend on it): a
        # different vendor is a new connection, as add_connection says too.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "kind"] if obj is not None else fields

    def get_fieldsets(self, request, obj=None):
        kind = self._kind(request, obj)
        spec = vendor_specs().get(kind) if kind else None
        if spec is None:
            return [(None, {"fields": COMMON_FIELDS})]
        can_change = self.has_change_permission(request, obj)
        first = ["name", "kind", "is_active"] if obj is not None else ["name", "is_active"]
        if can_change:
            account = [s.name for s in spec.settings] + [s.name for s in spec.secrets]
            if obj is not None:
                account.append("test_connection")
        else:
            account = ["settings_shown", "secrets_state"]
        fieldsets = [
            (None, {"fields": first}),
            (f"{spec.label} account", {"fields": account, "description": "Blank URLs use the vendor's defaults."}),
        ]
        # The hook URLs hold the connection's secret: only those who manage it see them.
        if spec.hooks and can_change:
            fieldsets.append(("Hooks", {"fields": ["hook_urls"]}))
        if spec.has(Capability.CUSTOMIZER_SYNC):
            sync = [*SYNC_FIELDS, "synced_until", "periodic_task_link"]
            fieldsets.append(("Sync", {"fields": sync}))
        if obj is not None and any(spec.has(Capability(c)) for c in settings.CONNECTION_SCHEDULES):
            fieldsets.append(("Schedules", {"fields": ["capability_schedules_shown"]}))
        fieldsets.append(("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}))
        return fieldsets

    @admin.display(description="Account")
    def account(self, obj):
        # The first required setting (the shop, the company...): what tells two accounts apart.
        spec = vendor_specs().get(obj.kind)
        first = next((s for s in spec.settings if s.required), None) if spec else None
        return obj.setting(first.name) if first else ""

    @admin.display(description="Base URL")
    def base_url_shown(self, obj):
        # The first URL the key is sent to: as set, or "production" (the vendor's default).
        spec = vendor_specs().get(obj.kind)
        first = next((s for s in spec.settings if s.sends_secrets), None) if spec else None
        if first is None:
            return "—"
        return obj.settings.get(first.name) or format_html("<span title='{}'>production</span>", first.default)

    @admin.display(description="Settings")
    def settings_shown(self, obj):
        spec = vendor_specs().get(obj.kind) if obj else None
        if spec is None:
            return "—"
        return format_html_join(
            "", "{}: <code>{}</code><br>", ((s.label, obj.setting(s.name) or "—") for s in spec.settings)
        )

    @admin.display(description="Credentials")
    def secrets_state(self, obj):
        spec = vendor_specs().get(obj.kind) if obj else None
        if spec is None:
            return "—"
        return format_html_join(
            "",
            "{}: {}<br>",
            ((s.label, "stored (encrypted)" if obj.secret(s.name) else "not set") for s in spec.secrets),
        )

    @admin.display(description="URLs to give the vendor")
    def hook_urls(self, obj):
        # Only in the fieldsets of those who may change the connection (see get_fieldsets).
        urls = connection_hook_urls(obj) if obj and obj.pk else {}
        if not urls:
            return "— (shown once the connection is saved)"
        if obj.hook_token_rotated_at:
            who = obj.hook_token_rotated_by.get_username() if obj.hook_token_rotated_by else "someone since removed"
            rotated = f"Secret last rotated {obj.hook_token_rotated_at:%Y-%m-%d %H:%M} UTC by {who}."
        else:
            rotated = "Secret never rotated since the connection was created."
        hooks = obj.spec.hooks
        return format_html(
            "{}"
            '<span class="help">They contain this connection\'s secret: give them only to {}. {}</span>'
            '<p><a class="button" href="{}">Rotate hook secret…</a>{}</p>',
            format_html_join("", "{}: <code>{}</code><br>", ((hooks[name].label, url) for name, url in urls.items())),
            obj.spec.label,
            rotated,
            reverse("admin:orders_vendorconnection_rotate_hook", args=[obj.pk]),
            print_jobs_link(obj),
        )

    @admin.display(description="Test connection")
    def test_connection(self, obj):
        if not obj or not obj.pk:
            return "—"
        return format_html(
            '<button type="submit" form="test-connection-form" class="button">Test connection</button>'
            '<span class="help">One cheap read on {} with the stored settings (save changes first).</span>',
            obj.spec.label,
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/rotate-hook/",
                self.admin_site.admin_view(self.rotate_hook_view),
                name="orders_vendorconnection_rotate_hook",
            ),
            path(
                "<path:object_id>/test/",
                self.admin_site.admin_view(self.test_connection_view),
                name="orders_vendorconnection_test",
            ),
            *smartlink_urls(self),
            path(
                "<path:object_id>/print-jobs/",
                self.admin_site.admin_view(lambda request, object_id: print_jobs_view(self, request, object_id)),
                name="orders_vendorconnection_print_jobs",
            ),
            *super().get_urls(),
        ]

    def rotate_hook_view(self, request, object_id):
        """Confirm, then give the connection a new hook secret: the old URLs get 404 from then on."""
        connection = get_object_or_404(VendorConnection, pk=object_id if str(object_id).isdigit() else None)
        if not connection.spec.hooks:
            raise Http404("this vendor calls no hooks")
        if not self.has_change_permission(request, connection):
            raise PermissionDenied
        change_url = reverse("admin:orders_vendorconnection_change", args=[connection.pk])
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            connection = connection_hook_rotate(connection=connection, user=request.user)
            self.log_change(request, connection, "Rotated the hook secret (status-callback and order-push URLs).")
            self.message_user(
                request,
                f"{connection.name}: new hook secret. The old URLs stop working now: give {connection.spec.label} "
                f"the new {' and '.join(hook.label.lower() for hook in connection.spec.hooks.values())} URLs "
                "shown below.",
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

    def test_connection_view(self, request, object_id):
        """POST: one cheap read on the vendor; the outcome in words as a message, back to the page."""
        connection = get_object_or_404(VendorConnection, pk=object_id if str(object_id).isdigit() else None)
        if not self.has_change_permission(request, connection):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"], "Test connection is a button on the connection's page.")
        try:
            outcome = connection_check(connection)
        except VendorError as exc:
            self.message_user(request, f"{connection.name}: the test failed. {exc}", messages.ERROR)
        except Exception as exc:  # a bug here must not show a traceback, nor anything of the request
            logger.exception("test of connection %s crashed", connection.pk)
            self.message_user(
                request, f"{connection.name}: the test failed (internal error: {type(exc).__name__}).", messages.ERROR
            )
        else:
            self.message_user(request, f"{connection.name}: {outcome}", messages.SUCCESS)
        return redirect(reverse("admin:orders_vendorconnection_change", args=[connection.pk]))

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

    @admin.display(description="Schedules (celery beat)")
    def capability_schedules_shown(self, obj):
        """What the vendor's capabilities schedule (polling print files, ...): each links to its beat
        task, where Managers change how often it runs."""
        rows = connection_capability_schedules(obj) if obj else []
        if not rows:
            return "none"
        return (
            format_html_join(
                mark_safe("<br>"),
                '<a href="{}">{}</a>: {}',
                (
                    (
                        reverse("admin:django_celery_beat_periodictask_change", args=[task.pk]),
                        task.name,
                        # An interval says "every ..." itself (django-celery-beat's str).
                        (str(task.interval) if task.interval else "custom") + ("" if task.enabled else " (off)"),
                    )
                    for _entry, task in rows
                    if task is not None
                ),
            )
            or "none (saved with the connection)"
        )

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
        if change and "review_everything" in form.changed_data:
            awaiting_review_refresh_connection(obj)

    def has_sync_permission(self, request):
        return request.user.has_perm("orders.sync_vendorconnection")

    @admin.action(description="Sync now", permissions=["sync"])
    def sync_now(self, request, queryset):
        queued = []
        for connection in queryset:
            if not connection.is_active:
                self.message_user(request, f"{connection.name} is inactive and was not synced.", messages.WARNING)
                continue
            if not connection_syncs(connection):
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
        request.session[SYNC_QUEUED_SESSION_KEY] = time.time()  # the run list refreshes until the run shows
        names = ", ".join(connection.name for connection in queued)
        self.message_user(request, f"Sync queued for {names}. Its progress shows below.", messages.SUCCESS)
        query = urlencode({"connection__id__in": ",".join(str(c.pk) for c in queued)})
        return redirect(f"{reverse('admin:orders_syncrun_changelist')}?{query}")
