"""The vendor's hooks (status callbacks, order pushes) against hostile and broken input: the
connection is found by its token first, bodies are capped, unverified traffic is rate-limited,
authentic but malformed input is recorded with its reason, and nothing answers 500."""

import hashlib
import hmac
import json
import random
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fulfilment.models import IncomingRequest, PushedOrder, StatusEvent
from fulfilment.services import incoming as incoming_services
from tests.factories import FulfilmentOrderFactory, staff_in

pytestmark = pytest.mark.django_db

INCOMING_URL = "/admin/fulfilment/incomingrequest/"
PUSH_KEY = "push-hmac-key-secret"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def callback_url(token):
    return reverse("fulfilment:hook", args=["custom-gateway", token, "status"])


def push_url(token):
    return reverse("fulfilment:hook", args=["custom-gateway", token, "orders"])


def sign(body: bytes, key=PUSH_KEY):
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def put(client, token, body: bytes, **kwargs):
    return client.put(callback_url(token), data=body, content_type="application/json", **kwargs)


def post_push(client, token, body: bytes, signature=None):
    signature = sign(body) if signature is None else signature
    return client.post(
        push_url(token), data=body, content_type="application/json", headers={"X-CustomGateway-Hmac": signature}
    )


STATUS = {"id": 501, "external_ref": "BO-000001", "ref": "R", "status": 4, "status_name": "In Production"}
PUSH = {
    "id": 7001,
    "ref": "CG7001",
    "external_ref": "SHOP-1",
    "shipping_country_code": "GB",
    "items": [{"id": 1, "type": 1, "sku": "MUG", "quantity": 2, "assets": []}],
}


# -- the token first ------------------------------------------------------------------------------


def test_an_unknown_token_stores_no_body_only_a_summary(client, gateway):
    body = json.dumps({**STATUS, "secret": "stranger's bytes"}).encode()

    response = put(client, "guessed-token", body, headers={"X-Custom": "x"})

    assert response.status_code == 404
    row = IncomingRequest.objects.get()
    assert (row.outcome, row.body, row.headers, row.size_bytes) == ("rejected", "", {}, len(body))
    assert row.remote_addr == "127.0.0.1" and row.connection is None
    assert "guessed-token" not in f"{row.note}{row.headers}{row.body}"


def test_a_body_over_the_cap_is_refused_with_a_reason_and_not_stored(client, gateway, settings):
    settings.INCOMING_MAX_BODY_BYTES = 1000
    body = json.dumps({**STATUS, "padding": "x" * 2000}).encode()

    response = put(client, gateway.hook_token, body)

    assert response.status_code == 413 and "over the 1000-byte cap" in response.json()["error"]
    row = IncomingRequest.objects.get()
    assert (row.outcome, row.body, row.size_bytes) == ("invalid", "", len(body))
    assert row.connection == gateway and "over the 1000-byte cap" in row.note


def test_behind_a_proxy_unverified_traffic_is_counted_per_client_not_per_proxy(client, gateway, settings):
    settings.HOOK_UNVERIFIED_RATE, settings.TRUSTED_PROXY_COUNT = 3, 1
    body = json.dumps(STATUS).encode()

    def guess(n, client_address):
        return put(client, f"guess-{n}", body, HTTP_X_FORWARDED_FOR=client_address).status_code

    assert [guess(n, "203.0.113.7") for n in range(4)] == [404, 404, 404, 429]
    # Another client through the same proxy (same REMOTE_ADDR) is not held back by the first.
    assert guess(9, "198.51.100.2") == 404
    assert set(IncomingRequest.objects.values_list("remote_addr", flat=True)) == {"203.0.113.7", "198.51.100.2"}


def test_unverified_traffic_is_rate_limited_per_address_but_a_verified_burst_is_not(
    client, gateway, sent_order, settings
):
    settings.HOOK_UNVERIFIED_RATE = 5
    body = json.dumps(STATUS).encode()
    answers = [put(client, f"guess-{n}", body).status_code for n in range(4)]
    push_answers = [post_push(client, gateway.hook_token, b"{}", signature="bad").status_code]  # bad HMAC
    limited = put(client, "guess-6", body)

    assert answers == [404] * 4 and push_answers == [401]
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert IncomingRequest.objects.count() == 5  # the limited one is not stored
    # The vendor itself, from the same address, verified: never limited.
    verified = [put(client, gateway.hook_token, json.dumps({**STATUS, "status": code}).encode()) for code in (1, 4, 8)]
    verified += [post_push(client, gateway.hook_token, json.dumps({**PUSH, "id": n}).encode()) for n in range(10)]
    assert [r.status_code for r in verified] == [200] * 13


