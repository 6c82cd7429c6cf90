"""Development-only: a fake Custom Gateway personalisation app (the designer a Smartlink loads),
served under the sandbox at /sandbox/custom-gateway/s/app/<app>/<locale>/<configuration>.html.

It reads the Smartlink's fragment as the real app does (p, r, guid, a2c, meo, mei, pj, ps and the
save-callback parameter) and, to the parent window at `meo` only, posts with postMessage:
- IFRAME_RESIZE once loaded and whenever its content grows (its height);
- ADD_TO_CART_CALLBACK when "Add to cart" is clicked: one item (ref, sku, thumbnails) per print
  job, with a new ref each time;
- SAVE_CALLBACK when "Save design" is clicked (only with a save-callback URL), then the doc's
  form POST (application/x-www-form-urlencoded, a `data` field of JSON with created_from, ref and
  thumbnails) to that URL. The POST goes to a hidden frame so the preview stays on the design.
Like the real app, it sends no message unless both meo and mei are given. The message's shape
(`id` for the instance, `name`, `body`) is our reading of the doc's damaged sample.
"""

from __future__ import annotations

import re

from django.http import Http404, HttpResponse
from django.urls import path, re_path
from django.views.decorators.clickjacking import xframe_options_exempt

from integrations.sandbox import pictures

from .smartlinks import SAVE_CALLBACK_PARAM

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox designer: __APP__</title>
<style>
body { font: 14px sans-serif; margin: 12px; background: #f7f5ef; }
#canvas { width: 320px; height: 200px; background: #fff; border: 1px dashed #999; display: flex;
          align-items: center; justify-content: center; font-size: 18px; }
button { margin: 8px 8px 0 0; padding: 6px 14px; }
#state { color: #555; }
</style></head>
<body>
<h1>Sandbox designer</h1>
<p id="state"></p>
<div id="canvas">Your design here</div>
<p><label>Text <input id="text" value="Hello"></label></p>
<button id="add-to-cart" type="button">Add to cart</button>
<button id="save" type="button" hidden>Save design</button>
<p id="log"></p>
<iframe name="save-target" hidden></iframe>
<script>
(function () {
  var params = {};
  location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
    if (!pair) { return; }
    var i = pair.indexOf("=");
    var key = i < 0 ? pair : pair.slice(0, i);
    params[key] = decodeURIComponent(i < 0 ? "" : pair.slice(i + 1));
  });
  var meo = params.meo, mei = params.mei, saveUrl = params[__SAVE_PARAM__];
  var base = location.href.split("#")[0].replace(/\\/s\\/app\\/.*$/, "");
  var restored = params.pj ? "print job " + params.pj : params.ps ? "saved design " + params.ps : "a new design";
  document.getElementById("state").textContent = "Product " + (params.p || "?") + ", renderer " +
    (params.r || "?") + ", company " + (params.guid || "?") + ": " + restored + ".";
  document.getElementById("text").addEventListener("input", function (e) {
    document.getElementById("canvas").textContent = e.target.value;
  });
  function ref() {
    var hex = "";
    crypto.getRandomValues(new Uint8Array(9)).forEach(function (b) { hex += b.toString(16).padStart(2, "0"); });
    return hex.toUpperCase();
  }
  function thumbnails(r) {
    return [
      {name: "thumbnail", url: base + "/s/thumb/" + r + ".png", description: "Front"},
      {name: "thumbnail_60", url: base + "/s/thumb/" + r + ".png?size=60", description: "Front, 60px"}
    ];
  }
  function post(name, body) {
    if (!meo || !mei) { return false; }  // "The app will not send messages if either meo and mei are not specified."
    parent.postMessage({id: mei, name: name, body: body}, meo);
    return true;
  }
  document.getElementById("add-to-cart").addEventListener("click", function () {
    var r = ref();
    var sent = post("ADD_TO_CART_CALLBACK", {items: [{ref: r, sku: "SKU-" + (params.p || "0"), thumbnails: thumbnails(r)}]});
    document.getElementById("log").textContent = sent ? "Added to cart: " + r : "Not sent: no meo or mei.";
    resize();
  });
  if (saveUrl) {
    var save = document.getElementById("save");
    save.hidden = false;
    save.addEventListener("click", function () {
      var r = ref();
      var createdFrom = location.href.split("&ps=")[0];
      var data = {created_from: createdFrom, ref: r, thumbnails: thumbnails(r)};
      post("SAVE_CALLBACK", data);
      var form = document.createElement("form");
      form.method = "post";
      form.action = saveUrl;
      form.target = "save-target";
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = "data";
      field.value = JSON.stringify(data);
      form.appendChild(field);
      document.body.appendChild(form);
      form.submit();
      document.getElementById("log").textContent = "Saved: " + r;
      resize();
    });
  }
  function resize() {
    post("IFRAME_RESIZE", {height: document.body.scrollHeight + 40});
  }
  window.addEventListener("load", resize);
})();
</script>
</body></html>
"""

_SEGMENT = re.compile(r"^[A-Za-z0-9_\-.]+$")


@xframe_options_exempt  # it is meant to be framed (by the back office's preview in development)
def designer(request, app: str, locale: str, configuration: str):
    if not all(_SEGMENT.match(part) for part in (app, locale, configuration)):
        raise Http404("no such app")
    page = _PAGE.replace("__APP__", f"{app}/{locale}/{configuration}").replace(
        "__SAVE_PARAM__", f'"{SAVE_CALLBACK_PARAM}"'
    )
    return HttpResponse(page, content_type="text/html; charset=utf-8")


def thumbnail(request, ref: str):
    """The design's thumbnail: a product drawn with personalised text, chosen by its ref."""
    size = 60 if request.GET.get("size") == "60" else 200
    return HttpResponse(pictures.design_by_ref_png(ref, size=size), content_type="image/png")


def designer_base_url(origin: str) -> str:
    """The connection's designer base URL pointing at this sandbox served from `origin`."""
    return f"{origin.rstrip('/')}/sandbox/custom-gateway"


urlpatterns = [
    re_path(
        r"^s/app/(?P<app>[^/]+)/(?P<locale>[^/]+)/(?P<configuration>[^/]+)\.html$", designer, name="smartlink_designer"
    ),
    path("s/thumb/<str:ref>.png", thumbnail, name="smartlink_thumbnail"),
]
