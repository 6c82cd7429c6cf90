"""Fulfilment knows no vendor: a partner registered in the settings alone (its spec, its adapter,
its hooks, below) takes fulfilment orders, has its statuses (words, not numbers) mapped onto ours
and decided in our order, calls back through the one hook view, and is Reprocessed like any
other, with no other code changed."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from fulfilment.admin.orders import ShippingForm
from fulfilment.models import FulfilmentOrder, IncomingRequest, StatusEvent, VendorOrder
from fulfilment.services.orders import fulfilment_order_create, fulfilment_order_send, status_callback_url
from integrations.partners import (
    CodeTable,
    CreatedLine,
    CreatedOrder,
    FulfilmentStatus,
    HookInvalid,
    HookKind,
    IncomingHook,
    NotSupported,
    SendResult,
    StatusReport,
    VendorStatus,
)
from integrations.registry import Capability, Secret, VendorSpec
from orders.models import VendorConnection
from tests.factories import staff_in
from tests.fulfilment.fakes import FakeClient, FakePartner
from tests.fulfilment.test_flows import ADDRESS, approved_with_artwork

pytestmark = pytest.mark.django_db

CODES = {  # the next partner's codes are words
    "received": FulfilmentStatus.ACCEPTED,
    "printing": FulfilmentStatus.IN_PRODUCTION,
    "processingfailed": FulfilmentStatus.PROBLEM,
    "shipped": FulfilmentStatus.SHIPPED,
    "cancelled": FulfilmentStatus.CANCELLED,
}
SENT: list = []


class AcmePartner(FakePartner):
    label = "Acme Print"
    idempotent_send = True

    def request_body(self, order):
        return {"ref": order.reference, "lines": [[line.sku, line.quantity] for line in order.lines]}

    def send(self, order):
        SENT.append(order)
        lines = tuple(CreatedLine(line.reference, f"L-{line.reference}") for line in order.lines)
        return SendResult(created=(CreatedOrder("A-1", ref="ACME1", reference=order.reference, lines=lines),))

    def cancel(self, vendor_id):
        raise NotSupported("no cancel")

    def poll_status(self, vendor_id):
        raise NotSupported("no poll")

    @classmethod
    def status_of(cls, code):
        return VendorStatus(CODES.get(code), code, code.capitalize())

    @classmethod
    def reference_tables(cls):
        return [CodeTable("Acme states", tuple((code, status.label) for code, status in CODES.items()))]


def acme_verify(config, body, headers):
    expected = hmac.new(config.secrets["api_key"].encode(), body, hashlib.sha256).hexdigest()
    return "" if hmac.compare_digest(expected, headers.get("X-Acme-Signature", "")) else "signature does not match"


def acme_parse(body):
    try:
        data = json.loads(body)
        return [
            StatusReport(
                status=AcmePartner.status_of(str(data["state"])), reference=data["order"], vendor_id=data["id"]
            )
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise HookInvalid(f"not an Acme status: {exc}") from None


SPEC = VendorSpec(
    kind="acme_print",
    label="Acme Print",
    client=lambda config, options: FakeClient(),
    secrets=(Secret("api_key", "API key"),),
    capabilities=frozenset({Capability.FULFILMENT_SEND, Capability.STATUS_HOOKS}),
    partner=AcmePartner,
    hooks={"status": IncomingHook("Status", verify=acme_verify, parse=acme_parse, kind=HookKind.STATUS_CALLBACK)},
    rate_limits={"h": 100},
)


@pytest.fixture
def acme(settings):
    settings.VENDORS = [*settings.VENDORS, "tests.fulfilment.test_any_partner.SPEC"]
    connection = VendorConnection.objects.create(
        name="Acme", kind="acme_print", secrets={"api_key": "acme-secret"}, sync_every_minutes=None
    )
    SENT.clear()
    return connection


def callback(client, acme, state, *, key="acme-secret", slug="acme-print", token=None):
    ref = FulfilmentOrder.objects.get(connection=acme).external_ref
    body = json.dumps({"order": ref, "id": "A-1", "state": state}).encode()
    signature = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    url = reverse("fulfilment:hook", args=[slug, token or acme.hook_token, "status"])
    return client.post(url, data=body, content_type="application/json", headers={"X-Acme-Signature": signature})


@pytest.fixture
def sent(acme):
    order = fulfilment_order_create(connection=acme, customizations=[approved_with_artwork()], shipping=ADDRESS)
    return fulfilment_order_send(order)


def test_it_takes_fulfilment_orders_through_its_adapter(acme, sent):
    assert sent.state == FulfilmentOrder.State.SENT, sent.last_error
    (order,) = SENT
    assert order.address.country_code == "GB" and order.lines[0].files[0].url
    assert order.callback_url == status_callback_url(acme) and "/hooks/acme-print/" in order.callback_url
    assert sent.request_payload == {"ref": sent.external_ref, "lines": [["MUG-11", 1]]}
    assert VendorOrder.objects.get(connection=acme).vendor_id == "A-1"
    assert sent.items.get().vendor_id == f"L-{sent.items.get().external_ref}"
    assert list(ShippingForm().fields["connection"].queryset) == [acme]


def test_its_word_statuses_are_ours_in_our_order(client, acme, sent):
    assert callback(client, acme, "printing").json()["outcome"] == "applied"
    assert callback(client, acme, "received").json()["outcome"] == "late"  # older: kept, not applied
    assert callback(client, acme, "processingfailed").json()["outcome"] == "applied"  # a hold
    assert callback(client, acme, "shipped").json()["outcome"] == "applied"
    assert callback(client, acme, "cancelled").json()["outcome"] == "conflict"
    assert callback(client, acme, "lost-in-space").json()["outcome"] == "ignored"

    sent.refresh_from_db()
    assert (sent.status, sent.vendor_status_code, sent.vendor_status_name) == ("shipped", "shipped", "Shipped")
    assert "conflict: Cancelled after Shipped" in sent.status_conflict and "with Acme Print" in sent.status_conflict
    assert list(StatusEvent.objects.values_list("vendor_status_code", "effect")) == [
        ("printing", "apply"),
        ("received", "late"),
        ("processingfailed", "apply"),
        ("shipped", "apply"),
        ("cancelled", "conflict"),
        ("lost-in-space", "unknown"),
    ]


def test_its_hooks_are_verified_by_its_own_rule_and_found_by_vendor_and_token(client, acme, sent, gateway):
    bad = callback(client, acme, "printing", key="not-the-key")
    assert bad.status_code == 401
    assert IncomingRequest.objects.get().outcome == "rejected" and not StatusEvent.objects.exists()
    # A token is only good at its own vendor's URL.
    assert callback(client, acme, "printing", slug="custom-gateway").status_code == 404
    assert callback(client, acme, "printing", token=gateway.hook_token).status_code == 404
    wrong_hook = reverse("fulfilment:hook", args=["acme-print", acme.hook_token, "orders"])
    assert client.post(wrong_hook, data=b"{}", content_type="application/json").status_code == 404


def test_an_unreadable_body_is_recorded_and_reprocess_is_the_same_for_any_vendor(client, acme, sent, monkeypatch):
    url = reverse("fulfilment:hook", args=["acme-print", acme.hook_token, "status"])
    body = json.dumps({"order": sent.external_ref}).encode()
    signature = hmac.new(b"acme-secret", body, hashlib.sha256).hexdigest()

    response = client.post(url, data=body, content_type="application/json", headers={"X-Acme-Signature": signature})

    assert response.status_code == 400  # the hook's own answer for an unreadable verified body
    row = IncomingRequest.objects.get()
    assert (row.outcome, row.hook, row.kind) == ("invalid", "status", "status_callback")
    assert "not an Acme status" in row.note
    # A parser bug fixed: staff Reprocess it through the same mechanism.
    monkeypatch.setitem(
        SPEC.hooks, "status", IncomingHook("Status", verify=acme_verify, parse=lambda b: acme_parse(_fixed(b)))
    )
    client.force_login(staff_in("Manager", username="manager"))
    client.post(
        "/admin/fulfilment/incomingrequest/",
        {"action": "reprocess_selected", "_selected_action": [row.pk], "index": "0"},
    )
    row.refresh_from_db()
    sent.refresh_from_db()
    assert row.outcome == "applied" and sent.status == "accepted"


def _fixed(body):
    return json.dumps({**json.loads(body), "id": "A-1", "state": "received"}).encode()


def test_its_reference_tables_are_on_the_codes_page(client, acme):
    client.force_login(staff_in("Viewer", username="viewer"))
    page = client.get(reverse("admin:fulfilment_error_codes")).content.decode()
    assert "Acme Print: Acme states" in page and "<tr><th>processingfailed</th>" in page
    assert "Custom Gateway: Error codes" in page
