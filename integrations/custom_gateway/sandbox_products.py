"""The Custom Gateway sandbox's product manager (products.py), mounted under
/sandbox/custom-gateway/ with the rest of the sandbox (development and tests only).

- POST oauth/token      client credentials as a form: client_id SANDBOX_CUSTOM_GATEWAY_CLIENT_ID
                        ("sandbox-client"), client_secret SANDBOX_API_KEY, grant_type
                        client_credentials. Answers {"token_type", "expires_in": 3600,
                        "access_token"}; anything else 401 {"error": "invalid_client", ...}.
- POST graphql          Bearer token from above (else 401). The doc's mutation: one virtual
                        product {"id"} per base product and artwork. Triggers: categoryId "ERROR"
                        answers only `errors` (data null); a base product starting with "BAD-"
                        is refused with an error while the others are made (a partial answer).
- POST user-images      ?url=<http(s) URL>, Bearer token: answers {"urls": {"original",
                        "preview", "processed"}} under user-images/<n>/. Like the vendor it
                        downloads the URL first: anything but a 200 image answers 400.

Test hooks on `products()`: `revoke_tokens()` (the next call answers 401, as after an expiry),
`fail_next(endpoint, status)` for "token", "graphql", "image"; `token_requests`, `images`,
`mutations` record what came."""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

DEFAULT_CLIENT_ID = "sandbox-client"
MOUNT = "/sandbox/custom-gateway"
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f80f0000010100005c4f0e2b0000000049454e44ae426082"
)


@dataclass
class ProductsSandbox:
    tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    images: list[str] = field(default_factory=list)
    mutations: list[dict] = field(default_factory=list)
    faults: dict[str, list[int]] = field(default_factory=dict)
    next_product: int = 70000
    lock: threading.Lock = field(default_factory=threading.Lock)

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def fail_next(self, endpoint: str, status: int = 500, *, times: int = 1) -> None:
        with self.lock:
            self.faults.setdefault(endpoint, []).extend([status] * times)

    def fault(self, endpoint: str) -> int | None:
        with self.lock:
            queued = self.faults.get(endpoint) or []
            return queued.pop(0) if queued else None


_STATE = ProductsSandbox()


def products() -> ProductsSandbox:
    return _STATE


def reset() -> None:
    global _STATE
    _STATE = ProductsSandbox()


def client_id() -> str:
    return str(getattr(settings, "SANDBOX_CUSTOM_GATEWAY_CLIENT_ID", DEFAULT_CLIENT_ID))


def urls(origin: str) -> dict[str, str]:
    """The connection settings pointing at this sandbox served from `origin`."""
    root = f"{origin.rstrip('/')}{MOUNT}"
    return {
        "oauth_token_url": f"{root}/oauth/token",
        "graphql_url": f"{root}/graphql",
        "user_image_url": f"{root}/user-images",
    }


def _bearer_ok(request) -> bool:
    header = request.headers.get("Authorization", "")
    return header.startswith("Bearer ") and header[7:] in _STATE.tokens


def _unauthorized() -> JsonResponse:
    return JsonResponse({"error": "invalid_token", "message": "The access token is invalid or has expired"}, status=401)


@csrf_exempt
def token_view(request):
    if request.method != "POST":
        return JsonResponse({"error": "invalid_request"}, status=405)
    if status := _STATE.fault("token"):
        return JsonResponse({"error": "server_error"}, status=status)
    with _STATE.lock:
        _STATE.token_requests += 1
    form = request.POST
    if form.get("grant_type") != "client_credentials":
        return JsonResponse({"error": "unsupported_grant_type"}, status=400)
    if form.get("client_id") != client_id() or form.get("client_secret") != str(settings.SANDBOX_API_KEY):
        return JsonResponse(
            {"error": "invalid_client", "error_description": "Client authentication failed"}, status=401
        )
    token = secrets.token_urlsafe(24)
    with _STATE.lock:
        _STATE.tokens.add(token)
    return JsonResponse({"token_type": "Bearer", "expires_in": 3600, "access_token": token})


def _gql_error(message: str, *, path: list | None = None) -> dict:
    return {
        "message": message,
        "path": path or ["createVirtualProductsFromArtwork"],
        "extensions": {"category": "user"},
    }


@csrf_exempt
def graphql_view(request):
    if request.method != "POST":
        return JsonResponse({"errors": [{"message": "GraphQL needs a POST"}]}, status=405)
    if status := _STATE.fault("graphql"):
        return JsonResponse({"errors": [{"message": "Internal server error"}]}, status=status)
    if not _bearer_ok(request):
        return _unauthorized()
    try:
        body = json.loads(request.body)
        variables = body["variables"]
        bases = [str(b) for b in variables["baseProducts"]]
        category = str(variables["categoryId"])
        artwork = list(variables["artwork"])
        assert "createVirtualProductsFromArtwork" in body["query"]
    except (ValueError, KeyError, TypeError, AssertionError):
        return JsonResponse({"errors": [{"message": "Syntax Error: the doc's mutation and variables are expected"}]})
    with _STATE.lock:
        _STATE.mutations.append(variables)
    if category == "ERROR" or not bases or not artwork:
        return JsonResponse(
            {
                "errors": [_gql_error(f"Category {category} not found or not writable")],
                "data": {"createVirtualProductsFromArtwork": None},
            }
        )
    errors, made = [], []
    for art in artwork:
        if not isinstance(art, dict) or not (art.get("urls") or {}).get("original"):
            errors.append(_gql_error("Each artwork needs urls.original"))
            continue
        for base in bases:
            if base.startswith("BAD-"):
                errors.append(_gql_error(f"Base product {base} does not exist or is not accessible"))
                continue
            with _STATE.lock:
                _STATE.next_product += 1
                made.append({"id": str(_STATE.next_product)})
    answer: dict[str, Any] = {"data": {"createVirtualProductsFromArtwork": made or None}}
    if errors:
        answer["errors"] = errors
    return JsonResponse(answer)


@csrf_exempt
def user_image_view(request):
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    if status := _STATE.fault("image"):
        return JsonResponse({"error": "Internal error"}, status=status)
    if not _bearer_ok(request):
        return _unauthorized()
    url = request.GET.get("url", "")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        return JsonResponse({"error": "url must be an http(s) URL"}, status=400)
    try:
        fetched = requests.get(url, timeout=10)
    except requests.RequestException:
        return JsonResponse({"error": "The image could not be downloaded from the given URL"}, status=400)
    if fetched.status_code != 200 or not fetched.content.startswith((b"\x89PNG", b"\xff\xd8", b"%PDF")):
        return JsonResponse({"error": f"The image could not be downloaded (HTTP {fetched.status_code})"}, status=400)
    with _STATE.lock:
        _STATE.images.append(url)
        number = len(_STATE.images)
    root = request.build_absolute_uri(f"{MOUNT}/user-images/{number}")
    return JsonResponse(
        {
            "urls": {
                "original": f"{root}/original.png",
                "preview": f"{root}/preview.png",
                "processed": f"{root}/processed.png",
            }
        }
    )


def hosted_image_view(request, number: int, size: str):
    return HttpResponse(_PNG, content_type="image/png")


urlpatterns = [
    path("oauth/token", token_view, name="sandbox-custom-gateway-oauth-token"),
    path("graphql", graphql_view, name="sandbox-custom-gateway-graphql"),
    path("user-images", user_image_view, name="sandbox-custom-gateway-user-images"),
    path("user-images/<int:number>/<slug:size>.png", hosted_image_view, name="sandbox-custom-gateway-hosted-image"),
]
