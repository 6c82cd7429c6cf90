"""The Custom Gateway sandbox's designer side for saved designs and print jobs (mounted by
sandbox.py under /sandbox/custom-gateway/).

- Print jobs: the sandbox knows the doc's two example refs, a few of its own derived from
  SANDBOX_SEED (`DEMO_PRINT_JOBS`), and every one made with `print_job_create()` or POST
  designs/print-jobs (what the designer's "Add to Cart" does: answers the ADD_TO_CART_CALLBACK
  item {ref, sku, thumbnails}). An Order-iT type 2 item naming any other ref is answered 8043.
- Saved designs: `saved_design_post(hook_url)` or POST control/save-design {hook_url, ref?, name?}
  makes the form POST the designer's save button makes: `data` = the doc's JSON {created_from,
  ref, thumbnails: [{name, url, description}]} to the given callback URL; answers its status.
- Thumbnails are PNGs served at designs/thumbnails/<ref>/<name>.png.
"""

from __future__ import annotations

import hashlib
import json
import threading

import requests
from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from integrations.sandbox import pictures

# Standalone (sandbox.py imports this module for its URLs and its type 2 check): the same mount.
MOUNT = "/sandbox/custom-gateway"
HTTP_TIMEOUT = 10.0
# The doc's examples (an Order-iT type 2 item and a saved design's ref).
DOC_PRINT_JOBS = ("CF921CF10F59B3A258", "44EEEA752F59C3A3B1")
THUMBNAIL_SIZES = (("thumbnail", ""), ("thumbnail_60", "60 px"))

_lock = threading.RLock()
_print_jobs: dict[str, dict] = {}  # made by "Add to Cart" since the last reset
_saved: list[str] = []


def reset() -> None:
    with _lock:
        _print_jobs.clear()
        _saved.clear()


def _ref(what: str, n: int) -> str:
    return hashlib.sha256(f"{settings.SANDBOX_SEED}:{what}:{n}".encode()).hexdigest()[:18].upper()


def _origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _control_body(request) -> dict:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    return request.POST.dict()


def demo_print_jobs() -> list[str]:
    """Three print jobs every fresh sandbox knows (the same refs for the same SANDBOX_SEED)."""
    return [_ref("print-job", n) for n in range(3)]


def print_job_known(ref: str) -> bool:
    with _lock:
        return ref in DOC_PRINT_JOBS or ref in _print_jobs or ref in demo_print_jobs()


def _thumbnails(origin: str, ref: str, view: str = "Front") -> list[dict]:
    base = f"{origin.rstrip('/')}{MOUNT}/designs/thumbnails/{ref}"
    return [
        {"name": name, "url": f"{base}/{name}.png", "description": f"{view} {size}".strip()}
        for name, size in THUMBNAIL_SIZES
    ]


def print_job_create(*, origin: str, sku: str = "MUG-11OZ-WHT") -> dict:
    """A new print job, as "Add to Cart" makes one: the ADD_TO_CART_CALLBACK item."""
    with _lock:
        ref = _ref("added", len(_print_jobs))
        job = {"ref": ref, "sku": sku, "thumbnails": _thumbnails(origin, ref)}
        _print_jobs[ref] = job
        return job


def saved_design_data(origin: str, *, ref: str, name: str = "My design") -> dict:
    """The doc's callback object for a design saved in the sandbox's Smartlink."""
    return {
        "created_from": f"{origin.rstrip('/')}{MOUNT}/s/app/acp3_2/en_GB/default.html#p=1007644&r=2d-canvas",
        "ref": ref,
        "name": name,
        "thumbnails": _thumbnails(origin, ref),
    }


def saved_design_post(hook_url: str, *, origin: str, ref: str = "", name: str = "My design") -> int:
    """POST a saved design to `hook_url` as the designer does (a form with a JSON `data` field).
    Returns the receiver's HTTP status, 0 when it did not answer."""
    with _lock:
        ref = ref or _ref("saved", len(_saved))
        _saved.append(ref)
    data = saved_design_data(origin, ref=ref, name=name)
    try:
        response = requests.post(hook_url, data={"data": json.dumps(data)}, timeout=HTTP_TIMEOUT)
    except requests.RequestException:
        return 0
    return response.status_code


def demo_saved_design(origin: str, hook_url: str) -> int:
    """The development demo (integrations/sandbox/demo.py): a customer saves a design in the
    sandbox's Smartlink served from `origin`; it is posted to the connection's designs hook."""
    return saved_design_post(hook_url, origin=origin, ref=_ref("demo-saved", 0), name="Demo saved design")


@csrf_exempt
def print_jobs_view(request):
    """GET: the print jobs the sandbox knows; POST: "Add to Cart" (a new print job)."""
    if request.method == "POST":
        body = _control_body(request)
        return JsonResponse(print_job_create(origin=_origin(request), sku=str(body.get("sku") or "MUG-11OZ-WHT")))
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    with _lock:
        refs = [*DOC_PRINT_JOBS, *demo_print_jobs(), *_print_jobs]
    return JsonResponse({"print_jobs": refs})


@csrf_exempt
def control_save_design_view(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    body = _control_body(request)
    hook_url = str(body.get("hook_url") or "")
    if not hook_url.startswith(("http://", "https://")):
        return JsonResponse({"error": "hook_url must be an http(s) URL"}, status=400)
    status = saved_design_post(
        hook_url, origin=_origin(request), ref=str(body.get("ref") or ""), name=str(body.get("name") or "My design")
    )
    return JsonResponse({"status": status})


def thumbnail_view(request, ref: str, name: str):
    side = 60 if name.endswith("_60") else 240
    return HttpResponse(pictures.design_by_ref_png(ref, size=side), content_type="image/png")


urlpatterns = [
    path("designs/print-jobs", print_jobs_view, name="sandbox-custom-gateway-print-jobs"),
    path("designs/thumbnails/<str:ref>/<str:name>.png", thumbnail_view, name="sandbox-custom-gateway-thumbnail"),
    path("control/save-design", control_save_design_view, name="sandbox-custom-gateway-control-save-design"),
]
