"""The fake vendor's registry entry: a customizer with its own settings and secret names."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from integrations.registry import Capability, ConnectionConfig, HttpOptions, Secret, Setting, VendorSpec
from integrations.validators import connection_url_validate


def _tenant_validate(value: str) -> None:
    if not value.isalpha():
        raise ValidationError(f'"{value}" is not a tenant: letters only.')


def client(config: ConnectionConfig, options: HttpOptions):
    from .client import FakeVendorClient

    return FakeVendorClient(
        tenant=config.settings["tenant"],
        access_token=config.secrets["access_token"],
        endpoint=config.settings["endpoint"],
        options=options,
    )


def source(client, page_size=None):
    from .source import FakeVendorSource

    return FakeVendorSource(client, page_size=page_size)


SPEC = VendorSpec(
    kind="fake_vendor",
    label="Fake Vendor",
    client=client,
    settings=(
        Setting("tenant", "Tenant", help="Letters only.", required=True, validate=_tenant_validate),
        Setting(
            "endpoint",
            "Endpoint",
            help="Blank: the vendor's.",
            default="https://api.fake-vendor.example/v1",
            type="url",
            validate=connection_url_validate,
            sends_secrets=True,
            flag="--fake-endpoint",
        ),
        Setting("page_size", "Page size", default=50, type="int"),
    ),
    secrets=(Secret("access_token", "Access token"),),
    capabilities=frozenset({Capability.CUSTOMIZER_SYNC}),
    source=source,
)
