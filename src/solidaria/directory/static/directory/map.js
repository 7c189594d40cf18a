/* Directory map: clusters come from the server (/api/directory/clusters) for the visible
   box and zoom, with the page's search filters. A group zooms in when selected; a single
   organisation opens a popup with its name, type and a link to its page. The status
   line under the map says how many organisations the area holds; a notice says when the
   base-map tiles cannot load. Every sentence comes translated from the page (data-*).
   A redraw keeps the markers that are still in view (keyed by what they show), so a
   popup that pans the map open is not closed by the refresh that pan triggers. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") { return; }
  var text = el.dataset;
  var status = document.getElementById("map-status");
  var tilesNotice = document.getElementById("map-tiles-notice");
  var lang = document.documentElement.lang || undefined;
  var numbers = window.Intl ? new Intl.NumberFormat(lang) : { format: String };
  var map = L.map(el, { worldCopyJump: true, minZoom: 1 }).setView([48, 5], 3);
  var tiles = L.tileLayer(text.tileUrl, { maxZoom: 19, attribution: text.tileAttribution });
  var tileErrors = 0;
  tiles.on("loading", function () { tileErrors = 0; });
  tiles.on("tileerror", function () {
    tileErrors += 1;
    if (tilesNotice) { tilesNotice.hidden = false; }
  });
  tiles.on("load", function () {
    if (tilesNotice && tileErrors === 0) { tilesNotice.hidden = true; }
  });
  tiles.addTo(map);
  map.attributionControl.addAttribution(text.attribution);
  var layer = L.layerGroup().addTo(map);
  var shown = {};  // key -> marker currently on the map
  var pending = null;

  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }

  function say(message) { if (status) { status.textContent = message; } }

  function fill(template, count) { return template.replace("{count}", numbers.format(count)); }

  function groupIcon(count) {
    var label = document.createElement("span");
    label.textContent = numbers.format(count);
    var size = Math.max(28, 14 + 8 * label.textContent.length);  // room for "12,345"
    return L.divIcon({ html: label, className: "cluster-icon", iconSize: [size, size] });
  }

  var pointIcon = L.divIcon({ className: "point-icon", iconSize: [16, 16] });

  function popup(c) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var name = document.createElement("strong");
    name.textContent = c.name || "";
    box.appendChild(name);
    if (c.type) {
      var kind = document.createElement("span");
      kind.className = "map-popup-type";
      kind.textContent = c.type;
      box.appendChild(kind);
    }
    var link = document.createElement("a");
    link.href = c.url;
    link.textContent = text.openLabel;
    box.appendChild(link);
    return box;
  }

  function key(c) {
    return c.count === 1 && c.url ? "point " + c.url : ["group", c.lat, c.lon, c.count].join(" ");
  }

  function marker(c) {
    if (c.count === 1 && c.url) {
      var point = L.marker([c.lat, c.lon], { icon: pointIcon, keyboard: true, title: c.name });
      point.bindPopup(popup(c));
      return point;
    }
    var group = L.marker([c.lat, c.lon], {
      icon: groupIcon(c.count), keyboard: true, title: fill(text.clusterLabel, c.count)
    });
    var zoomIn = function () { map.setView([c.lat, c.lon], Math.min(map.getZoom() + 2, 18)); };
    group.on("click", zoomIn);
    group.on("keypress", function (e) {
      if (e.originalEvent.key === "Enter" || e.originalEvent.keyCode === 13) { zoomIn(); }
    });
    return group;
  }

  function draw(data) {
    var next = {};
    data.clusters.forEach(function (c) {
      var k = key(c);
      if (!shown[k]) { shown[k] = marker(c); layer.addLayer(shown[k]); }
      next[k] = shown[k];
    });
    Object.keys(shown).forEach(function (k) {
      if (!next[k]) { layer.removeLayer(shown[k]); }
    });
    shown = next;
    var total = data.total;
    say(total === 0 ? text.statusNone : total === 1 ? text.statusOne : fill(text.statusMany, total));
  }

  function refresh() {
    var b = map.getBounds();
    var bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
                clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].join(",");
    var url = text.clustersUrl + "?bbox=" + encodeURIComponent(bbox) + "&zoom=" + map.getZoom();
    if (text.filters) { url += "&" + text.filters; }
    if (pending) { pending.abort(); }
    pending = new AbortController();
    say(text.statusLoading);
    fetch(url, { signal: pending.signal, headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(draw)
      .catch(function (error) {
        if (error && error.name === "AbortError") { return; }  // a newer view replaced it
        say(text.statusFailed);
      });
  }

  map.on("moveend", refresh);
  refresh();
})();
