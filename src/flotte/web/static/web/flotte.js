// Flotte's pages: the service worker, the pages kept for offline use, and
// the station map (Leaflet). Every page works without this file.
(function () {
  "use strict";

  function worker(message) {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) registration.active.postMessage(message);
    });
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    // The current booking's page and its key, kept for use without network.
    var keep = document.querySelector("[data-keep-offline]");
    if (keep && keep.dataset.keepOffline.trim()) {
      worker({ keep: keep.dataset.keepOffline.trim().split(/\s+/) });
    }
    // Logging out forgets the pages kept (they are this person's).
    document.querySelectorAll("form[data-forget-offline]").forEach(function (form) {
      form.addEventListener("submit", function () { worker({ forget: true }); });
    });
    stationMap();
    fleetMap();
    carryTheTripDetails();
  });

  // A purpose or cost centre typed after searching goes with the booking
  // (without JavaScript, searching again carries it).
  function carryTheTripDetails() {
    var search = document.getElementById("search");
    if (!search) return;
    document.querySelectorAll("form.book").forEach(function (form) {
      form.addEventListener("submit", function () {
        ["purpose", "cost_centre"].forEach(function (name) {
          if (search.elements[name] && form.elements[name]) {
            form.elements[name].value = search.elements[name].value;
          }
        });
      });
    });
  }

  function stationMap() {
    var element = document.getElementById("station-map");
    var data = document.getElementById("station-map-data");
    if (!element || !data || !window.L) return; // the station list is enough
    var map_ = JSON.parse(data.textContent);
    if (!map_.stations.length) return;
    var select = document.getElementById(element.dataset.select);
    element.hidden = false;
    var map = L.map(element, { scrollWheelZoom: false });
    if (map_.tiles) {
      L.tileLayer(map_.tiles, { maxZoom: 19, attribution: map_.attribution }).addTo(map);
    } else {
      element.classList.add("no-tiles");
    }
    var bounds = [];
    map_.stations.forEach(function (station) {
      var marker = L.marker([station.lat, station.lon], { title: station.name, alt: station.name })
        .addTo(map)
        .bindPopup(station.name + "<br>" + station.address);
      marker.on("click", function () {
        if (select) {
          select.value = String(station.id);
          select.dispatchEvent(new Event("change"));
        }
      });
      bounds.push([station.lat, station.lon]);
    });
    if (bounds.length === 1) map.setView(bounds[0], 15);
    else map.fitBounds(bounds, { padding: [24, 24] });
  }

  // The console's fleet map: stations and the vehicles' last positions.
  function fleetMap() {
    var element = document.getElementById("fleet-map");
    var data = document.getElementById("fleet-map-data");
    if (!element || !data || !window.L) return; // the tables are enough
    var map_ = JSON.parse(data.textContent);
    if (!map_.points.length) return;
    element.hidden = false;
    var map = L.map(element, { scrollWheelZoom: false });
    if (map_.tiles) {
      L.tileLayer(map_.tiles, { maxZoom: 19, attribution: map_.attribution }).addTo(map);
    } else {
      element.classList.add("no-tiles");
    }
    var bounds = [];
    map_.points.forEach(function (point) {
      var marker = point.kind === "vehicle"
        ? L.circleMarker([point.lat, point.lon], { radius: 8, color: "#15803d", fillOpacity: 0.8 })
        : L.marker([point.lat, point.lon], { title: point.label, alt: point.label });
      marker.addTo(map).bindTooltip(point.label);
      bounds.push([point.lat, point.lon]);
    });
    if (bounds.length === 1) map.setView(bounds[0], 15);
    else map.fitBounds(bounds, { padding: [24, 24] });
  }
})();
