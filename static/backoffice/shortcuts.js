// The review screen's single-key shortcuts (a, r, j, k: review.js) can be turned off (WCAG 2.1.4).
// The choice is the reviewer's, kept in this browser (localStorage). While they are off, a key
// pressed with no modifier is stopped before review.js sees it (this listener is on window, in
// the capture phase, so it runs first) and does only what the browser would do with it anyway.
(function () {
  "use strict";
  var KEY = "backoffice:review-shortcuts";
  function enabled() {
    try { return window.localStorage.getItem(KEY) !== "off"; } catch (e) { return true; }
  }
  function remember(on) {
    try { window.localStorage.setItem(KEY, on ? "on" : "off"); } catch (e) { /* not kept: this page only */ }
    document.documentElement.classList.toggle("review-shortcuts-off", !on);
  }
  var current = enabled();
  document.documentElement.classList.toggle("review-shortcuts-off", !current);
  window.addEventListener("keydown", function (event) {
    if (current || event.metaKey || event.ctrlKey || event.altKey || event.key.length !== 1) { return; }
    if (document.getElementById("review-panel")) { event.stopImmediatePropagation(); }
  }, true);
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("review-shortcuts");
    if (!toggle) { return; }
    toggle.checked = current;
    toggle.closest(".review-shortcuts").hidden = false;  // shown only where the keys exist: with script
    toggle.addEventListener("change", function () { current = toggle.checked; remember(current); });
  });
})();