# -- authentic but malformed ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"status": 1e20}, "status 1e+20 is not a whole number in range"),
        ({"status": "2.5"}, "status '2.5' is not a whole number"),
        ({"status": True}, "status true is not a whole number"),
        ({"status": -1}, "status -1 is out of range"),
        ({"status": 2**63}, "is out of range"),
        ({"status": {"code": 8}}, 'status {"code": 8} is not a whole number'),
        ({"external_ref": ["BO-000001"], "id": None}, "external_ref"),
    ],
)
def test_a_malformed_callback_is_recorded_invalid_with_its_reason(client, gateway, sent_order, change, reason):
    body = json.dumps({**STATUS, **change}).encode()

    response = put(client, gateway.hook_token, body)

    assert response.status_code == 200  # the vendor's retry of the same bytes cannot fix it
    row = IncomingRequest.objects.get()
    assert row.outcome == "invalid" and row.verified and reason in row.note
    assert row.body == body.decode()
    assert not StatusEvent.objects.exists()


@pytest.mark.parametrize(
    "items, reason",
    [
        ([{"id": 1, "quantity": "2.5"}], "item 1 quantity '2.5' is not a whole number"),
        (["not an object"], "item 1 is not an object"),
        ([{"id": 1, "quantity": 2**40}], "item 1 quantity 1099511627776 is out of range"),
        ([{"id": 1, "quantity": 0}], "item 1 quantity 0 is out of range"),
        ([{"id": 1, "type": 1e20}], "item 1 type 1e+20 is not a whole number"),
        ([{"id": 1, "assets": [7]}], "item 1 asset 1 is not an object"),
        ({"id": 1}, "items is not a list"),
    ],
)
def test_a_malformed_push_gets_400_and_is_recorded_with_its_reason(client, gateway, items, reason):
    body = json.dumps({**PUSH, "items": items}).encode()

    response = post_push(client, gateway.hook_token, body)

    assert response.status_code == 400
    row = IncomingRequest.objects.get()
    assert row.outcome == "invalid" and reason in row.note and row.body == body.decode()
    assert not PushedOrder.objects.exists()


def test_long_strings_are_capped_to_their_columns(client, gateway):
    body = json.dumps({**PUSH, "customer_name": "A" * 5000, "shipping_country_code": "GBR"}).encode()

    assert post_push(client, gateway.hook_token, body).status_code == 200
    order = PushedOrder.objects.get()
    assert len(order.customer_name) == 255 and order.shipping_country_code == "GB"


def malformed_bodies(seed=7):
    """Generated junk: wrong types, huge numbers, nested junk, invalid UTF-8, empty, 2 MB."""
    rng = random.Random(seed)
    junk = [None, True, False, -1, 0, 2**31, 2**63, 1e20, -1e308, 2.5, "2.5", "", "x" * 300, [], {}, [[[]]]]
    junk += [{"a": {"b": [1, {"c": None}]}}, "\u0000", "\ud800".encode("utf-8", "surrogatepass").decode("latin-1")]
    bodies = [b"", b" ", b"null", b"[]", b"42", b'"text"', b"{", b"\xff\xfe\xfd", b'{"status": 1}\xff', b"[" * 5000]
    bodies.append(json.dumps({**STATUS, "padding": "x" * (2 * 1024 * 1024)}).encode())  # 2 MB
    fields = ["id", "external_ref", "ref", "status", "status_name", "shipping_tracking", "items"]
    for _ in range(60):
        body = dict(STATUS) if rng.random() < 0.5 else dict(PUSH)
        for name in rng.sample(fields, rng.randint(1, 3)):
            body[name] = rng.choice(junk)
        if rng.random() < 0.3:
            body["items"] = [rng.choice(junk) for _ in range(rng.randint(1, 3))]
        bodies.append(json.dumps(body).encode())
    return bodies


def test_fuzz_no_malformed_body_gets_a_500_and_every_one_is_recorded(client, gateway, sent_order, settings):
    settings.HOOK_UNVERIFIED_RATE = 10_000
    bodies = malformed_bodies()
    statuses = []
    for body in bodies:
        statuses.append(put(client, gateway.hook_token, body).status_code)
        statuses.append(post_push(client, gateway.hook_token, body).status_code)

    assert len(statuses) == 2 * len(bodies) and max(statuses) < 500, sorted(set(statuses))
    rows = IncomingRequest.objects.all()
    assert rows.count() == len(statuses)
    assert not rows.filter(outcome__in=["received", "error"]).exists()
    assert not rows.filter(note="").exists()  # each with its reason
    print(f"fuzz: {len(statuses)} malformed requests, statuses {sorted(set(statuses))}, 0 answered 5xx")


