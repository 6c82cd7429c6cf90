"""Vendor connections: their clients, their schedules, and scripted set-up."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from integrations.custom_gateway.client import CustomGatewayClient
from integrations.custom_gateway.types import DEFAULT_ORDERS_URL, DEFAULT_SHIPPING_URL, DEFAULT_STOCK_URL
from integrations.http import VendorClient, http_options
from integrations.mycustomizer.client import KickflipClient, MyCustomizerClient
from integrations.qstomizer.client import QstomizerClient

from ..models import VendorConnection
from .queue import SYNC_TASK  # noqa: E402  (one source for the name)


def connection_client(connection: VendorConnection, *, pool_size: int | None = None) -> VendorClient:
    """The vendor client for a connection, with the project's timeouts and retry policy."""
    options = vars(http_options(pool_size=pool_size or max(10, connection.detail_concurrency)))
    if connection.kind == VendorConnection.Kind.QSTOMIZER:
        return QstomizerClient(
            api_key=connection.api_key, shop=connection.shop_domain, base_url=connection.effective_base_url, **options
        )
    if connection.kind in (VendorConnection.Kind.KICKFLIP, VendorConnection.Kind.MYCUSTOMIZER):
        cls = KickflipClient if connection.kind == VendorConnection.Kind.KICKFLIP else MyCustomizerClient
        return cls(
            token=connection.api_key, company=connection.company, base_url=connection.effective_base_url, **options
        )
    if connection.kind == VendorConnection.Kind.CUSTOM_GATEWAY:
        return CustomGatewayClient(
            company_ref_id=connection.company,
            api_key=connection.api_key,
            orders_url=connection.orders_url or connection.base_url or DEFAULT_ORDERS_URL,
            shipping_url=connection.shipping_url or DEFAULT_SHIPPING_URL,
            stock_url=connection.stock_url or DEFAULT_STOCK_URL,
            **options,
        )
    raise ValueError(f"no client for connection kind {connection.kind!r}")


@transaction.atomic
def connection_schedule_update(connection: VendorConnection) -> PeriodicTask | None:
    """Keep the connection's beat schedule in step with its settings (django-celery-beat)."""
    task = connection.periodic_task
    wanted = (
        connection.is_active
        and bool(connection.sync_every_minutes)
        and connection.kind in VendorConnection.CUSTOMIZER_KINDS
    )
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


SECRET_FIELDS = ("api_key", "push_hmac_key")


def connection_upsert(*, name: str, kind: str, **fields) -> tuple[VendorConnection, bool]:
    """Create or update a connection by name (for scripted deployments). A field given as None is
    left as it is. Refused with a ValidationError naming the field: a change of kind, a blank
    secret, and a URL change without the API key (the same rule as the admin form)."""
    if kind not in VendorConnection.Kind.values:
        raise ValueError(f"unknown kind {kind!r}; choose from {', '.join(VendorConnection.Kind.values)}")
    connection = VendorConnection.objects.filter(name=name).first() or VendorConnection(name=name)
    created = connection.pk is None
    if not created and connection.kind != kind:
        raise ValidationError(
            {"kind": f"{name!r} exists as {connection.get_kind_display()}; the kind of a connection cannot change"}
        )
    blank = {
        key: "must not be blank" for key in SECRET_FIELDS if fields.get(key) is not None and not fields[key].strip()
    }
    if blank:
        raise ValidationError(blank)
    connection.kind = kind
    for key, value in fields.items():
        if value is not None:
            setattr(connection, key, value.strip() if key in SECRET_FIELDS else value)
    changed = [] if created else connection.urls_changed()
    if changed and fields.get("api_key") is None:
        raise ValidationError({key: "changing this URL needs the API key given again" for key in changed})
    connection.full_clean()  # the same validation as the admin form: a clear error, nothing saved
    connection.save()
    connection_schedule_update(connection)
    return connection, created
