/* The organisation's place on a small map; tiles from the configured server. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") { return; }
  var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
  var map = L.map(el).setView([lat, lon], 14);
  var notice = document.getElementById("map-tiles-notice");
  var tiles = L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution });
  tiles.on("tileerror", function () { if (notice) { notice.hidden = false; } });
  tiles.addTo(map);
  L.circleMarker([lat, lon], { radius: 8, color: "#0a6e4f" }).addTo(map);
})();