def test_an_unexpected_error_is_kept_with_its_traceback_and_reprocessed_after_the_fix(
    client, gateway, sent_order, monkeypatch
):
    def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(incoming_services, "status_update_apply", broken)
    response = put(client, gateway.hook_token, json.dumps(STATUS).encode())

    assert response.status_code == 503  # the vendor retries; staff can also Reprocess
    row = IncomingRequest.objects.get()
    assert row.outcome == "error" and "RuntimeError: a bug" in row.error_traceback

    monkeypatch.undo()  # "the fix"
    manager = staff_in("Manager", username="manager")
    client.force_login(manager)
    client.post(INCOMING_URL, {"action": "reprocess_selected", "_selected_action": [row.pk], "index": "0"})

    row.refresh_from_db()
    sent_order.refresh_from_db()
    assert row.outcome == "applied" and row.reprocessed_by == manager and row.error_traceback == ""
    assert sent_order.vendor_status_code == "4"


# -- Reprocess ------------------------------------------------------------------------------------


def test_reprocess_applies_once_and_needs_the_permission(client, gateway):
    early = put(client, gateway.hook_token, json.dumps(STATUS).encode())  # before we know the order
    assert early.json()["outcome"] == "unmatched"
    row = IncomingRequest.objects.get()
    order = FulfilmentOrderFactory(connection=gateway, external_ref="BO-000001", state="sent")
    reprocess = {"action": "reprocess_selected", "_selected_action": [row.pk], "index": "0"}

    client.force_login(staff_in("Reviewer", username="reviewer"))
    assert "reprocess_selected" not in client.get(INCOMING_URL).content.decode()
    client.post(INCOMING_URL, reprocess)
    row.refresh_from_db()
    assert row.outcome == "unmatched" and row.reprocessed_at is None

    client.force_login(staff_in("Manager", username="manager"))
    assert "reprocess_selected" in client.get(INCOMING_URL).content.decode()
    client.post(INCOMING_URL, reprocess)
    row.refresh_from_db()
    order.refresh_from_db()
    assert row.outcome == "applied" and order.vendor_status_code == "4"

    client.post(INCOMING_URL, reprocess)  # a replay changes nothing
    row.refresh_from_db()
    assert row.outcome == "duplicate" and StatusEvent.objects.count() == 1


# -- retention ------------------------------------------------------------------------------------


def test_prune_incoming_deletes_raw_requests_past_the_retention(client, gateway, sent_order, settings):
    settings.INCOMING_RETENTION_DAYS = 30
    put(client, gateway.hook_token, json.dumps(STATUS).encode())
    put(client, gateway.hook_token, json.dumps({**STATUS, "status": 8}).encode())
    old = IncomingRequest.objects.order_by("id").first()
    IncomingRequest.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=31))

    call_command("prune_incoming")

    assert IncomingRequest.objects.count() == 1 and not IncomingRequest.objects.filter(pk=old.pk).exists()
    assert StatusEvent.objects.count() == 2  # what the requests led to stays


def test_hook_answers_never_log_the_token_in_the_url(client, gateway, caplog, monkeypatch):
    body = json.dumps({**PUSH, "items": ["junk"]}).encode()
    with caplog.at_level("WARNING"):
        assert post_push(client, gateway.hook_token, body).status_code == 400
        assert post_push(client, gateway.hook_token, body, signature="bad").status_code == 401

        def database_gone(token):
            raise incoming_services.VendorConnection.DoesNotExist("the database is gone")

        monkeypatch.setattr("fulfilment.views.connection_for_token", database_gone)
        assert put(client, gateway.hook_token, json.dumps(STATUS).encode()).status_code == 503

    assert "Bad Request: /hooks/custom-gateway/***/orders/" in caplog.text
    assert "Unauthorized: /hooks/custom-gateway/***/orders/" in caplog.text
    assert "Service Unavailable: /hooks/custom-gateway/***/status/" in caplog.text
    assert gateway.hook_token not in caplog.text


def test_a_hook_skips_the_staff_pages_middleware_and_keeps_the_headers_that_matter(
    client, gateway, sent_order, settings
):
    # Logged in as staff (a session cookie sent along): a hook reads no session, sets no cookie,
    # varies on nothing and records no actor; its JSON answer still may not be framed or run.
    settings.ALLOWED_HOSTS = ["testserver"]
    client.force_login(staff_in("Manager"))
    payload = json.dumps({"id": 501, "external_ref": "BO-000001", "status": 4}).encode()
    response = client.put(callback_url(gateway.hook_token), data=payload, content_type="application/json")

    assert response.status_code == 200 and response.json()["ok"]
    assert not response.cookies and "Vary" not in response
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware still runs
    assert not hasattr(response.wsgi_request, "user") and not hasattr(response.wsgi_request, "session")

    # A Host not in ALLOWED_HOSTS is refused as on every other page.
    stranger = client.put(
        callback_url(gateway.hook_token), data=payload, content_type="application/json", HTTP_HOST="evil.example"
    )
    assert stranger.status_code == 400
    # Any other page goes through the whole stack.
    assert client.get(INCOMING_URL).wsgi_request.user.is_authenticated
