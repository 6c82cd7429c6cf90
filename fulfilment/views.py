"""Endpoints partners call. Thin: one base view for every vendor's hooks (django-anymail's
shape), and the artwork links."""

import logging

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from config.proxy import client_ip
from integrations.filetypes import PREVIEW_IMAGE, PRINT_FILE
from integrations.registry import UnknownVendor, vendor_specs
from orders.file_responses import stored_file_response
from orders.models import ProxiedImage
from orders.services.image_proxy import proxied_image

from .models import IncomingRequest
from .services.incoming import (
    connection_for_token,
    hook_of,
    incoming_apply,
    incoming_record,
    incoming_summary,
    unverified_throttle,
)
from .services.incoming_deferred import connection_for_token_cached, deferred_for, incoming_store_deferred
from .services.links import artwork_from_token, order_from_packing_slip_token, side_from_preview_token
from .services.packing_slip import packing_slip_pdf

logger = logging.getLogger(__name__)
Outcome = IncomingRequest.Outcome
Kind = IncomingRequest.Kind


def _answer(status: int, error: str = "", **more) -> JsonResponse:
    body = {"ok": status == 200, **({"error": error} if error else {}), **more}
    return JsonResponse(body, status=status)


def _unavailable(error: str) -> JsonResponse:
    # 503, which the partner retries, never a 500.
    response = _answer(503, error)
    response["Retry-After"] = "600"
    return response


def _too_many(retry_after: int) -> JsonResponse:
    response = _answer(429, "too many unverified requests: slow down")
    response["Retry-After"] = str(retry_after)
    return response


def _content_length(request) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


@csrf_exempt
def hook(request, vendor: str, token: str, hook: str):
    """/hooks/<vendor slug>/<connection token>/<hook>/: every partner's status callbacks and order
    pushes. Anything raised before a request is stored (the database gone while finding the
    connection) is answered 503. (Django logs each 4xx/5xx with its path, which holds the
    connection's secret: config.logging's filter redacts it.)"""
    try:
        return HookView(request, vendor, token, hook).answer()
    except Exception:
        logger.exception("hook %s/%s: failed before the request was stored", vendor, hook)
        return _unavailable("temporarily unavailable")


