// Forms marked data-submit-once (Ship and print) are sent once per click burst: a double click
// sends one POST (the server claims the order too, so a second would queue nothing anyway).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-submit-once]");
    if (!form) { return; }
    if (form.hasAttribute("data-submitted")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitted", "");
    var buttons = form.querySelectorAll("button, input[type=submit]");
    for (var i = 0; i < buttons.length; i++) { buttons[i].setAttribute("aria-disabled", "true"); }
    // The form opens its result in a new tab: this page's button works again a little later.
    window.setTimeout(function () {
      form.removeAttribute("data-submitted");
      for (var j = 0; j < buttons.length; j++) { buttons[j].removeAttribute("aria-disabled"); }
    }, 5000);
  }, true);
})();
