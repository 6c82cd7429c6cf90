"""Vendor connections: their clients, their schedules, and scripted set-up."""

from __future__ import annotations

import json
from dataclasses import replace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from integrations.http import VendorClient, VendorRejected, http_options
from integrations.registry import Capability, HttpOptions, spec_for, vendor_specs

from ..models import VendorConnection, spec_secrets_clean, spec_settings_clean
from .queue import SYNC_TASK  # one source for the name
from .review_flag import awaiting_review_refresh_connection


def connection_http_options(connection: VendorConnection, *, pool_size: int | None = None) -> HttpOptions:
    """The project's timeouts and retry policy (integrations.http.http_options), sized for the
    connection's concurrency."""
    return http_options(pool_size=pool_size or max(10, connection.detail_concurrency))


def connection_client(connection: VendorConnection, *, pool_size: int | None = None) -> VendorClient:
    """The vendor client for a connection (its spec's `client`), with the project's HTTP policy."""
    return connection.spec.client(connection.config(), connection_http_options(connection, pool_size=pool_size))


def connection_check(connection: VendorConnection) -> str:
    """One cheap read on the vendor (the client's `check()`), in words: what it found. Raises
    VendorError (in words, without the secret) when the vendor could not be read, and
    VendorRejected when the stored settings are refused now (a URL that resolves to a private
    address, say): nothing is sent then. One retry at most: staff are waiting for the answer."""
    spec = connection.spec
    _settings, errors = spec_settings_clean(spec, connection.settings or {})
    _secrets, missing = spec_secrets_clean(spec, connection.secrets or {})
    errors |= missing
    if errors:
        labels = {s.name: s.label for s in (*spec.settings, *spec.secrets)}
        said = "; ".join(f"{labels.get(name, name)}: {message.rstrip('.')}" for name, message in errors.items())
        raise VendorRejected(f"not sent, the connection's settings are refused: {said}.", vendor=spec.label)
    options = replace(connection_http_options(connection, pool_size=1), retries=min(1, settings.VENDOR_HTTP_RETRIES))
    client = spec.client(connection.config(), options)
    try:
        return client.check()
    finally:
        close = getattr(client, "close", None)
        if close is not None:
            close()


def connection_hook_urls(connection: VendorConnection) -> dict[str, str]:
    """Hook name -> the full URL the vendor calls (settings.PUBLIC_BASE_URL + /hooks/<vendor>/
    <token>/<hook>/), for each hook the connection's spec declares; empty without a token. The
    URLs contain the connection's secret: show them only to those who may change it."""
    if not connection.hook_token:
        return {}
    spec = connection.spec
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return {
        name: f"{base}{reverse('fulfilment:hook', args=[spec.slug, connection.hook_token, name])}"
        for name in spec.hooks
    }


def connection_syncs(connection: VendorConnection) -> bool:
    """Whether the connection's vendor has customizations to sync (Capability.CUSTOMIZER_SYNC)."""
    spec = vendor_specs().get(connection.kind)
    return spec is not None and spec.has(Capability.CUSTOMIZER_SYNC)


@transaction.atomic
def connection_schedule_update(connection: VendorConnection) -> PeriodicTask | None:
    """Keep the connection's beat schedules in step with its settings (django-celery-beat): its
    sync, and those its vendor's capabilities bring (settings.CONNECTION_SCHEDULES)."""
    connection_capability_schedules_update(connection)
    task = connection.periodic_task
    wanted = connection.is_active and bool(connection.sync_every_minutes) and connection_syncs(connection)
    if not wanted:
        if task is not None and task.enabled:
            task.enabled = False
            task.save(update_fields=["enabled"])
        return task
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=connection.sync_every_minutes, period=IntervalSchedule.MINUTES
    )
    fields = {
        "name": f"Sync {connection.name} (connection {connection.pk})",
        "task": SYNC_TASK,
        "interval": interval,
        "args": json.dumps([connection.pk]),
        "kwargs": json.dumps({"trigger": "schedule"}),
        "enabled": True,
    }
    if task is None:
        task = PeriodicTask.objects.create(**fields)
        VendorConnection.objects.filter(pk=connection.pk).update(periodic_task=task)
        connection.periodic_task = task
    else:
        changed = [name for name, value in fields.items() if getattr(task, name) != value]
        if changed:
            for name in changed:
                setattr(task, name, fields[name])
            task.save()
    return task


