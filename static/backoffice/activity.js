// The activity panel (operations): a refused note or tag answers 400 with the panel and its
// reason; htmx does not swap error answers by default, so let this panel's 400s through.
document.addEventListener("htmx:beforeSwap", function (event) {
  var target = event.detail.target;
  if (event.detail.xhr.status === 400 && target && target.id === "activity-panel") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
