// A small Leaflet map of one feature's geometry, shared by the project and livelihood pages.
// Leaflet (global L) is loaded as a classic script before the page module.

import { addBasemap, legendSwatch, readMapConfig } from "./basemap.js";
import { siteUrl } from "./urls.js";

const L = window.L;

/** Draw `geometry` (GeoJSON, WGS84) in the element `id` and zoom to it. */
export function drawDetailMap(id, geometry, color = "#a3161a") {
  const node = document.getElementById(id);
  if (!node || !geometry || !L) return null;
  const map = L.map(node, { scrollWheelZoom: false });
  const config = readMapConfig();
  const shape = /LineString/.test(geometry.type) ? "line" : /Point/.test(geometry.type) ? "point"
    : "area";
  addBasemap(map, config, { legend: { entries: [
    [legendSwatch(shape, color), config.strings?.thisFeature, "this-feature"],
  ] } });
  const layer = L.geoJSON(geometry, {
    style: { color, weight: 4, fillOpacity: 0.25 },
    pointToLayer: (_f, latlng) =>
      L.circleMarker(latlng, { radius: 9, color, weight: 3, fillOpacity: 0.6 }),
  }).addTo(map);
  const bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 16, padding: [20, 20] });
  node.dataset.ready = "true";
  return map;
}

/** The header's map link leads back to the filtered map view the page was opened from. */
export function keepMapView() {
  const back = document.getElementById("back-to-map");
  const header = document.querySelector(`.site-nav a[href='${siteUrl("home")}']`);
  if (back && header && back.search) header.href = back.href;
}
