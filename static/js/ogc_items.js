// OGC API – Features HTML pages (geo/templates/ogc/items.html, item.html): a small map of the
// features on the page. Leaflet (global L) is loaded as a classic script before this module.

import { addBasemap, readJSON, readMapConfig } from "./basemap.js";

const L = window.L;
const node = document.getElementById("ogc-map");
const features = readJSON("ogc-features", []);

if (node && L) {
  const map = L.map(node, { scrollWheelZoom: false });
  const config = readMapConfig();
  addBasemap(map, config);
  const layer = L.geoJSON(
    { type: "FeatureCollection", features: features.filter((f) => f.geometry) },
    {
      style: { color: "#a3161a", weight: 3, fillOpacity: 0.25 },
      pointToLayer: (_f, latlng) =>
        L.circleMarker(latlng, { radius: 7, color: "#a3161a", weight: 2, fillOpacity: 0.6 }),
      onEachFeature: (feature, shape) => {
        const name = feature.properties && feature.properties.name;
        shape.bindTooltip(String(name || feature.id));
      },
    },
  ).addTo(map);
  const bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 16, padding: [40, 40] });
  else map.setView(config.center || [39.79, 98.28], 12);
  node.dataset.ready = "true";
}
