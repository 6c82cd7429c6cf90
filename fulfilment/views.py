"""Endpoints the vendor calls. Thin: store the raw request, hand it to a service, answer."""

from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.filetypes import PRINT_FILE
from orders.file_responses import stored_file_response

from .models import IncomingRequest
from .services.incoming import (
    SIGNATURE_HEADER,
    PushRejected,
    incoming_record,
    order_push_receive,
    status_callback_receive,
)
from .services.links import artwork_from_token


@csrf_exempt
@require_http_methods(["PUT", "POST"])
def status_callback(request, token: str):
    incoming = incoming_record(request, IncomingRequest.Kind.STATUS_CALLBACK)
    outcome = status_callback_receive(incoming, token)
    if outcome == IncomingRequest.Outcome.REJECTED:
        return JsonResponse({"ok": False}, status=404)
    # 200 for everything we accepted, including statuses and orders we do not act on: the
    # vendor would otherwise retry them for ten hours.
    return JsonResponse({"ok": True, "outcome": outcome})


@csrf_exempt
@require_http_methods(["POST"])
def order_push(request, token: str):
    raw = request.body
    incoming = incoming_record(request, IncomingRequest.Kind.ORDER_PUSH)
    try:
        outcome = order_push_receive(incoming, token, raw, request.headers.get(SIGNATURE_HEADER))
    except PushRejected:
        return JsonResponse({"ok": False, "error": "not verified"}, status=401)
    status = 400 if outcome == IncomingRequest.Outcome.INVALID else 200
    return JsonResponse({"ok": status == 200, "outcome": outcome}, status=status)


@require_http_methods(["GET", "HEAD"])
def artwork_file(request, token: str):
    """A print file for the vendor, through a signed expiring link (no login: the vendor has none)."""
    artwork = artwork_from_token(token)
    if artwork is None:
        raise Http404("unknown or expired link")
    return stored_file_response(artwork.file, allowed=PRINT_FILE, what="print file")
