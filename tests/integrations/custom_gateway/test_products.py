"""Custom Gateway's product manager client (products.py): the OAuth token shared through the
cache and refreshed once on 401, the GraphQL mutation's errors and partial answers in words, and
the User Image API. Vendor HTTP faked with `responses`."""

from __future__ import annotations

import json
import threading
import uuid
from urllib.parse import parse_qs

import pytest
import responses
from django.core.cache.backends.locmem import LocMemCache

from integrations.custom_gateway.products import (
    MUTATION,
    CustomGatewayProductsClient,
    GraphQLRefused,
    TokenRefused,
    token_cache_key,
)
from integrations.http import VendorBadResponse, VendorRetryable
from integrations.partners import ArtworkToPublish

TOKEN_URL = "https://oauth.example.test/token"
GRAPHQL_URL = "https://graphql.example.test/"
IMAGE_URL = "https://images.example.test/user-images"
SECRET = "client-secret-value"
ART = [ArtworkToPublish(design_name="Design #001", original_url="https://h/o.png", preview_url="https://h/p.png")]


def client(cache, **kwargs) -> CustomGatewayProductsClient:
    return CustomGatewayProductsClient(
        client_id="client-1",
        client_secret=SECRET,
        token_cache=cache,
        cache_key=token_cache_key(7, "client-1", TOKEN_URL),
        token_url=TOKEN_URL,
        graphql_url=GRAPHQL_URL,
        image_url=IMAGE_URL,
        retries=0,
        **kwargs,
    )


@pytest.fixture
def cache():
    return LocMemCache(f"products-test-{uuid.uuid4()}", {})  # its own store (locmem shares by name)


def token_answers(*tokens: str) -> None:
    for token in tokens:
        responses.post(TOKEN_URL, json={"token_type": "Bearer", "expires_in": 3600, "access_token": token})


def made(*ids):
    return {"data": {"createVirtualProductsFromArtwork": [{"id": i} for i in ids]}}


@responses.activate
def test_two_clients_sharing_the_cache_ask_for_one_token(cache):
    token_answers("tok-1")
    responses.post(GRAPHQL_URL, json=made("1"))
    responses.post(GRAPHQL_URL, json=made("2"))

    first = client(cache).create_virtual_products(base_products=["10"], category_id="5", artwork=ART)
    second = client(cache).create_virtual_products(base_products=["11"], category_id="5", artwork=ART)

    assert first.product_ids == ("1",) and second.product_ids == ("2",)
    token_calls = [c for c in responses.calls if c.request.url == TOKEN_URL]
    assert len(token_calls) == 1
    form = parse_qs(token_calls[0].request.body)
    assert form["grant_type"] == ["client_credentials"] and form["client_id"] == ["client-1"]
    graphql = [c for c in responses.calls if c.request.url == GRAPHQL_URL]
    assert all(c.request.headers["Authorization"] == "Bearer tok-1" for c in graphql)
    body = json.loads(graphql[0].request.body)
    assert body["query"] == MUTATION
    assert body["variables"] == {
        "baseProducts": ["10"],
        "categoryId": "5",
        "artwork": [
            {"design_name": "Design #001", "urls": {"preview": "https://h/p.png", "original": "https://h/o.png"}}
        ],
    }


def test_workers_in_two_threads_on_redis_ask_for_one_token(redis_url):
    """Two workers (threads, each its own client and cache connection, as two processes would
    have) on the shared Redis cache: the lock makes them ask for one token."""
    from django.core.cache.backends.redis import RedisCache

    caches = [RedisCache(redis_url, {"KEY_PREFIX": "products-test"}) for _ in range(2)]
    key = token_cache_key(7, "client-1", TOKEN_URL)
    caches[0].delete(key)
    caches[0].delete(f"{key}:lock")
    got: list[str] = []
    with responses.RequestsMock() as mock:
        started = threading.Event()

        def slow_token(request):
            started.set()
            threading.Event().wait(0.3)  # long enough for the other worker to want a token too
            return 200, {}, json.dumps({"access_token": "shared-token", "expires_in": 3600})

        mock.add_callback(responses.POST, TOKEN_URL, callback=slow_token)
        workers = [threading.Thread(target=lambda c=c: got.append(client(c).access_token())) for c in caches]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(10)
        assert got == ["shared-token", "shared-token"]
        assert len([c for c in mock.calls if c.request.url == TOKEN_URL]) == 1
    caches[0].delete(key)


