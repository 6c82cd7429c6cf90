/* The partner's product creator (fulfilment/admin/vpc.py). Its PRODUCTS_CREATED message is
   acted on only when it comes from the creator's own frame AND from its origin (the page's
   data-frame-origin); it is then posted to the back office (CSRF token, staff session), which
   records the products, and the products it answers are shown. Everything else is ignored. */
(function () {
  "use strict";

  function start() {
    var root = document.getElementById("vpc");
    if (!root) return;
    var frame = document.getElementById("vpc-frame");
    var list = document.getElementById("vpc-products");
    var errors = document.getElementById("vpc-errors");
    var status = document.getElementById("vpc-status");
    var done = document.getElementById("vpc-done");
    var origin = root.dataset.frameOrigin;
    var endpoint = root.dataset.endpoint;
    var token = root.querySelector("input[name=csrfmiddlewaretoken]").value;

    function error(text) {
      var item = document.createElement("li");
      item.textContent = text;
      errors.appendChild(item);
      errors.hidden = false;
    }

    function show(product) {
      var item = document.createElement("li");
      item.className = "vpc-product";
      var image = document.createElement("img");
      image.className = "thumb vpc-snapshot";
      image.src = product.snapshot;
      image.alt = "Snapshot of " + product.name;
      image.width = 150;
      image.height = 150;
      var link = document.createElement("a");
      link.href = product.url;
      link.textContent = product.name;
      var detail = document.createElement("span");
      detail.className = "vpc-detail";
      detail.textContent = " — retail SKU " + (product.retail_sku || "none") +
        ", base product " + (product.base_product_code || "none");
      item.appendChild(image);
      item.appendChild(link);
      item.appendChild(detail);
      list.appendChild(item);
    }

    window.addEventListener("message", function (event) {
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      var data = event.data;
      if (typeof data === "string") {
        try { data = JSON.parse(data); } catch (e) { return; }
      }
      if (!data || typeof data !== "object" || (data.type || data.event) !== "PRODUCTS_CREATED") return;
      status.textContent = "Recording the products…";
      fetch(endpoint, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ message: data })
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (answer) {
        if (!answer.ok) {
          status.textContent = "The products were not recorded.";
          error(answer.body.error || "The back office refused the message.");
          return;
        }
        answer.body.products.forEach(show);
        const count = answer.body.products.length;
        status.textContent = count + (count === 1 ? " product" : " products") + " recorded.";
        frame.hidden = true; // the doc: close the creator once the products are made
        done.hidden = false;
      }).catch(function () {
        status.textContent = "The products were not recorded.";
        error("The back office could not be reached: try again.");
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
