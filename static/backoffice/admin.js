// Behaviour that used to be inline (onclick=, style=), moved here so the site CSP can forbid
// inline script and style. Runs on load and on every htmx swap.
(function () {
  "use strict";
  // Colour swatches: the server validated the colour (#rgb, rgb(), a named colour) and put it in
  // data-colour; it is applied through the CSSOM, which takes a colour and nothing else.
  function paintSwatches(root) {
    var swatches = (root || document).querySelectorAll("[data-colour]");
    for (var i = 0; i < swatches.length; i++) {
      var colour = swatches[i].getAttribute("data-colour");
      if (colour && window.CSS && CSS.supports("color", colour)) {
        swatches[i].style.backgroundColor = colour;
      }
    }
  }
  document.addEventListener("DOMContentLoaded", function () { paintSwatches(document); });
  document.addEventListener("htmx:load", function (event) { paintSwatches(event.detail.elt); });

  // Buttons that ask first: <input data-confirm="question">.
  document.addEventListener("click", function (event) {
    var asking = event.target.closest("[data-confirm]");
    if (asking && !window.confirm(asking.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // A print page (label print view) opens the browser's print dialog once it has loaded.
  window.addEventListener("load", function () {
    if (document.body && document.body.hasAttribute("data-print-on-load")) {
      window.print();
    }
  });
})();
