"""Smartlinks: Custom Gateway's personalisation apps, embedded in a shop by an iframe URL (vendor
doc: custom-gateway-api.txt, "Smartlink guide"). Plain Python: builds and checks the URL.

The URL, as the doc's add-to-cart sample builds it::

    <designer origin>/s/app/<app>/<locale>/<configuration>.html#p=<product>&r=<renderer>
        &guid=<company ref id>&a2c=postMessage&meo=<parent origin>&mei=<random string>

Every parameter is in the fragment (after ``#``), not the query: the app reads them in the
browser. ``pj=<printJobRef>`` restores a print job; ``ps=<ref>`` reloads a saved design (the doc:
"the value of the created_from field and appending &ps= and the value of the ref field").

Where our copy of the doc lost text (every URL and part of each code sample), this module takes
the least convenient reading and says so:
- the designer's origin is gone from the samples: DEFAULT_DESIGNER_URL is the host the vendor's
  public Smartlinks use (g3d-app.com), a connection setting so the sandbox and a white label can
  replace it;
- "The following URL enables the save button:" lost the URL, so the parameter's name is unknown:
  SAVE_CALLBACK_PARAM is our guess, one constant to change once Custom Gateway confirms it;
- the message handler lost its property names (``e.data.?? == mei``, ``switch(e.data.??)``):
  static/backoffice/smartlink.js accepts the likely spellings and checks origin and mei first.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, replace
from urllib.parse import quote, urlsplit

DEFAULT_DESIGNER_URL = "https://g3d-app.com"
# The doc's example: acp3_2, en_GB, default, p=1007644, r=2d-canvas.
DEFAULT_APP = "acp3_2"
DEFAULT_LOCALE = "en_GB"
DEFAULT_CONFIGURATION = "default"
RENDERERS = ("2d-canvas", "webgl", "multi")  # "2D products", "3D products", both (slower to load)
# GUESS (the doc's URL is lost): the name of the fragment parameter that carries the save-design
# callback URL and enables the save button.
SAVE_CALLBACK_PARAM = "spu"
ADD_TO_CART_MODE = "postMessage"  # "a2c Should always be set to postMessage"

# The postMessage events the doc names.
ADD_TO_CART_EVENT = "ADD_TO_CART_CALLBACK"
RESIZE_EVENT = "IFRAME_RESIZE"

# A path segment of the app URL: letters, digits, _ - . (no slash, no "..", nothing to escape).
_SEGMENT = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
# A vendor reference (product id, print-job or saved-design ref): letters, digits, _ -.
_REF = re.compile(r"^[A-Za-z0-9_\-]+$")


class SmartlinkInvalid(ValueError):
    """A Smartlink parameter that cannot be used, in words; `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Smartlink:
    """The parameters of one Smartlink. `meo` and `mei` are both needed for add to cart by
    postMessage: "The app will not send messages if either meo and mei are not specified"."""

    designer_url: str
    app: str
    locale: str
    configuration: str
    product_id: str
    renderer: str
    company_ref_id: str
    add_to_cart: bool = False  # a2c=postMessage
    meo: str = ""  # the parent window's origin
    mei: str = ""  # a random string identifying this iframe instance
    save_callback_url: str = ""
    print_job_ref: str = ""  # pj
    saved_design_ref: str = ""  # ps


def new_mei() -> str:
    """A fresh random instance id for one embedded iframe (unguessable, URL-safe)."""
    return secrets.token_hex(8)


def origin_of(url: str) -> str:
    """scheme://host[:port] of an http(s) URL, lower case: what the browser gives as e.origin."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise SmartlinkInvalid("designer_url", "The designer base URL must be an http or https URL.")
    default_port = {"http": 80, "https": 443}[parts.scheme.lower()]
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme.lower()}://{parts.hostname.lower()}{port}"


def smartlink_check(link: Smartlink) -> None:
    """Raise SmartlinkInvalid (with the field) for a parameter the URL cannot carry."""
    origin_of(link.designer_url)
    for name, label in (("app", "App"), ("locale", "Locale"), ("configuration", "Configuration")):
        if not _SEGMENT.match(getattr(link, name) or ""):
            raise SmartlinkInvalid(name, f"{label}: letters, digits, “_”, “-” and dots only (e.g. acp3_2, en_GB).")
    if not link.product_id.isdigit():
        raise SmartlinkInvalid("product_id", "Product ID: the Custom Gateway product's number (digits, e.g. 1007644).")
    if link.renderer not in RENDERERS:
        raise SmartlinkInvalid("renderer", f"Renderer: one of {', '.join(RENDERERS)}.")
    if not link.company_ref_id.isdigit():
        raise SmartlinkInvalid("company_ref_id", "Company ref ID: the connection's company reference ID (digits).")
    if bool(link.meo) != bool(link.mei):
        raise SmartlinkInvalid("mei", "Add to cart by postMessage needs both meo and mei.")
    if link.meo and not link.add_to_cart:
        raise SmartlinkInvalid("add_to_cart", "meo and mei are for add to cart by postMessage (a2c).")
    if link.meo and link.meo != origin_of(link.meo):
        raise SmartlinkInvalid("meo", "meo must be an origin only (scheme://host[:port]), without a path.")
    if link.mei and not _REF.match(link.mei):
        raise SmartlinkInvalid("mei", "mei: letters, digits, “_” and “-” only.")
    if link.save_callback_url:
        origin_of(link.save_callback_url)
    for name, label in (("print_job_ref", "Print job (pj)"), ("saved_design_ref", "Saved design (ps)")):
        value = getattr(link, name)
        if value and not _REF.match(value):
            raise SmartlinkInvalid(name, f"{label}: a Custom Gateway reference (letters and digits).")
    if link.print_job_ref and link.saved_design_ref:
        # The doc gives each on its own; loading two designs at once has no meaning.
        raise SmartlinkInvalid("saved_design_ref", "Give a print job (pj) or a saved design (ps), not both.")


def smartlink_app_url(link: Smartlink) -> str:
    """The app's page without its fragment: <designer>/s/app/<app>/<locale>/<configuration>.html."""
    base = link.designer_url.rstrip("/")
    return f"{base}/s/app/{link.app}/{link.locale}/{link.configuration}.html"


def smartlink_url(link: Smartlink) -> str:
    """The full iframe URL, parameters in the doc's order; checked first (SmartlinkInvalid)."""
    smartlink_check(link)
    params = [("p", link.product_id), ("r", link.renderer), ("guid", link.company_ref_id)]
    if link.print_job_ref:
        params.append(("pj", link.print_job_ref))
    if link.saved_design_ref:
        params.append(("ps", link.saved_design_ref))
    if link.save_callback_url:
        params.append((SAVE_CALLBACK_PARAM, link.save_callback_url))
    if link.add_to_cart:
        params.append(("a2c", ADD_TO_CART_MODE))
    if link.meo:
        params += [("meo", link.meo), ("mei", link.mei)]
    # As the doc's sample appends meo ("&meo=" + location.origin): ":" and "/" stay as they are;
    # anything that would end a parameter (& # = ?) in a callback URL is escaped.
    fragment = "&".join(f"{name}={quote(value, safe=':/')}" for name, value in params)
    return f"{smartlink_app_url(link)}#{fragment}"


def saved_design_reload_url(created_from: str, ref: str) -> str:
    """The saved design's reload link, as the doc says: created_from + "&ps=" + ref."""
    if not _REF.match(ref or ""):
        raise SmartlinkInvalid("saved_design_ref", "Saved design: a Custom Gateway reference (letters and digits).")
    origin_of(created_from)
    separator = "&" if "#" in created_from else "#"
    return f"{created_from}{separator}ps={ref}"


_SNIPPET = """<iframe id="smartlink" title="Personalise" src="" style="border: 0; width: 100%; height: 600px;"></iframe>
<script>
(function () {
  // The Smartlink (built in the back office); meo and mei are added below, for this page.
  var iframeOrigin = __ORIGIN__;
  var iframeUrl = __URL__;
  var meo = location.origin;
  var mei = Array.from(crypto.getRandomValues(new Uint8Array(8)), function (b) {
    return b.toString(16).padStart(2, "0");
  }).join("");
  var iframe = document.getElementById("smartlink");
  window.addEventListener("message", function (e) {
    var d = e.data;
    // Only this iframe instance: the designer's origin and our mei, nothing else.
    if (e.origin !== iframeOrigin || !d || typeof d !== "object" || (d.id !== undefined ? d.id : d.mei) !== mei) {
      return;
    }
    var body = d.body || d.data || {};
    switch (d.name || d.event) {
      case "ADD_TO_CART_CALLBACK":
        // One item per print job created: add each to the cart and keep its ref (printJobRef).
        (Array.isArray(body) ? body : body.items || []).forEach(function (item) {
          console.log("add to cart", item.ref, item.sku, item.thumbnails);
        });
        break;
      case "IFRAME_RESIZE":
        var height = Number(body.height !== undefined ? body.height : d.height);
        if (height > 0) {
          iframe.style.height = height + "px";
        }
        break;
    }
  });
  iframe.src = iframeUrl + "&meo=" + meo + "&mei=" + mei;
})();
</script>
"""


def _js_string(value: str) -> str:
    return json.dumps(value).replace("</", "<\\/")


def smartlink_snippet(link: Smartlink) -> str:
    """HTML for the shop's page: the iframe and its message handler (the doc's "Adding to Cart"
    sample, completed): messages are acted on only from the designer's origin with this page's
    mei; ADD_TO_CART_CALLBACK's items carry the printJobRef; IFRAME_RESIZE sets the height.
    The link is used without meo and mei, which the page adds for itself."""
    url = smartlink_url(replace(link, add_to_cart=True, meo="", mei=""))
    return _SNIPPET.replace("__ORIGIN__", _js_string(origin_of(link.designer_url))).replace("__URL__", _js_string(url))
