"""Ideal Factory's registry entry as the app reads it: a connection's settings validated in words,
and *Test connection* through the spec's client against the sandbox over HTTP."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from integrations.idealfactory import sandbox as if_sandbox
from integrations.registry import Capability, spec_for
from orders.models import VendorConnection
from orders.services.connections import connection_check
from tests.factories import VendorConnectionFactory

pytestmark = pytest.mark.django_db


def test_the_spec_declares_what_the_oms_does():
    spec = spec_for("idealfactory")
    assert spec.label == "Ideal Factory" and spec.slug == "idealfactory"
    assert spec.capabilities == {
        Capability.FULFILMENT_SEND,
        Capability.FULFILMENT_CANCEL,
        Capability.FULFILMENT_UPDATE,
        Capability.STATUS_POLL,
        Capability.PRINT_FILE_POLLING,
        Capability.CATALOGUE,
        Capability.BATCH_ORDERS,
    }
    base_url = next(s for s in spec.settings if s.name == "base_url")
    assert base_url.required and base_url.sends_secrets
    assert [s.name for s in spec.secrets] == ["api_token"] and not spec.rate_limits


@pytest.mark.parametrize(
    ("settings", "field", "words"),
    [
        ({"store_ids": "a,,b"}, "store_ids", "empty"),
        ({"store_ids": "x" * 65}, "store_ids", "longer than 64"),
        ({"store_ids": ""}, "store_ids", "needs the store ids"),
        ({"base_url": ""}, "base_url", "needs the base URL"),
        ({"base_url": "ftp://oms.example.com"}, "base_url", ""),
    ],
)
def test_bad_settings_are_refused_in_words(settings, field, words):
    connection = VendorConnectionFactory.build(kind="idealfactory")
    connection.settings = {**connection.settings, **settings}
    with pytest.raises(ValidationError) as caught:
        connection.full_clean()
    assert field in caught.value.message_dict
    assert words in " ".join(caught.value.message_dict[field])


def test_test_connection_against_the_sandbox(sandbox_server, settings):
    if_sandbox.reset()
    connection = VendorConnection.objects.create(
        name="IF sandbox",
        kind="idealfactory",
        settings={
            "base_url": if_sandbox.base_url(sandbox_server.url),
            "store_ids": "demo-store",
            "create_print_files": True,
        },
        secrets={"api_token": settings.SANDBOX_API_KEY},
        sync_every_minutes=None,
    )
    assert connection_check(connection).startswith("Connected to Ideal Factory")
