// The report form (/markets/<id>/report/): tap the small map to set the problem's point (the
// hidden "point" field, "lon,lat" WGS84), and a live count of the text's characters.
// Leaflet is a classic script loaded before this module (global L).

import { addBasemap, readJSON, readMapConfig } from "./basemap.js";

const L = window.L;
const zone = readJSON("report-zone");
const strings = readJSON("report-strings", {});
const node = document.getElementById("report-map");
const field = document.getElementById("id_point");
const status = document.getElementById("point-status");
const clear = document.getElementById("point-clear");

if (zone && node && field && L) {
  const config = readMapConfig();
  const map = L.map(node, { center: config.center, zoom: 16 });
  addBasemap(map, config);
  const outline = L.geoJSON(zone, {
    style: () => ({ color: "#0b6b2e", weight: 2, fillOpacity: 0.2, className: "report-zone" }),
    interactive: false,
  }).addTo(map);
  map.fitBounds(outline.getBounds(), { padding: [20, 20], maxZoom: 17 });
  let marker = null;
  const place = (latlng) => {
    const lon = latlng.lng.toFixed(6);
    const lat = latlng.lat.toFixed(6);
    field.value = `${lon},${lat}`;
    if (marker) marker.setLatLng(latlng);
    else marker = L.circleMarker(latlng, { radius: 9, color: "#a3161a", weight: 3, className: "report-point" }).addTo(map);
    status.textContent = strings.tapped || "";
    clear.hidden = false;
  };
  if (field.value) {
    const [lon, lat] = field.value.split(",").map(Number);
    if (Number.isFinite(lon) && Number.isFinite(lat)) place(L.latLng(lat, lon));
  }
  map.on("click", (event) => place(event.latlng));
  clear.addEventListener("click", () => {
    field.value = "";
    if (marker) marker.remove();
    marker = null;
    status.textContent = strings.cleared || "";
    clear.hidden = true;
  });
  node.dataset.ready = "true";
  window.reportForm = { ready: true, map };
}

const text = document.getElementById("id_text");
const count = document.getElementById("text-count");
if (text && count) {
  const update = () => { count.textContent = String([...text.value].length); };
  text.addEventListener("input", update);
  update();
}
