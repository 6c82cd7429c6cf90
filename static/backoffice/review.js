// Review screen keys (a approve, r reject reason, j next, k previous) and image zoom.
(function () {
  "use strict";
  function overlay() { return document.getElementById("zoom-overlay"); }
  function closeZoom() { var o = overlay(); if (o) { o.hidden = true; } }
  document.addEventListener("click", function (event) {
    var image = event.target.closest("#review-panel img.zoomable");
    var o = overlay();
    if (image && o) {
      event.preventDefault();
      o.querySelector("img").src = image.src;
      o.hidden = false;
    } else if (o && !o.hidden && event.target.closest("#zoom-overlay")) {
      closeZoom();
    }
  });
  // htmx swaps no 4xx answer by default; the review panel's 400 (no reason) and 409 (someone
  // else decided first) answers are panels that say why, and must be shown.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 400 || status === 409) && event.detail.target && event.detail.target.id === "review-panel") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // After a swap htmx focuses the new element with the id that had focus: after a rejection
  // (Enter in #reject-reason) that is the next design's reason field, and the reviewer's next
  // a, j or k would be typed into it. Each design starts with the keys live.
  document.addEventListener("htmx:afterSwap", function (event) {
    var active = document.activeElement;
    if (event.target.id === "review-panel" && active && event.target.contains(active) && active.blur) {
      active.blur();
    }
  });
  // `r` focuses the reason field on keydown; a key held a moment longer repeats, and each repeat
  // (now aimed at the field) typed an "r" into it. Until that key comes up, its repeats are swallowed.
  var swallowKey = null;
  document.addEventListener("keyup", function (event) {
    if (event.key === swallowKey) { swallowKey = null; }
  });
  document.addEventListener("keydown", function (event) {
    if (swallowKey !== null && event.key === swallowKey) { event.preventDefault(); return; }
    if (event.key === "Escape") { closeZoom(); if (event.target.blur) { event.target.blur(); } return; }
    if (event.metaKey || event.ctrlKey || event.altKey) { return; }
    if (event.target.closest("input, textarea, select, [contenteditable]")) { return; }
    var panel = document.getElementById("review-panel");
    if (!panel) { return; }
    var press = function (selector) {
      var element = panel.querySelector(selector);
      if (element) { event.preventDefault(); element.click(); }
    };
    if (event.key === "a") { press("#approve-button"); }
    else if (event.key === "j") { press("#next-link"); }
    else if (event.key === "k") { press("#prev-link"); }
    else if (event.key === "r") {
      var reason = panel.querySelector("#reject-reason");
      if (reason) { event.preventDefault(); swallowKey = event.key; reason.focus(); }
    }
  });
})();
