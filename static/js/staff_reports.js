// The staff report page (/staff/reports/): the listed reports that have a point, on a map.
// Each dot links to its row in the list; overdue ones are drawn red and larger.

import { addBasemap, readJSON, readMapConfig } from "./basemap.js";
import { reportPopup } from "./popups.js";

const L = window.L;
const points = readJSON("report-points", { type: "FeatureCollection", features: [] });
const node = document.getElementById("reports-map");

if (node && L) {
  const config = readMapConfig();
  const map = L.map(node, { center: config.center, zoom: 13 });
  addBasemap(map, config);
  const layer = L.geoJSON(points, {
    pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
      radius: feature.properties.overdue ? 9 : 7,
      color: feature.properties.overdue ? "#a3161a" : "#0b4f9c",
      weight: 2,
      fillOpacity: 0.6,
      className: `report-dot report-dot-${feature.properties.state}`,
    }),
    onEachFeature: (feature, dot) => dot.bindPopup(reportPopup(feature.properties, `#report-${feature.id}`)),
  }).addTo(map);
  if (points.features.length) map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 16 });
  node.dataset.ready = "true";
  window.staffReports = { ready: true, map, count: points.features.length };
}