def connection_capability_schedules(connection: VendorConnection) -> list[tuple[dict, PeriodicTask | None]]:
    """(its entry in settings.CONNECTION_SCHEDULES, its beat task or None) for each capability of
    the connection's vendor that brings a schedule. A task is the entry's task run with the
    connection's id; its interval is the entry's to begin with, then whatever staff set."""
    spec = vendor_specs().get(connection.kind)
    if spec is None or connection.pk is None:
        return []
    found = []
    for capability, entry in settings.CONNECTION_SCHEDULES.items():
        if not spec.has(Capability(capability)):
            continue
        task = PeriodicTask.objects.filter(task=entry["task"], args=json.dumps([connection.pk])).first()
        found.append((entry, task))
    return found


def connection_capability_schedules_update(connection: VendorConnection) -> list[PeriodicTask]:
    """Create each schedule the connection's capabilities bring (enabled while the connection is
    active); an existing one keeps the interval staff gave it, and follows the name and activity."""
    tasks = []
    for entry, task in connection_capability_schedules(connection):
        name = f"{entry['label']} {connection.name} (connection {connection.pk})"
        if task is None:
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=max(1, int(entry["every_minutes"])), period=IntervalSchedule.MINUTES
            )
            task = PeriodicTask.objects.create(
                name=name,
                task=entry["task"],
                interval=interval,
                args=json.dumps([connection.pk]),
                enabled=connection.is_active,
            )
        elif (task.name, task.enabled) != (name, connection.is_active):
            task.name, task.enabled = name, connection.is_active
            task.save(update_fields=["name", "enabled"])
        tasks.append(task)
    return tasks


@transaction.atomic
def connection_hook_rotate(*, connection: VendorConnection, user) -> VendorConnection:
    """A new secret for the connection's status-callback and order-push URLs, recorded with who and
    when. The old URLs stop working at once (their token no longer matches any connection)."""
    connection = VendorConnection.objects.select_for_update().get(pk=connection.pk)
    connection.hook_token_rotate()
    connection.hook_token_rotated_at = timezone.now()
    connection.hook_token_rotated_by = user
    connection.save(
        update_fields=["hook_token", "hook_token_hash", "hook_token_rotated_at", "hook_token_rotated_by", "updated_at"]
    )
    return connection


def connection_upsert(
    *, name: str, kind: str, settings: dict | None = None, secrets: dict | None = None, **fields
) -> tuple[VendorConnection, bool]:
    """Create or update a connection by name (for scripted deployments). `settings` and `secrets`
    are the vendor's, by the names its spec declares; `fields` are the common ones. A value given
    as None is left as it is. Refused with a ValidationError naming the setting or field: an
    unknown kind, a setting or secret the kind does not have, a change of kind, a blank secret, and
    a URL change without the secret it is sent with (the same rule as the admin form)."""
    try:
        spec = spec_for(kind)
    except KeyError:
        raise ValidationError({"kind": f"unknown kind {kind!r}; choose from {', '.join(vendor_specs())}"}) from None
    settings = {key: value for key, value in (settings or {}).items() if value is not None}
    secrets = {key: value for key, value in (secrets or {}).items() if value is not None}
    foreign = {
        key: f"{spec.label} has no such setting" for key in settings if key not in {s.name for s in spec.settings}
    } | {key: f"{spec.label} has no such secret" for key in secrets if key not in {s.name for s in spec.secrets}}
    if foreign:
        raise ValidationError(foreign)
    connection = VendorConnection.objects.filter(name=name).first() or VendorConnection(name=name)
    created = connection.pk is None
    reviewed_everything = connection.review_everything
    if not created and connection.kind != kind:
        raise ValidationError(
            {"kind": f"{name!r} exists as {connection.get_kind_display()}; the kind of a connection cannot change"}
        )
    blank = {key: "must not be blank" for key, value in secrets.items() if not str(value).strip()}
    if blank:
        raise ValidationError(blank)
    connection.kind = kind
    for key, value in fields.items():
        if value is not None:
            setattr(connection, key, value)
    connection.settings = {**connection.settings, **settings}
    connection.secrets = {**connection.secrets, **{key: value.strip() for key, value in secrets.items()}}
    changed = [] if created else connection.urls_changed()
    sent = [s.name for s in spec.secrets if s.sent]
    if changed and not any(name in secrets for name in sent):
        raise ValidationError({key: "changing this URL needs the API key given again" for key in changed})
    connection.full_clean()  # the same validation as the admin form: a clear error, nothing saved
    connection.save()
    connection_schedule_update(connection)
    if not created and connection.review_everything != reviewed_everything:
        awaiting_review_refresh_connection(connection)
    return connection, created
