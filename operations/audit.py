"""Configuration history: which models django-auditlog records (who changed what, when), in one
list.

Never recorded: a model's secrets and every encrypted value (any EncryptedTextField or
EncryptedJSONField is left out whether or not it is named here), nor bookkeeping timestamps."""

from __future__ import annotations

from django.apps import apps

from orders.fields import EncryptedJSONField, EncryptedTextField

# (model label, fields left out besides the encrypted ones)
AUDITED: list[tuple[str, list[str]]] = [
    (
        "orders.VendorConnection",
        ["secrets", "hook_token", "hook_token_hash", "synced_until", "periodic_task", "updated_at", "created_at"],
    ),
    ("orders.PrintRequirement", []),
    ("orders.BadWordList", ["updated_at"]),
    ("fulfilment.StockLevel", ["updated_at", "pushed_quantity", "pushed_at"]),
    ("fulfilment.RoutingRule", ["updated_at"]),
    ("operations.AutomationRule", ["created_at", "updated_at", "created_by", "changed_by"]),
]


def excluded_fields(model, named: list[str]) -> list[str]:
    encrypted = [
        field.name for field in model._meta.get_fields() if isinstance(field, EncryptedTextField | EncryptedJSONField)
    ]
    return sorted(set(named) | set(encrypted))


def audit_register() -> None:
    from auditlog.registry import auditlog

    for label, named in AUDITED:
        model = apps.get_model(label)
        if not auditlog.contains(model):
            excluded = excluded_fields(model, named)
            # Its own columns only (not reverse relations), less the excluded ones.
            included = [field.name for field in model._meta.concrete_fields if field.name not in excluded]
            auditlog.register(model, include_fields=included, exclude_fields=excluded)
