"""Kickflip's and MyCustomizer's registry entries: one API (vendor doc: mycustomizer-api.txt),
two kinds; Kickflip adds the word filter."""

from __future__ import annotations

from ..registry import Capability, ConnectionConfig, HttpOptions, Secret, Setting, VendorSpec
from ..validators import base_url_setting, company_slug_validate
from .source import MyCustomizerSource
from .types import DEFAULT_BASE_URL


def _client(cls_name: str):
    def client(config: ConnectionConfig, options: HttpOptions):
        from . import client as module

        return getattr(module, cls_name)(
            token=config.secrets["api_key"],
            company=config.settings["company"],
            base_url=config.settings.get("base_url") or DEFAULT_BASE_URL,
            **vars(options),
        )

    return client


def _spec(kind: str, label: str, cls_name: str, extra: frozenset) -> VendorSpec:
    return VendorSpec(
        kind=kind,
        label=label,
        client=_client(cls_name),
        settings=(
            Setting(
                "company",
                "Company / brand",
                help="Your company or brand name, as in the API's URLs.",
                required=True,
                validate=company_slug_validate,
            ),
            base_url_setting(DEFAULT_BASE_URL),
        ),
        secrets=(Secret("api_key", "API token (JWT)", flag="--token"),),
        capabilities=frozenset({Capability.CUSTOMIZER_SYNC}) | extra,
        sandbox="integrations.mycustomizer.sandbox",
        source=MyCustomizerSource,
    )


KICKFLIP = _spec("kickflip", "Kickflip", "KickflipClient", frozenset({Capability.WORD_FILTER}))
MYCUSTOMIZER = _spec("mycustomizer", "MyCustomizer", "MyCustomizerClient", frozenset())