class HookView:
    """Find the connection by token and vendor, store the raw request (capped), verify with the
    vendor's `Hook.verify`, parse with its `Hook.parse` and apply the records through the
    fulfilment services (services.incoming), answer."""

    def __init__(self, request, vendor: str, token: str, hook: str):
        self.request, self.vendor, self.token, self.name = request, vendor, token, hook

    def answer(self) -> JsonResponse:
        request = self.request
        # Status callbacks in the background: the connection remembered a few seconds per process.
        lookup = connection_for_token_cached if settings.HOOK_STATUS_CALLBACKS_DEFERRED else connection_for_token
        connection = lookup(self.token)
        if connection is not None:
            try:
                if connection.spec.slug != self.vendor:
                    connection = None
            except UnknownVendor:
                connection = None
        spec_hook = hook_of(connection, self.name) if connection is not None else _declared(self.vendor, self.name)
        if spec_hook is None:
            return _answer(404, "no such hook")
        kind = getattr(spec_hook, "kind", Kind.STATUS_CALLBACK)
        if request.method not in getattr(spec_hook, "methods", ("POST",)):
            return JsonResponse({"ok": False, "error": "method not allowed"}, status=405)
        size = _content_length(request)
        if connection is None:
            # Unknown or wrong token: no body stored (a stranger's bytes), only a summary row, and
            # the address is rate-limited so that guessing costs the guesser, not our database.
            wait = unverified_throttle(client_ip(request))
            if wait:
                return _too_many(wait)
            incoming_summary(
                request, kind, size=size, outcome=Outcome.REJECTED, note=f"Unknown or inactive hook URL ({size} bytes)."
            )
            return _answer(404, "unknown hook URL")
        cap = settings.INCOMING_MAX_BODY_BYTES
        body = b"" if size > cap else request.read(cap + 1)
        if size > cap or len(body) > cap:
            why = f"invalid: the body ({max(size, len(body))} bytes) is over the {cap}-byte cap; not stored."
            incoming_summary(
                request,
                kind,
                size=max(size, len(body)),
                outcome=Outcome.INVALID,
                note=why,
                connection=connection,
                hook=self.name,
            )
            return _answer(413, why)
        if deferred_for(spec_hook):
            return self._deferred(connection, spec_hook, kind, body)
        incoming = incoming_record(request, kind, connection=connection, body=body, hook=self.name)
        if spec_hook.verify is not None:
            why = spec_hook.verify(connection.config(), body, request.headers)
            if why:
                IncomingRequest.objects.filter(pk=incoming.pk).update(outcome=Outcome.REJECTED, note=why[:2000])
                wait = unverified_throttle(client_ip(request))
                if wait:
                    return _too_many(wait)
                return _answer(401, "not verified")
        try:
            outcome = incoming_apply(incoming, raw=body)
        except Exception:
            # Recorded on the request with its traceback (staff Reprocess it after a fix); a 503
            # makes the partner retry, which also covers a database that is briefly unavailable.
            return _unavailable("temporarily unavailable, kept to reprocess")
        # Authentic but unusable (statuses and orders we do not act on) is 200: the reason is on
        # the stored request, which staff can Reprocess. An unreadable body gets the hook's answer
        # (400: the partner's bug, or 200 where its retries of the same bytes cannot help).
        status = getattr(spec_hook, "invalid_status", 400) if outcome == Outcome.INVALID else 200
        return JsonResponse({"ok": status == 200, "outcome": outcome}, status=status)

    def _deferred(self, connection, spec_hook, kind: str, body: bytes) -> JsonResponse:
        """A status callback: verified and read, stored in one INSERT, applied by a worker
        (services.incoming_deferred); the answers are those of the synchronous path, except that
        an authentic, readable callback is answered `received`."""
        outcome = incoming_store_deferred(
            self.request, kind, connection=connection, spec_hook=spec_hook, body=body, hook=self.name
        )
        if outcome == Outcome.REJECTED:
            wait = unverified_throttle(client_ip(self.request))
            return _too_many(wait) if wait else _answer(401, "not verified")
        status = getattr(spec_hook, "invalid_status", 400) if outcome == Outcome.INVALID else 200
        return JsonResponse({"ok": status == 200, "outcome": outcome}, status=status)


def _declared(slug: str, name: str):
    """The hook `name` of the vendor whose URL segment is `slug`, if one declares it."""
    spec = next((spec for spec in vendor_specs().values() if spec.slug == slug), None)
    return spec.hooks.get(name) if spec is not None else None


@require_http_methods(["GET", "HEAD"])
def artwork_file(request, token: str):
    """A print file for the vendor, through a signed expiring link (no login: the vendor has none)."""
    artwork = artwork_from_token(token)
    if artwork is None:
        raise Http404("unknown or expired link")
    return stored_file_response(artwork.file, allowed=PRINT_FILE, what="print file")


@require_http_methods(["GET", "HEAD"])
def side_preview(request, token: str):
    """A side's preview for the partner (its thumbnails), through a signed expiring link: our
    stored copy of the vendor's preview (fetched once through the image proxy), sniffed as an
    image when served."""
    side = side_from_preview_token(token)
    if side is None:
        raise Http404("unknown or expired link")
    image = proxied_image(side.preview_url)
    if image.state != ProxiedImage.State.READY:
        raise Http404("no preview to serve")
    return stored_file_response(image.file, allowed=PREVIEW_IMAGE, what="preview image")


@require_http_methods(["GET", "HEAD"])
def packing_slip(request, token: str):
    """An order's packing slip for the partner (its shipping note), through a signed expiring
    link (no login: the partner has none). Made on each fetch, so it says what the order says."""
    order = order_from_packing_slip_token(token)
    if order is None:
        raise Http404("unknown or expired link")
    response = HttpResponse(packing_slip_pdf(order), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="packing-slip-{order.external_ref}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
