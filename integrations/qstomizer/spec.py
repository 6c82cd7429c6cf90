"""Qstomizer's registry entry (vendor doc: qstomizer-api-v3.txt)."""

from __future__ import annotations

from ..registry import Capability, ConnectionConfig, HttpOptions, Secret, Setting, VendorSpec
from ..validators import base_url_setting, shopify_domain_validate
from .source import QstomizerSource
from .types import DEFAULT_BASE_URL


def client(config: ConnectionConfig, options: HttpOptions):
    from .client import QstomizerClient

    return QstomizerClient(
        api_key=config.secrets["api_key"],
        shop=config.settings["shop_domain"],
        base_url=config.settings.get("base_url") or DEFAULT_BASE_URL,
        **vars(options),
    )


SPEC = VendorSpec(
    kind="qstomizer",
    label="Qstomizer",
    client=client,
    settings=(
        Setting(
            "shop_domain",
            "Shop domain",
            help="The Shopify store, e.g. mystore.myshopify.com",
            required=True,
            validate=shopify_domain_validate,
            flag="--shop",
        ),
        base_url_setting(DEFAULT_BASE_URL),
    ),
    secrets=(Secret("api_key", "V3 API key", help="From Qstomizer's settings, API section."),),
    capabilities=frozenset({Capability.CUSTOMIZER_SYNC, Capability.PRINT_FILES}),
    sandbox="integrations.qstomizer.sandbox",
    source=QstomizerSource,
)
