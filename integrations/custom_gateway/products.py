"""Custom Gateway's product manager (vendor doc: custom-gateway-api.txt, "GraphQL" and "Storing
Images"): virtual products made from approved artwork, and the User Image API that hosts it.

- OAuth client credentials: POST client_id, client_secret, grant_type=client_credentials and the
  scopes to the token endpoint; the answer's `access_token` is "valid for 3600 seconds" and goes
  in `Authorization: Bearer` on every later call. The token is kept in Django's cache (keyed by
  connection, client id and token URL) until shortly before it expires, so every worker of every
  process that shares the cache uses one token; a lock in the cache makes concurrent workers ask
  for it once. A 401 drops the token and asks for a new one, once.
- GraphQL: `createVirtualProductsFromArtwork(baseProducts, categoryId, artwork)`. An answer's
  `errors` array is turned into words; `data` may be partial (some ids and some errors).
- User Image API: POST ?url=<where the image is>; the vendor downloads it, makes a live preview
  and answers {"urls": {"original", "preview", "processed"}}.

The doc lost every URL from its samples; the defaults below are GUESSES from the vendor's public
pages, each a connection setting (check them with Custom Gateway before going live).

Plain Python and Django's cache: no model.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import requests

from integrations.http import VendorClient, VendorRejected, http_options
from integrations.partners import ArtworkToPublish, HostedImage, NotSupported, VirtualProductsAnswer
from integrations.registry import ConnectionConfig

logger = logging.getLogger(__name__)

# Guesses (see the docstring): the vendor's OAuth and GraphQL hosts, and its User Image API.
DEFAULT_TOKEN_URL = "https://oauth.custom-gateway.net/token"  # noqa: S105 (a URL, not a password)
DEFAULT_GRAPHQL_URL = "https://graphql.custom-gateway.net"
DEFAULT_USER_IMAGE_URL = "https://my.custom-gateway.net/api/user-images"
# The doc's "Required scopes:" lost its list; the vendor's page for this mutation names this one.
DEFAULT_SCOPES = "products.customisable.create"
# "The access token is valid for 3600 seconds": used when the answer has no `expires_in`.
TOKEN_LIFETIME = 3600
# Dropped this long before it expires, so a call never starts with a token about to lapse.
TOKEN_MARGIN = 60
# How long one worker may take to fetch a token while the others wait for it.
TOKEN_LOCK_SECONDS = 10
TOKEN_WAIT_STEP = 0.05

# The doc's mutation. Its selection set was lost with the URLs, and its sample reads the field as
# the ids (`['data']['createVirtualProductsFromArtwork']`): we ask for `id` and read an entry
# that is an object with an id, or a bare id (the least convenient reading: either may come).
MUTATION = """mutation($baseProducts: [ID]!, $categoryId: ID!, $artwork: [CreateVirtualProductsFromArtworkArtwork]!) {
    createVirtualProductsFromArtwork(baseProducts: $baseProducts, categoryId: $categoryId, artwork: $artwork) {
        id
    }
}"""
MUTATION_FIELD = "createVirtualProductsFromArtwork"


class TokenRefused(VendorRejected):
    """The token endpoint refused the client id and secret (or the GraphQL API still said 401
    with a fresh token): fix the connection's OAuth client, retrying won't help."""


class GraphQLRefused(VendorRejected):
    """The GraphQL API answered with errors and no result. `errors` are the vendor's, in words."""

    def __init__(self, message: str, *, errors: Sequence[str] = (), **kwargs: Any):
        super().__init__(message, **kwargs)
        self.errors = tuple(errors)


def token_cache_key(connection_id: int | None, client_id: str, token_url: str) -> str:
    """One token per connection and OAuth client (a changed client id or URL is a new key); the
    client id is hashed, so the key shows nothing of it."""
    digest = hashlib.sha256(f"{connection_id}|{client_id}|{token_url}".encode()).hexdigest()[:32]
    return f"custom-gateway:oauth:{digest}"


def graphql_error_words(error: Any) -> str:
    """One entry of a GraphQL `errors` array, in words: its message, where it happened and its
    category or code when given."""
    if not isinstance(error, dict):
        return str(error)[:300]
    message = str(error.get("message") or "an error without a message")[:300]
    path = error.get("path")
    where = f" (at {'.'.join(str(p) for p in path)})" if isinstance(path, list) and path else ""
    extensions = error.get("extensions")
    if not isinstance(extensions, dict):
        extensions = {}
    kind = extensions.get("category") or extensions.get("code") or ""
    return f"{message}{where}{f' [{kind}]' if kind else ''}"


