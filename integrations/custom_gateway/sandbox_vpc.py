"""The sandbox's Virtual Product Creator (VPC; vpc.py has the doc's rules), under
/sandbox/custom-gateway/vpc/ (development and tests only).

GET vpc/?company_ref_id&approved_pc&blanks_pc&time&nonce&origin&hmac checks the request as the
vendor does, strictly: the HMAC-SHA512 (SANDBOX_API_KEY) of the query exactly as received minus
its hmac parameter, the company (SANDBOX_CUSTOM_GATEWAY_COMPANY), a time no more than 15 seconds
from now, a nonce of letters and digits never seen before, every parameter present. A refused
request gets a 403 page saying why. Otherwise the page shows a design name field and a "Create
products" button, which posts PRODUCTS_CREATED ({"type", "body": [products]}) to the parent
window with the `origin` parameter as the target origin. Each product has the doc's fields; its
snapshots.small is a 600x600 PNG served at vpc/snapshots/<id>.png.

`reset()` forgets the nonces seen and the product counter (the main sandbox's `reset()` does not).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
import time

from django.conf import settings
from django.http import HttpResponse
from django.template import engines
from django.urls import path, reverse
from django.views.decorators.clickjacking import xframe_options_exempt

from .vpc import SIGNATURE_MAX_AGE

REQUIRED = ("company_ref_id", "approved_pc", "blanks_pc", "time", "nonce", "origin", "hmac")
BASE_PRODUCTS = (("MUG-11OZ", "11oz mug"), ("TEE-WHITE-M", "White T-shirt, M"))

_lock = threading.Lock()
_nonces: set[str] = set()
_ids = itertools.count(50001)


def reset() -> None:
    global _ids
    with _lock:
        _nonces.clear()
        _ids = itertools.count(50001)


def vpc_settings(origin: str) -> dict[str, str]:
    """A connection's VPC settings pointing at this sandbox served from `origin`."""
    return {
        "vpc_url": f"{origin.rstrip('/')}/sandbox/custom-gateway/vpc/",
        "vpc_approved_category": "1",
        "vpc_blanks_category": "2",
    }


def _refusal(request) -> str:
    """Why the vendor would refuse this request ("" when it would not)."""
    from urllib.parse import parse_qs

    raw = request.META.get("QUERY_STRING", "")
    params = {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}
    missing = [name for name in REQUIRED if not params.get(name)]
    if missing:
        return f"missing parameter(s): {', '.join(missing)}"
    parts = raw.split("&")
    signed = "&".join(part for part in parts if not part.startswith("hmac="))
    expected = hmac.new(settings.SANDBOX_API_KEY.encode(), signed.encode(), hashlib.sha512).hexdigest()
    if not hmac.compare_digest(expected, params["hmac"]):
        return "the hmac does not match the query"
    if params["company_ref_id"] != str(settings.SANDBOX_CUSTOM_GATEWAY_COMPANY):
        return "unknown company_ref_id"
    if not params["time"].isdigit() or abs(time.time() - int(params["time"])) > SIGNATURE_MAX_AGE:
        return f"the signature is older than {SIGNATURE_MAX_AGE} seconds"
    if not params["nonce"].isalnum():
        return "the nonce is not alphanumeric"
    with _lock:
        if params["nonce"] in _nonces:
            return "the nonce was used before"
        _nonces.add(params["nonce"])
    return ""


PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sandbox VPC</title></head>
<body>
<h1>Sandbox Virtual Product Creator</h1>
<p>Categories: approved {{ approved }}, blanks {{ blanks }}.</p>
<label>Design name <input id="design-name" value="Sandbox design"></label>
<button type="button" id="create-products">Create products</button>
{{ products|json_script:"vpc-products" }}
{{ origin|json_script:"vpc-origin" }}
<script>
document.getElementById("create-products").addEventListener("click", function () {
  var products = JSON.parse(document.getElementById("vpc-products").textContent);
  var name = document.getElementById("design-name").value;
  products.forEach(function (p) { p.name = name + " (" + p.base_product.productCode + ")"; });
  var origin = JSON.parse(document.getElementById("vpc-origin").textContent);
  window.parent.postMessage({type: "PRODUCTS_CREATED", body: products}, origin);
  document.body.insertAdjacentHTML("beforeend", "<p id='posted'>Posted.</p>");
});
</script>
</body></html>"""


@xframe_options_exempt  # it is framed by the back office, as the vendor's is
def vpc_view(request):
    reason = _refusal(request)
    if reason:
        return HttpResponse(f"VPC refused: {reason}.", status=403, content_type="text/plain; charset=utf-8")
    products = []
    for code, label in BASE_PRODUCTS:
        with _lock:
            product_id = next(_ids)
        products.append(
            {
                "id": product_id,
                "name": "",
                "description": f"Sandbox design on a {label}",
                "retail_sku": f"{code}-V{product_id}",
                "snapshots": {
                    "small": request.build_absolute_uri(
                        reverse("sandbox-custom-gateway-vpc-snapshot", args=[product_id])
                    )
                },
                "base_product": {"productCode": code},
            }
        )
    html = (
        engines["django"]
        .from_string(PAGE)
        .render(
            {
                "products": products,
                "origin": request.GET["origin"],
                "approved": request.GET["approved_pc"],
                "blanks": request.GET["blanks_pc"],
            }
        )
    )
    return HttpResponse(html)


def snapshot_view(request, product_id: int):
    """A 600x600 PNG preview of the product, as the doc's snapshots.small."""
    from integrations.sandbox import pictures

    return HttpResponse(pictures.design_by_ref_png(f"vpc-{product_id}", size=600), content_type="image/png")


urlpatterns = [
    path("vpc/", vpc_view, name="sandbox-custom-gateway-vpc"),
    path("vpc/snapshots/<int:product_id>.png", snapshot_view, name="sandbox-custom-gateway-vpc-snapshot"),
]
