// The Smartlink builder and live preview (orders/admin/smartlinks.py). No inline script: the
// page's CSP allows only our own scripts, and frame-src only the designer's origin.
(function () {
  "use strict";

  // The builder: copy the snippet.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var source = document.getElementById(button.dataset.copyTarget);
    var done = button.parentElement.querySelector(".smartlink-copied");
    var shown = function () {
      if (done) {
        done.hidden = false;
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.value).then(shown, function () {
        source.select();
      });
    } else {
      source.select();
      document.execCommand("copy");
      shown();
    }
  });

  // The preview: listen first, then load the designer (as the vendor's sample does).
  function preview() {
    var frame = document.getElementById("smartlink-preview");
    if (!frame) {
      return;
    }
    var origin = frame.dataset.origin;
    var mei = frame.dataset.mei;
    var cart = document.getElementById("smartlink-cart");
    var empty = document.getElementById("smartlink-cart-empty");
    var saved = document.getElementById("smartlink-saved");
    var ignored = document.getElementById("smartlink-ignored");

    function ignore() {
      var count = Number(ignored.dataset.count) + 1;
      ignored.dataset.count = String(count);
      ignored.textContent = "Ignored messages (another origin or another mei): " + count;
    }

    function cell(row, text) {
      var td = document.createElement("td");
      td.textContent = text;
      row.appendChild(td);
    }

    // Our copy of the doc lost the property names of its handler: the instance id is `id` or
    // `mei`, the event `name` or `event`, its payload `body` or `data` (the items either the
    // payload itself or its `items`). All are read; the origin and the mei are checked first.
    window.addEventListener("message", function (event) {
      var d = event.data;
      if (event.origin !== origin || !d || typeof d !== "object") {
        ignore();
        return;
      }
      if ((d.id !== undefined ? d.id : d.mei) !== mei) {
        ignore();
        return;
      }
      var body = d.body || d.data || {};
      switch (d.name || d.event) {
        case "ADD_TO_CART_CALLBACK":
          (Array.isArray(body) ? body : body.items || []).forEach(function (item) {
            var row = document.createElement("tr");
            row.className = "smartlink-item";
            cell(row, String(item.ref || ""));
            cell(row, String(item.sku || "—"));
            cell(row, (item.thumbnails || []).map(function (t) { return t.name; }).join(", ") || "—");
            cart.tBodies[0].appendChild(row);
          });
          cart.hidden = false;
          empty.hidden = true;
          break;
        case "IFRAME_RESIZE":
          var height = Number(body.height !== undefined ? body.height : d.height);
          if (height > 0) {
            frame.style.height = Math.min(Math.max(height, 200), 4000) + "px";
          }
          break;
        case "SAVE_CALLBACK":
          saved.hidden = false;
          saved.textContent = "Design saved: ref " + String(body.ref || "") + ".";
          break;
        default:
          break;
      }
    });
    frame.src = frame.dataset.src;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", preview);
  } else {
    preview();
  }
})();
