// The inspection page: a tap on the car outline places a damage mark (its
// x and y as fractions of the drawing, from its top left corner, as
// flotte.inspections.marks keeps them). Without JavaScript, the member
// chooses a part of the car in the list instead.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var svg = document.querySelector("#car-outline[data-clickable]");
    var form = document.getElementById("mark-form");
    if (!svg || !form) return;
    var pending = document.getElementById("mark-pending");
    var place = document.getElementById("mark-place");
    var zones = JSON.parse(document.getElementById("zone-points").textContent);
    var zone = form.elements.zone;

    function zoneLabel(name) {
      for (var i = 0; i < zone.options.length; i++) {
        if (zone.options[i].value === name) return zone.options[i].text;
      }
      return name;
    }

    function nearest(x, y) {
      var best = null;
      var distance = Infinity;
      Object.keys(zones).forEach(function (name) {
        var d = Math.hypot(zones[name][0] - x, zones[name][1] - y);
        if (d < distance) { distance = d; best = name; }
      });
      return best;
    }

    svg.addEventListener("click", function (event) {
      var box = svg.getBoundingClientRect();
      var x = (event.clientX - box.left) / box.width;
      var y = (event.clientY - box.top) / box.height;
      if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) return;
      x = Math.round(x * 1000) / 1000;
      y = Math.round(y * 1000) / 1000;
      form.elements.x.value = String(x);
      form.elements.y.value = String(y);
      zone.value = "";
      pending.setAttribute("cx", String(x * 200));
      pending.setAttribute("cy", String(y * 400));
      pending.setAttribute("visibility", "visible");
      place.textContent = place.dataset.chosen.replace("%(zone)s", zoneLabel(nearest(x, y)));
      form.elements.kind.focus();
    });

    // A part chosen in the list takes the place of the tap.
    zone.addEventListener("change", function () {
      if (!zone.value) return;
      form.elements.x.value = "";
      form.elements.y.value = "";
      pending.setAttribute("visibility", "hidden");
      place.textContent = "";
    });
  });
})();
