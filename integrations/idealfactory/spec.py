"""Ideal Factory OMS's registry entry (vendor doc: oms-api-v1.txt): we send it orders (and update
or delete them), poll their print files (it may notify us that some are ready), manage its product
catalogue and combine items into batch orders."""

from __future__ import annotations

from ..partners import HookKind, IncomingHook
from ..registry import Capability, ConnectionConfig, HttpOptions, Secret, Setting, VendorSpec
from ..validators import connection_url_validate
from .partner import IdealFactoryPartner, print_files_hook_parse
from .types import store_ids_problem


def client(config: ConnectionConfig, options: HttpOptions):
    from .client import IdealFactoryClient

    return IdealFactoryClient(
        base_url=str(config.settings.get("base_url") or ""), api_token=config.secrets["api_token"], **vars(options)
    )


def _store_ids_validate(value: str) -> None:
    problem = store_ids_problem(value)
    if problem:
        raise ValueError(problem)


SPEC = VendorSpec(
    kind="idealfactory",
    label="Ideal Factory",
    client=client,
    settings=(
        Setting(
            "base_url",
            "Base URL",
            help="The OMS API root, e.g. https://HOST/api/v1 (Ideal Factory gives the host; the doc names none).",
            required=True,
            type="url",
            validate=connection_url_validate,
            sends_secrets=True,
        ),
        Setting(
            "store_ids",
            "Store ids",
            help="One or more store ids Ideal Factory assigned, comma- or space-separated; the first is the default.",
            required=True,
            validate=_store_ids_validate,
        ),
        Setting(
            "create_print_files",
            "Create print files at once",
            help="Ask the OMS to make each item's print file as soon as the order arrives.",
            default=True,
            type="bool",
        ),
    ),
    secrets=(Secret("api_token", "API token"),),
    capabilities=frozenset(
        {
            Capability.FULFILMENT_SEND,
            Capability.FULFILMENT_CANCEL,
            Capability.FULFILMENT_UPDATE,
            Capability.STATUS_POLL,
            Capability.PRINT_FILE_POLLING,
            Capability.CATALOGUE,
            Capability.BATCH_ORDERS,
        }
    ),
    sandbox="integrations.idealfactory.sandbox",
    partner=IdealFactoryPartner,
    hooks={
        # The doc promises a notification "when certain order items are ready to be printed" with
        # no format, method or signature: the URL's secret token is the proof, any body is only a
        # trigger to poll, and an unreadable one still gets 200 (the same bytes cannot get better).
        "print-files": IncomingHook(
            "Print files ready",
            verify=None,
            parse=print_files_hook_parse,
            kind=HookKind.PRINT_FILES_READY,
            methods=("POST", "GET", "PUT"),
            invalid_status=200,
        ),
    },
    # No rate limits documented.
)
