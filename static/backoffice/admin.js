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

  // Django's two-box permission picker (SelectFilter2, built on load, before this listener runs)
  // names its search icons with aria-label on a bare <span>, which ARIA does not allow; as
  // images they keep that name (it is part of the search box's label).
  window.addEventListener("load", function () {
    var icons = document.querySelectorAll("span.search-label-icon[aria-label]:not([role])");
    for (var i = 0; i < icons.length; i++) {
      icons[i].setAttribute("role", "img");
    }
  });
})();
