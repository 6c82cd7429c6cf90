"""Configuration history (django-auditlog): who changed what on connections, print
requirements, stock levels, routing rules and bad words; secrets and encrypted values never."""

import json

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from fulfilment.models import RoutingRule, StockLevel
from operations.audit import AUDITED
from operations.models import AutomationRule
from orders.models import BadWordList, PrintRequirement, VendorConnection
from tests.factories import staff_in

pytestmark = pytest.mark.django_db


def entries_of(obj):
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk).order_by("pk")


def everything_recorded() -> str:
    return json.dumps(list(LogEntry.objects.values("changes", "changes_text", "object_repr", "serialized_data")))


def test_every_configuration_model_is_recorded_with_who_and_what(gateway):
    from auditlog.context import set_actor

    manager = staff_in("Manager")
    with set_actor(manager):
        requirement = PrintRequirement.objects.create(template_id="T1", min_width=10, min_height=10)
        requirement.min_width = 20
        requirement.save()
        level = StockLevel.objects.create(connection=gateway, sku="MUG-1", quantity_available=3)
        rule = RoutingRule.objects.create(connection=gateway, sku="MUG-*")
        words = BadWordList.current()
        words.words = ["darn"]
        words.save()
        automation = AutomationRule.objects.create(name="Clean designs", kind="auto_approve")
        automation.enabled = False
        automation.save()
    change = entries_of(requirement).last()
    assert change.action == LogEntry.Action.UPDATE and change.actor == manager
    assert change.changes_dict == {"min_width": ["10", "20"]}
    for obj in (level, rule, words):
        assert entries_of(obj).filter(actor=manager).exists()
    switched_off = entries_of(automation).last()
    assert switched_off.actor == manager and switched_off.changes_dict == {"enabled": ["True", "False"]}
    assert {label for label, _ in AUDITED} >= {
        "orders.VendorConnection",
        "orders.PrintRequirement",
        "orders.BadWordList",
        "fulfilment.StockLevel",
        "fulfilment.RoutingRule",
        "operations.AutomationRule",
    }


def test_connection_secrets_and_the_hook_token_are_never_recorded():
    connection = VendorConnection(
        name="CG",
        kind="custom_gateway",
        settings={"company": "99999"},
        secrets={"api_key": "cg-api-key-SECRET-1", "push_hmac_key": "hmac-SECRET-2"},
        sync_every_minutes=None,
    )
    connection.save()
    token = connection.hook_token
    connection.secrets = {"api_key": "cg-api-key-SECRET-3", "push_hmac_key": "hmac-SECRET-4"}
    connection.hook_token_rotate()
    connection.lookback_days = 3
    connection.save()
    recorded = everything_recorded()
    for secret in ("SECRET-1", "SECRET-2", "SECRET-3", "SECRET-4", token, connection.hook_token):
        assert secret not in recorded
    created, changed = entries_of(connection)
    assert "secrets" not in created.changes_dict and "hook_token" not in created.changes_dict
    assert created.changes_dict["name"] == ["None", "CG"]
    # Only the secret changed besides the look-back: the change records the look-back alone.
    assert changed.changes_dict == {"lookback_days": ["30", "3"]}


def test_a_secret_only_change_records_nothing_secret(gateway):
    gateway.secrets = {"api_key": "rotated-SECRET-5", "push_hmac_key": "x"}
    gateway.save()
    assert "SECRET-5" not in everything_recorded()


def test_staff_change_through_the_admin_is_recorded_as_theirs_and_shown_to_viewers(gateway):
    manager = staff_in("Manager", username="mia")
    client = Client()
    client.force_login(manager)
    requirement = PrintRequirement.objects.create(template_id="T2", min_width=10, min_height=10)
    response = client.post(
        reverse("admin:orders_printrequirement_change", args=[requirement.pk]),
        {"connection": "", "template_id": "T2", "min_width": "50", "min_height": "10", "note": ""},
    )
    assert response.status_code == 302
    entry = entries_of(requirement).last()
    assert entry.actor == manager and entry.changes_dict["min_width"] == ["10", "50"]
    viewer = Client()
    viewer.force_login(staff_in("Viewer"))
    listing = viewer.get(reverse("admin:auditlog_logentry_changelist"))
    assert listing.status_code == 200 and "Template T2" in listing.content.decode()
    detail = viewer.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))
    assert detail.status_code == 200 and "mia" in detail.content.decode()
    # Nobody edits or deletes history.
    assert viewer.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).exists()