@responses.activate
def test_a_401_gets_a_new_token_once_and_the_call_is_made_again(cache):
    token_answers("old", "new")
    responses.post(GRAPHQL_URL, status=401, json={"error": "invalid_token"})
    responses.post(GRAPHQL_URL, json=made("77"))

    answer = client(cache).create_virtual_products(base_products=["10"], category_id="5", artwork=ART)

    assert answer.product_ids == ("77",)
    auth = [c.request.headers["Authorization"] for c in responses.calls if c.request.url == GRAPHQL_URL]
    assert auth == ["Bearer old", "Bearer new"]
    assert cache.get(token_cache_key(7, "client-1", TOKEN_URL)) == "new"


@responses.activate
def test_a_second_401_is_refused_in_words_without_the_secret(cache):
    token_answers("old", "new")
    responses.post(GRAPHQL_URL, status=401, json={"error": "invalid_token"})
    responses.post(GRAPHQL_URL, status=401, json={"error": "invalid_token"})

    with pytest.raises(TokenRefused) as caught:
        client(cache).create_virtual_products(base_products=["10"], category_id="5", artwork=ART)

    assert "refused a new access token" in str(caught.value)
    assert SECRET not in str(caught.value) and "new" not in caught.value.excerpt
    assert len([c for c in responses.calls if c.request.url == GRAPHQL_URL]) == 2


@responses.activate
def test_bad_client_credentials_are_said_in_words(cache):
    responses.post(
        TOKEN_URL, status=401, json={"error": "invalid_client", "error_description": "Client authentication failed"}
    )

    with pytest.raises(TokenRefused) as caught:
        client(cache).create_virtual_products(base_products=["10"], category_id="5", artwork=ART)

    assert "Client authentication failed" in str(caught.value) and SECRET not in str(caught.value)


@responses.activate
def test_graphql_errors_without_data_are_raised_in_words(cache):
    token_answers("tok")
    responses.post(
        GRAPHQL_URL,
        json={
            "errors": [
                {
                    "message": "Category 9 not found",
                    "path": ["createVirtualProductsFromArtwork"],
                    "extensions": {"category": "user"},
                }
            ],
            "data": {"createVirtualProductsFromArtwork": None},
        },
    )

    with pytest.raises(GraphQLRefused) as caught:
        client(cache).create_virtual_products(base_products=["10"], category_id="9", artwork=ART)

    assert "Category 9 not found (at createVirtualProductsFromArtwork) [user]" in str(caught.value)
    assert caught.value.errors == ("Category 9 not found (at createVirtualProductsFromArtwork) [user]",)


@responses.activate
def test_a_partial_answer_keeps_the_ids_and_the_errors(cache):
    token_answers("tok")
    responses.post(
        GRAPHQL_URL,
        json={**made("5", "6"), "errors": [{"message": "Base product BAD-1 does not exist"}]},
    )

    answer = client(cache).create_virtual_products(base_products=["1", "2", "BAD-1"], category_id="9", artwork=ART)

    assert answer.product_ids == ("5", "6")
    assert answer.errors == ("Base product BAD-1 does not exist",)


@responses.activate
def test_bare_ids_are_read_too_and_a_server_error_is_retryable(cache):
    token_answers("tok")
    responses.post(GRAPHQL_URL, json={"data": {"createVirtualProductsFromArtwork": [41, "42"]}})
    responses.post(GRAPHQL_URL, status=502, body="<html>Bad gateway</html>")
    c = client(cache)

    assert c.create_virtual_products(base_products=["1", "2"], category_id="9", artwork=ART).product_ids == ("41", "42")
    with pytest.raises(VendorRetryable):
        c.create_virtual_products(base_products=["1"], category_id="9", artwork=ART)


@responses.activate
def test_user_image_upload_keeps_the_three_urls(cache):
    token_answers("tok")
    responses.post(
        IMAGE_URL,
        json={
            "urls": {"original": "https://cdn/o.png", "preview": "https://cdn/p.png", "processed": "https://cdn/x.png"}
        },
    )
    responses.post(IMAGE_URL, json={"urls": {"preview": "https://cdn/p.png"}})
    c = client(cache)

    hosted = c.upload_image("https://bo.example/files/artwork/abc/")

    assert (hosted.original, hosted.preview, hosted.processed) == (
        "https://cdn/o.png",
        "https://cdn/p.png",
        "https://cdn/x.png",
    )
    sent = responses.calls[-1].request
    assert parse_qs(sent.url.split("?", 1)[1]) == {"url": ["https://bo.example/files/artwork/abc/"]}
    assert sent.headers["Authorization"] == "Bearer tok"
    with pytest.raises(VendorBadResponse, match="no original URL"):
        c.upload_image("https://bo.example/files/artwork/abc/")
