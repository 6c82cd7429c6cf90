// "Create a fulfilment order": the partner select follows the routing table of the ticked designs
// (each <li> carries the partner its rule routes it to), and a notice offers one order per
// partner when they route to different ones. Staff may still pick any partner.
(function () {
  "use strict";
  function update() {
    const form = document.getElementById("create-fulfilment");
    if (!form) return;
    const partners = new Set();
    form.querySelectorAll("li.routed-design").forEach(function (item) {
      const box = item.querySelector("input[name=customization]");
      if (box && box.checked && item.dataset.partner) partners.add(item.dataset.partner);
    });
    const select = form.querySelector("select[name=connection]");
    if (select && partners.size === 1) select.value = Array.from(partners)[0];
    const notice = document.getElementById("route-mixed");
    if (notice) notice.hidden = partners.size < 2;
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("#create-fulfilment input[name=customization]")) update();
  });
})();
