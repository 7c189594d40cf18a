/* Directory map: clusters come from the server (/api/directory/clusters) for the
   visible box and zoom; a single organisation opens its page when selected. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") { return; }
  var status = document.getElementById("map-status");
  var map = L.map(el, { worldCopyJump: true, minZoom: 1 }).setView([48, 5], 3);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
  }).addTo(map);
  map.attributionControl.addAttribution(el.dataset.attribution);
  var layer = L.layerGroup().addTo(map);
  var pending = null;

  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }

  function icon(count) {
    var size = count < 10 ? 28 : count < 100 ? 34 : count < 1000 ? 40 : 48;
    return L.divIcon({
      html: "<span>" + count + "</span>", className: "cluster-icon",
      iconSize: [size, size]
    });
  }

  function draw(data) {
    layer.clearLayers();
    var total = 0;
    data.clusters.forEach(function (c) {
      total += c.count;
      var marker;
      if (c.count === 1 && c.id) {
        marker = L.circleMarker([c.lat, c.lon], { radius: 7, weight: 2, fillOpacity: 0.8, color: "#0a6e4f" });
        marker.on("click", function () { window.location.href = el.dataset.detailUrl + c.id + "/"; });
        marker.bindTooltip(String(c.id));
      } else {
        marker = L.marker([c.lat, c.lon], { icon: icon(c.count), keyboard: true, title: c.count + "" });
        marker.on("click", function () { map.setView([c.lat, c.lon], Math.min(map.getZoom() + 2, 18)); });
      }
      layer.addLayer(marker);
    });
    if (status) { status.textContent = total + " · z" + data.zoom; }
  }

  function refresh() {
    var b = map.getBounds();
    var bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
                clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].join(",");
    var url = el.dataset.clustersUrl + "?bbox=" + encodeURIComponent(bbox) + "&zoom=" + map.getZoom();
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(url, { signal: pending.signal, headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(draw)
      .catch(function () { /* aborted or offline: keep the last view */ });
  }

  map.on("moveend", refresh);
  refresh();
})();
