"""Endpoints the vendor calls. Thin: find the connection by its token, store the raw request
(capped), hand it to a service, answer."""

import functools
import logging

from django.conf import settings
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from config.proxy import client_ip
from integrations.filetypes import PRINT_FILE
from orders.file_responses import stored_file_response

from .models import IncomingRequest
from .services.incoming import (
    SIGNATURE_HEADER,
    connection_for_token,
    incoming_apply,
    incoming_record,
    incoming_summary,
    push_verified,
    unverified_throttle,
)
from .services.links import artwork_from_token

logger = logging.getLogger(__name__)
Outcome = IncomingRequest.Outcome
Kind = IncomingRequest.Kind


def hook_view(kind: str):
    """Anything raised before a request is stored (the database gone while finding the
    connection) is answered 503, which the vendor retries, never a 500. (Django logs each 4xx/5xx
    with its path, which holds the connection's secret: config.logging's filter redacts it.)"""

    def wrap(view):
        @functools.wraps(view)
        def hooked(request, token: str):
            try:
                response = view(request, token)
            except Exception:
                logger.exception("Custom Gateway %s hook: failed before the request was stored", kind)
                response = JsonResponse({"ok": False, "error": "temporarily unavailable"}, status=503)
                response["Retry-After"] = "600"
            return response

        return hooked

    return wrap


def _too_many(retry_after: int) -> JsonResponse:
    response = JsonResponse({"ok": False, "error": "too many unverified requests: slow down"}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def _content_length(request) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _hook(request, token: str, kind: str):
    """The common part of both hooks: (incoming, raw body, None) to go on, or (None, b"", response)."""
    connection = connection_for_token(token)
    size = _content_length(request)
    if connection is None:
        # Unknown or wrong token: no body stored (a stranger's bytes), only a summary row, and the
        # address is rate-limited so that guessing costs the guesser, not our database.
        wait = unverified_throttle(client_ip(request))
        if wait:
            return None, b"", _too_many(wait)
        incoming_summary(
            request, kind, size=size, outcome=Outcome.REJECTED, note=f"Unknown or inactive hook URL ({size} bytes)."
        )
        return None, b"", JsonResponse({"ok": False, "error": "unknown hook URL"}, status=404)
    cap = settings.INCOMING_MAX_BODY_BYTES
    body = b"" if size > cap else request.read(cap + 1)
    if size > cap or len(body) > cap:
        why = f"invalid: the body ({max(size, len(body))} bytes) is over the {cap}-byte cap; not stored."
        incoming_summary(
            request, kind, size=max(size, len(body)), outcome=Outcome.INVALID, note=why, connection=connection
        )
        return None, b"", JsonResponse({"ok": False, "error": why}, status=413)
    return incoming_record(request, kind, connection=connection, body=body), body, None


def _apply(incoming, body: bytes):
    try:
        return incoming_apply(incoming, raw=body), None
    except Exception:
        # Recorded on the request with its traceback (staff Reprocess it after a fix); a 503
        # makes the vendor retry, which also covers a database that is briefly unavailable.
        response = JsonResponse({"ok": False, "error": "temporarily unavailable, kept to reprocess"}, status=503)
        response["Retry-After"] = "600"
        return None, response


@csrf_exempt
@require_http_methods(["PUT", "POST"])
@hook_view("status callback")
def status_callback(request, token: str):
    incoming, body, refused = _hook(request, token, Kind.STATUS_CALLBACK)
    if refused:
        return refused
    outcome, failed = _apply(incoming, body)
    if failed:
        return failed
    # 200 for everything authentic, including invalid bodies, statuses and orders we do not act
    # on: the vendor retries a 4xx five times two hours apart, and a retry of the same bytes
    # cannot fix them. The reason is on the stored request, which staff can Reprocess.
    return JsonResponse({"ok": True, "outcome": outcome})


@csrf_exempt
@require_http_methods(["POST"])
@hook_view("order push")
def order_push(request, token: str):
    incoming, body, refused = _hook(request, token, Kind.ORDER_PUSH)
    if refused:
        return refused
    why = push_verified(incoming.connection, body, request.headers.get(SIGNATURE_HEADER))
    if why:
        IncomingRequest.objects.filter(pk=incoming.pk).update(outcome=Outcome.REJECTED, note=why[:2000])
        wait = unverified_throttle(client_ip(request))
        if wait:
            return _too_many(wait)
        return JsonResponse({"ok": False, "error": "not verified"}, status=401)
    outcome, failed = _apply(incoming, body)
    if failed:
        return failed
    # A push that verifies but cannot be read is the vendor's bug: 400 says so (their retries
    # are bounded), and the request is kept with its reason.
    status = 400 if outcome == Outcome.INVALID else 200
    return JsonResponse({"ok": status == 200, "outcome": outcome}, status=status)


@csrf_exempt
def hook(request, vendor: str, token: str, hook: str):
    """Dispatch to the hook's view (to become one base view over the vendors' specs)."""
    views = {("custom-gateway", "status"): status_callback, ("custom-gateway", "orders"): order_push}
    view = views.get((vendor, hook))
    if view is None:
        return JsonResponse({"ok": False, "error": "no such hook"}, status=404)
    return view(request, token)


@require_http_methods(["GET", "HEAD"])
def artwork_file(request, token: str):
    """A print file for the vendor, through a signed expiring link (no login: the vendor has none)."""
    artwork = artwork_from_token(token)
    if artwork is None:
        raise Http404("unknown or expired link")
    return stored_file_response(artwork.file, allowed=PRINT_FILE, what="print file")