class CustomGatewayProductsClient(VendorClient):
    """The product manager's GraphQL API and the User Image API, with an OAuth bearer token."""

    vendor = "Custom Gateway"

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        token_cache: Any,
        cache_key: str,
        token_url: str = DEFAULT_TOKEN_URL,
        graphql_url: str = DEFAULT_GRAPHQL_URL,
        image_url: str = DEFAULT_USER_IMAGE_URL,
        scopes: str = DEFAULT_SCOPES,
        **kwargs: Any,
    ):
        if not client_id or not client_secret:
            raise ValueError(f"{self.vendor}'s product manager needs the OAuth client id and secret")
        super().__init__(base_url=graphql_url or DEFAULT_GRAPHQL_URL, secrets=[client_secret], **kwargs)
        self.client_id = client_id
        self._client_secret = client_secret
        self.token_cache = token_cache
        self.cache_key = cache_key
        self.token_url = token_url or DEFAULT_TOKEN_URL
        self.graphql_url = graphql_url or DEFAULT_GRAPHQL_URL
        self.image_url = image_url or DEFAULT_USER_IMAGE_URL
        self.scopes = scopes
        self.token_requests = 0

    # -- the token ------------------------------------------------------------------------------

    def access_token(self, *, stale: str | None = None) -> str:
        """The cached token, or a new one (asked once however many workers want it at the same
        moment). `stale`: a token the API refused, never handed back."""
        token = self._cached(stale)
        if token:
            return token
        lock = f"{self.cache_key}:lock"
        locked = self.token_cache.add(lock, "1", timeout=TOKEN_LOCK_SECONDS)
        if not locked:
            deadline = time.monotonic() + TOKEN_LOCK_SECONDS
            while time.monotonic() < deadline:
                time.sleep(TOKEN_WAIT_STEP)
                if token := self._cached(stale):
                    return token
            # The worker holding the lock died or hangs: ask ourselves.
        try:
            token = self._cached(stale)  # asked by another worker between our look and the lock
            if token:
                return token
            token, lifetime = self._token_request()
            self.token_cache.set(self.cache_key, token, timeout=max(1, lifetime - TOKEN_MARGIN))
            return token
        finally:
            if locked:
                self.token_cache.delete(lock)

    def _cached(self, stale: str | None) -> str:
        token = self.token_cache.get(self.cache_key) or ""
        if token and token == stale:
            return ""
        if token and token not in self._secrets:
            self._secrets.append(token)
        return token

    def forget_token(self, token: str) -> None:
        """Drop `token` from the cache unless another worker has replaced it already."""
        if self.token_cache.get(self.cache_key) == token:
            self.token_cache.delete(self.cache_key)

    def _token_request(self) -> tuple[str, int]:
        self.token_requests += 1
        form = {
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "grant_type": "client_credentials",
            "scope": self.scopes,
        }
        response = self.send("POST", self.token_url, data=form, headers={"Accept": "application/json"})
        if response.status_code in (400, 401, 403):
            raise TokenRefused(
                "the OAuth token endpoint refused the connection's client id and secret "
                f"({self._oauth_error(response)}): check them on the connection",
                vendor=self.vendor,
                status=response.status_code,
                excerpt=self.scrub(response.text[:300]),
            )
        if response.status_code >= 400:
            raise self.error_for(response, "the OAuth token endpoint could not give a token now")
        body = self.parse_json(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise self.bad_response(response, "the OAuth token endpoint's answer has no access_token")
        self._secrets.append(token)
        try:
            lifetime = int(body.get("expires_in") or TOKEN_LIFETIME)
        except (TypeError, ValueError):
            lifetime = TOKEN_LIFETIME
        logger.info("%s: a new OAuth access token, valid for %s s", self.vendor, lifetime)
        return token, min(max(lifetime, 1), TOKEN_LIFETIME * 24)

    @staticmethod
    def _oauth_error(response: requests.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return f"HTTP {response.status_code}"
        if isinstance(body, dict):
            said = body.get("error_description") or body.get("message") or body.get("error")
            if said:
                return str(said)[:200]
        return f"HTTP {response.status_code}"

    def authorized(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One call with the bearer token; on a 401 the token is dropped and the call made once
        more with a new one. A second 401 raises TokenRefused. Other statuses are the caller's."""
        token = self.access_token()
        response = self.send(method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        if response.status_code != 401:
            return response
        logger.info("%s: the access token was refused (401); asking for a new one", self.vendor)
        self.forget_token(token)
        token = self.access_token(stale=token)
        response = self.send(method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        if response.status_code == 401:
            self.forget_token(token)
            raise TokenRefused(
                "Custom Gateway refused a new access token too (401): the OAuth client may lack the "
                f"scopes ({self.scopes}) or access to the products and category",
                vendor=self.vendor,
                status=401,
                excerpt=self.scrub(response.text[:300]),
            )
        return response

    # -- GraphQL -------------------------------------------------------------------------------

    def graphql(self, query: str, variables: dict[str, Any]) -> tuple[dict | None, list[str], Any]:
        """POST a query: its `data` (None when absent), its `errors` in words, and the whole body.
        A GraphQL server may answer errors with HTTP 200 or 400 and a JSON body: both are read;
        other failures raise (VendorRetryable for 5xx and timeouts, VendorRejected for 4xx)."""
        response = self.authorized("POST", self.graphql_url, json={"query": query, "variables": variables})
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or ("data" not in body and "errors" not in body):
            if response.status_code >= 400:
                raise self.error_for(response)
            raise self.bad_response(response, "the GraphQL answer has neither data nor errors")
        if response.status_code >= 500 and not body.get("data"):
            raise self.error_for(response)
        errors = body.get("errors") or []
        words = [graphql_error_words(e) for e in (errors if isinstance(errors, list) else [errors])]
        data = body.get("data") if isinstance(body.get("data"), dict) else None
        return data, words, body

    def create_virtual_products(
        self, *, base_products: Sequence[str], category_id: str, artwork: Sequence[ArtworkToPublish]
    ) -> VirtualProductsAnswer:
        """The doc's mutation with its three variables. Never retried (a POST that creates).
        Raises GraphQLRefused when the answer has no product at all (its errors in words)."""
        bases = [str(b).strip() for b in base_products if str(b).strip()]
        if not bases:
            raise ValueError("at least one base product id is needed")
        if not str(category_id).strip():
            raise ValueError("the target category id is needed")
        if not artwork:
            raise ValueError("at least one artwork is needed")
        variables = {
            "baseProducts": bases,
            "categoryId": str(category_id).strip(),
            "artwork": [
                {"design_name": a.design_name, "urls": {"preview": a.preview_url, "original": a.original_url}}
                for a in artwork
            ],
        }
        data, errors, body = self.graphql(MUTATION, variables)
        result = (data or {}).get(MUTATION_FIELD)
        ids = tuple(_product_id(entry) for entry in result) if isinstance(result, list) else ()
        ids = tuple(i for i in ids if i)
        if not ids:
            said = "; ".join(errors) or "no virtual product came back"
            raise GraphQLRefused(
                f"Custom Gateway created no virtual products: {said}", vendor=self.vendor, errors=errors
            )
        return VirtualProductsAnswer(product_ids=ids, errors=tuple(errors), raw=body)

    # -- User Image API ------------------------------------------------------------------------

    def upload_image(self, url: str) -> HostedImage:
        """The vendor downloads the image at `url` (which must be reachable from the internet)
        and hosts it. The doc's sample sends no credential; we send the bearer token all the
        same (the least convenient reading: the API may want it, and it is the vendor's host)."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("the image URL must be http(s)")
        response = self.authorized("POST", self.image_url, params={"url": url})
        if response.status_code >= 400:
            raise self.error_for(response)
        body = self.parse_json(response)
        urls = body.get("urls") if isinstance(body, dict) else None
        if not isinstance(urls, dict):
            raise self.bad_response(response, "the User Image API's answer has no urls")
        found = {key: _http(urls.get(key)) for key in ("original", "preview", "processed")}
        if not found["original"]:
            raise self.bad_response(response, "the User Image API's answer has no original URL")
        return HostedImage(raw=body, **found)

    def check(self) -> str:
        self.access_token()
        return "Connected: Custom Gateway's OAuth endpoint issued an access token."


def _product_id(entry: Any) -> str:
    if isinstance(entry, dict):
        entry = entry.get("id")
    if isinstance(entry, str | int) and not isinstance(entry, bool):
        return str(entry)[:64]
    return ""


def _http(value: Any) -> str:
    if isinstance(value, str) and urlsplit(value).scheme in ("http", "https") and len(value) <= 1000:
        return value
    return ""


def products_client(config: ConnectionConfig, **kwargs: Any) -> CustomGatewayProductsClient:
    """The product manager client of a connection; its token shared through Django's cache."""
    from django.core.cache import cache

    client_id = (config.secrets.get("oauth_client_id") or "").strip()
    client_secret = config.secrets.get("oauth_client_secret") or ""
    if not client_id or not client_secret:
        raise NotSupported(
            f"the connection {config.name!r} has no OAuth client id and secret: add them to create virtual products"
        )
    token_url = config.settings.get("oauth_token_url") or DEFAULT_TOKEN_URL
    options = {**vars(http_options()), **kwargs}
    return CustomGatewayProductsClient(
        client_id=client_id,
        client_secret=client_secret,
        token_cache=cache,
        cache_key=token_cache_key(config.id, client_id, token_url),
        token_url=token_url,
        graphql_url=config.settings.get("graphql_url") or DEFAULT_GRAPHQL_URL,
        image_url=config.settings.get("user_image_url") or DEFAULT_USER_IMAGE_URL,
        **options,
    )


class VirtualProductsPartner:
    """VIRTUAL_PRODUCTS for the Custom Gateway partner adapter (mixed into CustomGatewayPartner)."""

    config: ConnectionConfig

    def artwork_host(self, url: str) -> HostedImage:
        with products_client(self.config) as client:
            return client.upload_image(url)

    def virtual_products_create(
        self, base_products: Sequence[str], category_id: str, artwork: Sequence[ArtworkToPublish]
    ) -> VirtualProductsAnswer:
        with products_client(self.config) as client:
            return client.create_virtual_products(base_products=base_products, category_id=category_id, artwork=artwork)
