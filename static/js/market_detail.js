// One market's page (/markets/<id>/): its zone on a small map. Everything else is server HTML.
// Leaflet is a classic script loaded before this module (global L).

import { addBasemap, legendSwatch, readJSON, readMapConfig } from "./basemap.js";
import { loadedAt, registerWorker, showOfflineNote } from "./pwa.js";

const L = window.L;
const feature = readJSON("market-data");
const node = document.getElementById("market-map");

if (feature && node && L) {
  const config = readMapConfig();
  const map = L.map(node, { center: config.center, zoom: 15 });
  const color = feature.properties.open_now ? "#0b6b2e" : "#4a5360";
  addBasemap(map, config, { title: { asOf: loadedAt() }, legend: { entries: [
    [legendSwatch("area", color), config.strings?.thisMarket, "this-market"],
  ] } });
  const layer = L.geoJSON(feature, {
    style: () => ({
      color: feature.properties.open_now ? "#0b6b2e" : "#4a5360",
      weight: 2,
      fillOpacity: 0.35,
      className: "market-zone",
    }),
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 17 });
  window.marketDetail = { ready: true, map };
}

showOfflineNote(readJSON("markets-strings", {}).offlineDetail);
registerWorker();
